/**
 * The merge of k6 instances (lib/k6-merge.ts, lib/k6.ts `instances`): segments, the aggregations k6 uses, thresholds
 * judged over all instances' samples – a count every instance reaches only together passes, a latency or an error
 * that one instance saw fails the whole run – and, where k6 is installed, a real split run of load/health-basic.ts
 * against the loopback stand-in: the same requests and the same verdict as one instance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../core/paths.ts';
import { CONCURRENT_QUERIES, MAX_QUERY_MS, QUERIES_PER_CLIENT } from '../core/thresholds.ts';
import { addRawLines, emptyRaw, executionSegments, mergedSummary, parseSelector, parseThreshold, percentile, readRawOutput, requestCount, type RawResults } from '../lib/k6-merge.ts';
import { failedThresholds, k6Missing, k6Options, metric, runK6 } from '../lib/k6.ts';

const TREND_STATS = ['min', 'med', 'p(95)', 'max', 'count'];

/** k6 JSON output lines: the declaration of each metric, then its samples. */
function lines(samples: Array<{ metric: string; type: 'counter' | 'rate' | 'trend' | 'gauge'; value: number; tags?: Record<string, string> }>, t0 = Date.UTC(2026, 0, 1)): string[] {
  const declared = new Set<string>();
  const out: string[] = [];
  samples.forEach((s, i) => {
    if (!declared.has(s.metric)) {
      declared.add(s.metric);
      out.push(JSON.stringify({ type: 'Metric', metric: s.metric, data: { name: s.metric, type: s.type, contains: s.type === 'trend' ? 'time' : 'default', thresholds: [], submetrics: null } }));
    }
    out.push(JSON.stringify({ type: 'Point', metric: s.metric, data: { time: new Date(t0 + i * 10).toISOString(), value: s.value, tags: s.tags ?? {} } }));
  });
  return out;
}

/** One instance's share of the query load: `n` answers of `ms` each, `failed` of them HTTP errors. */
function queryInstance(n: number, ms: (i: number) => number, failed = 0) {
  return lines(
    Array.from({ length: n }, (_, i) => [
      { metric: 'http_reqs', type: 'counter' as const, value: 1, tags: { endpoint: 'query' } },
      { metric: 'http_req_failed', type: 'rate' as const, value: i < failed ? 1 : 0, tags: { endpoint: 'query' } },
      ...(i < failed ? [] : [{ metric: 'query_ok_duration', type: 'trend' as const, value: ms(i) }, { metric: 'query_answers_ok', type: 'counter' as const, value: 1 }]),
    ]).flat(),
  );
}

const PLANNED = CONCURRENT_QUERIES * QUERIES_PER_CLIENT;
/** The query load's thresholds as load/lib.ts builds them (the real ones come from `k6 inspect`, below). */
const QUERY_THRESHOLDS = {
  query_ok_duration: [`p(95)<${MAX_QUERY_MS}`],
  query_answers_ok: [`count>=${PLANNED}`],
  'http_req_failed{endpoint:query}': ['rate==0'],
};

function merged(...instances: string[][]): RawResults {
  const raw = emptyRaw();
  instances.forEach((l, i) => addRawLines(l, i, raw));
  return raw;
}

test('execution segments: n equal parts that cover the whole test, as k6 spells them', () => {
  assert.deepEqual(executionSegments(2), { segments: ['0:1/2', '1/2:1'], sequence: '0,1/2,1' });
  assert.deepEqual(executionSegments(3), { segments: ['0:1/3', '1/3:2/3', '2/3:1'], sequence: '0,1/3,2/3,1' });
  assert.deepEqual(executionSegments(1), { segments: ['0:1'], sequence: '0,1' });
  assert.throws(() => executionSegments(0), /whole number of 1 or more/);
});

test('threshold expressions and sub-metric selectors are read as k6 writes them', () => {
  assert.deepEqual(parseThreshold('p(95)<2000'), { stat: 'p(95)', op: '<', value: 2000 });
  assert.deepEqual(parseThreshold('count>=100'), { stat: 'count', op: '>=', value: 100 });
  assert.deepEqual(parseThreshold('rate<=0'), { stat: 'rate', op: '<=', value: 0 });
  assert.throws(() => parseThreshold('p95 below 2s'), /not a k6 threshold expression/);
  assert.deepEqual(parseSelector('http_req_failed{endpoint:health}'), { metric: 'http_req_failed', tags: { endpoint: 'health' } });
  assert.deepEqual(parseSelector('checks'), { metric: 'checks', tags: {} });
  // k6's percentile: linear between the nearest ranks (p(95) of 1..10 is 9.55, the median of 1..4 is 2.5)
  assert.ok(Math.abs(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) - 9.55) < 1e-9);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
});

test('merged: the planned count is reached by the instances together, though by neither alone', () => {
  const a = queryInstance(PLANNED / 2, () => 800);
  const b = queryInstance(PLANNED / 2, () => 900);
  const both = mergedSummary(merged(a, b), QUERY_THRESHOLDS, TREND_STATS);
  assert.deepEqual(failedThresholds(both), []);
  assert.equal(both.metrics.query_answers_ok!.values.count, PLANNED);
  assert.equal(requestCount(merged(a, b), 'query'), PLANNED);
  // judged per instance, as k6 would judge each runner on its own: wrongly red
  assert.match(failedThresholds(mergedSummary(merged(a), QUERY_THRESHOLDS, TREND_STATS)).join('; '), new RegExp(`query_answers_ok count>=${PLANNED} \\(count=${PLANNED / 2}`));
});

test('merged: slow answers on one instance fail the p95 of the whole run (red)', () => {
  const fast = queryInstance(PLANNED / 2, () => 900);
  // 5 of the other instance's 25 answers take 2.6 s: 10 % of all 50, above the 95th percentile
  const slow = queryInstance(PLANNED / 2, (i) => (i < 5 ? 2600 : 1000));
  const s = mergedSummary(merged(fast, slow), QUERY_THRESHOLDS, TREND_STATS);
  assert.deepEqual(failedThresholds(s).map((f) => f.split(' (')[0]), [`query_ok_duration p(95)<${MAX_QUERY_MS}`]);
  assert.equal(s.metrics['query_ok_duration']!.values['p(95)'], 2600);
  assert.equal(s.metrics['query_ok_duration']!.thresholds![`p(95)<${MAX_QUERY_MS}`]!.ok, false);
});

test('merged: one failed request on one instance fails the error rate and the count (red); other endpoints do not count', () => {
  const a = queryInstance(PLANNED / 2, () => 800);
  const b = queryInstance(PLANNED / 2, () => 800, 1);
  const seedFailure = lines([{ metric: 'http_req_failed', type: 'rate', value: 1, tags: { endpoint: 'seed' } }]);
  const s = mergedSummary(merged(a, b, seedFailure), QUERY_THRESHOLDS, TREND_STATS);
  assert.deepEqual(failedThresholds(s).map((f) => f.split(' (')[0]).sort(), [`http_req_failed{endpoint:query} rate==0`, `query_answers_ok count>=${PLANNED}`]);
  assert.deepEqual(s.metrics['http_req_failed{endpoint:query}']!.values, { rate: 1 / PLANNED, passes: 1, fails: PLANNED - 1 });
  // without the failure on the query endpoint, the seed's failed request alone decides nothing here
  assert.deepEqual(failedThresholds(mergedSummary(merged(a, queryInstance(PLANNED / 2, () => 800), seedFailure), QUERY_THRESHOLDS, TREND_STATS)), []);
});

test('metrics without samples are judged as k6 judges them: a Counter on 0 (red), a Rate passes', () => {
  const s = mergedSummary(merged(lines([{ metric: 'http_reqs', type: 'counter', value: 1 }])), { health_ok: ['count>=100'], 'checks{endpoint:health}': ['rate==1'] }, TREND_STATS);
  assert.deepEqual(failedThresholds(s), ['health_ok count>=100 (count=0, rate=0)']);
  assert.equal(s.metrics['checks{endpoint:health}']!.thresholds!['rate==1']!.ok, true);
});

test('raw output files are read gzipped or plain, one instance each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k6-merge-'));
  try {
    writeFileSync(join(dir, '0.json.gz'), gzipSync(queryInstance(3, () => 10).join('\n')));
    writeFileSync(join(dir, '1.json'), queryInstance(2, () => 20).join('\n'));
    const raw = emptyRaw();
    await readRawOutput(join(dir, '0.json.gz'), 0, raw);
    await readRawOutput(join(dir, '1.json'), 1, raw);
    assert.equal(requestCount(raw), 5);
    assert.deepEqual([...new Set(raw.points.map((p) => p.instance))], [0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load/health-basic.ts on 2 instances against the stand-in: the same requests and verdict as on 1', { skip: k6Missing() }, async () => {
  // the thresholds are the script's own, read by k6: nothing restates them
  const { thresholds } = await k6Options('health-basic', {});
  assert.deepEqual(Object.keys(thresholds).sort(), ['checks{endpoint:health}', 'health_ok', 'http_req_failed{endpoint:health}']);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const standin = spawn(process.execPath, [join(REPO_ROOT, 'load', 'dev', 'standin.mjs'), '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = mkdtempSync(join(tmpdir(), 'k6-split-'));
  try {
    await new Promise((resolve) => standin.stdout!.once('data', resolve));
    const env = { BASE_URL: `http://127.0.0.1:${port}` };
    const one = await runK6('health-basic', env, undefined, { summaryDir: join(dir, 'one') });
    const two = await runK6('health-basic', env, undefined, { summaryDir: join(dir, 'two'), instances: 2 });
    for (const run of [one, two]) {
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(metric(run, 'http_reqs', 'count'), 100);
      assert.equal(metric(run, 'health_ok', 'count'), 100);
    }
    assert.match(two.stdout, /instance 0 \(segment 0:1\/2\)[\s\S]*instance 1 \(segment 1\/2:1\)/);
    const verdicts = (run: typeof one) => Object.entries(run.summary!.metrics).flatMap(([k, m]) => Object.entries(m.thresholds ?? {}).map(([e, t]) => `${k} ${e} ${t.ok}`)).sort();
    assert.deepEqual(verdicts(two), verdicts(one));
  } finally {
    standin.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
