/**
 * Phase 4: Security Validation › Access Control – admin interfaces, API credentials and CORS, sensitive
 * files, upload restrictions, and (last) secrets in logs after everything above has run.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { join } from 'node:path';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { corsProblems, findLeaks, signJwtHs256, uploadRefusalProblem, type Needle } from '../../checks/security.ts';
import { schemaErrors } from '../../lib/schemas.ts';
import { credentialName, NO_AUTH, wrongCredential } from '../../lib/rag-api.ts';

/** Every bearer token this file sends; none may show up in any log (checked by the last test). */
const SENT_TOKENS: Needle[] = [];
/** The planted document sentence; must not show up in any log. */
const PLANTED = `Quartz heron ${randomBytes(6).toString('hex')} counts seventeen amber lanterns beside the silent mill.`;

/** multipart/form-data built by hand so that file names and content types are sent byte for byte; files in `field` (the profile's upload field). */
function multipart(field: string, files: Array<{ name: string; type: string; data: Buffer }>): { body: Buffer; contentType: string } {
  const boundary = `----raggate${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${f.name.replace(/"/g, '%22')}"\r\nContent-Type: ${f.type}\r\n\r\n`, 'latin1'));
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * RESP "PING" without AUTH: a protected Redis answers -NOAUTH. A rediss:// URL speaks TLS; its certificate is not
 * judged here (no credential is sent).
 */
function redisPing(url: URL): Promise<string> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port);
    const secure = url.protocol === 'rediss:';
    const s = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false }) : net.connect({ host, port });
    let buf = '';
    const done = (r: string) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(3000, () => done(buf || 'timeout'));
    s.once(secure ? 'secureConnect' : 'connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.trim());
    });
    s.once('error', (e) => done(`error ${(e as NodeJS.ErrnoException).code}`));
  });
}

test.describe('Access Control', () => {
  test('administrative interfaces refuse anonymous and wrong credentials, and accept the admin', verifies('P4-ACCESS-1'), async ({ target, http, evidence }, testInfo) => {
    const https = target.url('nginxHttps');
    const wrong = { authorization: `Basic ${Buffer.from(`${target.secrets.get('ADMIN_USER') ?? 'admin'}:not-the-password`).toString('base64')}` };
    const checks: Array<{ name: string; url: string | undefined; okBody?: RegExp }> = [
      { name: 'Prometheus', url: target.url('prometheus') && `${target.url('prometheus')}/api/v1/status/buildinfo` },
      { name: 'Alertmanager', url: target.url('alertmanager') && `${target.url('alertmanager')}/api/v2/status` },
      { name: 'Nginx status page', url: https && `${https}/nginx_status`, okBody: /Active connections/ },
      { name: 'web UI', url: https && `${https}/` },
      { name: 'Grafana', url: target.url('grafana') && `${target.url('grafana')}/api/admin/settings` },
    ];
    const problems: string[] = [];
    const absent: string[] = [];
    for (const c of checks) {
      if (!c.url) {
        absent.push(c.name);
        continue;
      }
      const anon = await http.fetch(c.url);
      const bad = await http.fetch(c.url, { headers: wrong });
      const admin = await http.fetch(c.url, { headers: target.adminAuth() });
      await evidence(`${c.name}: anonymous`, anon);
      await evidence(`${c.name}: admin`, admin);
      if (anon.status !== 401) problems.push(`${c.name} answers anonymous requests with ${anon.status} (expected 401)`);
      if (bad.status !== 401) problems.push(`${c.name} answers a wrong password with ${bad.status} (expected 401)`);
      if (admin.status !== 200) problems.push(`${c.name} refuses the admin credentials: ${admin.status}`);
      else if (c.okBody && !c.okBody.test(admin.body)) problems.push(`${c.name} answers the admin without its page: ${admin.body.slice(0, 200)}`);
    }
    // Redis is an internal service with a password (it holds the query cache): it must refuse unauthenticated commands.
    const redis = target.url('redis');
    if (redis) {
      const pong = await redisPing(new URL(redis));
      await evidence('Redis PING without AUTH', pong);
      if (!/NOAUTH|WRONGPASS|Authentication required/i.test(pong)) problems.push(`Redis answers an unauthenticated PING with "${pong.slice(0, 80)}" (expected -NOAUTH)`);
    } else absent.push('Redis');
    if (absent.length) annotate.info(testInfo, `not reachable in this run, not checked: ${absent.join(', ')}`);
    if (absent.length === checks.length + 1) return notVerified(testInfo, `${target.mode}: none of the administrative interfaces is reachable from here`);
    expect(problems).toHaveNoProblems('administrative interfaces that do not require the admin credentials');
  });

  test('mutating API endpoints refuse missing, expired and forged credentials through Nginx; CORS and sensitive files are safe', verifies.smoke('P4-ACCESS-2'), async ({ target, http, secrets, evidence }, testInfo) => {
    const https = target.url('nginxHttps');
    if (!https) return notVerified(testInfo, `${target.mode}: no HTTPS URL for Nginx`);
    const { api, auth } = target.profile;
    const jwtSecret = secrets.get('JWT_SECRET');
    const now = Math.floor(Date.now() / 1000);
    const credentials: Array<[string, Record<string, string>]> = [['missing', {}]];
    if (jwtSecret) {
      const expired = signJwtHs256({ sub: 'rag-gate-security', iat: now - 7200, exp: now - 3600 }, jwtSecret);
      SENT_TOKENS.push({ label: 'the expired JWT sent by the suite', value: expired });
      credentials.push(['expired JWT (signed with JWT_SECRET, exp 1 h ago)', { authorization: `Bearer ${expired}` }]);
    } else annotate.info(testInfo, 'JWT_SECRET unknown (no env file): the expired-token case was not sent');
    const forged = signJwtHs256({ sub: 'rag-gate-security', iat: now, exp: now + 3600 }, `forged-${randomBytes(32).toString('hex')}`);
    SENT_TOKENS.push({ label: 'the forged JWT sent by the suite', value: forged });
    credentials.push(['forged JWT (wrong key)', { authorization: `Bearer ${forged}` }]);
    const wrong = wrongCredential(auth);
    if (wrong) credentials.push([`wrong secret in ${credentialName(auth)}`, wrong]);

    const upload = multipart(api.uploadField, [{ name: 'auth-probe.txt', type: 'text/plain', data: Buffer.from('auth probe\n') }]);
    const endpoints: Array<{ name: string; method: 'POST' | 'DELETE'; path: string; body: () => { body: string | Buffer; type: string } }> = [
      { name: 'upload', method: 'POST', path: api.uploadPath, body: () => ({ body: upload.body, type: upload.contentType }) },
      { name: 'delete', method: 'DELETE', path: `${api.documentsPath}/${randomUUID()}`, body: () => ({ body: '', type: '' }) },
      { name: 'bulk delete', method: 'DELETE', path: `${api.documentsPath}/bulk`, body: () => ({ body: JSON.stringify({ doc_ids: [randomUUID()] }), type: 'application/json' }) },
      { name: 'settings', method: 'POST', path: '/settings', body: () => ({ body: JSON.stringify({ similarity_threshold: 0.99 }), type: 'application/json' }) },
    ];
    const problems: string[] = [];
    const lines: string[] = [];
    /** Anonymous requests that got past authentication (anything but 401/403). */
    const anonymous: string[] = [];
    for (const e of endpoints) {
      for (const [cname, headers] of credentials) {
        const b = e.body();
        const ex = await http.fetch(`${https}${e.path}`, { method: e.method, headers: { ...headers, ...(b.type ? { 'content-type': b.type } : {}) }, body: b.body || undefined });
        lines.push(`${e.method} ${e.path} with ${cname} -> ${ex.status} ${ex.body.slice(0, 160).trim()}`);
        if (cname === 'missing' && ex.status !== 401 && ex.status !== 403) anonymous.push(`${e.method} ${e.path} -> ${ex.status}`);
        // A profile that declares no authentication gets one finding, below, instead of one per request.
        if (auth.scheme === 'none' && cname === 'missing') continue;
        if (ex.status !== 401) problems.push(`${e.method} ${e.path} with ${cname} credentials answered ${ex.status} (expected 401): ${ex.body.slice(0, 200)}`);
        else if (!/detail/.test(ex.body)) problems.push(`${e.method} ${e.path} with ${cname}: 401 without a JSON {detail} message`);
      }
    }
    if (auth.scheme === 'none' && anonymous.length) problems.unshift(`${NO_AUTH}: ${anonymous.join(', ')}`);
    // The check can tell the difference: with the real credential the delete of an unknown id gets past authentication (404).
    const keyed = await http.fetch(`${https}${api.documentsPath}/${randomUUID()}`, { method: 'DELETE', headers: target.apiKey() });
    lines.push(`DELETE unknown id with ${credentialName(auth)} -> ${keyed.status} (authentication passed when 404)`);
    if (keyed.status !== 404) problems.push(`DELETE of an unknown document with the valid credential (${credentialName(auth)}) answered ${keyed.status}; expected 404 (credentials accepted, document unknown)`);
    const settingsNow = await http.fetch(`${https}/settings`);
    lines.push(`GET /settings afterwards -> ${settingsNow.status} ${settingsNow.body.slice(0, 200)}`);
    if (/"similarity_threshold"\s*:\s*0\.99\b/.test(settingsNow.body)) problems.push('an unauthenticated POST /settings changed the settings (similarity_threshold is 0.99)');

    // CORS: a foreign origin never gets credentials-bearing access.
    const evil = 'https://evil.example';
    const credentialHeader = auth.scheme === 'api-key' ? auth.header.toLowerCase() : 'authorization';
    const preflight = await http.fetch(`${https}${api.uploadPath}`, { method: 'OPTIONS', headers: { origin: evil, 'access-control-request-method': 'POST', 'access-control-request-headers': `${credentialHeader}, content-type` } });
    const get = await http.fetch(`${https}${api.documentsPath}?limit=1`, { headers: { origin: evil } });
    const query = await http.fetch(`${https}${api.queryPath}`, { method: 'OPTIONS', headers: { origin: evil, 'access-control-request-method': 'POST' } });
    for (const ex of [preflight, get, query]) {
      await evidence(`CORS ${ex.method} ${new URL(ex.url).pathname}`, ex);
      problems.push(...corsProblems(ex.headers, evil).map((p) => `${ex.method} ${new URL(ex.url).pathname}: ${p}`));
    }

    // Sensitive files are never served, whatever the route.
    const envMarkers = [/^[A-Z_]+=.+$/m, /^services:\s*$/m, /\[core\]/, /INSERT INTO|CREATE TABLE/i];
    for (const p of ['/.env', '/.env.production', '/docker-compose.production.yml', '/docker-compose.monitoring.yml', '/.git/config', '/backup.sql', '/api/v1/../.env', '/ssl/server.key', '/.htpasswd']) {
      const ex = await http.fetch(`${https}${p}`, { headers: target.adminAuth() });
      lines.push(`GET ${p} (even as admin) -> ${ex.status}`);
      if (![403, 404].includes(ex.status)) problems.push(`GET ${p} answered ${ex.status} (expected 404 or 403)`);
      if (envMarkers.some((m) => m.test(ex.body)) || secrets.credentialValues().some(([, v]) => ex.body.includes(v))) problems.push(`GET ${p} returned what looks like the file's content`);
    }
    await evidence('credentials, CORS and sensitive files', lines.join('\n'));
    if (problems.length) await evidence('API access control problems', problems.join('\n'));
    expect(problems).toHaveNoProblems('API access control', { evidence: 'API access control problems' });
  });

  test('file upload restrictions: each bad file refused with the right status and a message, nothing stored', verifies('P4-ACCESS-3'), async ({ target, http, evidence }, testInfo) => {
    const https = target.url('nginxHttps');
    if (!https) return notVerified(testInfo, `${target.mode}: no HTTPS URL for Nginx`);
    const { api, auth } = target.profile;
    if (auth.scheme !== 'none' && !Object.keys(target.apiKey()).length) return notVerified(testInfo, `${target.mode}: no ${auth.secret} (no env file): uploads cannot be authenticated; set RAG_ENV_FILE`);
    test.setTimeout(180_000);
    const list = async () => {
      const ex = await http.fetch(`${https}${api.documentsPath}?limit=1000`);
      expect(ex.status, `GET ${api.documentsPath} should answer 200: ${ex.body.slice(0, 200)}`).toBe(200);
      const b = http.json<{ documents: Array<{ title: string; doc_id: string }>; total_count: number }>(ex);
      // The comparison before/after reads the list: it must be one per the contract.
      expect(schemaErrors('documents', b), `GET ${api.documentsPath} should answer a document list per the contract: ${ex.body.slice(0, 200)}`).toBeNull();
      return b;
    };
    const before = await list();
    const MB = 1024 * 1024;
    const text = (s: string) => Buffer.from(s);
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(120, 0x41)]);
    const mz = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(126, 0x90)]);
    const marker = randomBytes(4).toString('hex');
    const cases: Array<{ name: string; file: { name: string; type: string; data: Buffer }; expect: number[] }> = [
      { name: 'disallowed type (.exe)', file: { name: `setup-${marker}.exe`, type: 'application/x-msdownload', data: mz }, expect: [415] },
      { name: 'extension/content-type mismatch (.txt sent as application/pdf)', file: { name: `mismatch-${marker}.txt`, type: 'application/pdf', data: text('plain text\n') }, expect: [415] },
      { name: 'oversize (.md just over 5 MB)', file: { name: `big-${marker}.md`, type: 'text/markdown', data: Buffer.alloc(5 * MB + 1024, 'a') }, expect: [413] },
      { name: 'empty file', file: { name: `empty-${marker}.txt`, type: 'text/plain', data: Buffer.alloc(0) }, expect: [400] },
      { name: 'path traversal name', file: { name: '../../etc/passwd.txt', type: 'text/plain', data: text(`root:x:0:0 ${marker}\n`) }, expect: [400] },
      { name: 'control characters in the name', file: { name: `bad\x01name\x7f-${marker}.txt`, type: 'text/plain', data: text('control\n') }, expect: [400] },
      { name: 'ELF executable renamed .txt', file: { name: `readme-${marker}.txt`, type: 'text/plain', data: elf }, expect: [415] },
      { name: 'Windows executable (MZ) renamed .txt', file: { name: `notes-${marker}.txt`, type: 'text/plain', data: mz }, expect: [415] },
    ];
    const problems: string[] = [];
    const lines: string[] = [];
    for (const c of cases) {
      const mp = multipart(api.uploadField, [c.file]);
      const ex = await http.fetch(`${https}${api.uploadPath}`, { method: 'POST', headers: { ...target.apiKey(), 'content-type': mp.contentType }, body: mp.body, timeoutMs: 60_000 });
      const p = uploadRefusalProblem(c.expect, ex.status, ex.body);
      lines.push(`${c.name}: ${ex.status} ${ex.body.slice(0, 200).trim()}${p ? `  <-- ${p}` : ''}`);
      if (p) problems.push(`${c.name}: ${p}`);
      if (ex.status >= 200 && ex.status < 300) {
        // Accepted by mistake: remove what it stored so the run leaves nothing behind.
        let accepted: Array<{ doc_id?: unknown }> = [];
        try {
          const docs = (JSON.parse(ex.body) as { documents?: unknown }).documents;
          if (Array.isArray(docs)) accepted = docs as Array<{ doc_id?: unknown }>;
        } catch {
          /* not JSON: nothing to remove; the refusal problem above names the answer */
        }
        for (const d of accepted.filter((x): x is { doc_id: string } => typeof x?.doc_id === 'string')) {
          await http.fetch(`${https}${api.documentsPath}/${d.doc_id}`, { method: 'DELETE', headers: target.apiKey() });
        }
      }
    }
    const after = await list();
    lines.push(`documents before: ${before.total_count}, after: ${after.total_count}`);
    await evidence('upload restriction cases', lines.join('\n'));
    const stored = after.documents.filter((d) => d.title.includes(marker) || d.title.includes('passwd'));
    if (stored.length) problems.push(`stored despite being refused: ${stored.map((d) => d.title).join(', ')}`);
    if (after.total_count !== before.total_count) problems.push(`document count changed from ${before.total_count} to ${after.total_count}`);
    const health = await http.fetch(`${https}${api.healthPath}`);
    if (health.status !== 200) problems.push(`${api.healthPath} answers ${health.status} after the bad uploads`);
    expect(problems).toHaveNoProblems('upload restrictions', { evidence: 'upload restriction cases' });
  });

  // Runs last in this file: everything above has produced its log lines by now.
  test('no secret, bearer token or document text in logs/ or in any container log', verifies('P4-ACCESS-4'), async ({ target, http, secrets, evidence }, testInfo) => {
    const https = target.url('nginxHttps');
    const deployDir = target.raw.deployDir;
    const containers = target.raw.projectName && target.mode !== 'live' ? Object.values(target.raw.containers) : [];
    if (!deployDir && containers.length === 0) return notVerified(testInfo, `${target.mode}: neither the deployment directory nor its containers are visible from here; run on the host with RAG_DEPLOY_DIR`);
    test.setTimeout(180_000);
    // Plant a document whose text must stay out of every log, let it be processed and queried, then remove it.
    const { api, auth } = target.profile;
    if (https && (auth.scheme === 'none' || Object.keys(target.apiKey()).length) && target.allowDestructive) {
      const mp = multipart(api.uploadField, [{ name: `log-probe-${randomBytes(3).toString('hex')}.txt`, type: 'text/plain', data: Buffer.from(`${PLANTED}\n`) }]);
      const up = await http.fetch(`${https}${api.uploadPath}`, { method: 'POST', headers: { ...target.apiKey(), 'content-type': mp.contentType }, body: mp.body });
      const docId = up.status < 300 ? http.json<{ documents?: Array<{ doc_id: string }> }>(up).documents?.[0]?.doc_id : undefined;
      try {
        expect([200, 201, 202], `the planted document should be accepted: ${up.status} ${up.body.slice(0, 200)}`).toContain(up.status);
        for (let i = 0; i < 60 && docId; i++) {
          const s = http.json<{ status: string }>(await http.fetch(`${https}${api.documentsPath}/${docId}/status`));
          if (s.status === 'completed' || s.status === 'failed') break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        await http.fetch(`${https}${api.queryPath}`, { json: { [api.questionField]: 'How many lanterns stand beside the mill?' } });
      } finally {
        if (docId) await http.fetch(`${https}${api.documentsPath}/${docId}`, { method: 'DELETE', headers: target.apiKey() });
      }
      await new Promise((r) => setTimeout(r, 1500)); // let buffered log lines reach the files
    } else annotate.info(testInfo, 'no document was planted (no API credential or no destructive opt-in): document text is checked only as far as earlier tests sent it');

    const needles: Needle[] = [
      ...secrets.credentialValues().map(([k, v]) => ({ label: `the value of ${k}`, value: v })),
      { label: 'the planted document sentence', value: PLANTED },
      ...SENT_TOKENS,
    ];
    const admin = target.adminAuth().authorization;
    if (admin) needles.push({ label: 'the admin basic-auth credentials (base64)', value: admin.replace(/^Basic /, '') });
    const found: string[] = [];
    const scanned: string[] = [];
    if (deployDir && existsSync(join(deployDir, 'logs'))) {
      const walk = (dir: string) => {
        for (const n of readdirSync(dir)) {
          const p = join(dir, n);
          const st = statSync(p);
          if (st.isDirectory()) walk(p);
          else if (st.isFile() && !/\.(gz|zip|xz)$/.test(n)) {
            const leaks = findLeaks(readFileSync(p, 'utf8'), needles);
            scanned.push(`${p.slice(deployDir.length + 1)} (${st.size} bytes): ${leaks.length ? leaks.join(', ') : 'clean'}`);
            found.push(...leaks.map((l) => `${p.slice(deployDir.length + 1)}: ${l}`));
          } else if (st.isFile()) scanned.push(`${n}: compressed, not scanned`);
        }
      };
      walk(join(deployDir, 'logs'));
    }
    for (const name of containers) {
      const r = spawnSync('docker', ['logs', name], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      if (r.status !== 0) {
        scanned.push(`docker logs ${name}: ${/No such container/.test(r.stderr) ? 'no such container (service not in this deployment)' : `failed: ${r.stderr.trim()}`}`);
        continue;
      }
      const leaks = findLeaks(`${r.stdout}\n${r.stderr}`, needles);
      scanned.push(`docker logs ${name} (${r.stdout.length + r.stderr.length} chars): ${leaks.length ? leaks.join(', ') : 'clean'}`);
      found.push(...leaks.map((l) => `docker logs ${name}: ${l}`));
    }
    await evidence('logs scanned', [`looked for: ${needles.map((n) => n.label).join('; ')}; and any "Bearer <token>"`, ...scanned].join('\n'));
    expect(scanned.length, 'no log was found to scan').toBeGreaterThan(0);
    expect(found).toHaveNoProblems('sensitive values found in logs (labels only, never the values)', { evidence: 'logs scanned' });
  });
});
