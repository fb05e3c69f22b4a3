/**
 * Break-it tests for the Pre-Deployment checks on the deployment directory: each test breaks a fresh copy of
 * reference/deploy (secrets and certificates generated as in a hermetic run) the way a checklist line warns
 * against, and asserts that exactly that check fails, with a message that names the problem and no secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
import { checkBackupManifest } from '../checks/backup.ts';
import { readComposeServices } from '../checks/compose.ts';
import { checkConsumed, checkCreatedFromTemplate, checkEnvFilePermissions, checkNoPlaceholders, checkRequiredVariable, passwordKeys, shannonBitsPerChar } from '../checks/env-file.ts';
import { validateComposeFiles } from '../checks/host.ts';
import { checkDirectory, checkFilesPresent, REQUIRED_DIRECTORIES } from '../checks/layout.ts';
import { checkChecklistAlerts, checkGrafanaDatasource, checkNotificationChannels, readAlertRules } from '../checks/monitoring-config.ts';
import { envMap } from '../lib/envfile.ts';
import { REQUIRED_ENV_VARS } from '../core/thresholds.ts';
import { canFail } from './helpers.ts';

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

test('a Grafana datasource on a host that is no compose service, or on the wrong port, fails', canFail('PRE-MONSTACK-2', 'PRE-SVCCONF-2'), () => {
  const services = readComposeServices(base);
  const yaml = (url: string) => `apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: ${url}\n`;
  assert.match(checkGrafanaDatasource(yaml('http://prometheus-old:9090'), services).problems.join(), /no service of the compose files is called "prometheus-old" \(Prometheus runs as prometheus:9090\)/);
  assert.match(checkGrafanaDatasource(yaml('http://prometheus:9091'), services).problems.join(), /service "prometheus" listens on 9090, not 9091/);
  assert.match(checkGrafanaDatasource(yaml('http://alertmanager:9093'), services).problems.join(), /service "alertmanager" .* is not Prometheus/);
  assert.deepEqual(checkGrafanaDatasource(yaml('https://prometheus.example.org:9090'), services).problems, []);
});

test('OLLAMA_HOST on a port the ollama service does not listen on fails; host.docker.internal is accepted', canFail('PRE-ENV-2.6'), () => {
  const services = readComposeServices(base);
  const env = (v: string) => new Map([['OLLAMA_HOST', { key: 'OLLAMA_HOST', value: v, line: 1 }]]);
  assert.match(checkRequiredVariable(env('http://ollama:11435'), 'OLLAMA_HOST', services).problems.join(), /service "ollama" listens on 11434, not 11435/);
  assert.match(checkRequiredVariable(env('http://olama:11434'), 'OLLAMA_HOST', services).problems.join(), /no service of the compose files is called "olama"/);
  assert.match(checkRequiredVariable(env('http://redis:6379'), 'OLLAMA_HOST', services).problems.join(), /is not Ollama/);
  assert.deepEqual(checkRequiredVariable(env('http://host.docker.internal:11434'), 'OLLAMA_HOST', services).problems, []);
  assert.match(checkRequiredVariable(env('http://localhost:11434'), 'OLLAMA_HOST', services).problems.join(), /inside a container that is the container itself/);
});

/** Which of the checklist's variables (and passwords) the compose files of this directory do not hand on. */
function unreadVars(dir: string): string[] {
  const env = envMap(join(dir, '.env.production'));
  const services = readComposeServices(dir);
  return [...REQUIRED_ENV_VARS, ...passwordKeys(env).filter((k) => !(REQUIRED_ENV_VARS as readonly string[]).includes(k))].filter((k) => !checkConsumed(env, k, services, dir).ok);
}

function editCompose(dir: string, file: string, from: string | RegExp, to: string): void {
  const p = join(dir, file);
  const text = readFileSync(p, 'utf8');
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `${file}: ${String(from)} not found`);
  writeFileSync(p, text.replace(from, to));
}

test('the reference compose files hand every checked variable of .env.production to the services that need it', () => {
  assert.deepEqual(unreadVars(base), []);
  const used = checkConsumed(envMap(join(base, '.env.production')), 'API_SECRET_KEY', readComposeServices(base), base);
  assert.deepEqual(used.details, ['API_SECRET_KEY reaches rag-backend (docker-compose.production.yml): env_file: .env.production']);
});

test('compose files that read no .env.production fail every secret line with the variable, the files and the fix', canFail('PRE-ENV-2.1', 'PRE-ENV-2.2', 'PRE-ENV-2.3', 'PRE-ENV-2.4', 'PRE-ENV-2.5', 'PRE-ENV-2.6', 'PRE-ENV-2.7', 'PRE-ENV-2.8', 'PRE-SECCONF-1', 'PRE-SECCONF-2', 'PRE-SECCONF-3'), () => {
  const d = mkdtempSync(join(tmpdir(), 'pre-selftest-'));
  made.push(d);
  writeFileSync(join(d, '.env.production'), readFileSync(join(base, '.env.production'), 'utf8'));
  // An application whose services are named otherwise: no service of the compose files reads the file.
  writeFileSync(join(d, 'docker-compose.production.yml'), 'services:\n  api:\n    image: acme/rag-api:1.0\n    environment:\n      LOG_LEVEL: INFO\n  web:\n    image: nginx:1.25\n');
  const env = envMap(join(d, '.env.production'));
  const c = checkConsumed(env, 'SECRET_KEY', readComposeServices(d), d);
  assert.deepEqual(c.problems, ['SECRET_KEY is set in .env.production but no service of docker-compose.production.yml reads it (no env_file: .env.production, no ${SECRET_KEY})']);
  // LOG_LEVEL too: the api service sets its own value, which is not the file's.
  assert.deepEqual(unreadVars(d).sort(), [...REQUIRED_ENV_VARS, 'ADMIN_PASSWORD'].sort());
  assert.ok(!JSON.stringify(c).includes(env.get('SECRET_KEY')!.value), 'the secret value leaked into the check result');
  // `${VAR}` in a service's definition, and env_file in its list and {path} forms, read the file.
  writeFileSync(join(d, 'docker-compose.production.yml'), 'services:\n  api:\n    image: acme/rag-api:1.0\n    env_file: [./.env.production]\n  web:\n    image: nginx:1.25\n    env_file:\n      - path: .env.production\n        required: true\n    command: ["run", "--key=${SECRET_KEY}"]\n');
  assert.deepEqual(checkConsumed(env, 'SECRET_KEY', readComposeServices(d), d).problems, []);
  assert.deepEqual(checkConsumed(env, 'SECRET_KEY', readComposeServices(d), d).details, [
    'SECRET_KEY reaches api (docker-compose.production.yml): env_file: .env.production',
    'SECRET_KEY reaches web (docker-compose.production.yml): env_file: .env.production',
  ]);
  // An escaped $$ is a literal dollar sign, not a reference.
  writeFileSync(join(d, 'docker-compose.production.yml'), 'services:\n  api:\n    image: acme/rag-api:1.0\n    command: ["echo", "$$SECRET_KEY"]\n');
  assert.equal(checkConsumed(env, 'SECRET_KEY', readComposeServices(d), d).ok, false);
});

test('env_file removed from rag-backend fails the backend\'s variables only, although other services still read the file', () => {
  const d = copy();
  editCompose(d, 'docker-compose.production.yml', '    image: rag-system/rag-backend:${RAG_VERSION:-1.0.0}\n    env_file: .env.production\n', '    image: rag-system/rag-backend:${RAG_VERSION:-1.0.0}\n');
  assert.deepEqual(unreadVars(d), ['SECRET_KEY', 'API_SECRET_KEY', 'JWT_SECRET', 'REDIS_PASSWORD', 'OLLAMA_HOST', 'SSL_ENABLED', 'LOG_LEVEL']);
  const env = envMap(join(d, '.env.production'));
  assert.deepEqual(checkConsumed(env, 'JWT_SECRET', readComposeServices(d), d).problems, [
    'JWT_SECRET is set in .env.production but rag-backend (docker-compose.production.yml) does not read it (no env_file: .env.production, no ${JWT_SECRET})',
  ]);
  // Redis still gets its password; the backend, which authenticates with it, does not.
  assert.deepEqual(checkConsumed(env, 'REDIS_PASSWORD', readComposeServices(d), d).problems.length, 1);
  // The backend's secrets written into its environment instead: not read from the file either.
  editCompose(d, 'docker-compose.production.yml', '      REDIS_HOST: redis\n', `      REDIS_HOST: redis\n      API_SECRET_KEY: "${env.get('API_SECRET_KEY')!.value}"\n      JWT_SECRET: \${JWT_SECRET}\n`);
  const s = readComposeServices(d);
  assert.match(checkConsumed(env, 'API_SECRET_KEY', s, d).problems.join(), /rag-backend \(docker-compose\.production\.yml\) does not read it \(its environment sets API_SECRET_KEY itself, and it has no env_file: \.env\.production\)/);
  assert.deepEqual(checkConsumed(env, 'JWT_SECRET', s, d).problems, [], '${JWT_SECRET} is interpolated from the file');
});

test('an environment entry that overrides env_file with another value fails; the same value passes', () => {
  const d = copy();
  const env = envMap(join(d, '.env.production'));
  editCompose(d, 'docker-compose.production.yml', '      REDIS_HOST: redis\n', '      REDIS_HOST: redis\n      LOG_LEVEL: DEBUG\n      SSL_ENABLED: "true"\n');
  const s = readComposeServices(d);
  assert.deepEqual(checkConsumed(env, 'LOG_LEVEL', s, d).problems, [
    'LOG_LEVEL is set in .env.production but rag-backend (docker-compose.production.yml) does not read it (its environment sets LOG_LEVEL itself, which overrides env_file: .env.production)',
  ]);
  assert.deepEqual(checkConsumed(env, 'SSL_ENABLED', s, d).problems, []);
});

test('mode 644 on .env.production fails the permission line', canFail('PRE-SECCONF-4'), () => {
  const d = copy();
  chmodSync(join(d, '.env.production'), 0o644);
  const c = checkEnvFilePermissions(join(d, '.env.production'));
  assert.equal(c.ok, false);
  assert.match(c.problems.join(), /mode 644; the checklist requires 600/);
  assert.deepEqual(failingVars(d), [], 'the variables themselves are still fine');
});

test('a 30-character SECRET_KEY fails SECRET_KEY only, and the message does not show the value', canFail('PRE-ENV-2.1'), () => {
  const d = copy();
  const value = 'Zq8rT2mW9xK4vB7nL1pF6hJ3sD5gA0';
  assert.equal(value.length, 30);
  setVar(d, 'SECRET_KEY', value);
  assert.deepEqual(failingVars(d), ['SECRET_KEY']);
  const c = checkRequiredVariable(envMap(join(d, '.env.production')), 'SECRET_KEY');
  assert.match(c.problems.join(), /SECRET_KEY is 30 characters long; the checklist requires at least 64/);
  assert.ok(!JSON.stringify(c).includes(value), 'the secret value leaked into the check result');
});

test('a low-entropy 64-character secret and a reused secret fail', canFail('PRE-ENV-2.2', 'PRE-ENV-2.3'), () => {
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

test('LOG_LEVEL=DEBUG fails the LOG_LEVEL line only', canFail('PRE-ENV-2.8'), () => {
  const d = copy();
  setVar(d, 'LOG_LEVEL', 'DEBUG');
  assert.deepEqual(failingVars(d), ['LOG_LEVEL']);
  assert.match(checkRequiredVariable(envMap(join(d, '.env.production')), 'LOG_LEVEL').problems.join(), /LOG_LEVEL is "DEBUG"; production logging requires LOG_LEVEL=INFO/);
});

test('SSL_ENABLED=false, a malformed OLLAMA_HOST, a weak password, a placeholder each fail their own line', canFail('PRE-ENV-2.4', 'PRE-ENV-2.5', 'PRE-ENV-2.6', 'PRE-ENV-2.7', 'PRE-SECCONF-3', 'PRE-ENV-1'), () => {
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

test('a variable missing from .env.production fails "present and non-empty"', canFail('PRE-ENV-2.3', 'PRE-ENV-1'), () => {
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

test('a quote left open on REDIS_PASSWORD fails REDIS_PASSWORD and the file\'s line only, with file:line', canFail('PRE-ENV-2.4', 'PRE-ENV-1'), () => {
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

test('a line that names no variable fails the file\'s line only; a $ in a secret is judged as Compose reads it', canFail('PRE-ENV-1', 'PRE-ENV-2.3'), () => {
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

test('a missing logs/ subdirectory fails exactly that directory', canFail('PRE-DIRS-2.3'), () => {
  const d = copy();
  rmSync(join(d, 'logs/monitoring'), { recursive: true });
  const failing = Object.keys(REQUIRED_DIRECTORIES).filter((r) => !checkDirectory(d, r).ok);
  assert.deepEqual(failing, ['logs/monitoring']);
  assert.match(checkDirectory(d, 'logs/monitoring').problems.join(), /logs\/monitoring\/ does not exist .* \(needed for monitoring logs\)/);
});

/** The directory lines of tests/01-prerequisites/directories.spec.ts (logs/monitoring: the test above). */
const DIRECTORY_LINES: Array<[string, string]> = [
  ['data/chroma', 'PRE-DIRS-1.1'],
  ['data/documents', 'PRE-DIRS-1.2'],
  ['data/redis', 'PRE-DIRS-1.3'],
  ['logs/nginx', 'PRE-DIRS-2.1'],
  ['logs/app', 'PRE-DIRS-2.2'],
  ['ssl', 'PRE-DIRS-3'],
  ['backups', 'PRE-DIRS-4'],
];
const dirs = copy();
for (const [rel, id] of DIRECTORY_LINES) {
  test(`a missing ${rel}/ fails its own line only, naming what it is for`, canFail(id), () => {
    const p = join(dirs, rel);
    renameSync(p, `${p}.away`);
    try {
      assert.deepEqual(Object.keys(REQUIRED_DIRECTORIES).filter((r) => !checkDirectory(dirs, r).ok), [rel]);
      assert.match(checkDirectory(dirs, rel).problems.join(), new RegExp(`^${rel}/ does not exist in .* \\(needed for ${REQUIRED_DIRECTORIES[rel]}\\); create it: mkdir -p `));
    } finally {
      renameSync(`${p}.away`, p);
    }
  });
}

test('a compose override file Compose rejects fails the compose validation, naming the file and the cause', canFail('PRE-SVCCONF-3'), () => {
  const d = copy();
  writeFileSync(join(d, 'docker-compose.override.yml'), 'services:\n  rag-backend:\n    ports: "8000:8000"\n');
  const runs = validateComposeFiles(d);
  assert.deepEqual(runs.map((r) => [r.what.split(':')[0], r.ok]), [['docker-compose.monitoring.yml', true], ['docker-compose.override.yml', false], ['docker-compose.production.yml', true]]);
  assert.match(runs[1]!.output, /ports/);
});

test('a missing compose file fails the required-files line', canFail('PRE-SOURCE-3'), () => {
  const d = copy();
  rmSync(join(d, 'docker-compose.monitoring.yml'));
  assert.match(checkFilesPresent(d).problems.join(), /docker-compose\.monitoring\.yml/);
});

test('a memory alert at 95 % fails HighMemoryUsage only, naming both numbers', canFail('PRE-MONSTACK-3'), () => {
  const d = copy();
  const f = join(d, 'monitoring/prometheus/rules/rag-alerts.yml');
  writeFileSync(f, readFileSync(f, 'utf8').replace('node_memory_MemTotal_bytes) * 100 > 85', 'node_memory_MemTotal_bytes) * 100 > 95'));
  const c = checkChecklistAlerts(readAlertRules(join(d, 'monitoring/prometheus/rules')));
  assert.equal(c.problems.length, 1);
  assert.match(c.problems[0]!, /alert HighMemoryUsage fires at > 95%; the checklist says "High memory usage alerts \(>85%\)", i\.e\. > 85%/);
});

test('a query failure alert at 50 % (0.5) and a missing CPU alert (renamed and measuring load instead) fail', canFail('PRE-MONSTACK-3'), () => {
  const d = copy();
  const f = join(d, 'monitoring/prometheus/rules/rag-alerts.yml');
  writeFileSync(f, readFileSync(f, 'utf8').replace('/ sum(rate(rag_queries_total[5m])) > 0.05', '/ sum(rate(rag_queries_total[5m])) > 0.5').replace('alert: HighCPUUsage', 'alert: CpuBusy').replace('node_cpu_seconds_total{mode="idle"}', 'node_load1'));
  const c = checkChecklistAlerts(readAlertRules(join(d, 'monitoring/prometheus/rules')));
  assert.equal(c.problems.length, 2, c.problems.join('\n'));
  assert.match(c.problems.join('\n'), /HighCPUUsage .* is not defined/);
  assert.match(c.problems.join('\n'), /HighQueryFailureRate fires at > 0\.5 \(= 50%\)/);
});

test('alerts routed to email only (webhook route removed) fail the notification line', canFail('PRE-MONSTACK-4'), () => {
  const d = copy();
  const f = join(d, 'monitoring/alertmanager/alertmanager.yml');
  const text = readFileSync(f, 'utf8').replace(/    - receiver: ops-webhook\n      matchers: \[\]\n      continue: true\n      group_wait: 10s\n/, '');
  const c = checkNotificationChannels(text);
  assert.match(c.problems.join(), /not routed to the webhook receiver \(ops-webhook\)/);
});

test('a Grafana datasource pointing elsewhere fails', canFail('PRE-MONSTACK-2'), () => {
  const c = checkGrafanaDatasource('apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: http://localhost:3000\n');
  assert.match(c.problems.join(), /points at localhost:3000, not at Prometheus/);
});

test('a corrupted backup fails the integrity line (independent check and restore.sh --verify-only)', canFail('P1-BACKUP-4'), () => {
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
