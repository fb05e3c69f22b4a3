/**
 * Pre-Deployment Requirements › External Dependencies › Monitoring Stack – Prometheus config (promtool),
 * Grafana datasource, the checklist's five alerts with its thresholds (PromQL parsed) and their unit tests,
 * and the email/webhook receivers.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { describeRuns, prometheusConfigProblems, validateAlertmanager, validatePrometheus } from '../../checks/host.ts';
import { readComposeServices } from '../../checks/compose.ts';
import { checkChecklistAlerts, checkGrafanaDatasource, checkNotificationChannels, readAlertRuleFiles } from '../../checks/monitoring-config.ts';
import { expandGlobs, resolveFiles } from '../../checks/discover.ts';
import { readResolved } from '../../checks/layout.ts';
import { describeSource } from '../../core/profile.ts';
import { envMap } from '../../lib/envfile.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

test.describe('Monitoring stack configuration', () => {
  test('Prometheus configuration validated by promtool', verifies('PRE-MONSTACK-1'), async ({ target, http, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const files = resolveFiles(dir, target.profile);
    annotate.info(testInfo, `prometheusConfig: ${files.prometheusConfig.value} (${describeSource(files.prometheusConfig.source)})`);
    const runs = validatePrometheus(dir, files).filter((r) => r.what === 'promtool check config' || r.skipped);
    await evidence('promtool check config', describeRuns(runs));
    if (runs.some((r) => r.skipped)) return notVerified(testInfo, `${target.mode}: ${runs[0]!.skipped}`);
    // The running Prometheus loaded this configuration (its reload succeeded).
    let reloaded: boolean | undefined;
    const url = target.url('prometheus');
    if (url) {
      const ex = await http.fetch(`${url}/api/v1/status/runtimeinfo`, { headers: target.adminAuth() });
      await evidence('GET /api/v1/status/runtimeinfo', ex);
      if (ex.status === 200) reloaded = http.json<{ data?: { reloadConfigSuccess?: boolean } }>(ex).data?.reloadConfigSuccess;
    }
    expect(prometheusConfigProblems(runs[0]!, files.prometheusConfig.value, reloaded)).toHaveNoProblems('Prometheus configuration rejected');
  });

  test('Grafana datasource provisioned and pointing at Prometheus', verifies('PRE-MONSTACK-2'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const f = resolveFiles(dir, target.profile).grafanaDatasources;
    annotate.info(testInfo, `grafanaDatasources: ${f.value} (${describeSource(f.source)})`);
    const text = readResolved(dir, f, 'the Grafana datasource provisioning');
    expect(text.problem === undefined, text.problem).toBe(true);
    const c = checkGrafanaDatasource(text.text!, readComposeServices(dir));
    await evidence('Grafana datasource', [`${f.value} (${describeSource(f.source)})`, ...c.details, ...c.problems].join('\n'));
    expect(c.problems).toHaveNoProblems(`Grafana datasource (${f.value})`);
  });

  test("the checklist's five alerts exist with its thresholds, and their rule unit tests pass", verifies.smoke('PRE-MONSTACK-3'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const ruleFiles = resolveFiles(dir, target.profile).alertRules;
    const found = expandGlobs(dir, ruleFiles.value);
    annotate.info(testInfo, `alertRules: ${found.join(', ') || `none matches ${ruleFiles.value.join(', ')}`} (${describeSource(ruleFiles.source)})`);
    const read = readAlertRuleFiles(dir, found);
    const c = checkChecklistAlerts(read.rules);
    const problems = [...read.problems, ...c.problems];
    await evidence('alert thresholds (parsed PromQL)', [...c.details, ...problems.map((p) => `PROBLEM: ${p}`)].join('\n'));
    expect(problems).toHaveNoProblems('alert rules vs the checklist');
    const runs = validatePrometheus(dir, resolveFiles(dir, target.profile)).filter((r) => r.what !== 'promtool check config');
    await evidence('promtool check/test rules', describeRuns(runs));
    if (runs.some((r) => r.skipped)) return notVerified(testInfo, `${target.mode}: thresholds ok, but ${runs[0]!.skipped} so the rules could not be tested`);
    expect(runs.filter((r) => !r.ok).map((r) => `${r.what}: ${r.output}`)).toHaveNoProblems('alert rules rejected or their unit tests fail');
  });

  test('notification channels: email and webhook receivers, every alert routed to both', verifies('PRE-MONSTACK-4'), async ({ target, secrets, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const env = existsSync(join(dir, '.env.production')) ? envMap(join(dir, '.env.production')) : new Map();
    const email = env.get('ALERT_EMAIL_TO')?.value;
    const webhook = env.get('ALERT_WEBHOOK_URL')?.value;
    const am = resolveFiles(dir, target.profile).alertmanagerConfig;
    annotate.info(testInfo, `alertmanagerConfig: ${am.value} (${describeSource(am.source)})`);
    const read = readResolved(dir, am, 'the Alertmanager configuration');
    expect(read.problem === undefined, read.problem).toBe(true);
    const text = read.text!;
    const c = checkNotificationChannels(text);
    const problems = [...c.problems];
    if (text.includes('${ALERT_EMAIL_TO}') && !/^[^@\s]+@[^@\s]+$/.test(email ?? '')) problems.push(`ALERT_EMAIL_TO in .env.production is ${email ? `"${email}", not an email address` : 'not set'}`);
    if (text.includes('${ALERT_WEBHOOK_URL}')) {
      try {
        new URL(webhook ?? '');
      } catch {
        problems.push(`ALERT_WEBHOOK_URL in .env.production is ${webhook ? `"${webhook}", not a URL` : 'not set'}`);
      }
    }
    const runs = validateAlertmanager(dir, { alertmanagerConfig: am }, { email, webhook });
    await evidence('receivers', secrets.redact(`${c.details.join('\n')}\nALERT_EMAIL_TO=${email}\nALERT_WEBHOOK_URL=${webhook}\n\n${describeRuns(runs)}`));
    expect(problems).toHaveNoProblems('notification channels');
    if (runs.some((r) => r.skipped)) return notVerified(testInfo, `${target.mode}: receivers configured, but ${runs[0]!.skipped} so amtool could not check them`);
    expect(runs.filter((r) => !r.ok).map((r) => `${r.what}: ${r.output}`)).toHaveNoProblems('amtool rejects alertmanager.yml');
  });
});
