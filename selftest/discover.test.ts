/**
 * Discovery by content (checks/discover.ts) on deployments laid out and named otherwise, and the layout checks
 * (checks/layout.ts) that use what it resolves: the reference deployment resolves to the contract's names; a
 * deployment with other names passes the required-files line with discovery and fails it with the contract's names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_DEPLOY_DIR } from '../testcontainers/target.ts';
import { expandGlobs, resolveFiles, type ResolvedFiles } from '../checks/discover.ts';
import { checkFilesPresent, nginxServerConfigs, readResolved } from '../checks/layout.ts';
import { checkCertificateValid, checkChain, checkSslFilesPresent, tlsFiles } from '../checks/tls.ts';
import { CONTRACT_FILES, contractProfile } from '../core/profile.ts';
import { canFail } from './helpers.ts';
import { deploymentCopies, edit, useCertsLayout } from './deploy-copies.ts';

const copy = deploymentCopies('discover');

/** The resolved names; file lists as the files their patterns match in `dir` (the same files however they are written). */
function values(r: ResolvedFiles | typeof CONTRACT_FILES, dir: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(r).map(([k, v]) => {
      const value: unknown = typeof v === 'object' && 'value' in v ? v.value : v;
      return [k, Array.isArray(value) ? expandGlobs(dir, value as string[]) : value];
    }),
  );
}
/** Every file by the contract's name, as if nothing had been found. */
const contractOnly = (): ResolvedFiles => Object.fromEntries(Object.entries(CONTRACT_FILES).map(([k, v]) => [k, { value: v, source: 'contract' }])) as unknown as ResolvedFiles;


/**
 * The reference deployment renamed throughout: TLS files in certs/ named by Nginx (through the compose mount), alert
 * rules under another directory named by prometheus.yml's rule_files, the datasource file and the scripts elsewhere.
 */
function foreign(): string {
  const d = copy();
  useCertsLayout(d);
  const prom = join(d, 'monitoring/prometheus');
  mkdirSync(join(prom, 'alerting'));
  renameSync(join(prom, 'rules/rag-alerts.yml'), join(prom, 'alerting/rag.rules.yml'));
  rmSync(join(prom, 'rules'), { recursive: true });
  edit(join(prom, 'prometheus.yml'), '  - rules/*.yml', '  - /etc/prometheus/alerting/*.rules.yml');
  const ds = join(d, 'monitoring/grafana/provisioning/datasources');
  renameSync(join(ds, 'prometheus.yml'), join(ds, 'grafana-sources.yaml'));
  mkdirSync(join(d, 'ops'));
  renameSync(join(d, 'scripts/backup.sh'), join(d, 'ops/nightly-backup.sh'));
  renameSync(join(d, 'scripts/restore.sh'), join(d, 'ops/restore-data.sh'));
  return d;
}

test('the reference deployment resolves to the contract\'s names, as shipped and with its generated secrets and certificates', () => {
  assert.deepEqual(values(resolveFiles(REFERENCE_DEPLOY_DIR, contractProfile()), REFERENCE_DEPLOY_DIR), values(CONTRACT_FILES, REFERENCE_DEPLOY_DIR));
  const d = copy();
  const r = resolveFiles(d, contractProfile());
  assert.deepEqual(values(r, d), values(CONTRACT_FILES, d));
  assert.deepEqual(r.alertRules.value, CONTRACT_FILES.alertRules);
  assert.deepEqual(tlsFiles(d, r), { certificate: 'ssl/server.crt', key: 'ssl/server.key', chain: 'ssl/chain.pem', ca: 'ssl/ca.crt' });
  assert.deepEqual(checkFilesPresent(d, r).problems, []);
});

test('a deployment named otherwise: TLS from ssl_certificate and the mounts, rules from rule_files, the datasource and scripts by content', () => {
  const d = foreign();
  const r = resolveFiles(d, contractProfile());
  assert.deepEqual(
    { tlsCertificate: r.tlsCertificate.value, tlsChain: r.tlsChain.value, tlsKey: r.tlsKey.value, alertRules: r.alertRules.value, grafanaDatasources: r.grafanaDatasources.value, backupScript: r.backupScript.value, restoreScript: r.restoreScript.value },
    {
      tlsCertificate: 'certs/fullchain.pem',
      tlsChain: 'certs/fullchain.pem',
      tlsKey: 'certs/privkey.pem',
      alertRules: ['monitoring/prometheus/alerting/*.rules.yml'],
      grafanaDatasources: 'monitoring/grafana/provisioning/datasources/grafana-sources.yaml',
      backupScript: 'ops/nightly-backup.sh',
      restoreScript: 'ops/restore-data.sh',
    },
  );
  assert.deepEqual(r.tlsKey.source, { found: 'ssl_certificate_key /etc/nginx/certs/privkey.pem in nginx/conf.d/rag-system.conf' });
  assert.deepEqual(r.alertRules.source, { found: 'rule_files of monitoring/prometheus/prometheus.yml' });
  // What is the same stays the contract's.
  assert.equal(r.composeProduction.value, CONTRACT_FILES.composeProduction);
  assert.equal(r.nginxConfig.value, CONTRACT_FILES.nginxConfig);
  // The checks that use them pass.
  const c = checkFilesPresent(d, r);
  assert.deepEqual(c.problems, []);
  assert.match(c.details.join('\n'), /backupScript: ops\/nightly-backup\.sh \(found: the one script named like backup\)/);
  assert.match(c.details.join('\n'), /alert rules: monitoring\/prometheus\/alerting\/rag\.rules\.yml/);
  const tls = tlsFiles(d, r);
  for (const check of [checkSslFilesPresent(d, tls), checkCertificateValid(d, tls), checkChain(d, tls)]) assert.deepEqual(check.problems, []);
  assert.ok(readResolved(d, r.grafanaDatasources, 'the Grafana datasource provisioning').text?.includes('type: prometheus'));
});

test('the same deployment judged by the contract\'s names fails the required-files line, naming each missing file', canFail('PRE-SOURCE-3'), () => {
  const d = foreign();
  const problems = checkFilesPresent(d, contractOnly()).problems.join('\n');
  assert.match(problems, /monitoring\/grafana\/provisioning\/datasources\/prometheus\.yml \(grafanaDatasources, the contract's name\)/);
  assert.match(problems, /scripts\/backup\.sh \(backupScript, the contract's name\)/);
  assert.match(problems, /scripts\/restore\.sh \(restoreScript, the contract's name\)/);
  assert.match(problems, /alert rule files monitoring\/prometheus\/rules\/\*\.yml \(alertRules, the contract's name\)/);
});

test('the profile\'s names win over discovery; a file it names that does not exist is a problem naming it and its source', canFail('PRE-SOURCE-3', 'PRE-MONSTACK-2'), () => {
  const d = foreign();
  const r = resolveFiles(d, { ...contractProfile(), files: { backupScript: 'bin/backup', grafanaDatasources: 'grafana/ds.yml' } });
  assert.deepEqual(r.backupScript, { value: 'bin/backup', source: 'profile' });
  assert.match(checkFilesPresent(d, r).problems.join(), /bin\/backup \(backupScript, from the deployment profile\)/);
  assert.deepEqual(readResolved(d, r.grafanaDatasources, 'the Grafana datasource provisioning'), { problem: `grafana/ds.yml (the Grafana datasource provisioning; from the deployment profile) is missing from ${d}` });
});

test('Nginx server configuration: server blocks in nginx.conf itself count; neither there nor in conf.d/ fails', canFail('PRE-SOURCE-3'), () => {
  const d = copy();
  assert.ok(nginxServerConfigs(d, 'nginx/nginx.conf').includes('nginx/conf.d/rag-system.conf'));
  writeFileSync(join(d, 'nginx/nginx.conf'), `${readFileSync(join(d, 'nginx/nginx.conf'), 'utf8').replace(/include\s+\/etc\/nginx\/conf\.d\/\*\.conf;/, '')}\n# server { in a comment does not count }\n`);
  rmSync(join(d, 'nginx/conf.d'), { recursive: true });
  assert.deepEqual(nginxServerConfigs(d, 'nginx/nginx.conf'), []);
  assert.match(checkFilesPresent(d, resolveFiles(d, contractProfile())).problems.join(), /Nginx server configuration \(no server block in nginx\/nginx\.conf, no conf\.d\/\*\.conf beside it\)/);
  writeFileSync(join(d, 'nginx/nginx.conf'), 'events {}\nhttp {\n  server {\n    listen 80;\n  }\n}\n');
  assert.deepEqual(nginxServerConfigs(d, 'nginx/nginx.conf'), ['nginx/nginx.conf']);
});
