/**
 * Phase 4: Security Validation › Network Security – exposure (Docker API + connecting), TLS grade
 * (node:tls probes + testssl.sh deep scan) and security headers (MDN HTTP Observatory + per-header checks).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { projectContainers } from '../../lib/docker.ts';
import { MIN_CERT_DAYS_LEFT } from '../../core/thresholds.ts';
import { minHeaderGrade } from '../../core/config.ts';
import { isLoopback } from '../../core/contract.ts';
import { certificateFacts, handshake, readCa, WEAK_CIPHERS } from '../../lib/tls-probe.ts';
import { whenExpires } from '../../checks/tls.ts';
import {
  exposureProblems,
  gradeAtLeast,
  gradeTls,
  headerProblems,
  INTENDED_PORTS,
  observatoryFailures,
  observatoryGrade,
  reachableBeyondLoopback,
  runObservatory,
  testsslBlocking,
  type PortBinding,
  type TestsslFinding,
  type TlsFindings,
} from '../../checks/security.ts';

/** TCP connect: 'open' | 'refused' | 'timeout' | other error code. */
function connect(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (r: string) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done('timeout'));
    s.once('connect', () => done('open'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : e.code ?? e.message));
  });
}

/** This machine's own non-loopback IPv4 addresses (never anybody else's). */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a): a is NonNullable<typeof a> => !!a && a.family === 'IPv4' && !a.internal && !isLoopback(a.address))
    .map((a) => a.address);
}

test.describe('Network Security', () => {
  test('only the intended ports are published, each on its intended address, and each answers', verifies('P4-NETSEC-1'), async ({ target, evidence }, testInfo) => {
    if (!target.raw.projectName || target.mode === 'live') return notVerified(testInfo, `${target.mode}: the suite cannot list the deployment's containers through the Docker API; run it on the host with RAG_COMPOSE_DIR (compose mode) to check published ports`);
    const containers = await projectContainers(target.raw.projectName);
    expect(containers.length, `no containers of project ${target.raw.projectName} found through the Docker API`).toBeGreaterThan(0);
    const bindings: PortBinding[] = containers.flatMap((c) => c.ports.map((p) => ({ service: c.service, ...p })));
    const lines = bindings.map((b) => `${b.service.padEnd(16)} ${String(b.containerPort).padEnd(6)} -> ${b.hostIp || '0.0.0.0'}:${b.hostPort}`);
    const reachability: string[] = [];
    for (const b of bindings) {
      const host = !b.hostIp || b.hostIp === '0.0.0.0' ? '127.0.0.1' : b.hostIp === '::' ? '::1' : b.hostIp;
      const r = await connect(host, b.hostPort);
      reachability.push(`${b.service}:${b.containerPort} at ${host}:${b.hostPort} -> ${r}`);
    }
    await evidence('published ports (Docker API) and connection attempts', [
      'intended: nginx 80/443 on any address; every other service loopback only; node-exporter not published',
      `intended ports: ${Object.entries(INTENDED_PORTS).map(([s, r]) => `${s} ${r.ports.join('/') || '-'}${r.public ? ' (public)' : ''}`).join('; ')}`,
      '',
      ...lines,
      '',
      ...reachability,
    ].join('\n'));
    expect(exposureProblems(bindings)).toHaveNoProblems('published ports that break the contract (only Nginx 80/443 may face outside; everything else 127.0.0.1)', { evidence: 'published ports (Docker API) and connection attempts' });
    const nginxPorts = bindings.filter((b) => b.service === 'nginx').map((b) => b.containerPort).sort();
    expect(nginxPorts, `Nginx should publish 80 and 443; it publishes ${nginxPorts.join(', ') || 'nothing'}`).toEqual([443, 80].sort());
    expect(reachability.filter((r) => !r.endsWith('-> open'))).toHaveNoProblems('published ports that refuse a connection', { evidence: 'published ports (Docker API) and connection attempts' });
  });

  test('internal services are not reachable on any non-loopback address of the host', verifies('P4-NETSEC-2'), async ({ target, evidence }, testInfo) => {
    if (!target.raw.projectName || target.mode === 'live') return notVerified(testInfo, `${target.mode}: needs the Docker API and the deployment host; run on the host in compose mode`);
    const addrs = hostAddresses();
    if (addrs.length === 0) return notVerified(testInfo, `${target.mode}: this machine has no non-loopback IPv4 address to connect from`);
    const containers = await projectContainers(target.raw.projectName);
    const internal = containers.flatMap((c) => c.ports.filter(() => c.service !== 'nginx').map((p) => ({ service: c.service, ...p })));
    const attempts: Array<PortBinding & { address: string; result: string }> = [];
    for (const b of internal) for (const a of addrs) attempts.push({ ...b, address: a, result: await connect(a, b.hostPort, 1500) });
    await evidence('connections from the host\'s own non-loopback addresses', [`host addresses: ${addrs.join(', ')}`, ...attempts.map((a) => `${a.service}:${a.containerPort} via ${a.address}:${a.hostPort} -> ${a.result}`)].join('\n'));
    expect(reachableBeyondLoopback(attempts, containers)).toHaveNoProblems('internal services reachable beyond loopback (backend, ChromaDB, Redis, Prometheus, Alertmanager, Ollama, frontend must not be)', { evidence: 'connections from the host\'s own non-loopback addresses' });
    const nginx = containers.find((c) => c.service === 'nginx');
    if (nginx && nginx.ports.every((p) => isLoopback(p.hostIp))) {
      annotate.info(testInfo, `${target.mode}: Nginx is bound to ${nginx.ports[0]?.hostIp} on this test machine (RAG_BIND_PUBLIC); in production it binds 0.0.0.0:80/443`);
    }
  });

  test('TLS: 1.0/1.1 refused, 1.2/1.3 accepted, no weak suite, trusted complete chain, >= 90 days, names match, HSTS >= 1 year (grade A)', verifies.smoke('P4-NETSEC-3'), async ({ target, http, evidence }, testInfo) => {
    const url = target.url('nginxHttps');
    if (!url) return notVerified(testInfo, `${target.mode}: no HTTPS URL for Nginx; set RAG_HTTPS_URL (or an https RAG_BASE_URL)`);
    const u = new URL(url);
    const port = Number(u.port || 443);
    const hostName = u.hostname.replace(/^\[|\]$/g, '');
    const host = hostName === 'localhost' ? '127.0.0.1' : hostName;
    const ca = readCa(target.raw.caFile);
    const lowSec = 'DEFAULT@SECLEVEL=0';
    const protocols = {} as TlsFindings['protocols'];
    const log: string[] = [];
    for (const v of ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const) {
      const r = await handshake({ host, port, servername: hostName, minVersion: v, maxVersion: v, ciphers: lowSec });
      protocols[v] = r.connected && r.protocol === v;
      log.push(`${v}: ${r.connected ? `accepted (${r.protocol}, ${r.cipher})` : `refused (${r.error})`}`);
    }
    const weak: string[] = [];
    const untestable: string[] = [];
    for (const c of WEAK_CIPHERS) {
      const r = await handshake({ host, port, servername: hostName, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: `${c.name}:@SECLEVEL=0` });
      if (r.clientCannotOffer) untestable.push(c.name);
      else if (r.connected) weak.push(`${c.name} (${c.why})`);
      log.push(`TLS1.2 ${c.name}: ${r.clientCannotOffer ? 'not offered by this client (not compiled into Node\'s OpenSSL; see testssl.sh)' : r.connected ? `ACCEPTED (${r.cipher})` : 'refused'}`);
    }
    // Without a CA the client adds nothing: the chain is exactly what the server sent.
    const served = await handshake({ host, port, servername: hostName, minVersion: 'TLSv1.2' });
    const trusted = await handshake({ host, port, servername: hostName, minVersion: 'TLSv1.2', ca });
    expect(served.connected, `no TLS handshake with ${host}:${port}: ${served.error}`).toBe(true);
    const facts = certificateFacts(served.chainPem!, ca, hostName);
    log.push(`certificate: ${facts.subject}; issuer ${facts.issuer}; SAN ${facts.subjectAltName}; valid ${facts.validFrom} – ${facts.validTo} (${facts.daysLeft < 0 ? `expired ${whenExpires(facts.daysLeft)}` : `${facts.daysLeft} days left`})`);
    log.push(`served chain: ${served.chainPem!.length} certificate(s); verifies against the run's CA: ${facts.chainVerifies}${facts.chainError ? ` (${facts.chainError})` : ''}; Node verification: ${trusted.authorized ? 'trusted' : trusted.authorizationError}`);
    const home = await http.fetch(`${url}/health`);
    const findings: TlsFindings = {
      protocols,
      weakCiphersAccepted: weak,
      certTrusted: !!trusted.authorized && facts.chainVerifies,
      chainComplete: facts.chainVerifies,
      nameMatches: facts.nameMatches,
      daysLeft: facts.daysLeft,
      hsts: home.headers['strict-transport-security'] as string | undefined,
    };
    const { grade, reasons } = gradeTls(findings, MIN_CERT_DAYS_LEFT);
    log.push(`HSTS: ${findings.hsts ?? '(none)'}`, '', `grade ${grade}${reasons.length ? `: ${reasons.join('; ')}` : ' (all criteria hold)'}`);
    log.push('rubric: F = legacy protocol/weak suite/untrusted/name mismatch/expired/no TLS1.2; C = < 90 days or incomplete chain; B = no TLS1.3 or HSTS < 1 year; A = all hold');
    if (untestable.length) annotate.info(testInfo, `node:tls cannot offer ${untestable.join(', ')} (not in Node's OpenSSL); the testssl.sh deep scan covers them`);
    annotate.measured(testInfo, `TLS grade ${grade}`);
    await evidence('TLS probes', log.join('\n'));
    expect(reasons).toHaveNoProblems(`TLS grade ${grade}, expected A`, { evidence: 'TLS probes' });
    expect(grade, `TLS grade ${grade}, expected A`).toBe('A');
  });

  test('TLS deep scan (testssl.sh) finds nothing HIGH or CRITICAL', verifies('P4-NETSEC-3'), async ({ target, evidence }, testInfo) => {
    const url = target.url('nginxHttps');
    if (!url) return notVerified(testInfo, `${target.mode}: no HTTPS URL for Nginx`);
    const bin = ['testssl', 'testssl.sh'].find((b) => spawnSync(b, ['--version'], { encoding: 'utf8' }).status === 0);
    if (!bin) {
      annotate.info(testInfo, 'testssl.sh is not installed (Debian package testssl.sh): the deep scan did not run; the node:tls probes above decide the item');
      return notVerified(testInfo, 'testssl.sh not installed: apt-get install testssl.sh (scripts/setup installs it) to run the deep scan');
    }
    test.setTimeout(420_000);
    const u = new URL(url);
    const dir = mkdtempSync(join(tmpdir(), 'testssl-'));
    try {
      const json = join(dir, 'scan.json');
      const args = ['--quiet', '--color', '0', '--warnings', 'off', '--jsonfile', json, '-p', '-S', '-s', '-f', '-h', '-U'];
      if (target.raw.caFile) args.push('--add-ca', target.raw.caFile);
      args.push(`${u.hostname}:${u.port || 443}`);
      const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 400_000 });
      // Stopped by its bound or failed before scanning (a target that never completes a handshake): say so, not ENOENT.
      if (!existsSync(json)) throw new Error(`testssl.sh wrote no findings for ${u.host} (${r.error ? r.error.message.replace(/^spawnSync \S+ /, '') : `exit ${r.status}`}): ${(r.stdout || r.stderr || '').trim().split('\n').slice(-3).join(' · ')}`);
      const findings = JSON.parse(readFileSync(json, 'utf8')) as TestsslFinding[];
      // A private CA (the run's own ssl/ca.crt, not a public one) publishes no CRL/OCSP: revocation is "as configured".
      const privateCa = !!target.raw.caFile && findings.some((f) => f.id === 'cert_chain_of_trust' && /passed/i.test(f.finding));
      const caSubject = spawnSync('openssl', ['x509', '-noout', '-subject'], { input: readFileSync(target.raw.caFile ?? '/dev/null'), encoding: 'utf8' }).stdout.trim();
      const notApplicable = privateCa ? ['cert_revocation'] : [];
      const waived = findings.filter((f) => notApplicable.includes(f.id) && /^(HIGH|CRITICAL)$/i.test(f.severity));
      if (waived.length) annotate.info(testInfo, `testssl.sh ${waived.map((f) => `${f.severity} ${f.id}: ${f.finding}`).join('; ')} – not counted: the certificate comes from the deployment's private CA (${caSubject}), which publishes no CRL/OCSP; a public CA's certificate would fail here`);
      const blocking = testsslBlocking(findings, notApplicable);
      await evidence('testssl.sh findings (severity LOW and above)', findings.filter((f) => !/^(OK|INFO|DEBUG)$/i.test(f.severity)).map((f) => `${f.severity.padEnd(8)} ${f.id}: ${f.finding}`).join('\n') || '(none)');
      await evidence('testssl.sh output', `exit ${r.status}\n${r.stdout.slice(-20000)}`);
      expect(blocking.map((f) => `${f.severity} ${f.id}: ${f.finding}`)).toHaveNoProblems('testssl.sh HIGH/CRITICAL findings', { evidence: 'testssl.sh findings (severity LOW and above)' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('security headers: MDN HTTP Observatory grade on the public routes, every header on pages, /health, API and errors', verifies.smoke('P4-NETSEC-4'), async ({ target, http, evidence }, testInfo) => {
    const https = target.url('nginxHttps');
    if (!https) return notVerified(testInfo, `${target.mode}: no HTTPS URL for Nginx`);
    test.setTimeout(300_000);
    const min = minHeaderGrade();
    const problems: string[] = [];

    // 1. Every header on every kind of response, individually (the Observatory only grades 2xx/3xx/401/403).
    const routes: Array<[string, string, Record<string, string>?]> = [
      ['web UI (anonymous, 401)', '/'],
      ['web UI (admin)', '/', target.adminAuth()],
      ['/health', '/health'],
      ['API route', `${target.profile.api.documentsPath}?limit=1`],
      ['API 404', '/api/v1/no-such-route'],
      ['Nginx 404 (dotfile)', '/.env'],
      ['upload without credentials (401)', target.profile.api.uploadPath],
    ];
    const log: string[] = [];
    for (const [name, path, headers] of routes) {
      const ex = await http.fetch(`${https}${path}`, { headers, method: name.startsWith('upload') ? 'POST' : 'GET', body: name.startsWith('upload') ? '' : undefined });
      const p = headerProblems(ex.headers);
      log.push(`${name} ${path} -> ${ex.status}: ${p.length ? p.join('; ') : 'all headers present'}`);
      problems.push(...p.map((x) => `${name} (${path}, ${ex.status}): ${x}`));
    }
    const plain = target.url('nginxHttp');
    if (plain) {
      const ex = await http.fetch(`${plain}/`);
      log.push(`http :80 / -> ${ex.status} ${ex.headers.location ?? ''}`);
      if (![301, 308].includes(ex.status) || !String(ex.headers.location ?? '').startsWith('https://')) problems.push(`http://…/ should redirect permanently to https, got ${ex.status} ${ex.headers.location ?? ''}`);
    }

    // 2. The Observatory's grade on the public routes, through standard ports on a private loopback alias.
    const observatory: string[] = [];
    const httpsPort = Number(new URL(https).port || 443);
    const httpPort = plain ? Number(new URL(plain).port || 80) : httpsPort;
    if (!target.raw.caFile) problems.push('no CA file for the run: the Observatory would grade an unverified certificate');
    else {
      const alias = `127.0.${(process.pid % 200) + 20}.${(Date.now() % 200) + 20}`;
      // /health on :80 answers without redirect because the checklist requires `curl http://localhost:80/health`
      // (P2-HEALTH-4); the Observatory's redirection test is therefore not counted for that route alone.
      const obsRoutes: Array<[string, string[]]> = [['/', []], ['/health', ['redirection']], [`${target.profile.api.documentsPath}?limit=1`, []]];
      for (const [path, exempt] of obsRoutes) {
        const r = runObservatory({ caFile: target.raw.caFile, httpPort, httpsPort, path, alias });
        const g = observatoryGrade(r, exempt);
        observatory.push(`${path}: Observatory grade ${r.grade} (score ${r.score}, HTTP ${r.statusCode}, certificate ${r.verified ? 'verified' : 'NOT verified'})${exempt.length ? `; counted without ${exempt.join(', ')}: ${g.grade} (${g.score})` : ''}${r.error ? `; error: ${r.error}` : ''}; failing tests: ${observatoryFailures(r).join(', ') || 'none'}`);
        if (r.error) problems.push(`Observatory could not scan ${path}: ${r.error}`);
        else {
          if (!r.verified) problems.push(`Observatory did not trust the certificate for ${path} (it then grades an unverified site)`);
          if (!gradeAtLeast(g.grade, min)) problems.push(`Observatory grade ${g.grade} for ${path}, minimum ${min} (RAG_MIN_HEADER_GRADE): ${observatoryFailures(r).join(', ')}`);
        }
      }
      observatory.push('not graded by the Observatory: 404 pages (the scanner refuses statuses other than 2xx/3xx/401/403); their headers are checked individually above');
    }
    await evidence('security headers per route', log.join('\n'));
    await evidence('MDN HTTP Observatory', observatory.join('\n'));
    expect(problems).toHaveNoProblems('security headers', { evidence: 'security headers per route' });
  });
});
