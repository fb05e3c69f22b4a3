/**
 * Break-it tests for the Pre-Deployment checks on the deployment directory: each test breaks a fresh copy of
 * reference/deploy (secrets and certificates generated as in a hermetic run) the way a checklist line warns
 * against, and asserts that exactly that check fails, with a message that names the problem and no secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
import { checkBackupManifest } from '../checks/backup.ts';
import { readComposeServices } from '../checks/compose.ts';
import { checkCreatedFromTemplate, checkEnvFilePermissions, checkNoPlaceholders, checkRequiredVariable, shannonBitsPerChar } from '../checks/env-file.ts';
import { checkDirectory, checkFilesPresent, REQUIRED_DIRECTORIES } from '../checks/layout.ts';
import { checkChecklistAlerts, checkGrafanaDatasource, checkNotificationChannels, readAlertRules } from '../checks/monitoring-config.ts';
import { envMap } from '../lib/envfile.ts';
import { REQUIRED_ENV_VARS } from '../core/thresholds.ts';

const made: string[] = [];
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pre-selftest-'));
  made.push(dir);
  return prepareHermeticDeployDir(join(dir, 'deploy'));
}

function setVar(dir: string, key: string, value: string): void {
  const p = join(dir, '.env.production');
  const text = readFileSync(p, 'utf8').replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=${value}`);
  writeFileSync(p, text);
}

/** Which of the checklist's variables fail in this directory. */
function failingVars(dir: string): string[] {
  const env = envMap(join(dir, '.env.production'));
  return REQUIRED_ENV_VARS.filter((k) => !checkRequiredVariable(env, k).ok);
}

const base = copy();
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test('the generated reference deployment passes every file check', () => {
  assert.deepEqual(failingVars(base), []);
  assert.equal(checkEnvFilePermissions(join(base, '.env.production')).ok, true);
  assert.deepEqual(checkCreatedFromTemplate(join(base, '.env.production'), join(base, '.env.production.template')).problems, []);
  assert.deepEqual(checkNoPlaceholders(envMap(join(base, '.env.production'))).problems, []);
  for (const d of Object.keys(REQUIRED_DIRECTORIES)) assert.deepEqual(checkDirectory(base, d).problems, [], d);
  assert.deepEqual(checkFilesPresent(base).problems, []);
  assert.deepEqual(checkChecklistAlerts(readAlertRules(join(base, 'monitoring/prometheus/rules'))).problems, []);
  assert.deepEqual(checkNotificationChannels(readFileSync(join(base, 'monitoring/alertmanager/alertmanager.yml'), 'utf8')).problems, []);
  assert.deepEqual(checkGrafanaDatasource(readFileSync(join(base, 'monitoring/grafana/provisioning/datasources/prometheus.yml'), 'utf8')).problems, []);
  const services = readComposeServices(base);
  assert.deepEqual(checkGrafanaDatasource(readFileSync(join(base, 'monitoring/grafana/provisioning/datasources/prometheus.yml'), 'utf8'), services).problems, []);
  assert.deepEqual(checkRequiredVariable(envMap(join(base, '.env.production')), 'OLLAMA_HOST', services).problems, []);
});

test('compose services are read with their network names and container ports', () => {
  const services = readComposeServices(base);
  const prom = services.find((s) => s.name === 'prometheus');
  assert.deepEqual(prom?.ports, [9090]);
  assert.deepEqual(services.find((s) => s.name === 'ollama')?.ports, [11434]);
  assert.ok(services.some((s) => s.name === 'grafana'), 'profile-only services are read too');
});

test('a Grafana datasource on a host that is no compose service, or on the wrong port, fails', () => {
  const services = readComposeServices(base);
  const yaml = (url: string) => `apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: ${url}\n`;
  assert.match(checkGrafanaDatasource(yaml('http://prometheus-old:9090'), services).problems.join(), /no service of the compose files is called "prometheus-old" \(Prometheus runs as prometheus:9090\)/);
  assert.match(checkGrafanaDatasource(yaml('http://prometheus:9091'), services).problems.join(), /service "prometheus" listens on 9090, not 9091/);
  assert.match(checkGrafanaDatasource(yaml('http://alertmanager:9093'), services).problems.join(), /service "alertmanager" .* is not Prometheus/);
  assert.deepEqual(checkGrafanaDatasource(yaml('https://prometheus.example.org:9090'), services).problems, []);
});

test('OLLAMA_HOST on a port the ollama service does not listen on fails; host.docker.internal is accepted', () => {
  const services = readComposeServices(base);
  const env = (v: string) => new Map([['OLLAMA_HOST', { key: 'OLLAMA_HOST', value: v, line: 1 }]]);
  assert.match(checkRequiredVariable(env('http://ollama:11435'), 'OLLAMA_HOST', services).problems.join(), /service "ollama" listens on 11434, not 11435/);
  assert.match(checkRequiredVariable(env('http://olama:11434'), 'OLLAMA_HOST', services).problems.join(), /no service of the compose files is called "olama"/);
  assert.match(checkRequiredVariable(env('http://redis:6379'), 'OLLAMA_HOST', services).problems.join(), /is not Ollama/);
  assert.deepEqual(checkRequiredVariable(env('http://host.docker.internal:11434'), 'OLLAMA_HOST', services).problems, []);
  assert.match(checkRequiredVariable(env('http://localhost:11434'), 'OLLAMA_HOST', services).problems.join(), /inside a container that is the container itself/);
});

test('mode 644 on .env.production fails the permission line', () => {
  const d = copy();
  chmodSync(join(d, '.env.production'), 0o644);
  const c = checkEnvFilePermissions(join(d, '.env.production'));
  assert.equal(c.ok, false);
  assert.match(c.problems.join(), /mode 644; the checklist requires 600/);
  assert.deepEqual(failingVars(d), [], 'the variables themselves are still fine');
});

test('a 30-character SECRET_KEY fails SECRET_KEY only, and the message does not show the value', () => {
  const d = copy();
  const value = 'Zq8rT2mW9xK4vB7nL1pF6hJ3sD5gA0';
  assert.equal(value.length, 30);
  setVar(d, 'SECRET_KEY', value);
  assert.deepEqual(failingVars(d), ['SECRET_KEY']);
  const c = checkRequiredVariable(envMap(join(d, '.env.production')), 'SECRET_KEY');
  assert.match(c.problems.join(), /SECRET_KEY is 30 characters long; the checklist requires at least 64/);
  assert.ok(!JSON.stringify(c).includes(value), 'the secret value leaked into the check result');
});

test('a low-entropy 64-character secret and a reused secret fail', () => {
  const d = copy();
  setVar(d, 'API_SECRET_KEY', 'ab'.repeat(32));
  const env = envMap(join(d, '.env.production'));
  assert.match(checkRequiredVariable(env, 'API_SECRET_KEY').problems.join(), /not random enough: 1\.00 bits of entropy per character/);
  const d2 = copy();
  setVar(d2, 'JWT_SECRET', envMap(join(d2, '.env.production')).get('SECRET_KEY')!.value);
  assert.deepEqual(failingVars(d2), ['SECRET_KEY', 'JWT_SECRET']);
  assert.match(checkRequiredVariable(envMap(join(d2, '.env.production')), 'JWT_SECRET').problems.join(), /same value as SECRET_KEY/);
  assert.ok(shannonBitsPerChar('0123456789abcdef'.repeat(4)) === 4);
});

test('LOG_LEVEL=DEBUG fails the LOG_LEVEL line only', () => {
  const d = copy();
  setVar(d, 'LOG_LEVEL', 'DEBUG');
  assert.deepEqual(failingVars(d), ['LOG_LEVEL']);
  assert.match(checkRequiredVariable(envMap(join(d, '.env.production')), 'LOG_LEVEL').problems.join(), /LOG_LEVEL is "DEBUG"; production logging requires LOG_LEVEL=INFO/);
});

test('SSL_ENABLED=false, a malformed OLLAMA_HOST, a weak password, a placeholder each fail their own line', () => {
  const d = copy();
  setVar(d, 'SSL_ENABLED', 'false');
  setVar(d, 'OLLAMA_HOST', 'ollama:11434');
  setVar(d, 'REDIS_PASSWORD', 'Password123!');
  setVar(d, 'GRAFANA_PASSWORD', 'CHANGE_ME');
  assert.deepEqual(failingVars(d), ['REDIS_PASSWORD', 'GRAFANA_PASSWORD', 'OLLAMA_HOST', 'SSL_ENABLED']);
  const env = envMap(join(d, '.env.production'));
  assert.match(checkRequiredVariable(env, 'REDIS_PASSWORD').problems.join(), /REDIS_PASSWORD is a weak password: zxcvbn score [0-3] of 4/);
  assert.match(checkRequiredVariable(env, 'GRAFANA_PASSWORD').problems.join(), /placeholder/);
  assert.match(checkRequiredVariable(env, 'OLLAMA_HOST').problems.join(), /must be http:\/\/ or https:\/\//);
  assert.match(checkNoPlaceholders(env).problems.join(), /GRAFANA_PASSWORD/);
  assert.match(checkCreatedFromTemplate(join(d, '.env.production'), join(d, '.env.production.template')).problems.join(), /still holding the template's placeholder: GRAFANA_PASSWORD/);
  assert.ok(!JSON.stringify(checkRequiredVariable(env, 'REDIS_PASSWORD')).includes('Password123!'));
});

test('a variable missing from .env.production fails "present and non-empty"', () => {
  const d = copy();
  const p = join(d, '.env.production');
  writeFileSync(p, readFileSync(p, 'utf8').replace(/^JWT_SECRET=.*\n/m, ''));
  assert.deepEqual(failingVars(d), ['JWT_SECRET']);
  assert.match(checkCreatedFromTemplate(p, join(d, '.env.production.template')).problems.join(), /missing from \.env\.production: JWT_SECRET/);
});

test('Compose-valid lines the previous parser refused (a quoted value with a comment, export, a : delimiter) pass', () => {
  const d = copy();
  const p = join(d, '.env.production');
  writeFileSync(p, `${readFileSync(p, 'utf8')}BACKUP_SCHEDULE="0 2 * * *"  # Daily at 2 AM\nexport BACKUP_KEEP=7\nBACKUP_DIR: ./backups\n`);
  assert.deepEqual(failingVars(d), []);
  assert.deepEqual(checkCreatedFromTemplate(p, join(d, '.env.production.template')).problems, []);
  assert.deepEqual(checkNoPlaceholders(envMap(p)).problems, []);
  assert.equal(envMap(p).get('BACKUP_SCHEDULE')?.value, '0 2 * * *');
});

test('a quote left open on REDIS_PASSWORD fails REDIS_PASSWORD and the file\'s line only, with file:line', () => {
  const d = copy();
  const p = join(d, '.env.production');
  const value = envMap(p).get('REDIS_PASSWORD')!.value;
  setVar(d, 'REDIS_PASSWORD', `"${value}`);
  const line = envMap(p).problems[0]?.line;
  assert.ok(line && line > 0);
  assert.deepEqual(failingVars(d), ['REDIS_PASSWORD']);
  const c = checkRequiredVariable(envMap(p), 'REDIS_PASSWORD');
  assert.match(c.problems.join(), new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}: REDIS_PASSWORD's value opens a " quote that is not closed on its line`));
  assert.match(checkCreatedFromTemplate(p, join(d, '.env.production.template')).problems.join(), new RegExp(`:${line}: REDIS_PASSWORD's value opens a " quote`));
  assert.deepEqual(checkNoPlaceholders(envMap(p)).problems, []);
  assert.ok(!JSON.stringify([c, checkCreatedFromTemplate(p, join(d, '.env.production.template'))]).includes(value), 'the value leaked into a message');
});

test('a line that names no variable fails the file\'s line only; a $ in a secret is judged as Compose reads it', () => {
  const d = copy();
  const p = join(d, '.env.production');
  writeFileSync(p, `${readFileSync(p, 'utf8')}MY SETTING=1\n`);
  assert.deepEqual(failingVars(d), []);
  assert.match(checkCreatedFromTemplate(p, join(d, '.env.production.template')).problems.join(), /"MY SETTING" contains a space/);
  const secret = envMap(p).get('JWT_SECRET')!.value;
  setVar(d, 'JWT_SECRET', `${secret.slice(0, 40)}$x${secret.slice(40)}`);
  assert.deepEqual(failingVars(d), ['JWT_SECRET']);
  const c = checkRequiredVariable(envMap(p), 'JWT_SECRET');
  assert.match(c.problems.join('\n'), /JWT_SECRET is 40 characters long/);
  assert.match(c.problems.join('\n'), /JWT_SECRET's value \(line \d+\) has a \$ reference to a variable set nowhere before it in the file, which Compose replaces with ""/);
  assert.ok(!JSON.stringify(c).includes(secret.slice(40)), 'part of the secret leaked as a variable name');
});

test('a missing logs/ subdirectory fails exactly that directory', () => {
  const d = copy();
  rmSync(join(d, 'logs/monitoring'), { recursive: true });
  const failing = Object.keys(REQUIRED_DIRECTORIES).filter((r) => !checkDirectory(d, r).ok);
  assert.deepEqual(failing, ['logs/monitoring']);
  assert.match(checkDirectory(d, 'logs/monitoring').problems.join(), /logs\/monitoring\/ does not exist .* \(needed for monitoring logs\)/);
});

test('a missing compose file fails the required-files line', () => {
  const d = copy();
  rmSync(join(d, 'docker-compose.monitoring.yml'));
  assert.match(checkFilesPresent(d).problems.join(), /docker-compose\.monitoring\.yml/);
});

test('a memory alert at 95 % fails HighMemoryUsage only, naming both numbers', () => {
  const d = copy();
  const f = join(d, 'monitoring/prometheus/rules/rag-alerts.yml');
  writeFileSync(f, readFileSync(f, 'utf8').replace('node_memory_MemTotal_bytes) * 100 > 85', 'node_memory_MemTotal_bytes) * 100 > 95'));
  const c = checkChecklistAlerts(readAlertRules(join(d, 'monitoring/prometheus/rules')));
  assert.equal(c.problems.length, 1);
  assert.match(c.problems[0]!, /alert HighMemoryUsage fires at > 95%; the checklist says "High memory usage alerts \(>85%\)", i\.e\. > 85%/);
});

test('a query failure alert at 50 % (0.5) and a missing CPU alert fail', () => {
  const d = copy();
  const f = join(d, 'monitoring/prometheus/rules/rag-alerts.yml');
  writeFileSync(f, readFileSync(f, 'utf8').replace('/ sum(rate(rag_queries_total[5m])) > 0.05', '/ sum(rate(rag_queries_total[5m])) > 0.5').replace('alert: HighCPUUsage', 'alert: CpuBusy'));
  const c = checkChecklistAlerts(readAlertRules(join(d, 'monitoring/prometheus/rules')));
  assert.equal(c.problems.length, 2, c.problems.join('\n'));
  assert.match(c.problems.join('\n'), /HighCPUUsage .* is not defined/);
  assert.match(c.problems.join('\n'), /HighQueryFailureRate fires at > 0\.5 \(= 50%\)/);
});

test('alerts routed to email only (webhook route removed) fail the notification line', () => {
  const d = copy();
  const f = join(d, 'monitoring/alertmanager/alertmanager.yml');
  const text = readFileSync(f, 'utf8').replace(/    - receiver: ops-webhook\n      matchers: \[\]\n      continue: true\n      group_wait: 10s\n/, '');
  const c = checkNotificationChannels(text);
  assert.match(c.problems.join(), /not routed to the webhook receiver \(ops-webhook\)/);
});

test('a Grafana datasource pointing elsewhere fails', () => {
  const c = checkGrafanaDatasource('apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: http://localhost:3000\n');
  assert.match(c.problems.join(), /points at localhost:3000, not at Prometheus/);
});

test('a corrupted backup fails the integrity line (independent check and restore.sh --verify-only)', () => {
  const d = copy();
  writeFileSync(join(d, 'data/documents/report.txt'), 'quarterly report\n');
  const r = spawnSync('bash', [join(d, 'scripts/backup.sh'), d], { encoding: 'utf8', env: { ...process.env, BACKUP_SKIP_REDIS_SAVE: '1' } });
  assert.equal(r.status, 0, r.stderr);
  const backup = join(d, 'backups', readdirSync(join(d, 'backups')).find((n) => n.startsWith('backup-'))!);
  assert.deepEqual(checkBackupManifest(backup).problems, []);
  assert.equal(spawnSync('bash', [join(d, 'scripts/restore.sh'), backup, d, '--verify-only']).status, 0);
  writeFileSync(join(backup, 'data/documents/report.txt'), 'quarterly report, tampered\n');
  const c = checkBackupManifest(backup);
  assert.match(c.problems.join(), /data\/documents\/report\.txt does not match its checksum: the backup is corrupted/);
  const v = spawnSync('bash', [join(d, 'scripts/restore.sh'), backup, d, '--verify-only'], { encoding: 'utf8' });
  assert.equal(v.status, 1);
  assert.match(v.stderr, /CHECKSUM MISMATCH\s+data\/documents\/report\.txt/);
});
