/**
 * Phase 3 › Performance Validation: the checklist's load tests (k6, load/*.ts) and benchmarks.
 *
 * The three k6 runs (health-basic, uploads, queries) are made once per Playwright run and shared by the
 * tests that read them (a load line and its benchmark line read the same run); container memory and CPU
 * are sampled through the Docker API during each run. Only the checklist's own numbers are run, in every
 * mode (live included: 100 x /health at 10, 5 uploads that are deleted again, 10 concurrent queries).
 *
 * TLS: k6 trusts the deployment's CA through SSL_CERT_FILE (verification stays on); the browser pins the
 * server key that Node verified against the same CA. Certificates themselves are checked in Phase 4.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { isIP } from 'node:net';
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { REPO_ROOT } from '../../core/paths.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import type { Secrets } from '../../lib/secrets.ts';
import * as T from '../../core/thresholds.ts';
import { apiShapeEnv, describeExit, describeFailures, k6Missing, metric, resultsAt, runK6, seedingFailure, type K6Run } from '../../lib/k6.ts';
import { ContainerSampler, mib, peaks, peakTotal, type ContainerSample } from '../../lib/containers.ts';
import { loadResourceProblems, memoryProblems, searchableUploadsProblems, slowestInteractions, slowestUploadProblems, uiInteractionProblems, type EventTiming } from '../../checks/performance.ts';

const LOAD_TEST_TIMEOUT_MS = 8 * 60_000;

// ---- the k6 runs, made once per Playwright run and shared between tests (and worker restarts) ----------

type Script = 'health-basic' | 'uploads' | 'queries';
const SCRIPTS: Script[] = ['health-basic', 'uploads', 'queries'];

interface LoadRecord {
  run: K6Run;
  samples: ContainerSample[];
  samplerErrors: string[];
  hostMemory: number;
  madeBy: string;
}

/** One directory per Playwright run (the runner's pid) and target: a worker restarted after a failure reuses it. */
function cacheDir(target: TargetView): string {
  const key = `${process.ppid}-${(target.raw.projectName ?? target.mode).replace(/[^\w.-]/g, '_')}-${target.raw.startedAt.replace(/[^\w]/g, '')}`;
  const dir = join(REPO_ROOT, '.cache', 'k6-runs', key);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function k6Env(target: TargetView, secrets: Secrets): Record<string, string | undefined> {
  const https = target.url('nginxHttps');
  const base = https ?? target.url('nginxHttp');
  const caFile = target.raw.caFile && existsSync(target.raw.caFile) ? target.raw.caFile : undefined;
  return {
    BASE_URL: base,
    // The ab line's literal URL is plain HTTP /health on Nginx; Nginx answers it without redirecting.
    HEALTH_URL: `${target.url('nginxHttp') ?? base}/health`,
    // Go (k6) reads extra root CAs from SSL_CERT_FILE: the private CA is trusted, verification stays on.
    SSL_CERT_FILE: base?.startsWith('https:') ? caFile : undefined,
    // The profile's routes, field names and auth scheme; API_KEY is the secret its scheme sends.
    ...apiShapeEnv(target.profile.api, target.profile.auth),
    API_KEY: secrets.get(target.profile.auth.secret),
    // Live mode: exactly the checklist's "10 concurrent queries", nothing beyond.
    QUERIES_PER_CLIENT: target.mode === 'live' ? '1' : undefined,
  };
}

/** How many /query requests the queries script makes for this target (k6Env's QUERIES_PER_CLIENT). */
function plannedQueries(target: TargetView): number {
  return T.CONCURRENT_QUERIES * (target.mode === 'live' ? 1 : T.QUERIES_PER_CLIENT);
}

async function attachRecord(rec: LoadRecord, testInfo: TestInfo, script: Script): Promise<void> {
  if (rec.run.summary) await testInfo.attach(`k6 ${script} summary.json`, { body: JSON.stringify(rec.run.summary, null, 2), contentType: 'application/json' });
  await testInfo.attach(`k6 ${script} output`, { body: `${describeExit(rec.run.exitCode)} after ${rec.run.durationMs} ms (run by "${rec.madeBy}")\n--- stdout\n${rec.run.stdout}\n--- stderr\n${rec.run.stderr}`, contentType: 'text/plain' });
}

/** The run of `script` in this Playwright run: made now (with container sampling) or read from the cache. */
async function load(script: Script, target: TargetView, secrets: Secrets, testInfo: TestInfo): Promise<LoadRecord> {
  const file = join(cacheDir(target), `${script}.json`);
  if (existsSync(file)) {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as LoadRecord;
    annotate.info(testInfo, `k6 ${script} results from the run made by "${rec.madeBy}" in this Playwright run`);
    await attachRecord(rec, testInfo, script);
    return rec;
  }
  const env = k6Env(target, secrets);
  let samplerStartError: string | undefined;
  const sampler = Object.keys(target.raw.containers).length
    ? await new ContainerSampler(target.raw.containers, T.RESOURCE_SAMPLE_INTERVAL_MS).start().catch((e: Error) => void (samplerStartError = `Docker API: ${e.message}`))
    : undefined;
  let run: K6Run;
  try {
    run = await runK6(script, env, testInfo, { secrets, timeoutMs: LOAD_TEST_TIMEOUT_MS - 60_000 });
  } finally {
    await sampler?.stop();
  }
  const rec: LoadRecord = { run, samples: sampler?.samples ?? [], samplerErrors: [...(samplerStartError ? [samplerStartError] : []), ...(sampler?.errors ?? [])], hostMemory: sampler?.hostMemory ?? 0, madeBy: testInfo.title };
  writeFileSync(file, JSON.stringify(rec));
  return rec;
}

/** notVerified when k6 or the URL/secret a script needs is missing; returns true when the test may go on. */
function canRun(testInfo: TestInfo, target: TargetView, secrets: Secrets, script: Script): boolean {
  const missing = k6Missing();
  if (missing) {
    notVerified(testInfo, missing);
    return false;
  }
  if (!target.url('nginxHttps') && !target.url('nginxHttp')) {
    notVerified(testInfo, `${target.mode}: the target has no public (Nginx) URL; set RAG_BASE_URL`);
    return false;
  }
  const { auth } = target.profile;
  if (script !== 'health-basic' && auth.scheme !== 'none' && !secrets.get(auth.secret)) {
    notVerified(testInfo, `${target.mode}: no ${auth.secret} (the .env.production is not readable here), so the load cannot upload its documents; set RAG_DEPLOY_DIR or RAG_ENV_FILE`);
    return false;
  }
  return true;
}

const fmtMs = (v: number | undefined) => (v === undefined ? 'n/a' : `${Math.round(v)} ms`);
/** A trend's statistic, or undefined when the trend has no sample (k6 then reports 0s). */
const trend = (run: K6Run, name: string, stat: string) => ((metric(run, name, 'count') ?? 1) > 0 && (run.summary?.metrics[name]?.values.max ?? 0) > 0 ? metric(run, name, stat) : undefined);
/** k6's own errors and warnings (aborts, failed requests), for messages when nothing was measured. */
const k6Problems = (run: K6Run) => {
  const lines = run.logs.filter((l) => l.level === 'error' || l.level === 'warning').map((l) => `${l.msg}${l.error ? `: ${String(l.error)}` : ''}`);
  return lines.length ? ` (k6 said: ${[...new Set(lines)].slice(0, 3).join(' | ')})` : '';
};
/** Every request of the run answered and every answer passed its checks: only then are figures under its load a baseline. */
const cleanRun = (run: K6Run) => seedingFailure(run) === undefined && metric(run, 'http_req_failed', 'rate') === 0 && metric(run, 'checks', 'rate') === 1;

/** Requests k6 sent to an endpoint: the failed plus the not failed of its `http_req_failed` sub-metric (a threshold keeps it). */
const sentTo = (run: K6Run, endpoint: string) => {
  const m = run.summary?.metrics[`http_req_failed{endpoint:${endpoint}}`]?.values;
  return m ? (m.passes ?? 0) + (m.fails ?? 0) : 0;
};

/**
 * The query load in figures, over correct answers only: how many were planned, sent and correct, the wrong ones
 * (queries.ts prints each), and p50/p95/max of `query_ok_duration` (fed by correct answers alone).
 */
function queryOutcome(run: K6Run, planned: number) {
  const sent = sentTo(run, 'query');
  const correct = metric(run, 'query_answers_ok', 'count') ?? 0;
  const failures = resultsAt(run, 'query');
  const wrong = Math.max(failures.length, sent - correct);
  const stat = (s: string) => (correct > 0 ? trend(run, 'query_ok_duration', s) : undefined);
  return { planned, sent, correct, wrong, failures, p50: stat('med'), p95: stat(`p(${T.QUERY_PERCENTILE})`), max: stat('max') };
}

/** Why a load was not the load it should be (seeding failed, requests failed or answered wrongly), or undefined. */
function unclean(script: Script, run: K6Run): string | undefined {
  if (cleanRun(run)) return undefined;
  const seeding = seedingFailure(run);
  if (seeding !== undefined) return `${script}: seeding failed: ${seeding}`;
  const failed = metric(run, 'http_req_failed', 'rate');
  const checks = metric(run, 'checks', 'rate');
  return `${script}: ${failed === undefined ? 'no request measured' : `${(failed * 100).toFixed(1)} % of requests failed`}, ${checks === undefined ? 'no check made' : `${(checks * 100).toFixed(1)} % of checks passed`}`;
}

/** "seeding failed: …" when the queries script could not plant its seed document (it then sent no query). */
const seedingMessage = (run: K6Run) => {
  const cause = seedingFailure(run);
  return cause === undefined ? undefined : `seeding failed: ${cause} – no query was measured (the load never measures an empty system)`;
};
const thresholdsLine = (run: K6Run) => (run.failedThresholds.length ? `; thresholds crossed: ${run.failedThresholds.join('; ')}` : '');

function uploadOutcomes(run: K6Run): string {
  if (!run.results.length) return 'no upload reported a result';
  return run.results
    .map((r) => (r.ok === true || r.stage === 'searchable' ? `upload ${r.vu}: searchable after ${fmtMs(r.ms as number)}` : `upload ${r.vu}: stopped at ${r.stage} after ${fmtMs(r.ms as number)}${r.status !== undefined ? ` (${r.status})` : ''}${r.why ? ` ${String(r.why)}` : ''}${r.body ? ` ${String(r.body).slice(0, 160)}` : ''}`))
    .join('; ');
}

test.describe('Performance Validation › Load Testing', () => {
  test.describe.configure({ timeout: LOAD_TEST_TIMEOUT_MS });

  test('ab -n 100 -c 10 /health: 100 requests at concurrency 10 through Nginx, none fails', verifies('P3-LOAD-1'), async ({ target, secrets }, testInfo) => {
    if (!canRun(testInfo, target, secrets, 'health-basic')) return;
    const { run } = await load('health-basic', target, secrets, testInfo);
    const n = metric(run, 'http_reqs', 'count') ?? 0;
    // A failure is a failed request or a 200 carrying an error (health-basic.ts prints each one).
    const correct = metric(run, 'health_ok', 'count') ?? 0;
    const failures = resultsAt(run, 'health');
    const failed = Math.max(failures.length, n - correct);
    const allOk = n === T.BASIC_LOAD_REQUESTS && failed === 0;
    const p95 = allOk ? `p95 ${fmtMs(metric(run, 'http_req_duration', 'p(95)'))}` : 'no latency shown: not every request was answered correctly';
    const figure = `${n} requests at concurrency ${T.BASIC_LOAD_CONCURRENCY}: ${failed} failed (error rate ${n ? ((failed / n) * 100).toFixed(1) : 'n/a'} %, allowed ${T.BASIC_LOAD_MAX_ERROR_RATE} %), ${(metric(run, 'http_reqs', 'rate') ?? 0).toFixed(0)} req/s, ${p95}`;
    annotate.measured(testInfo, figure);
    if (allOk) annotate.figure(testInfo, { key: 'health.p95_ms', value: metric(run, 'http_req_duration', 'p(95)'), unit: 'ms', better: 'lower' });
    expect(n, `the basic load test must send exactly ${T.BASIC_LOAD_REQUESTS} requests; k6 sent ${n} (${describeExit(run.exitCode)})${k6Problems(run)}`).toBe(T.BASIC_LOAD_REQUESTS);
    expect(failed, describeFailures(failures, n, 'GET /health requests', failed)).toBe(0);
    expect(run.exitCode, `${figure}; ${describeExit(run.exitCode)}${thresholdsLine(run)}`).toBe(0);
  });

  test('5 simultaneous uploads are each processed and searchable', verifies('P3-LOAD-2'), async ({ target, secrets }, testInfo) => {
    if (!canRun(testInfo, target, secrets, 'uploads')) return;
    const { run } = await load('uploads', target, secrets, testInfo);
    const searchable = metric(run, 'documents_searchable', 'count') ?? 0;
    const figure = `${searchable} of ${T.SIMULTANEOUS_UPLOADS} simultaneous uploads became searchable (slowest ${fmtMs(trend(run, 'upload_to_searchable', 'max'))}, limit ${T.MAX_UPLOAD_TO_SEARCHABLE_MS} ms): ${uploadOutcomes(run)}`;
    annotate.measured(testInfo, figure);
    expect(searchableUploadsProblems(searchable, uploadOutcomes(run))).toHaveNoProblems('simultaneous uploads not searchable');
    expect(run.exitCode, `${figure}; ${describeExit(run.exitCode)}${thresholdsLine(run)}`).toBe(0);
  });

  test('10 concurrent clients get every /query answered correctly (citing the seed document), p95 < 2 s', verifies('P3-LOAD-3'), async ({ target, secrets }, testInfo) => {
    if (!canRun(testInfo, target, secrets, 'queries')) return;
    const { run } = await load('queries', target, secrets, testInfo);
    const seeding = seedingMessage(run);
    annotate.measured(testInfo, seeding ?? 'seed document planted: uploaded, processed and cited by a /query before the load');
    expect(seeding, seeding).toBeUndefined();
    const q = queryOutcome(run, plannedQueries(target));
    const latency = q.correct > 0 ? `over the ${q.correct} correct answers: p50 ${fmtMs(q.p50)}, p95 ${fmtMs(q.p95)} (limit ${T.MAX_QUERY_MS} ms), max ${fmtMs(q.max)}` : 'no correct answer, so no latency';
    const figure = `${q.correct} of ${q.sent} queries from ${T.CONCURRENT_QUERIES} concurrent clients answered correctly (${q.planned} planned); ${latency}${q.wrong ? `; ${describeFailures(q.failures, q.sent, 'queries', q.wrong)}` : ''}`;
    annotate.measured(testInfo, figure);
    // Baseline figures only when every planned answer was correct: a quick failure is no latency.
    if (q.wrong === 0 && q.correct === q.planned) {
      annotate.figure(testInfo, { key: 'query.p50_ms', value: q.p50, unit: 'ms', better: 'lower' });
      annotate.figure(testInfo, { key: 'query.p95_ms', value: q.p95, unit: 'ms', better: 'lower' });
    }
    expect(q.sent, `${figure}: fewer queries sent than concurrent clients${k6Problems(run)}`).toBeGreaterThanOrEqual(T.CONCURRENT_QUERIES);
    expect(q.wrong, describeFailures(q.failures, q.sent, 'queries', q.wrong)).toBe(0);
    expect(q.correct, `${figure}: ${q.planned - q.correct} planned queries got no correct answer (${describeExit(run.exitCode)})${k6Problems(run)}`).toBe(q.planned);
    expect(run.exitCode, `${figure}; ${describeExit(run.exitCode)}${thresholdsLine(run)}`).toBe(0);
  });

  test('resource usage is sampled during every load and no container stops, restarts or is OOM-killed', verifies('P3-LOAD-4'), async ({ target, secrets }, testInfo) => {
    if (!Object.keys(target.raw.containers).length) return notVerified(testInfo, `${target.mode}: the deployment's containers are not visible from here (no Docker access to the target host); run the gate on the host with RAG_DEPLOY_DIR to sample them`);
    if (!canRun(testInfo, target, secrets, 'uploads')) return;
    const problems: string[] = [];
    const table: string[] = ['load           service            samples  peak memory / available        peak CPU  restarts  OOM'];
    const cpuPeaks: number[] = [];
    const notLoads: string[] = [];
    for (const script of SCRIPTS) {
      const rec = await load(script, target, secrets, testInfo);
      const why = unclean(script, rec.run);
      if (why) notLoads.push(why);
      const per = peaks(rec.samples);
      problems.push(...loadResourceProblems(script, per, rec.samples.length, rec.samplerErrors));
      for (const p of per) {
        table.push(`${script.padEnd(14)} ${p.service.padEnd(18)} ${String(p.samples).padStart(7)}  ${mib(p.peakBytes).padStart(11)} / ${mib(p.limitBytes).padEnd(11)} ${(p.peakFraction * 100).toFixed(1).padStart(5)} %${p.limited ? ' (limit)' : ' (host)'}  ${p.peakCpuPercent === undefined ? '   n/a' : `${p.peakCpuPercent.toFixed(0).padStart(5)} %`}  ${String(p.restarts).padStart(8)}  ${p.oomKilled ? 'yes' : 'no'}`);
        if (p.peakCpuPercent !== undefined) cpuPeaks.push(p.peakCpuPercent);
      }
    }
    await testInfo.attach('resource usage during load', { body: table.join('\n'), contentType: 'text/plain' });
    if (notLoads.length === 0 && cpuPeaks.length) annotate.figure(testInfo, { key: 'load.cpu_peak_pct', value: Math.max(...cpuPeaks), unit: '%', better: 'lower' });
    expect(problems).toHaveNoProblems('resource usage during load', { evidence: 'resource usage during load' });
    // Resources sampled while the requests failed are not the usage under load (a 502 costs the backend nothing).
    if (notLoads.length) return notVerified(testInfo, `the resources were sampled, but not under the checklist's load: ${notLoads.join('; ')} (those lines say why)`);
  });
});

test.describe('Performance Validation › Performance Benchmarks', () => {
  test.describe.configure({ timeout: LOAD_TEST_TIMEOUT_MS });

  test('a typical document is searchable < 30 s after its upload starts (5 at once)', verifies('P3-BENCH-1'), async ({ target, secrets }, testInfo) => {
    if (!canRun(testInfo, target, secrets, 'uploads')) return;
    const { run } = await load('uploads', target, secrets, testInfo);
    const max = trend(run, 'upload_to_searchable', 'max');
    const searchable = metric(run, 'documents_searchable', 'count') ?? 0;
    const figure = `slowest upload-to-searchable ${fmtMs(max)} (median ${fmtMs(trend(run, 'upload_to_searchable', 'med'))}), limit < ${T.MAX_UPLOAD_TO_SEARCHABLE_MS} ms; ${searchable} of ${T.SIMULTANEOUS_UPLOADS} documents searchable`;
    annotate.measured(testInfo, figure);
    // upload_to_searchable holds only uploads a /query cited; with one missing, max and median would flatter.
    if (searchable === T.SIMULTANEOUS_UPLOADS) {
      annotate.figure(testInfo, { key: 'upload.searchable_p50_ms', value: trend(run, 'upload_to_searchable', 'med'), unit: 'ms', better: 'lower' });
      annotate.figure(testInfo, { key: 'upload.searchable_max_ms', value: max, unit: 'ms', better: 'lower' });
    }
    expect([...searchableUploadsProblems(searchable, uploadOutcomes(run)), ...slowestUploadProblems(max)]).toHaveNoProblems(`upload benchmark (${figure})`);
  });

  test('complex queries are answered correctly in < 2 s (p95 under 10 concurrent clients)', verifies('P3-BENCH-2'), async ({ target, secrets }, testInfo) => {
    if (!canRun(testInfo, target, secrets, 'queries')) return;
    const { run } = await load('queries', target, secrets, testInfo);
    const seeding = seedingMessage(run);
    expect(seeding, seeding).toBeUndefined();
    const q = queryOutcome(run, plannedQueries(target));
    // The benchmark is a latency of answers: a request that failed or answered wrongly fails the line, and no p95
    // is computed over it (query_ok_duration holds correct answers only).
    expect(q.wrong, `${describeFailures(q.failures, q.sent, 'queries', q.wrong)} – the benchmark is measured over correct answers only, and every query must be one`).toBe(0);
    const figure = `p95 of ${q.correct} correct /query answers under ${T.CONCURRENT_QUERIES} concurrent clients: ${fmtMs(q.p95)} (limit < ${T.MAX_QUERY_MS} ms; p50 ${fmtMs(q.p50)}, max ${fmtMs(q.max)})`;
    annotate.measured(testInfo, figure);
    expect(q.correct, `${figure}: ${q.correct} of ${q.planned} planned queries were answered correctly (${describeExit(run.exitCode)})${k6Problems(run)}`).toBe(q.planned);
    expect(q.p95 ?? Infinity, figure).toBeLessThan(T.MAX_QUERY_MS);
  });

  test('UI interactions respond in < 200 ms (Event Timing, input to next paint)', verifies('P3-BENCH-3'), async ({ target, secrets, playwright }, testInfo) => {
    const base = target.url('nginxHttps') ?? target.url('nginxHttp');
    if (!base) return notVerified(testInfo, `${target.mode}: no public (Nginx) URL to load the UI from`);
    const user = secrets.get('ADMIN_USER') ?? 'admin';
    const pass = secrets.get('ADMIN_PASSWORD');
    if (!pass) return notVerified(testInfo, `${target.mode}: no ADMIN_PASSWORD (the .env.production is not readable here), and the UI is behind HTTP basic auth; set RAG_DEPLOY_DIR or RAG_ENV_FILE`);

    const extraArgs: string[] = [];
    if (base.startsWith('https:') && target.raw.caFile && existsSync(target.raw.caFile)) {
      // Chromium cannot be given a CA file; Node verifies the server against the deployment's CA and the
      // browser then accepts exactly that server key (and nothing else).
      try {
        extraArgs.push(`--ignore-certificate-errors-spki-list=${await verifiedSpki(base, target.raw.caFile)}`);
      } catch (e) {
        return notVerified(testInfo, `the UI at ${base} cannot be reached over verified TLS: ${(e as Error).message}`);
      }
    }
    const launch = (testInfo.project.use.launchOptions ?? {}) as { args?: string[] } & Record<string, unknown>;
    const browser = await playwright.chromium.launch({ ...launch, args: [...(launch.args ?? []), ...extraArgs] });
    try {
      const context = await browser.newContext({ httpCredentials: { username: user, password: pass }, ignoreHTTPSErrors: false });
      await context.addInitScript(EVENT_TIMING_OBSERVER);
      const page = await context.newPage();
      let status: number | undefined;
      try {
        status = (await page.goto(`${base}/`, { waitUntil: 'load', timeout: 30_000 }))?.status();
      } catch (e) {
        return notVerified(testInfo, `the UI at ${base}/ cannot be reached: ${(e as Error).message.split('\n')[0]}`);
      }
      if (!status || status >= 400) return notVerified(testInfo, `the UI at ${base}/ answered ${status ?? 'nothing'} to the admin credentials, so no interaction can be measured`);

      const performed: string[] = [];
      const skipped: string[] = [];
      const attempt = async (label: string, selector: string, act: (l: ReturnType<typeof page.locator>) => Promise<void>) => {
        const l = page.locator(selector).first();
        if (!(await l.isVisible().catch(() => false))) return void skipped.push(`${label} (${selector} not visible)`);
        try {
          await act(l);
          performed.push(label);
          await page.waitForTimeout(300);
        } catch (e) {
          skipped.push(`${label}: ${(e as Error).message.split('\n')[0]}`);
        }
      };
      // Navigation between the views, typing a question, filtering and refreshing: read-only interactions.
      for (const view of ['chat', 'settings', 'dashboard']) await attempt(`open the ${view} view`, `a[data-view="${view}"]`, (l) => l.click());
      await attempt('open the chat view', 'a[data-view="chat"]', (l) => l.click());
      await attempt('type a question', 'textarea', (l) => l.pressSequentially('What happens during the maintenance window?', { delay: 30 }));
      await attempt('open the dashboard view', 'a[data-view="dashboard"]', (l) => l.click());
      await attempt('filter documents by status', 'select', (l) => l.selectOption({ index: 1 }).then(() => undefined));
      await attempt('refresh the document list', 'button[type="button"]:not([disabled]):not(.danger)', (l) => l.click());
      await attempt('click a link or button of the start page', 'nav a, header a, button:not([disabled]):not(.danger):not([type="submit"])', (l) => l.click());
      await page.waitForTimeout(1000);
      await page.screenshot({ path: testInfo.outputPath('ui.png') }).catch(() => undefined);
      await testInfo.attach('ui.png', { path: testInfo.outputPath('ui.png'), contentType: 'image/png' }).catch(() => undefined);

      const entries = (await page.evaluate('window.__raggateEvents || []')) as EventTiming[];
      const supported = (await page.evaluate(`PerformanceObserver.supportedEntryTypes.includes('event')`)) as boolean;
      if (!supported) return notVerified(testInfo, 'this browser has no Event Timing API (PerformanceObserver type "event")');
      if (performed.length === 0) return notVerified(testInfo, `the UI at ${base}/ offered none of the interactions the test knows (${skipped.join('; ')})`);

      const worst = slowestInteractions(entries);
      const maxMs = worst[0]?.duration ?? 0;
      const report = [
        `interactions performed: ${performed.join(', ')}`,
        skipped.length ? `not available: ${skipped.join('; ')}` : '',
        `interactions slower than 16 ms (Event Timing reports only those): ${worst.length}`,
        ...worst.slice(0, 10).map((e) => `  ${e.duration} ms  ${e.name} on ${e.target ?? '?'} (${e.page})`),
      ].filter(Boolean).join('\n');
      await testInfo.attach('UI interaction latency', { body: report, contentType: 'text/plain' });
      const figure = worst.length ? `slowest UI interaction ${maxMs} ms (${worst[0]!.name} on ${worst[0]!.target ?? '?'})` : `every UI interaction under 16 ms (none reported by Event Timing)`;
      annotate.measured(testInfo, `${figure} over ${performed.length} interactions`);
      // Event Timing reports only interactions of 16 ms or more: none reported is recorded as 16 ms (an upper bound).
      annotate.figure(testInfo, { key: 'ui.interaction_max_ms', value: worst.length ? maxMs : 16, unit: 'ms', better: 'lower' });
      expect(uiInteractionProblems(worst)).toHaveNoProblems(`UI interactions of ${T.MAX_UI_INTERACTION_MS} ms or more (${figure})`, { evidence: 'UI interaction latency' });
    } finally {
      await browser.close();
    }
  });

  test('container memory stays < 80 % of what is available during the load', verifies('P3-BENCH-4'), async ({ target, secrets }, testInfo) => {
    if (!Object.keys(target.raw.containers).length) return notVerified(testInfo, `${target.mode}: the deployment's containers are not visible from here (no Docker access to the target host); run the gate on the host with RAG_DEPLOY_DIR to sample them`);
    if (!canRun(testInfo, target, secrets, 'uploads')) return;
    const all: ContainerSample[] = [];
    let hostMemory = 0;
    const notLoads: string[] = [];
    for (const script of SCRIPTS) {
      const rec = await load(script, target, secrets, testInfo);
      const why = unclean(script, rec.run);
      if (why) notLoads.push(why);
      all.push(...rec.samples);
      hostMemory ||= rec.hostMemory;
    }
    expect(all.length, 'no memory sample was taken during the load (Docker API not reachable?)').toBeGreaterThan(0);
    const per = peaks(all).sort((a, b) => b.peakFraction - a.peakFraction);
    const total = peakTotal(all, T.RESOURCE_SAMPLE_INTERVAL_MS);
    const lines = per.map((p) => `${p.service.padEnd(18)} peak ${mib(p.peakBytes).padStart(11)} of ${mib(p.limitBytes)} ${p.limited ? '(its limit)' : '(host memory)'} = ${(p.peakFraction * 100).toFixed(1)} %`);
    const totalFraction = hostMemory ? total.bytes / hostMemory : 0;
    lines.push(`whole stack        peak ${mib(total.bytes).padStart(11)} of ${mib(hostMemory)} (host memory) = ${(totalFraction * 100).toFixed(1)} %`);
    await testInfo.attach('memory during load', { body: lines.join('\n'), contentType: 'text/plain' });
    annotate.measured(testInfo, `highest: ${per[0]?.service} ${((per[0]?.peakFraction ?? 0) * 100).toFixed(1)} %; whole stack ${(totalFraction * 100).toFixed(1)} % of host memory`);
    // Memory under a load whose requests failed is not the memory of that load: recorded only after clean loads.
    if (notLoads.length === 0) annotate.figure(testInfo, { key: 'load.memory_peak_pct', value: per[0] ? per[0].peakFraction * 100 : undefined, unit: '%', better: 'lower' });
    expect(memoryProblems(per, { fraction: totalFraction, hostBytes: hostMemory })).toHaveNoProblems(`memory at or above ${T.MAX_MEMORY_PERCENT_UNDER_LOAD} % of what is available`, { evidence: 'memory during load' });
    // Below the limit while the requests failed is not "below the limit under load".
    if (notLoads.length) return notVerified(testInfo, `memory stayed below ${T.MAX_MEMORY_PERCENT_UNDER_LOAD} %, but not under the checklist's load: ${notLoads.join('; ')} (those lines say why)`);
  });
});

// ---- browser helpers ------------------------------------------------------------------------------------

/** Installed in every page before its scripts: records Event Timing entries, kept across page loads. */
const EVENT_TIMING_OBSERVER = `(() => {
  const KEY = '__raggateEvents';
  let saved = [];
  try { saved = JSON.parse(sessionStorage.getItem(KEY) || '[]'); } catch {}
  window.__raggateEvents = saved;
  if (!('PerformanceObserver' in window) || !PerformanceObserver.supportedEntryTypes.includes('event')) return;
  const po = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const t = e.target;
      window.__raggateEvents.push({ name: e.name, duration: e.duration, interactionId: e.interactionId || 0,
        target: t ? (t.id ? '#' + t.id : t.tagName ? t.tagName.toLowerCase() : null) : null, page: location.pathname });
    }
    try { sessionStorage.setItem(KEY, JSON.stringify(window.__raggateEvents)); } catch {}
  });
  po.observe({ type: 'event', durationThreshold: 16, buffered: true });
})();`;

/** Connects with Node's TLS, verifying the server against `caFile`; returns the base64 SHA-256 of its SPKI. */
function verifiedSpki(url: string, caFile: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 443), ca: readFileSync(caFile), servername: isIP(u.hostname) ? undefined : u.hostname, timeout: 10_000 }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (!cert) return reject(new Error('the server sent no certificate'));
      resolve(createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
    });
    socket.on('error', (e) => reject(e));
    socket.on('timeout', () => {
      socket.destroy();
      reject(new Error('TLS handshake timed out'));
    });
  });
}
