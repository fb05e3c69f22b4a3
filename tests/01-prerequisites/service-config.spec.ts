/**
 * Pre-Deployment Requirements › Configuration Files › Service Configuration – validated with the real tools:
 * `nginx -t` and promtool/amtool in the deployment's own images (throwaway containers, files mounted
 * read-only), `docker-compose config -q` on the host.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { composeFiles, describeRuns, validateAlertmanager, validateComposeFiles, validateNginx, validatePrometheus, type ToolRun } from '../../checks/host.ts';
import { readComposeServices } from '../../checks/compose.ts';
import { checkExecutable, nginxServerConfigs, readResolved } from '../../checks/layout.ts';
import { checkGrafanaDatasource } from '../../checks/monitoring-config.ts';
import { resolveFiles } from '../../checks/discover.ts';
import { describeSource } from '../../core/profile.ts';
import { envMap } from '../../lib/envfile.ts';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

function failed(runs: ToolRun[]): string[] {
  return runs.filter((r) => !r.ok).map((r) => `${r.what}: ${r.skipped ?? r.output.split('\n').slice(-6).join(' | ')}`);
}

test.describe('Service configuration', () => {
  test('Nginx configuration present and `nginx -t` passes', verifies('PRE-SVCCONF-1'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const main = resolveFiles(dir, target.profile).nginxConfig;
    annotate.info(testInfo, `nginxConfig: ${main.value} (${describeSource(main.source)})`);
    expect(existsSync(resolve(dir, main.value)), `${main.value} (the Nginx configuration; ${describeSource(main.source)}) is missing from ${dir}`).toBe(true);
    const confs = nginxServerConfigs(dir, main.value);
    expect(confs.length, `no Nginx server configuration: no server block in ${main.value} and no conf.d/*.conf beside it`).toBeGreaterThan(0);
    const run = validateNginx(dir, resolveFiles(dir, target.profile));
    await evidence('nginx -t', describeRuns([run]));
    if (run.skipped) return notVerified(testInfo, `${target.mode}: ${run.skipped}; files present (${confs.join(', ')}) but nginx -t could not run`);
    expect(run.ok, `nginx -t rejects the configuration:\n${run.output}`).toBe(true);
  });

  test('monitoring configuration validated (promtool, amtool, Grafana provisioning)', verifies('PRE-SVCCONF-2'), async ({ target, secrets, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const env = existsSync(join(dir, '.env.production')) ? envMap(join(dir, '.env.production')) : new Map();
    // Validity only: the rules' unit tests (`promtool test rules`) are judged per alert on PRE-MONSTACK-3 and MON-ALERTS-*.
    const files = resolveFiles(dir, target.profile);
    const runs = [...validatePrometheus(dir, files).filter((r) => r.what !== 'promtool test rules'), ...validateAlertmanager(dir, files, { email: env.get('ALERT_EMAIL_TO')?.value, webhook: env.get('ALERT_WEBHOOK_URL')?.value })];
    const dsFile = files.grafanaDatasources;
    annotate.info(testInfo, `grafanaDatasources: ${dsFile.value} (${describeSource(dsFile.source)})`);
    const dsText = readResolved(dir, dsFile, 'the Grafana datasource provisioning');
    const ds = dsText.text === undefined ? { problems: [dsText.problem] } : checkGrafanaDatasource(dsText.text, readComposeServices(dir));
    await evidence('promtool / amtool', secrets.redact(describeRuns(runs)));
    // What the tools rejected and what the datasource file lacks fail the line together; a tool that could not run leaves it not verified.
    const problems = [...failed(runs.filter((r) => !r.skipped)), ...ds.problems.map((p) => (dsText.text === undefined ? p : `${dsFile.value}: ${p}`))];
    expect(problems).toHaveNoProblems('monitoring configuration rejected (promtool, amtool, Grafana provisioning)');
    if (runs.some((r) => r.skipped)) return notVerified(testInfo, `${target.mode}: ${runs.filter((r) => r.skipped).map((r) => r.skipped).join('; ')}`);
  });

  test('Docker Compose files (and overrides, if any) valid: `docker-compose config -q`', verifies('PRE-SVCCONF-3'), async ({ target, secrets, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const { composeMonitoring, composeProduction } = resolveFiles(dir, target.profile);
    const runs = validateComposeFiles(dir, composeFiles(dir, { composeMonitoring, composeProduction }));
    await evidence('compose config', secrets.redact(describeRuns(runs)));
    const overrides = runs.filter((r) => /override/.test(r.what));
    annotate.info(testInfo, overrides.length ? `override files: ${overrides.map((r) => r.what.split(':')[0]).join(', ')}` : 'no docker-compose override files (none needed)');
    annotate.info(testInfo, `compose files: ${composeProduction.value} (${describeSource(composeProduction.source)}), ${composeMonitoring.value} (${describeSource(composeMonitoring.source)})`);
    expect(runs.map((r) => r.what.split(':')[0]), 'both compose files present').toEqual(expect.arrayContaining([composeMonitoring.value, composeProduction.value]));
    const skipped = runs.find((r) => r.skipped)?.skipped;
    if (skipped) return notVerified(testInfo, `${skipped}: run the gate where Docker Compose is installed (the deployment host) to validate the files`);
    expect(failed(runs)).toHaveNoProblems('compose files rejected');
  });

  test('backup scripts present, executable and valid shell', verifies('PRE-SVCCONF-4'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const lines: string[] = [];
    const problems: string[] = [];
    const files = resolveFiles(dir, target.profile);
    for (const { value: s, source } of [files.backupScript, files.restoreScript]) {
      lines.push(`${s} (${describeSource(source)})`);
      const c = checkExecutable(dir, s);
      problems.push(...c.problems);
      lines.push(...c.details);
      if (c.ok) {
        const n = spawnSync('bash', ['-n', resolve(dir, s)], { encoding: 'utf8' });
        if (n.status !== 0) problems.push(`${s} has a shell syntax error: ${n.stderr.trim()}`);
        else lines.push(`${s}: bash -n ok`);
      }
    }
    await evidence('backup scripts', [...lines, ...problems].join('\n'));
    expect(problems).toHaveNoProblems('backup scripts');
  });
});
