/**
 * Pre-Deployment Requirements › External Dependencies › Monitoring Stack – Prometheus config (promtool),
 * Grafana datasource, the checklist's five alerts with its thresholds (PromQL parsed) and their unit tests,
 * and the email/webhook receivers.
 */
import { test, expect, verifies, notVerified } from '../../fixtures/index.ts';
import { describeRuns, validateAlertmanager, validatePrometheus } from '../../checks/host.ts';
import { readComposeServices } from '../../checks/compose.ts';
import { checkChecklistAlerts, checkGrafanaDatasource, checkNotificationChannels, readAlertRules } from '../../checks/monitoring-config.ts';
import { envMap } from '../../lib/envfile.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

test.describe('Monitoring stack configuration', () => {
  test('Prometheus configuration validated by promtool', verifies('PRE-MONSTACK-1'), async ({ target, http, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const runs = validatePrometheus(dir).filter((r) => r.what === 'promtool check config' || r.skipped);
    await evidence('promtool check config', describeRuns(runs));
    if (runs.some((r) => r.skipped)) return notVerified(testInfo, `${target.mode}: ${runs[0]!.skipped}`);
    expect(runs[0]!.ok, `promtool rejects prometheus.yml:\n${runs[0]!.output}`).toBe(true);
    // The running Prometheus loaded this configuration (its reload succeeded).
    const url = target.url('prometheus');
    if (url) {
      const ex = await http.fetch(`${url}/api/v1/status/runtimeinfo`, { headers: target.adminAuth() });
      await evidence('GET /api/v1/status/runtimeinfo', ex);
      if (ex.status === 200) expect(http.json<{ data: { reloadConfigSuccess: boolean } }>(ex).data.reloadConfigSuccess, 'the running Prometheus failed to load its configuration').toBe(true);
    }
  });

  test('Grafana datasource provisioned and pointing at Prometheus', verifies('PRE-MONSTACK-2'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const f = join(dir, 'monitoring/grafana/provisioning/datasources/prometheus.yml');
    expect(existsSync(f), `${f} is missing`).toBe(true);
    const c = checkGrafanaDatasource(readFileSync(f, 'utf8'), readComposeServices(dir));
    await evidence('Grafana datasource', [...c.details, ...c.problems].join('\n'));
    expect(c.problems).toHaveNoProblems('Grafana datasource');
  });

  test("the checklist's five alerts exist with its thresholds, and their rule unit tests pass", verifies('PRE-MONSTACK-3'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const rules = readAlertRules(join(dir, 'monitoring/prometheus/rules'));
    const c = checkChecklistAlerts(rules);
    await evidence('alert thresholds (parsed PromQL)', [...c.details, ...c.problems.map((p) => `PROBLEM: ${p}`)].join('\n'));
    expect(c.problems).toHaveNoProblems('alert rules vs the checklist');
    const runs = validatePrometheus(dir).filter((r) => r.what !== 'promtool check config');
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
    const text = readFileSync(join(dir, 'monitoring/alertmanager/alertmanager.yml'), 'utf8');
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
    const runs = validateAlertmanager(dir, { email, webhook });
    await evidence('receivers', secrets.redact(`${c.details.join('\n')}\nALERT_EMAIL_TO=${email}\nALERT_WEBHOOK_URL=${webhook}\n\n${describeRuns(runs)}`));
    expect(problems).toHaveNoProblems('notification channels');
    if (runs.some((r) => r.skipped)) return notVerified(testInfo, `${target.mode}: receivers configured, but ${runs[0]!.skipped} so amtool could not check them`);
    expect(runs.filter((r) => !r.ok).map((r) => `${r.what}: ${r.output}`)).toHaveNoProblems('amtool rejects alertmanager.yml');
  });
});
