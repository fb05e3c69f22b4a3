/**
 * Post-Deployment Monitoring › Performance Monitoring (system and application metrics) and Alert Configuration
 * (rules loaded, promtool unit tests): what Prometheus sees, checked against its HTTP API.
 *
 * "Present and moving": every metric is read twice with an instant query, before and after this spec
 * generates traffic (queries, an upload, a few 4xx), and must have changed – a series that exists but
 * never moves is a dead exporter, not monitoring.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { Prometheus, generateTraffic, metricNamesIn, promtoolFailedAlerts, promtoolTestCases, promtoolTestRules } from '../../lib/prometheus.ts';
import { checkAlertRule, checklistAlertPlan, describeAlertMatch } from '../../checks/monitoring-config.ts';
import { containerResourceCoverage, hasMoved, movementProblems, outcomeLabelProblems, type MetricMovement, type Motion } from '../../checks/metrics.ts';
import { RagApi } from '../../lib/rag-api.ts';
import { projectContainers } from '../../lib/docker.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import type { HttpClient } from '../../lib/http.ts';

function prometheusOr(target: TargetView, http: HttpClient, testInfo: TestInfo): Prometheus | undefined {
  const url = target.url('prometheus');
  if (!url) {
    notVerified(testInfo, `${target.mode}: Prometheus (9090) is not reachable from here; set RAG_PROMETHEUS_URL (and the admin credentials in RAG_ENV_FILE) to check it`);
    return undefined;
  }
  return new Prometheus(url, target.adminAuth(), http);
}

interface Probe {
  id: string;
  what: string;
  expr: string;
}

/** System metrics (gauges among them) must change between two reads; application counters must grow after the traffic. */
const motionOf = (p: Probe): Motion => (p.id.startsWith('MON-SYSMET') ? 'change' : 'grow');

const SYSTEM: Probe[] = [
  { id: 'MON-SYSMET-1', what: 'CPU time (node_cpu_seconds_total)', expr: 'sum(node_cpu_seconds_total)' },
  { id: 'MON-SYSMET-2', what: 'memory in use (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)', expr: 'sum(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)' },
  { id: 'MON-SYSMET-3', what: 'disk I/O (node_disk_read_bytes_total + node_disk_written_bytes_total)', expr: 'sum(node_disk_read_bytes_total) + sum(node_disk_written_bytes_total)' },
  { id: 'MON-SYSMET-4', what: 'network traffic (node_network_receive/transmit_bytes_total)', expr: 'sum(node_network_receive_bytes_total) + sum(node_network_transmit_bytes_total)' },
];

const APPLICATION: Probe[] = [
  { id: 'MON-APPMET-1', what: 'query response times (rag_query_duration_seconds_count)', expr: 'sum(rag_query_duration_seconds_count)' },
  { id: 'MON-APPMET-1', what: 'HTTP request latency (http_request_duration_seconds_count)', expr: 'sum(http_request_duration_seconds_count)' },
  { id: 'MON-APPMET-2', what: 'document processing times (rag_document_processing_seconds_count)', expr: 'sum(rag_document_processing_seconds_count)' },
  { id: 'MON-APPMET-3', what: 'HTTP errors (http_requests_total{status=~"4..|5.."})', expr: 'sum(http_requests_total{status=~"4..|5.."})' },
  { id: 'MON-APPMET-4', what: 'user activity: queries (rag_queries_total)', expr: 'sum(rag_queries_total)' },
  { id: 'MON-APPMET-5', what: 'throughput: requests (http_requests_total)', expr: 'sum(http_requests_total)' },
];

interface Movement extends MetricMovement {
  probe: Probe;
  /** Series of the probe that Prometheus does not have at all while their job is up and scraped since the traffic. */
  absent: string[];
}

const moved = (m: Movement) => hasMoved(m, motionOf(m.probe));

/**
 * Reads every probe, generates traffic once, waits for the next scrapes and reads again (shared by the tests).
 * Before waiting on, it asks Prometheus whether the series still missing exist at all: one that does not, while
 * the job exporting its namespace is up and was scraped after the traffic, is not waited for.
 */
let movementCache: Promise<{ moves: Movement[]; traffic: string[] }> | undefined;
function movements(prom: Prometheus, target: TargetView, http: HttpClient): Promise<{ moves: Movement[]; traffic: string[] }> {
  movementCache ??= (async () => {
    const probes = [...SYSTEM, ...APPLICATION];
    const before = await Promise.all(probes.map((p) => prom.scalarSum(p.expr)));
    const backend = target.url('backend');
    const traffic = backend ? await generateTraffic(new RagApi(http, backend, target.apiKey(), target.profile.api)) : [];
    const trafficDone = Date.now();
    const moves: Movement[] = probes.map((probe, i) => ({ probe, what: probe.what, before: before[i], absent: [] }));
    const deadline = Date.now() + 50_000; // scrape_interval 15 s: three scrapes at most
    for (;;) {
      await new Promise((r) => setTimeout(r, 5_000));
      const after = await Promise.all(probes.map((p) => prom.scalarSum(p.expr)));
      after.forEach((v, i) => (moves[i]!.after = v));
      const pending = moves.filter((m) => !moved(m));
      if (pending.length === 0 || Date.now() > deadline) break;
      const presence = await prom.seriesPresence([...new Set(pending.flatMap((m) => metricNamesIn(m.probe.expr)))], trafficDone);
      for (const m of pending) m.absent = presence.filter((p) => p.final && metricNamesIn(m.probe.expr).includes(p.series)).map((p) => p.missing!);
      if (pending.every((m) => m.absent.length > 0)) break;
    }
    return { moves, traffic };
  })();
  return movementCache;
}

function describeMoves(ms: Movement[]): string {
  return ms.map((m) => `${m.probe.what}: ${m.before ?? 'no series'} -> ${m.after ?? 'no series'}${moved(m) ? '' : '  (NOT MOVING)'}${m.absent.map((a) => `\n  ${a}`).join('')}`).join('\n');
}

test.describe('Prometheus: scrape targets, system and application metrics', () => {
  test('every scrape target is up', verifies('MON-SYSMET', 'MON-APPMET'), async ({ target, http, evidence }, testInfo) => {
    const prom = prometheusOr(target, http, testInfo);
    if (!prom) return;
    const targets = await prom.targets();
    await evidence('active targets', targets.map((t) => `${t.job} ${t.instance} ${t.health} ${t.lastError}`).join('\n'));
    expect(targets.length, 'Prometheus should have active scrape targets').toBeGreaterThan(0);
    for (const job of ['rag-backend', 'node-exporter']) expect(targets.map((t) => t.job), `a scrape job for ${job}`).toContain(job);
    const down = targets.filter((t) => t.health !== 'up');
    expect(down.map((t) => `${t.job} (${t.instance}): ${t.health} ${t.lastError}`)).toHaveNoProblems('scrape targets that are not up');
  });

  for (const id of ['MON-SYSMET-1', 'MON-SYSMET-2', 'MON-SYSMET-3', 'MON-SYSMET-4']) {
    const probe = SYSTEM.find((p) => p.id === id)!;
    test(`system metric present and moving: ${probe.what}`, verifies(id), async ({ target, http, evidence }, testInfo) => {
      const prom = prometheusOr(target, http, testInfo);
      if (!prom) return;
      const { moves } = await movements(prom, target, http);
      const mine = moves.filter((m) => m.probe.id === id);
      await evidence('before/after', describeMoves(mine));
      expect(mine.flatMap((m) => movementProblems(m, 'change'))).toHaveNoProblems('system metric present and moving', { evidence: 'before/after' });
    });
  }

  test('container resource consumption: memory and CPU series for every running container', verifies('MON-SYSMET-5'), async ({ target, http, evidence }, testInfo) => {
    const prom = prometheusOr(target, http, testInfo);
    if (!prom) return;
    // cAdvisor-style series name containers; without cAdvisor, process_* of a scraped service stands in for its container.
    const cadvisor = await prom.query('container_memory_usage_bytes{name!=""}');
    const proc = await prom.query('process_resident_memory_bytes');
    const cpu = await prom.query('rate(process_cpu_seconds_total[1m])');
    const jobsWithProcess = new Set(proc.map((s) => s.metric.job ?? ''));
    const jobsWithCpu = new Set(cpu.map((s) => s.metric.job ?? ''));
    const namesWithCadvisor = new Set(cadvisor.map((s) => s.metric.name ?? ''));
    const project = target.raw.projectName;
    const running = project ? (await projectContainers(project)).filter((c) => c.running) : [];
    if (running.length === 0) {
      const covered = [...jobsWithProcess].filter((j) => jobsWithCpu.has(j));
      if (cadvisor.length === 0 && covered.length === 0) {
        expect.soft(covered, 'Prometheus has neither cAdvisor container series nor process_* series of any service').not.toEqual([]);
      }
      return notVerified(testInfo, `${target.mode}: the deployment's containers are not visible from here, so coverage of every container cannot be checked; Prometheus has ${cadvisor.length} cAdvisor series and process_* for jobs ${covered.join(', ') || 'none'}`);
    }
    const { coverage, problems } = containerResourceCoverage(running, { cadvisorNames: namesWithCadvisor, processMemoryJobs: jobsWithProcess, processCpuJobs: jobsWithCpu });
    await evidence('coverage', [`cAdvisor container series: ${cadvisor.length}`, `process_* jobs: ${[...jobsWithProcess].join(', ')}`, ...coverage.map((c) => `${c.service}: ${c.how ?? 'NO resource series in Prometheus'}`)].join('\n'));
    const standIns = coverage.filter((c) => c.how?.startsWith('process_'));
    if (standIns.length) annotate.info(testInfo, `no cAdvisor: process_* of the scraped service stands in for container resource consumption of ${standIns.map((c) => c.service).join(', ')}`);
    expect(problems).toHaveNoProblems('containers whose memory/CPU Prometheus cannot see (add cAdvisor or an exporter)', { evidence: 'coverage' });
  });

  for (const id of ['MON-APPMET-1', 'MON-APPMET-2', 'MON-APPMET-3', 'MON-APPMET-4', 'MON-APPMET-5']) {
    const mineProbes = APPLICATION.filter((p) => p.id === id);
    test(`application metric present and moving after traffic: ${mineProbes.map((p) => p.what).join('; ')}`, verifies(id), async ({ target, http, evidence }, testInfo) => {
      const prom = prometheusOr(target, http, testInfo);
      if (!prom) return;
      if (!target.url('backend')) return notVerified(testInfo, `${target.mode}: the backend is not reachable from here, so no traffic can be generated to see the metrics move; set RAG_BACKEND_URL`);
      const { moves, traffic } = await movements(prom, target, http);
      const mine = moves.filter((m) => m.probe.id === id);
      await evidence('traffic generated', traffic.join('\n'));
      await evidence('before/after', describeMoves(mine));
      expect(mine.flatMap((m) => movementProblems(m, 'grow'))).toHaveNoProblems('application metric present and growing after the traffic', { evidence: 'before/after' });
      if (id === 'MON-APPMET-3') {
        // Error rates: the failure outcome must be a series of its own, so that a failure ratio can be computed.
        const outcomes = await prom.query('rag_queries_total');
        expect(outcomeLabelProblems('rag_queries_total', outcomes.map((s) => s.metric))).toHaveNoProblems('query outcomes for an error rate');
      }
    });
  }
});

/** The checklist's five alerts by their contract names (the titles); the deployment's rule for each is matched by what it measures. */
const ALERTS = [
  { id: 'MON-ALERTS-1', name: 'HighMemoryUsage' },
  { id: 'MON-ALERTS-2', name: 'HighCPUUsage' },
  { id: 'MON-ALERTS-3', name: 'ServiceUnavailable' },
  { id: 'MON-ALERTS-4', name: 'HighQueryFailureRate' },
  { id: 'MON-ALERTS-5', name: 'DocumentProcessingFailures' },
] as const;

test.describe('Alert rules', () => {
  let promtool: ReturnType<typeof promtoolTestRules> | undefined;

  for (const a of ALERTS) {
    test(`${a.name} is loaded, healthy and uses the checklist's threshold; its promtool unit tests pass`, verifies(a.id), async ({ target, http, evidence }, testInfo) => {
      const prom = prometheusOr(target, http, testInfo);
      if (!prom) return;
      const rules = await prom.rules();
      const plan = checklistAlertPlan(target.raw.deployDir, target.profile, rules);
      const match = plan.matches.find((m) => m.want.alert === a.name)!;
      annotate.info(testInfo, `${describeAlertMatch(match)}; from ${plan.from}`);
      await evidence('alerting rules loaded', rules.filter((r) => r.type === 'alerting').map((r) => `${r.name} [${r.health}] for ${r.duration ?? 0}s: ${r.query}${r.file ? ` (${r.file})` : ''}`).join('\n'));
      await evidence('checklist alerts matched', [`from ${plan.from}`, ...plan.problems.map((p) => `PROBLEM: ${p}`), ...plan.matches.flatMap((m) => [describeAlertMatch(m), ...m.details.map((d) => `  ${d}`), ...m.problems.map((p) => `  PROBLEM: ${p}`)])].join('\n'));
      expect([...match.problems, ...(match.rule ? [] : plan.problems)]).toHaveNoProblems(`the rule for "${match.want.line}"`, { evidence: 'checklist alerts matched' });
      const name = match.rule!.alert;
      const rule = rules.find((r) => r.type === 'alerting' && r.name === name);
      expect(rule, `alerting rule ${name} (${match.rule!.file}) should be loaded in Prometheus (/api/v1/rules)`).toBeDefined();
      expect(rule!.health, `${name} evaluation health (${rule!.lastError ?? ''})`).toBe('ok');
      // What Prometheus runs is judged too: a rule file changed but not reloaded is not what fires.
      expect(checkAlertRule(match.want, { alert: name, expr: rule!.query, file: rule!.file ?? 'loaded in Prometheus' }).problems).toHaveNoProblems(`the loaded rule ${name}`, { evidence: 'alerting rules loaded' });
      // promtool unit tests: run once (they cover all five alerts, firing and silent cases).
      const deployDir = target.raw.deployDir;
      const files = plan.files;
      if (!deployDir || !files || target.mode === 'live') {
        annotate.info(testInfo, 'promtool unit tests not run: no deployment directory here (set RAG_DEPLOY_DIR when running on the host)');
        return;
      }
      expect(files.tests, `no promtool test files for the alert rules (looked for ${files.testsFrom})`).not.toEqual([]);
      annotate.info(testInfo, `promtool test files: ${files.testsFrom}`);
      promtool ??= promtoolTestRules(deployDir, files.tests, files.prometheusConfig);
      await evidence('promtool test rules', `${promtool.command}\nexit ${promtool.exitCode}\n${promtool.output}`);
      // Each alert is judged on its own cases: a wrong threshold on one rule fails that rule's line, not all five.
      const failedAlerts = promtoolFailedAlerts(promtool);
      expect(failedAlerts, `promtool test rules failed without naming an alert (exit ${promtool.exitCode}):\n${promtool.output.slice(-1500)}`).toBeDefined();
      expect(failedAlerts!.includes(name), `promtool test cases of ${name} fail:\n${promtool.output.slice(-1500)}`).toBe(false);
      const cases = files.tests.flatMap((f) => promtoolTestCases(readFileSync(join(deployDir, f), 'utf8'))).filter((n) => n === name);
      expect(cases.length, `the promtool tests (${files.tests.join(', ')}) should exercise ${name}`).toBeGreaterThanOrEqual(1);
      // promtool compares the exact list of alerts at each eval_time, so a case whose input also holds a series below
      // the threshold (or that expects []) proves the rule stays silent there; the file's cases are attached above.
    });
  }
});
