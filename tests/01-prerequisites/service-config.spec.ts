/**
 * Pre-Deployment Requirements › Configuration Files › Service Configuration – validated with the real tools:
 * `nginx -t` and promtool/amtool in the deployment's own images (throwaway containers, files mounted
 * read-only), `docker-compose config -q` on the host.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { describeRuns, validateAlertmanager, validateComposeFiles, validateNginx, validatePrometheus, type ToolRun } from '../../checks/host.ts';
import { readComposeServices } from '../../checks/compose.ts';
import { checkExecutable } from '../../checks/layout.ts';
import { checkGrafanaDatasource } from '../../checks/monitoring-config.ts';
import { envMap } from '../../lib/envfile.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function failed(runs: ToolRun[]): string[] {
  return runs.filter((r) => !r.ok).map((r) => `${r.what}: ${r.skipped ?? r.output.split('\n').slice(-6).join(' | ')}`);
}

test.describe('Service configuration', () => {
  test('Nginx configuration present and `nginx -t` passes', verifies('PRE-SVCCONF-1'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const missing = ['nginx/nginx.conf', 'nginx/conf.d'].filter((f) => !existsSync(join(dir, f)));
    expect(missing).toHaveNoProblems(`Nginx configuration missing from ${dir}`);
    const confs = readdirSync(join(dir, 'nginx/conf.d')).filter((f) => f.endsWith('.conf'));
    expect(confs.length, 'nginx/conf.d has no *.conf server configuration').toBeGreaterThan(0);
    const run = validateNginx(dir);
    await evidence('nginx -t', describeRuns([run]));
    if (run.skipped) return notVerified(testInfo, `${target.mode}: ${run.skipped}; files present (${confs.join(', ')}) but nginx -t could not run`);
    expect(run.ok, `nginx -t rejects the configuration:\n${run.output}`).toBe(true);
  });

  test('monitoring configuration validated (promtool, amtool, Grafana provisioning)', verifies('PRE-SVCCONF-2'), async ({ target, secrets, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const env = existsSync(join(dir, '.env.production')) ? envMap(join(dir, '.env.production')) : new Map();
    // Validity only: the rules' unit tests (`promtool test rules`) are judged per alert on PRE-MONSTACK-3 and MON-ALERTS-*.
    const runs = [...validatePrometheus(dir).filter((r) => r.what !== 'promtool test rules'), ...validateAlertmanager(dir, { email: env.get('ALERT_EMAIL_TO')?.value, webhook: env.get('ALERT_WEBHOOK_URL')?.value })];
    const ds = checkGrafanaDatasource(readFileSync(join(dir, 'monitoring/grafana/provisioning/datasources/prometheus.yml'), 'utf8'), readComposeServices(dir));
    await evidence('promtool / amtool', secrets.redact(describeRuns(runs)));
    if (runs.some((r) => r.skipped)) return notVerified(testInfo, `${target.mode}: ${runs.filter((r) => r.skipped).map((r) => r.skipped).join('; ')}`);
    expect(failed(runs)).toHaveNoProblems('monitoring configuration rejected by the tools');
    expect(ds.problems).toHaveNoProblems('Grafana datasource provisioning');
  });

  test('Docker Compose files (and overrides, if any) valid: `docker-compose config -q`', verifies('PRE-SVCCONF-3'), async ({ target, secrets, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const runs = validateComposeFiles(dir);
    await evidence('compose config', secrets.redact(describeRuns(runs)));
    const overrides = runs.filter((r) => /override/.test(r.what));
    annotate.info(testInfo, overrides.length ? `override files: ${overrides.map((r) => r.what.split(':')[0]).join(', ')}` : 'no docker-compose override files (none needed)');
    expect(runs.map((r) => r.what.split(':')[0]), 'both compose files present').toEqual(expect.arrayContaining(['docker-compose.monitoring.yml', 'docker-compose.production.yml']));
    expect(failed(runs)).toHaveNoProblems('compose files rejected');
  });

  test('backup scripts present, executable and valid shell', verifies('PRE-SVCCONF-4'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const lines: string[] = [];
    const problems: string[] = [];
    for (const s of ['scripts/backup.sh', 'scripts/restore.sh']) {
      const c = checkExecutable(dir, s);
      problems.push(...c.problems);
      lines.push(...c.details);
      if (c.ok) {
        const n = spawnSync('bash', ['-n', join(dir, s)], { encoding: 'utf8' });
        if (n.status !== 0) problems.push(`${s} has a shell syntax error: ${n.stderr.trim()}`);
        else lines.push(`${s}: bash -n ok`);
      }
    }
    await evidence('backup scripts', [...lines, ...problems].join('\n'));
    expect(problems).toHaveNoProblems('backup scripts');
  });
});
