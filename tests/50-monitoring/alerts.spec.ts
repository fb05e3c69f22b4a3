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
 *
 * The alerts are the deployment's rules for the checklist's two lines, matched by what they measure (any name).
 * The drill stops waiting for an alert once its cause is known (no rule, a rule not loaded, a series Prometheus
 * does not have, fired but not delivered), and keeps what it found in a file beside the results: the tests after
 * it judge the outage that took place, or say "blocked: MON-ALERTS-4 – <cause>" when it did not.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { AlertReceiver, planWebhook, type ReceivedAlert } from '../../lib/alert-receiver.ts';
import { Prometheus, metricNamesIn } from '../../lib/prometheus.ts';
import { projectContainers } from '../../lib/docker.ts';
import { checklistAlertPlan, describeAlertMatch } from '../../checks/monitoring-config.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import type { TestInfo } from '@playwright/test';
import { getContainerRuntimeClient } from 'testcontainers';

/** The outage: which service is stopped, and the two checklist alerts it must cause (by the contract's names, with the line each decides). */
const STOPPED = 'ollama';
type DrillAlert = 'HighQueryFailureRate' | 'ServiceUnavailable';
const DRILL_ALERTS: Record<DrillAlert, string> = { HighQueryFailureRate: 'MON-ALERTS-4', ServiceUnavailable: 'MON-ALERTS-3' };
/** The line of the test that causes the outage (the others depend on it). */
const OUTAGE_LINE = 'MON-ALERTS-4';
/** The rule's threshold is 5 %: after recovery, this many successes per failure bring the ratio well below it. */
const SUCCESSES_PER_FAILURE = 25;
/** How long an alert Prometheus fires may take to reach the webhook (group_wait 10 s, group_interval 1 m, retries) before its delivery counts as failed. */
const DELIVERY_GRACE_MS = 90_000;
/** How often the drill asks Prometheus whether the awaited alerts can still come (their series exist, their state). */
const DIAGNOSE_EVERY_MS = 10_000;

/** A label value that names the stopped service (service="ollama", job="ollama", instance="http://ollama:11434"). */
const namesStopped = (v: string) => new RegExp(`(^|[/_.-])${STOPPED}([:/_.-]|$)`).test(v);

/**
 * What the outage test found, kept in a file beside the results: a failed test ends its worker, and the tests after
 * it run in a new one, so they read the outage from here instead of assuming it did not happen.
 */
interface Drill {
  /** The deployment's rules for each alert: the alert names to wait for, and where they came from. */
  watch: Partial<Record<DrillAlert, { names: string[]; series: string[]; rule: string }>>;
  stoppedAt?: number;
  recoveredAt?: number;
  statuses: Record<number, number>;
  fired: Partial<Record<DrillAlert, ReceivedAlert>>;
  /** Why an alert cannot come or did not come, once known. */
  causes: Partial<Record<DrillAlert, string>>;
  /** Why the outage did not take place. */
  notStarted?: string;
  /** Why the system did not recover from it. */
  problem?: string;
}

const drillFile = (testInfo: TestInfo) => join(testInfo.project.outputDir, 'alert-drill.json');
function saveDrill(testInfo: TestInfo, d: Drill): void {
  mkdirSync(testInfo.project.outputDir, { recursive: true });
  writeFileSync(drillFile(testInfo), JSON.stringify(d));
}
const loadDrill = (testInfo: TestInfo): Drill | undefined => (existsSync(drillFile(testInfo)) ? (JSON.parse(readFileSync(drillFile(testInfo), 'utf8')) as Drill) : undefined);

/** "blocked: MON-ALERTS-4 – <cause>" when the outage the dependent tests judge did not take place; undefined when it did. */
function blockedBy(d: Drill | undefined): string | undefined {
  if (!d) return `blocked: ${OUTAGE_LINE} – the ${STOPPED} outage test did not run before this one`;
  if (d.stoppedAt === undefined) return `blocked: ${OUTAGE_LINE} – ${d.notStarted ?? `the ${STOPPED} outage did not start`}`;
  return undefined;
}

let receiver: AlertReceiver | undefined;
let receiverProblem: string | undefined;

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

/** Whether a received alert is one of the drill's (by the names of the deployment's rules for it). */
function isDrillAlert(d: Drill, key: DrillAlert, a: ReceivedAlert): boolean {
  if (!(d.watch[key]?.names ?? []).includes(a.labels.alertname ?? '')) return false;
  return key !== 'ServiceUnavailable' || Object.values(a.labels).some(namesStopped);
}

/**
 * The deployment's rules for the two alerts (matched by what they measure; checks/monitoring-config.ts) and what
 * is known before waiting: no rule, or a rule Prometheus has not loaded, cannot fire.
 */
async function planDrill(target: TargetView, prom: Prometheus, d: Drill): Promise<void> {
  const loaded = await prom.rules();
  const plan = checklistAlertPlan(target.raw.deployDir, target.profile, loaded);
  for (const key of Object.keys(DRILL_ALERTS) as DrillAlert[]) {
    const m = plan.matches.find((x) => x.want.alert === key)!;
    if (!m.rule) {
      d.causes[key] = `${key} cannot fire: ${[...m.problems, ...plan.problems].join('; ')}`;
      continue;
    }
    const names = [m.rule, ...m.also].map((r) => r.alert);
    const running = loaded.filter((r) => r.type === 'alerting' && names.includes(r.name));
    const series = running.flatMap((r) => {
      try {
        return metricNamesIn(r.query);
      } catch {
        return []; // PromQL the gate's parser does not read: its series are not checked before waiting
      }
    });
    d.watch[key] = { names, series: [...new Set(series)], rule: `${describeAlertMatch(m)}; from ${plan.from}` };
    if (running.length === 0) d.causes[key] = `${key} cannot fire: its rule ${names.join(', ')} (${m.rule.file}) is not loaded in Prometheus (/api/v1/rules)`;
  }
}

/**
 * While waiting: an awaited alert whose series Prometheus does not have at all (its job up and scraped since the
 * outage began) can never fire; one that Prometheus has fired for longer than DELIVERY_GRACE_MS without reaching the
 * webhook was not delivered by Alertmanager. Either is the cause, and the drill stops waiting for that alert.
 */
async function diagnose(prom: Prometheus, d: Drill, since: number, firingSince: Partial<Record<DrillAlert, number>>): Promise<void> {
  const waiting = (Object.keys(DRILL_ALERTS) as DrillAlert[]).filter((k) => !d.fired[k] && !d.causes[k]);
  if (waiting.length === 0) return;
  const active = await prom.alerts().catch(() => []);
  for (const key of waiting) {
    const w = d.watch[key]!;
    const absent = (await prom.seriesPresence(w.series, since).catch(() => [])).filter((p) => p.final);
    if (absent.length) {
      d.causes[key] = `${key} can never fire: ${absent.map((p) => p.missing).join('; ')}`;
      continue;
    }
    const firing = active.find((a) => a.state === 'firing' && w.names.includes(a.labels.alertname ?? '') && (key !== 'ServiceUnavailable' || Object.values(a.labels).some(namesStopped)));
    if (firing) firingSince[key] ??= Date.now();
    if (firingSince[key] !== undefined && Date.now() - firingSince[key]! > DELIVERY_GRACE_MS) {
      d.causes[key] = `Prometheus has fired ${firing?.labels.alertname ?? w.names[0]} since ${firing?.activeAt ?? 'earlier'}, but Alertmanager did not deliver it to the webhook within ${fmt(DELIVERY_GRACE_MS)}`;
    }
  }
}

test('an Ollama outage makes queries fail, fires HighQueryFailureRate and Alertmanager delivers it to the webhook receiver', verifies('MON-ALERTS-4', 'MON-GRAFANA-4'), async ({ target, http, evidence }, testInfo) => {
  test.setTimeout(8 * 60_000);
  const d: Drill = { watch: {}, statuses: {}, fired: {}, causes: {} };
  saveDrill(testInfo, { ...d, notStarted: 'the outage test ended before stopping the service' });
  const rx = precondition(target, testInfo);
  if (!rx) return saveDrill(testInfo, { ...d, notStarted: 'not verified here (live mode)' });
  const backend = target.url('backend')!;
  const promUrl = target.url('prometheus');
  const name = target.container(STOPPED);
  let prom: Prometheus;
  let c: Awaited<ReturnType<typeof container>>;
  try {
    expect(name, `the deployment has no ${STOPPED} container to stop`).toBeTruthy();
    expect(promUrl, 'Prometheus is not reachable from here, so its alerts cannot be followed').toBeTruthy();
    prom = new Prometheus(promUrl!, target.adminAuth(), http);
    await planDrill(target, prom, d);
    for (const key of Object.keys(DRILL_ALERTS) as DrillAlert[]) if (d.watch[key]) annotate.info(testInfo, d.watch[key]!.rule);
    c = await container(name!);
    await c.stop({ t: 2 });
  } catch (e) {
    saveDrill(testInfo, { ...d, notStarted: `the ${STOPPED} outage did not start: ${(e as Error).message.split('\n')[0]}` });
    throw e;
  }
  d.stoppedAt = Date.now();
  saveDrill(testInfo, d);
  const firing = (key: DrillAlert) => (a: ReceivedAlert) => isDrillAlert(d, key, a) && a.status === 'firing' && a.receivedAt >= d.stoppedAt!;
  const awaited = () => (Object.keys(DRILL_ALERTS) as DrillAlert[]).filter((k) => !d.fired[k] && !d.causes[k]);
  const firingSince: Partial<Record<DrillAlert, number>> = {};
  try {
    // Distinct questions (no cache hit), one every 2 s, until both alerts arrive, their cause is known or 5 minutes pass.
    let i = 0;
    let diagnosed = d.stoppedAt;
    const deadline = d.stoppedAt + 5 * 60_000;
    while (awaited().length && Date.now() < deadline) {
      const ex = await http.fetch(`${backend}/query`, { json: { question: `Which model answers alert probe ${d.stoppedAt}-${i++}?` }, timeoutMs: 20_000 }).catch(() => undefined);
      if (ex) d.statuses[ex.status] = (d.statuses[ex.status] ?? 0) + 1;
      // Paces the queries: returns early when one of the awaited alerts arrives.
      await rx.waitFor((a) => awaited().some((k) => firing(k)(a)), 2_000);
      for (const k of Object.keys(DRILL_ALERTS) as DrillAlert[]) d.fired[k] ??= rx.alerts.find(firing(k));
      if (Date.now() - diagnosed >= DIAGNOSE_EVERY_MS) {
        diagnosed = Date.now();
        await diagnose(prom, d, d.stoppedAt, firingSince);
      }
      saveDrill(testInfo, d);
    }
    for (const k of awaited()) d.causes[k] = `${k} (${d.watch[k]?.names.join(', ')}) was not delivered to the webhook within 5 minutes of ${STOPPED} stopping${firingSince[k] ? '' : '; Prometheus did not fire it either'} (queries: ${JSON.stringify(d.statuses)})`;
  } finally {
    await c.start().catch((e) => (d.problem = `could not start ${STOPPED} again: ${(e as Error).message}`));
    saveDrill(testInfo, d);
  }
  try {
    await waitHealthy(target.raw.projectName!, STOPPED, 60_000);
  } catch (e) {
    d.problem ??= (e as Error).message;
    saveDrill(testInfo, d);
    throw e;
  }
  d.recoveredAt = Date.now();
  const restartProblem = d.problem;
  saveDrill(testInfo, d);
  // Recovery: successful queries (the same question, so all but the first come from the cache) until the
  // failures are under 1/SUCCESSES_PER_FAILURE of the window's queries.
  const failures = Object.entries(d.statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, k]) => n + k, 0);
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
  if (ok < wanted) {
    d.problem = `after recovery only ${ok} of ${wanted} queries were answered 200, so the system has not recovered`;
    saveDrill(testInfo, d);
  }
  await evidence('queries sent while Ollama was stopped (status: count)', JSON.stringify(d.statuses));
  await evidence('recovery', `${STOPPED} healthy again ${fmt(d.recoveredAt - d.stoppedAt)} after it was stopped; ${ok} of ${wanted} recovery queries answered 200`);
  await evidence('alerts received', log(rx));
  expect(restartProblem, `the Ollama outage did not run as planned: ${restartProblem}`).toBeUndefined();
  expect(failures, `queries should fail with 5xx while Ollama is stopped; got ${JSON.stringify(d.statuses)}`).toBeGreaterThan(0);
  const hq = d.fired.HighQueryFailureRate;
  expect(hq, d.causes.HighQueryFailureRate).toBeDefined();
  annotate.measured(testInfo, `${hq!.labels.alertname} (HighQueryFailureRate) delivered ${fmt(hq!.receivedAt - d.stoppedAt)} after Ollama stopped and queries began failing`);
  annotate.figure(testInfo, { key: 'alert.HighQueryFailureRate.fire_s', value: (hq!.receivedAt - d.stoppedAt) / 1000, unit: 's', better: 'lower' });
  expect(ok, `after recovery only ${ok} of ${wanted} queries were answered 200, so the system has not recovered`).toBe(wanted);
});

test('the stopped service fires ServiceUnavailable and Alertmanager delivers it to the webhook receiver', verifies('MON-ALERTS-3', 'MON-GRAFANA-4'), async ({ target, evidence }, testInfo) => {
  const rx = precondition(target, testInfo);
  if (!rx) return;
  const d = loadDrill(testInfo);
  const blocked = blockedBy(d);
  expect(blocked, blocked).toBeUndefined();
  if (d!.watch.ServiceUnavailable) annotate.info(testInfo, d!.watch.ServiceUnavailable.rule);
  await evidence('alerts received', `${log(rx)}\n\nrecorded by the outage test: ${JSON.stringify(d!.fired, null, 2)}`);
  const fired = d!.fired.ServiceUnavailable;
  expect(fired, d!.causes.ServiceUnavailable ?? `ServiceUnavailable{service="${STOPPED}"} was not delivered to the webhook`).toBeDefined();
  annotate.measured(testInfo, `${fired!.labels.alertname}{service="${STOPPED}"} (ServiceUnavailable) delivered ${fmt(fired!.receivedAt - d!.stoppedAt!)} after ${STOPPED} stopped`);
  annotate.figure(testInfo, { key: 'alert.ServiceUnavailable.fire_s', value: (fired!.receivedAt - d!.stoppedAt!) / 1000, unit: 's', better: 'lower' });
});

test('both alerts resolve after recovery and the resolution is delivered', verifies('MON-ALERTS-3', 'MON-ALERTS-4', 'MON-GRAFANA-4'), async ({ target, evidence }, testInfo) => {
  test.setTimeout(5 * 60_000);
  const rx = precondition(target, testInfo);
  if (!rx) return;
  const d = loadDrill(testInfo);
  const blocked = blockedBy(d) ?? (d!.problem ? `blocked: ${OUTAGE_LINE} – ${d!.problem}` : undefined);
  expect(blocked, blocked).toBeUndefined();
  const keys = Object.keys(DRILL_ALERTS) as DrillAlert[];
  // An alert that never fired cannot resolve: its line and cause, at once.
  const notFired = keys.filter((k) => !d!.fired[k]).map((k) => `blocked: ${DRILL_ALERTS[k]} – ${d!.causes[k] ?? `${k} was not delivered`}`);
  const fired = keys.filter((k) => d!.fired[k]);
  // Resolved notifications leave at the group's next flush (group_interval 1m) once Prometheus stops firing.
  const since = d!.recoveredAt ?? d!.stoppedAt!;
  const deadline = Date.now() + 4 * 60_000;
  const resolved: Partial<Record<DrillAlert, ReceivedAlert>> = {};
  for (const k of fired) {
    const name = d!.fired[k]!.labels.alertname;
    resolved[k] = await rx.waitFor((r) => r.labels.alertname === name && r.status === 'resolved' && r.receivedAt >= since && isDrillAlert(d!, k, r), Math.max(0, deadline - Date.now()));
  }
  await evidence('alerts received', log(rx));
  for (const k of fired) {
    const r = resolved[k];
    if (r) annotate.measured(testInfo, `${r.labels.alertname} (${k}) resolution delivered ${fmt(r.receivedAt - since)} after recovery`);
    if (r) annotate.figure(testInfo, { key: `alert.${k}.resolve_s`, value: (r.receivedAt - since) / 1000, unit: 's', better: 'lower' });
  }
  expect([...notFired, ...fired.filter((k) => !resolved[k]).map((k) => `${d!.fired[k]!.labels.alertname} (${k}): resolution not delivered within 4 minutes of recovery`)]).toHaveNoProblems('alerts whose resolution was not delivered');
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
