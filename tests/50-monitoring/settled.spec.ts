/**
 * Final Sign-off › "Monitoring confirms stability", checked where the monitoring phase ends (this file sorts last
 * in 50-monitoring: after the alert drill, its resolution and the metric checks): Prometheus has every scrape
 * target up and Alertmanager no firing alert. The gate decides the line from this and from the metric and alert
 * lines and the soak's health (checklist.yaml derived_from).
 *
 * A resolution leaves Alertmanager at its group's next flush (group_interval 1m), so the phase gets that long to
 * settle; whatever is still down or firing then is named.
 */
import { test, expect, verifies, notVerified } from '../../fixtures/index.ts';
import { Prometheus } from '../../lib/prometheus.ts';

/** One group_interval of the deployment's Alertmanager (1m) and a few scrapes (15 s). */
const SETTLE_MS = 90_000;
const POLL_MS = 5_000;

interface AlertmanagerAlert {
  labels: Record<string, string>;
  startsAt: string;
}

test('at the end of the monitoring phase Prometheus has every target up and Alertmanager no firing alert', verifies('SIGN-FINAL-3'), async ({ target, http, evidence }, testInfo) => {
  const promUrl = target.url('prometheus');
  const amUrl = target.url('alertmanager');
  if (!promUrl || !amUrl) {
    return notVerified(testInfo, `${target.mode}: Prometheus (9090) and Alertmanager (9093) must both be reachable from here; set RAG_PROMETHEUS_URL and RAG_ALERTMANAGER_URL`);
  }
  test.setTimeout(SETTLE_MS + 60_000);
  const prom = new Prometheus(promUrl, target.adminAuth(), http);
  const firing = async (): Promise<string[]> => {
    // Firing and neither silenced nor inhibited: what Alertmanager is notifying about right now.
    const ex = await http.fetch(`${amUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false`, { headers: target.adminAuth(), timeoutMs: 20_000 });
    expect(ex.status, `Alertmanager /api/v2/alerts answered ${ex.status}: ${ex.body.slice(0, 300)}`).toBe(200);
    return http.json<AlertmanagerAlert[]>(ex).map((a) => `${a.labels.alertname ?? '?'} ${JSON.stringify(a.labels)} since ${a.startsAt}`);
  };
  const deadline = Date.now() + SETTLE_MS;
  let down: string[];
  let alerts: string[];
  for (;;) {
    down = (await prom.targets()).filter((t) => t.health !== 'up').map((t) => `${t.job} (${t.instance}): ${t.health} ${t.lastError}`);
    alerts = await firing();
    if ((down.length === 0 && alerts.length === 0) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await evidence('end of the monitoring phase', [`scrape targets not up: ${down.join('; ') || 'none'}`, `firing alerts: ${alerts.join('; ') || 'none'}`].join('\n'));
  expect(down).toHaveNoProblems('scrape targets not up at the end of the monitoring phase', { evidence: 'end of the monitoring phase' });
  expect(alerts).toHaveNoProblems('alerts still firing in Alertmanager at the end of the monitoring phase', { evidence: 'end of the monitoring phase' });
});
