/**
 * Post-Deployment Monitoring › Alert Configuration, end to end: a failure is caused for real, Prometheus fires
 * the alert, Alertmanager delivers it to a webhook receiver that this spec runs on the Docker host
 * (ALERT_WEBHOOK_URL in .env.production = http://host.docker.internal:<port>/<path>), and the resolution is
 * delivered after recovery. Hermetic and compose modes only (it stops containers).
 *
 * Order (one worker, serial): query failures first (their resolution takes longest: the rule reads a 5 m rate),
 * then a stopped service, then the wait for both resolved notifications.
 */
import { test, expect, verifies, notVerified } from '../../fixtures/index.ts';
import { AlertReceiver, planWebhook, type ReceivedAlert } from '../../fixtures/alert-receiver.ts';
import { Prometheus } from '../../fixtures/prometheus.ts';
import { projectContainers } from '../../fixtures/docker.ts';
import type { TargetView } from '../../fixtures/target.ts';
import type { TestInfo } from '@playwright/test';
import { getContainerRuntimeClient } from 'testcontainers';

let receiver: AlertReceiver | undefined;
let receiverProblem: string | undefined;
const firedAt: Record<string, { stoppedAt: number; fired?: ReceivedAlert; recoveredAt?: number }> = {};

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
    notVerified(testInfo, 'live: alerts are proven end to end by stopping containers, which only hermetic/compose runs do; run against a compose copy of the deployment (RAG_COMPOSE_DIR)');
    return undefined;
  }
  expect(receiverProblem, `the webhook receiver cannot be reached by Alertmanager: ${receiverProblem}`).toBeUndefined();
  return receiver;
}

async function container(name: string) {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  return (await getContainerRuntimeClient()).container.dockerode.getContainer(name);
}

async function waitHealthy(project: string, service: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c = (await projectContainers(project)).find((x) => x.service === service);
    if (c?.running && (!c.health || c.health === 'healthy')) return;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  throw new Error(`${service} did not become healthy within ${timeoutMs / 1000} s after being started again`);
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}

test('query failures fire HighQueryFailureRate and Alertmanager delivers it to the webhook receiver', verifies('MON-ALERTS-4', 'MON-GRAFANA-4'), async ({ target, http, evidence }, testInfo) => {
  test.setTimeout(8 * 60_000);
  const rx = precondition(target, testInfo);
  if (!rx) return;
  const backend = target.url('backend')!;
  const ollama = target.container('ollama')!;
  const c = await container(ollama);
  const stoppedAt = Date.now();
  await c.stop({ t: 2 });
  firedAt.HighQueryFailureRate = { stoppedAt };
  const statuses: Record<number, number> = {};
  let fired: ReceivedAlert | undefined;
  try {
    // Distinct questions (no cache hit), one every 2 s, until the alert arrives or 5 minutes pass.
    let i = 0;
    const deadline = stoppedAt + 5 * 60_000;
    while (!fired && Date.now() < deadline) {
      const ex = await http.fetch(`${backend}/query`, { json: { question: `Which model answers alert probe ${stoppedAt}-${i++}?` }, timeoutMs: 20_000 }).catch(() => undefined);
      if (ex) statuses[ex.status] = (statuses[ex.status] ?? 0) + 1;
      fired = await rx.waitFor((a) => a.labels.alertname === 'HighQueryFailureRate' && a.status === 'firing' && a.receivedAt >= stoppedAt, 2_000);
    }
  } finally {
    await c.start().catch(() => undefined);
  }
  await waitHealthy(target.raw.projectName!, 'ollama', 60_000);
  firedAt.HighQueryFailureRate.recoveredAt = Date.now();
  await evidence('queries sent while Ollama was stopped (status: count)', JSON.stringify(statuses));
  await evidence('alerts received', rx.alerts.map((a) => `${new Date(a.receivedAt).toISOString()} ${a.status} ${a.labels.alertname} ${JSON.stringify(a.labels)}`).join('\n') || '(none)');
  const failed = Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, k]) => n + k, 0);
  expect(failed, `queries should fail with 5xx while Ollama is stopped; got ${JSON.stringify(statuses)}`).toBeGreaterThan(0);
  expect(fired, `HighQueryFailureRate was not delivered to the webhook within 5 minutes of Ollama stopping (queries: ${JSON.stringify(statuses)})`).toBeDefined();
  firedAt.HighQueryFailureRate.fired = fired;
  testInfo.annotations.push({ type: 'time-to-fire', description: `HighQueryFailureRate delivered ${fmt(fired!.receivedAt - stoppedAt)} after Ollama stopped and queries began failing (rule for: 2m)` });
  // Recovery: ordinary successful traffic; the failure ratio over 5 m falls below 5 % after enough successes.
  for (let i = 0; i < 60; i++) await http.fetch(`${backend}/query`, { json: { question: 'What documents are available?' }, timeoutMs: 20_000 }).catch(() => undefined);
});

test('a stopped service fires ServiceUnavailable and Alertmanager delivers it to the webhook receiver', verifies('MON-ALERTS-3', 'MON-GRAFANA-4'), async ({ target, evidence }, testInfo) => {
  test.setTimeout(6 * 60_000);
  const rx = precondition(target, testInfo);
  if (!rx) return;
  const name = target.container('rag-backend')!;
  const c = await container(name);
  const stoppedAt = Date.now();
  await c.stop({ t: 2 });
  firedAt.ServiceUnavailable = { stoppedAt };
  let fired: ReceivedAlert | undefined;
  try {
    fired = await rx.waitFor((a) => a.labels.alertname === 'ServiceUnavailable' && a.labels.job === 'rag-backend' && a.status === 'firing' && a.receivedAt >= stoppedAt, 4 * 60_000);
  } finally {
    await c.start().catch(() => undefined);
  }
  await waitHealthy(target.raw.projectName!, 'rag-backend', 90_000);
  firedAt.ServiceUnavailable.recoveredAt = Date.now();
  await evidence('alerts received', rx.alerts.map((a) => `${new Date(a.receivedAt).toISOString()} ${a.status} ${a.labels.alertname} ${JSON.stringify(a.labels)}`).join('\n') || '(none)');
  expect(fired, 'ServiceUnavailable{job="rag-backend"} was not delivered to the webhook within 4 minutes of stopping rag-backend').toBeDefined();
  firedAt.ServiceUnavailable.fired = fired;
  testInfo.annotations.push({ type: 'time-to-fire', description: `ServiceUnavailable delivered ${fmt(fired!.receivedAt - stoppedAt)} after rag-backend stopped (rule for: 1m, scrape/evaluation 15 s, group_wait 10 s)` });
});

test('both alerts resolve after recovery and the resolution is delivered', verifies('MON-ALERTS-3', 'MON-ALERTS-4', 'MON-GRAFANA-4'), async ({ target, evidence }, testInfo) => {
  test.setTimeout(6 * 60_000);
  const rx = precondition(target, testInfo);
  if (!rx) return;
  const names = Object.keys(firedAt).filter((n) => firedAt[n]!.fired);
  expect(names.length, 'no alert fired earlier in this file, so there is nothing to resolve').toBeGreaterThan(0);
  // Resolved notifications leave at the group's next flush (group_interval 1m) once Prometheus stops firing.
  const deadline = Date.now() + 5 * 60_000;
  const resolved: Record<string, ReceivedAlert | undefined> = {};
  for (const n of names) {
    const since = firedAt[n]!.recoveredAt ?? 0;
    resolved[n] = await rx.waitFor((a) => a.labels.alertname === n && a.status === 'resolved' && a.receivedAt >= since, Math.max(0, deadline - Date.now()));
  }
  await evidence('alerts received', rx.alerts.map((a) => `${new Date(a.receivedAt).toISOString()} ${a.status} ${a.labels.alertname} ${JSON.stringify(a.labels)}`).join('\n'));
  for (const n of names) {
    const r = resolved[n];
    if (r) testInfo.annotations.push({ type: 'time-to-resolve', description: `${n} resolution delivered ${fmt(r.receivedAt - firedAt[n]!.recoveredAt!)} after recovery` });
  }
  expect(names.filter((n) => !resolved[n]), 'alerts whose resolution was not delivered within 5 minutes of recovery').toEqual([]);
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
  expect(blind, 'services whose unavailability ServiceUnavailable (up == 0 or probe_success == 0) can never report, because Prometheus scrapes nothing of theirs: add a probe (blackbox exporter, or a per-component up gauge exported by the backend) for each').toEqual([]);
});
