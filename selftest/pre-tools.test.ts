/**
 * What the configuration validators of checks/host.ts run (nginx -t, promtool, amtool, compose config) for a
 * deployment's resolved files – the docker arguments, built without Docker: the reference deployment gets exactly the
 * mounts and commands it always had; a deployment laid out otherwise gets its own files, mounted where its compose
 * file mounts them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeFiles, dockerRunArgs, nginxCheck, prometheusChecks, validateAlertmanager, validateComposeFiles } from '../checks/host.ts';
import { readComposeServices } from '../checks/compose.ts';
import { resolveFiles } from '../checks/discover.ts';
import { contractProfile } from '../core/profile.ts';
import { REFERENCE_DEPLOY_DIR } from '../testcontainers/target.ts';
import { canFail } from './helpers.ts';

const REF = REFERENCE_DEPLOY_DIR;
const made: string[] = [];
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test('the reference deployment: nginx -t and promtool get the mounts and commands they always had', () => {
  const files = resolveFiles(REF, contractProfile());
  const services = readComposeServices(REF);
  const nginx = nginxCheck(REF, files, services, '/tmp/t/htpasswd');
  assert.deepEqual(nginx, {
    command: ['nginx', '-t'],
    mounts: [
      [join(REF, 'nginx/nginx.conf'), '/etc/nginx/nginx.conf'],
      [join(REF, 'nginx/conf.d'), '/etc/nginx/conf.d'],
      [join(REF, 'ssl'), '/etc/nginx/ssl'],
      ['/tmp/t/htpasswd', '/run/nginx/htpasswd'],
    ],
  });
  assert.deepEqual(dockerRunArgs('rag-system/nginx:1.0.0', nginx.command, nginx.mounts), [
    'run', '--rm', '--network', 'none', '--entrypoint', 'nginx',
    '-v', `${REF}/nginx/nginx.conf:/etc/nginx/nginx.conf:ro`,
    '-v', `${REF}/nginx/conf.d:/etc/nginx/conf.d:ro`,
    '-v', `${REF}/ssl:/etc/nginx/ssl:ro`,
    '-v', '/tmp/t/htpasswd:/run/nginx/htpasswd:ro',
    'rag-system/nginx:1.0.0', '-t',
  ]);
  assert.deepEqual(prometheusChecks(REF, files, services, '/tmp/t/admin_password'), {
    mounts: [
      [join(REF, 'monitoring/prometheus'), '/etc/prometheus'],
      ['/tmp/t/admin_password', '/run/prometheus/admin_password'],
    ],
    steps: [
      { what: 'promtool check config', script: 'cd /etc/prometheus && promtool check config prometheus.yml' },
      { what: 'promtool check rules', script: 'cd /etc/prometheus && promtool check rules rules/rag-alerts.yml' },
      { what: 'promtool test rules', script: 'cd /etc/prometheus && promtool test rules tests/rag-alerts.test.yml' },
    ],
  });
  assert.deepEqual(composeFiles(REF, files), ['docker-compose.monitoring.yml', 'docker-compose.production.yml']);
});

/**
 * The reference's configuration laid out otherwise: Nginx in proxy/ (sites in proxy/sites), certificates in certs/
 * under other names, Prometheus's configuration in observability/ with its rules in observability/alerting/ (a mount
 * of its own), the rule unit tests in qa/ (mounted nowhere), the compose files named compose.*.yaml.
 */
function renamed(): string {
  const d = mkdtempSync(join(tmpdir(), 'pre-tools-'));
  made.push(d);
  cpSync(join(REF, 'nginx/nginx.conf'), join(d, 'proxy/nginx.conf'));
  cpSync(join(REF, 'nginx/conf.d'), join(d, 'proxy/sites'), { recursive: true });
  const site = join(d, 'proxy/sites/rag-system.conf');
  writeFileSync(site, readFileSync(site, 'utf8').replace('/etc/nginx/ssl/chain.pem', '/etc/nginx/certs/fullchain.pem').replace('/etc/nginx/ssl/server.key', '/etc/nginx/certs/privkey.pem'));
  mkdirSync(join(d, 'certs'));
  writeFileSync(join(d, 'certs/fullchain.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(join(d, 'certs/privkey.pem'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  mkdirSync(join(d, 'observability/alerting'), { recursive: true });
  writeFileSync(join(d, 'observability/prometheus.yml'), readFileSync(join(REF, 'monitoring/prometheus/prometheus.yml'), 'utf8').replace('  - rules/*.yml', '  - /etc/prometheus/alerting/*.rules.yml'));
  cpSync(join(REF, 'monitoring/prometheus/rules/rag-alerts.yml'), join(d, 'observability/alerting/rag.rules.yml'));
  mkdirSync(join(d, 'qa/prometheus'), { recursive: true });
  writeFileSync(join(d, 'qa/prometheus/rag alerts.test.yml'), readFileSync(join(REF, 'monitoring/prometheus/tests/rag-alerts.test.yml'), 'utf8').replace('../rules/rag-alerts.yml', '../../observability/alerting/rag.rules.yml'));
  mkdirSync(join(d, 'logs/nginx'), { recursive: true });
  writeFileSync(
    join(d, 'compose.production.yaml'),
    'services:\n  proxy:\n    image: rag-system/nginx:1.0.0\n    volumes:\n      - ./proxy/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./proxy/sites:/etc/nginx/conf.d:ro\n      - ./certs:/etc/nginx/certs:ro\n      - ./logs/nginx:/var/log/nginx\n',
  );
  writeFileSync(
    join(d, 'compose.monitoring.yaml'),
    'services:\n  metrics:\n    image: rag-system/prometheus:1.0.0\n    volumes:\n      - ./observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro\n      - ./observability/alerting:/etc/prometheus/alerting:ro\n      - prometheus-data:/prometheus\nvolumes:\n  prometheus-data: {}\n',
  );
  return d;
}

test('a deployment laid out otherwise: nginx -t gets its configuration, sites and certificates where its compose file mounts them', () => {
  const d = renamed();
  const files = resolveFiles(d, { ...contractProfile(), files: { nginxConfig: 'proxy/nginx.conf', prometheusConfig: 'observability/prometheus.yml', alertRuleTests: ['qa/prometheus/*.test.yml'] } });
  assert.equal(files.tlsChain.value, 'certs/fullchain.pem', 'discovery finds the certificate through the mount');
  const services = readComposeServices(d);
  assert.deepEqual(nginxCheck(d, files, services, '/tmp/t/htpasswd'), {
    command: ['nginx', '-t'],
    mounts: [
      [join(d, 'proxy/nginx.conf'), '/etc/nginx/nginx.conf'],
      [join(d, 'proxy/sites'), '/etc/nginx/conf.d'],
      [join(d, 'certs'), '/etc/nginx/certs'],
      ['/tmp/t/htpasswd', '/run/nginx/htpasswd'],
    ],
  });
  // No compose mounts at all: the configuration at nginx's default path, the certificates where ssl_certificate names them.
  assert.deepEqual(nginxCheck(d, files, [], '/tmp/t/htpasswd').mounts, [
    [join(d, 'proxy/nginx.conf'), '/etc/nginx/nginx.conf'],
    [join(d, 'certs'), '/etc/nginx/certs'],
    ['/tmp/t/htpasswd', '/run/nginx/htpasswd'],
  ]);
  // A configuration mounted elsewhere is named with -c.
  const elsewhere = [{ ...services.find((s) => s.name === 'proxy')!, mounts: [{ source: './proxy', target: '/opt/proxy' }, { source: './certs', target: '/etc/nginx/certs' }] }];
  assert.deepEqual(nginxCheck(d, files, elsewhere, '/h').command, ['nginx', '-t', '-c', '/opt/proxy/nginx.conf']);
  assert.deepEqual(composeFiles(d, files), ['compose.monitoring.yaml', 'compose.production.yaml']);
});

test('a deployment laid out otherwise: promtool checks its own configuration, rules and rule tests', () => {
  const d = renamed();
  const files = resolveFiles(d, { ...contractProfile(), files: { prometheusConfig: 'observability/prometheus.yml', alertRuleTests: ['qa/prometheus/*.test.yml'] } });
  assert.deepEqual(files.alertRules.value, ['observability/alerting/*.rules.yml'], 'rule_files, mapped back through the mount');
  const plan = prometheusChecks(d, files, readComposeServices(d), '/tmp/t/admin_password');
  assert.deepEqual(plan, {
    mounts: [
      [join(d, 'observability/prometheus.yml'), '/etc/prometheus/prometheus.yml'],
      [join(d, 'observability/alerting'), '/etc/prometheus/alerting'],
      ['/tmp/t/admin_password', '/run/prometheus/admin_password'],
      [d, '/deploy'],
    ],
    steps: [
      { what: 'promtool check config', script: 'cd /etc/prometheus && promtool check config prometheus.yml' },
      { what: 'promtool check rules', script: 'cd /etc/prometheus && promtool check rules alerting/rag.rules.yml' },
      // Mounted nowhere: reached through the deployment directory, so its ../../observability/… resolves.
      { what: 'promtool test rules', script: "cd /etc/prometheus && promtool test rules '/deploy/qa/prometheus/rag alerts.test.yml'" },
    ],
  });
  // No compose file: the configuration's directory is /etc/prometheus.
  assert.deepEqual(prometheusChecks(d, files, [], '/p').mounts.slice(0, 1), [[join(d, 'observability'), '/etc/prometheus']]);
});

test('rule patterns that match nothing fail their promtool step without running it, naming the patterns', canFail('PRE-SVCCONF-2'), () => {
  const files = resolveFiles(REF, contractProfile());
  const plan = prometheusChecks(REF, { ...files, alertRules: { value: ['monitoring/prometheus/alerts/*.yml'], source: 'profile' } }, readComposeServices(REF), '/p');
  assert.deepEqual(plan.steps[1], { what: 'promtool check rules', fails: 'no rule file matches monitoring/prometheus/alerts/*.yml' });
});

test('a missing Alertmanager configuration fails amtool\'s step with the file and where its name came from, without a crash', canFail('PRE-SVCCONF-2', 'PRE-MONSTACK-4'), () => {
  const runs = validateAlertmanager(REF, { alertmanagerConfig: { value: 'alerting/am.yml', source: 'profile' } }, {});
  assert.deepEqual(runs, [{ what: 'amtool check-config', ok: false, command: '', output: `alerting/am.yml (the Alertmanager configuration; from the deployment profile) is missing from ${REF}` }]);
});

test('without a Compose CLI where the gate runs (the runner image), the compose files are skipped with that reason, not rejected', () => {
  const runs = validateComposeFiles(REFERENCE_DEPLOY_DIR, ['docker-compose.production.yml', 'docker-compose.monitoring.yml'], 'none');
  assert.equal(runs.length, 2);
  for (const r of runs) {
    assert.equal(r.ok, false);
    assert.match(r.skipped ?? '', /neither docker-compose nor `docker compose` runs on the machine running the gate/);
  }
});
