/**
 * Post-Deployment Monitoring › Alert Configuration, end to end: a failure is caused for real, Prometheus fires
 * the alert, Alertmanager delivers it to a webhook receiver that this spec runs on the Docker host
 * (ALERT_WEBHOOK_URL in .env.production = http://host.docker.internal:<port>/<path>), and the resolution is
 * delivered after recovery. Hermetic and compose modes only (it stops a container).
 *
 * One outage proves both alerts (serial, one worker): Ollama is stopped, so its blackbox probe fails
 * (ServiceUnavailable, `for: 1m`) and every query fails (HighQueryFailureRate, `for: 2m`). The rules are the
 * deployment's own and are not shortened for the test, so the drill takes what they take: ≈2.5 min to fire,
 * ≈1–1.5 min to resolve. Recovery is made quick by diluting the 5-minute failure ratio with successful
 * (cached) queries instead of waiting for the failures to leave the window.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { AlertReceiver, planWebhook, type ReceivedAlert } from '../../lib/alert-receiver.ts';
import { Prometheus } from '../../lib/prometheus.ts';
import { projectContainers } from '../../lib/docker.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import type { TestInfo } from '@playwright/test';
import { getContainerRuntimeClient } from 'testcontainers';

/** The outage: which service is stopped, and the two alerts it must cause. */
const STOPPED = 'ollama';
const isServiceUnavailable = (a: ReceivedAlert) => a.labels.alertname === 'ServiceUnavailable' && (a.labels.service === STOPPED || a.labels.job === STOPPED);
const isQueryFailureRate = (a: ReceivedAlert) => a.labels.alertname === 'HighQueryFailureRate';
/** The rule's threshold is 5 %: after recovery, this many successes per failure bring the ratio well below it. */
const SUCCESSES_PER_FAILURE = 25;

let receiver: AlertReceiver | undefined;
let receiverProblem: string | undefined;
interface Outage {
  stoppedAt: number;
  recoveredAt?: number;
  statuses: Record<number, number>;
  fired: Partial<Record<'ServiceUnavailable' | 'HighQueryFailureRate', ReceivedAlert>>;
  problem?: string;
}
let outage: Outage | undefined;

test.beforeAll(async ({ target, secrets }) => {
  if (target.mode === 'live') return;
  const plan = planWebhook(secrets.get('ALERT_WEBHOOK_URL'));
  if (plan.problem) {
    receiverProblem = plan.problem;
    return;
  }
  try {
    receiver = await AlertReceiver.listen(plan.port, plan.path);
  } catch (e) {
    receiverProblem = (e as Error).message;
  }
});

test.afterAll(async () => {
  await receiver?.close();
});

function precondition(target: TargetView, testInfo: TestInfo): AlertReceiver | undefined {
  if (target.mode === 'live') {
    notVerified(testInfo, 'live: alerts are proven end to end by stopping a container, which only hermetic/compose runs do; run against a compose copy of the deployment (RAG_COMPOSE_DIR)');
    return undefined;
  }
  expect(receiverProblem, `the webhook receiver cannot be reached by Alertmanager: ${receiverProblem}`).toBeUndefined();
  return receiver;
}

async function container(name: string) {
  return (await getContainerRuntimeClient()).container.dockerode.getContainer(name);
}

async function waitHealthy(project: string, service: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c = (await projectContainers(project)).find((x) => x.service === service);
    if (c?.running && (!c.health || c.health === 'healthy')) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`${service} did not become healthy within ${timeoutMs / 1000} s after being started again`);
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const log = (rx: AlertReceiver) => rx.alerts.map((a) => `${new Date(a.receivedAt).toISOString()} ${a.status} ${a.labels.alertname} ${JSON.stringify(a.labels)}`).join('\n') || '(none)';

test('an Ollama outage makes queries fail, fires HighQueryFailureRate and Alertmanager delivers it to the webhook receiver', verifies('MON-ALERTS-4', 'MON-GRAFANA-4'), async ({ target, http, evidence }, testInfo) => {
  test.setTimeout(8 * 60_000);
  const rx = precondition(target, testInfo);
  if (!rx) return;
  const backend = target.url('backend')!;
  const name = target.container(STOPPED);
  expect(name, `the deployment has no ${STOPPED} container to stop`).toBeTruthy();
  const c = await container(name!);
  const o: Outage = { stoppedAt: Date.now(), statuses: {}, fired: {} };
  outage = o;
  const firing = (is: (a: ReceivedAlert) => boolean) => (a: ReceivedAlert) => is(a) && a.status === 'firing' && a.receivedAt >= o.stoppedAt;
  const firedHq = firing(isQueryFailureRate);
  const firedSu = firing(isServiceUnavailable);
  await c.stop({ t: 2 });
  try {
    // Distinct questions (no cache hit), one every 2 s, until both alerts arrive or 5 minutes pass.
    let i = 0;
    const deadline = o.stoppedAt + 5 * 60_000;
    while (!(o.fired.HighQueryFailureRate && o.fired.ServiceUnavailable) && Date.now() < deadline) {
      const ex = await http.fetch(`${backend}/query`, { json: { question: `Which model answers alert probe ${o.stoppedAt}-${i++}?` }, timeoutMs: 20_000 }).catch(() => undefined);
      if (ex) o.statuses[ex.status] = (o.statuses[ex.status] ?? 0) + 1;
      // Paces the queries: returns early when one of the awaited alerts arrives.
      await rx.waitFor((a) => (!o.fired.HighQueryFailureRate && firedHq(a)) || (!o.fired.ServiceUnavailable && firedSu(a)), 2_000);
      o.fired.HighQueryFailureRate ??= rx.alerts.find(firedHq);
      o.fired.ServiceUnavailable ??= rx.alerts.find(firedSu);
    }
  } finally {
    await c.start().catch((e) => (o.problem = `could not start ${STOPPED} again: ${(e as Error).message}`));
  }
  await waitHealthy(target.raw.projectName!, STOPPED, 60_000);
  o.recoveredAt = Date.now();
  // Recovery: successful queries (the same question, so all but the first come from the cache) until the
  // failures are under 1/SUCCESSES_PER_FAILURE of the window's queries.
  const failures = Object.entries(o.statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, k]) => n + k, 0);
  const wanted = Math.max(100, failures * SUCCESSES_PER_FAILURE);
  let ok = 0;
  const first = await http.fetch(`${backend}/query`, { json: { question: 'What documents are available?' }, timeoutMs: 30_000 }).catch(() => undefined);
  if (first?.status === 200) {
    ok = 1;
    for (let sent = 1; sent < wanted; sent += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, wanted - sent) }, () => http.fetch(`${backend}/query`, { json: { question: 'What documents are available?' }, timeoutMs: 20_000 }).catch(() => undefined)));
      ok += batch.filter((r) => r?.status === 200).length;
    }
  }
  await evidence('queries sent while Ollama was stopped (status: count)', JSON.stringify(o.statuses));
  await evidence('recovery', `${STOPPED} healthy again ${fmt(o.recoveredAt - o.stoppedAt)} after it was stopped; ${ok} of ${wanted} recovery queries answered 200`);
  await evidence('alerts received', log(rx));
  expect(o.problem, `the Ollama outage did not run as planned: ${o.problem}`).toBeUndefined();
  expect(failures, `queries should fail with 5xx while Ollama is stopped; got ${JSON.stringify(o.statuses)}`).toBeGreaterThan(0);
  expect(o.fired.HighQueryFailureRate, `HighQueryFailureRate was not delivered to the webhook within 5 minutes of Ollama stopping (queries: ${JSON.stringify(o.statuses)})`).toBeDefined();
  annotate.measured(testInfo, `HighQueryFailureRate delivered ${fmt(o.fired.HighQueryFailureRate!.receivedAt - o.stoppedAt)} after Ollama stopped and queries began failing (rule for: 2m)`);
  annotate.figure(testInfo, { key: 'alert.HighQueryFailureRate.fire_s', value: (o.fired.HighQueryFailureRate!.receivedAt - o.stoppedAt) / 1000, unit: 's', better: 'lower' });
  expect(ok, `after recovery only ${ok} of ${wanted} queries were answered 200, so the system has not recovered`).toBe(wanted);
});

test('the stopped service fires ServiceUnavailable and Alertmanager delivers it to the webhook receiver', verifies('MON-ALERTS-3', 'MON-GRAFANA-4'), async ({ target, evidence }, testInfo) => {
  const rx = precondition(target, testInfo);
  if (!rx) return;
  expect(outage, `the ${STOPPED} outage of the test before did not take place, so nothing could fire`).toBeDefined();
  await evidence('alerts received', log(rx));
  const fired = outage!.fired.ServiceUnavailable;
  expect(fired, `ServiceUnavailable{service="${STOPPED}"} was not delivered to the webhook within 5 minutes of stopping ${STOPPED} (it is probed by the blackbox exporter; rule: probe_success == 0 for 1m)`).toBeDefined();
  annotate.measured(testInfo, `ServiceUnavailable{service="${STOPPED}"} delivered ${fmt(fired!.receivedAt - outage!.stoppedAt)} after ${STOPPED} stopped (rule for: 1m, scrape/evaluation 15 s, group_wait 10 s)`);
  annotate.figure(testInfo, { key: 'alert.ServiceUnavailable.fire_s', value: (fired!.receivedAt - outage!.stoppedAt) / 1000, unit: 's', better: 'lower' });
});

test('both alerts resolve after recovery and the resolution is delivered', verifies('MON-ALERTS-3', 'MON-ALERTS-4', 'MON-GRAFANA-4'), async ({ target, evidence }, testInfo) => {
  test.setTimeout(5 * 60_000);
  const rx = precondition(target, testInfo);
  if (!rx) return;
  const fired = Object.entries(outage?.fired ?? {}).filter(([, a]) => a) as Array<[string, ReceivedAlert]>;
  expect(fired.length, 'no alert fired earlier in this file, so there is nothing to resolve').toBeGreaterThan(0);
  // Resolved notifications leave at the group's next flush (group_interval 1m) once Prometheus stops firing.
  const since = outage!.recoveredAt ?? outage!.stoppedAt;
  const deadline = Date.now() + 4 * 60_000;
  const resolved: Record<string, ReceivedAlert | undefined> = {};
  for (const [n] of fired) {
    const same = (r: ReceivedAlert) => r.labels.alertname === n && r.status === 'resolved' && r.receivedAt >= since && (n !== 'ServiceUnavailable' || isServiceUnavailable(r));
    resolved[n] = await rx.waitFor(same, Math.max(0, deadline - Date.now()));
  }
  await evidence('alerts received', log(rx));
  for (const [n] of fired) {
    const r = resolved[n];
    if (r) annotate.measured(testInfo, `${n} resolution delivered ${fmt(r.receivedAt - since)} after recovery`);
    if (r) annotate.figure(testInfo, { key: `alert.${n}.resolve_s`, value: (r.receivedAt - since) / 1000, unit: 's', better: 'lower' });
  }
  expect(fired.map(([n]) => n).filter((n) => !resolved[n])).toHaveNoProblems('alerts whose resolution was not delivered within 4 minutes of recovery');
});

test('service unavailability is visible to Prometheus for every running service', verifies('MON-ALERTS-3'), async ({ target, http, evidence }, testInfo) => {
  const url = target.url('prometheus');
  if (!url) return notVerified(testInfo, `${target.mode}: Prometheus is not reachable from here; set RAG_PROMETHEUS_URL`);
  const project = target.raw.projectName;
  if (!project || target.mode === 'live') return notVerified(testInfo, 'live: the deployment\'s containers are not visible from here, so the services without an availability signal cannot be listed');
  const prom = new Prometheus(url, target.adminAuth(), http);
  // A scraped service reports through its own `up`; a probed one through probe_success (the blackbox
  // exporter's own `up` stays 1 while its probe fails, so it does not count).
  const up = (await prom.query('up')).filter((s) => s.metric.job !== 'blackbox');
  const probes = await prom.query('probe_success');
  const watched = new Set([...up, ...probes].flatMap((s) => [s.metric.job ?? '', s.metric.service ?? '']));
  const running = (await projectContainers(project)).filter((c) => c.running).map((c) => c.service);
  const blind = running.filter((s) => !watched.has(s));
  await evidence('availability signals', [`up / probe_success series: ${[...watched].filter(Boolean).join(', ')}`, `running services: ${running.join(', ')}`, `no availability signal: ${blind.join(', ') || 'none'}`].join('\n'));
  expect(blind).toHaveNoProblems('services ServiceUnavailable can never report (Prometheus scrapes nothing of theirs: add a blackbox probe or a per-component up gauge)');
});
