/**
 * Phase 4: Security Validation › Data Protection – encryption at rest (as configured), service-to-service
 * communication, backup permissions, credentials in files, images and container environments.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { projectContainers } from '../../lib/docker.ts';
import { readEnvFile } from '../../lib/envfile.ts';
import { encryptionAtRestVerdict, envProblems, exposureProblems, fileSecretProblems, modeProblems, readModes } from '../../checks/security.ts';
import { deploymentFiles, resolveFiles } from '../../checks/discover.ts';
import { targetHostScope } from '../../checks/host.ts';
import { describeSource } from '../../core/profile.ts';

function docker(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? '' };
}

test.describe('Data Protection', () => {
  test('document data encrypted at rest, when configured', verifies('P4-DATA-1'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: the deployment directory is not visible; run on the host with RAG_DEPLOY_DIR`);
    const data = join(dir, 'data');
    const src = spawnSync('findmnt', ['-n', '-o', 'SOURCE,FSTYPE,TARGET', '-T', data], { encoding: 'utf8' }).stdout.trim();
    const device = src.split(/\s+/)[0] ?? '';
    const dev = device.replace(/\[.*$/, '');
    const lsblk = dev.startsWith('/dev/') ? spawnSync('lsblk', ['-s', '-n', '-o', 'NAME,TYPE', dev], { encoding: 'utf8' }).stdout : '';
    const fscrypt = spawnSync('sh', ['-c', `command -v fscrypt >/dev/null && fscrypt status ${JSON.stringify(data)} 2>/dev/null`], { encoding: 'utf8' }).stdout;
    const attributes = spawnSync('lsattr', ['-d', data], { encoding: 'utf8' }).stdout ?? '';
    await evidence('storage under data/', [`findmnt -T data/: ${src || '(unknown)'}`, `block device stack:\n${lsblk || '(not a block device)'}`, `fscrypt: ${fscrypt.trim() || '(not available / not encrypted)'}`, `lsattr -d data/: ${attributes.trim() || '(unknown)'}`].join('\n'));
    const required = target.profile.security.encryptionAtRest === 'required';
    annotate.info(testInfo, `encryption at rest ${required ? 'required' : 'optional'} (security.encryptionAtRest ${target.profile.file ? `of ${target.profile.file}` : 'by default: the checklist says "if configured"'})`);
    // The block devices below data/ are the host's: a container sees its own mounts and /dev, not the host's dm-crypt layers.
    const scope = targetHostScope(target);
    if (target.mode === 'live' && !scope.decides) return notVerified(testInfo, `${scope.reason}; the storage under data/ (${src || 'unknown'}) is seen through this machine's mounts, not the host's block devices`);
    const v = encryptionAtRestVerdict(required, { mount: src, blockStack: lsblk, fscrypt, attributes });
    if (v.verdict === 'not verified') return notVerified(testInfo, `${target.mode}: ${v.reason}`);
    expect(v.verdict, v.verdict === 'fail' ? v.cause : v.how).toBe('pass');
    if (v.verdict === 'pass') annotate.info(testInfo, v.how);
  });

  test('services talk over the deployment\'s own internal network only (not TLS: reported), nothing internal faces outside', verifies('P4-DATA-2'), async ({ target, evidence }, testInfo) => {
    if (!target.raw.projectName || target.mode === 'live') return notVerified(testInfo, `${target.mode}: the Docker networks are not visible from here; run on the host in compose mode`);
    const containers = await projectContainers(target.raw.projectName);
    expect(containers.length, `no containers of project ${target.raw.projectName} found through the Docker API`).toBeGreaterThan(0);
    const problems: string[] = [];
    const lines: string[] = [];
    const networks = new Set<string>();
    for (const c of containers) {
      const r = docker(['inspect', '--format', '{{json .HostConfig.NetworkMode}} {{json .NetworkSettings.Networks}}', c.name]);
      const [modeJson, ...rest] = r.out.trim().split(' ');
      const mode = JSON.parse(modeJson ?? '""') as string;
      const nets = Object.keys(JSON.parse(rest.join(' ') || '{}') as Record<string, unknown>);
      lines.push(`${c.service}: network mode ${mode}; networks ${nets.join(', ')}`);
      if (mode === 'host') problems.push(`${c.service} uses the host network (no isolation; every port it opens faces outside)`);
      nets.forEach((n) => networks.add(n));
    }
    for (const n of networks) {
      const r = docker(['network', 'inspect', '--format', '{{.Driver}} internal={{.Internal}} {{range .Containers}}{{.Name}} {{end}}', n]);
      const members = r.out.trim().split(/\s+/).slice(2);
      const foreign = members.filter((m) => !containers.some((c) => c.name === m));
      lines.push(`network ${n}: ${r.out.trim()}`);
      if (!r.out.startsWith('bridge')) problems.push(`network ${n} uses driver ${r.out.split(' ')[0]} (traffic may leave the host unencrypted)`);
      if (foreign.length) problems.push(`network ${n} also connects containers outside the deployment: ${foreign.join(', ')}`);
    }
    problems.push(...exposureProblems(containers.flatMap((c) => c.ports.map((p) => ({ service: c.service, ...p })))));
    lines.push(
      '',
      'Assessment: service-to-service traffic (HTTP to rag-backend/chroma/ollama, RESP to Redis with a password, Prometheus scrapes with basic auth) is plain text,',
      'NOT TLS, on a single-host Docker bridge network that only this deployment\'s containers join; none of those ports faces outside (loopback at most).',
      'That traffic never leaves the host\'s kernel, so it is readable only by root on the host or a container already on the network. This passes for a',
      'single-host deployment; a multi-host (overlay/swarm) deployment or a network shared with other containers fails it and would need TLS/mTLS.',
    );
    await evidence('inter-service networks', lines.join('\n'));
    annotate.info(testInfo, 'inter-service traffic is not TLS: it is confined to a single-host bridge network of this deployment, with nothing internal published beyond loopback');
    expect(problems).toHaveNoProblems('inter-service communication off the deployment\'s own host-local network', { evidence: 'inter-service networks' });
  });

  test('backups and secrets are readable by the owner only', verifies('P4-DATA-3'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: the deployment directory is not visible; run on the host with RAG_DEPLOY_DIR`);
    const backups = join(dir, 'backups');
    const lines: string[] = [];
    const existing = existsSync(backups) ? readdirSync(backups).filter((n) => /^backup-/.test(n)) : [];
    let created: string | undefined;
    const files = resolveFiles(dir, target.profile);
    const { value: backupScript, source } = files.backupScript;
    annotate.info(testInfo, `backup script ${backupScript} (${describeSource(source)}), private key ${files.tlsKey.value} (${describeSource(files.tlsKey.source)})`);
    const script = resolve(dir, backupScript);
    if (existing.length === 0 && target.mode !== 'live' && target.allowDestructive && existsSync(script)) {
      // No backup yet: make one with the deployment's own script, as the operator would, and judge what it wrote.
      const r = spawnSync('bash', [script, dir], { encoding: 'utf8', timeout: 120_000 });
      lines.push(`ran ${backupScript} (exit ${r.status}): ${(r.stdout + r.stderr).trim().slice(-800)}`);
      expect(r.status, `${backupScript} failed: ${r.stderr.slice(-500)}`).toBe(0);
      created = readdirSync(backups).find((n) => /^backup-/.test(n));
    }
    if (!existsSync(backups)) return notVerified(testInfo, `${target.mode}: no backups/ directory in ${dir}`);
    // Private keys: the served key and every *.key beside it (a CA key left next to the certificates).
    const keyDir = dirname(resolve(dir, files.tlsKey.value));
    const keys = [...new Set([resolve(dir, files.tlsKey.value), ...(existsSync(keyDir) ? readdirSync(keyDir).filter((n) => n.endsWith('.key')).map((n) => join(keyDir, n)) : [])])].filter((k) => existsSync(k));
    const entries = [...readModes(backups), ...readModes(join(dir, '.env.production')), ...keys.flatMap((k) => readModes(k))];
    lines.push(...entries.slice(0, 200).map((e) => `${(e.mode & 0o777).toString(8)} ${e.path.slice(dir.length + 1)}`));
    const problems = modeProblems(entries).map((p) => p.replace(`${dir}/`, ''));
    if (!existsSync(join(dir, '.env.production'))) problems.push('.env.production is missing');
    // A backup must not carry secrets in plain text either.
    const secretValues = target.secrets.secretValues();
    for (const e of entries.filter((x) => !x.isDir && x.path.startsWith(backups) && statSync(x.path).size < 50 * 1024 * 1024)) {
      const text = readFileSync(e.path).toString('latin1');
      for (const [k, v] of secretValues) if (text.includes(v)) problems.push(`${e.path.slice(dir.length + 1)} contains the value of ${k} in plain text`);
    }
    await evidence('modes of backups/, .env.production, ssl/*.key', lines.join('\n'));
    if (created) rmSync(join(backups, created), { recursive: true, force: true });
    expect(problems).toHaveNoProblems('backup data and secrets not 700/600 (group or other has access)', { evidence: 'modes of backups/, .env.production, ssl/*.key' });
  });

  test('no credential in plain text: compose files, config, images and container environments carry only what .env.production supplies', verifies('P4-DATA-4'), async ({ target, secrets, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    const envFile = target.raw.envFile;
    if (!dir || !envFile) return notVerified(testInfo, `${target.mode}: the deployment directory or .env.production is not visible; run on the host with RAG_DEPLOY_DIR`);
    const entries = readEnvFile(envFile).entries;
    // Credentials only (lib/secrets.ts): `production` or `localhost` in a file is configuration, not a leak.
    const secretValues = secrets.credentialValues();
    const problems: string[] = [];
    const lines: string[] = [];
    // Every text file of the deployment (its own layout: checks/discover.ts), but the secrets' own homes: the env
    // file itself and private keys, which are judged by their modes (P4-DATA-2) instead.
    const files: string[] = deploymentFiles(dir)
      .filter((rel) => !/^\.env\.production$/.test(rel) && !/\.(key|p12|pfx)$/.test(rel) && rel !== resolveFiles(dir, target.profile).tlsKey.value)
      .map((rel) => join(dir, rel));
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const p = fileSecretProblems(f.slice(dir.length + 1), text, secretValues);
      lines.push(`${f.slice(dir.length + 1)}: ${p.length ? p.join('; ') : 'no credential'}`);
      problems.push(...p);
    }
    const envMode = statSync(envFile).mode & 0o777;
    lines.push(`.env.production mode ${envMode.toString(8)}`);
    if (envMode & 0o077) problems.push(`.env.production is ${envMode.toString(8)}, expected 600`);
    // Containers: the environment docker inspect shows, against the env file's keys and values; and the image's own.
    if (target.raw.projectName && target.mode !== 'live') {
      for (const c of await projectContainers(target.raw.projectName)) {
        const env = JSON.parse(docker(['inspect', '--format', '{{json .Config.Env}}', c.name]).out || '[]') as string[];
        const imageEnv = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Env}}', c.image]).out || '[]') as string[];
        const p = envProblems(c.service, env ?? [], imageEnv ?? [], entries, secretValues);
        const fromFile = (env ?? []).filter((kv) => entries.some((e) => kv === `${e.key}=${e.value}`)).length;
        lines.push(`${c.service}: ${env?.length ?? 0} variables (${fromFile} from .env.production), image ${c.image} bakes ${imageEnv?.length ?? 0}: ${p.length ? p.join('; ') : 'ok'}`);
        problems.push(...p);
      }
    } else annotate.info(testInfo, `${target.mode}: container environments not inspected (no Docker access to the deployment)`);
    await evidence('credentials in files and environments (names only)', lines.join('\n'));
    expect(problems).toHaveNoProblems('credentials found outside .env.production', { evidence: 'credentials in files and environments (names only)' });
  });
});
