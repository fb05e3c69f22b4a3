/**
 * One verdict over several k6 instances: the load split with k6's execution segments (what k6-operator does on
 * Kubernetes) and the thresholds evaluated over the merged raw results of all instances, not per instance – a
 * `count>=100` over 2 × 50 requests passes, as it does for 1 × 100.
 *
 *   const { segments, sequence } = executionSegments(2);          // ['0:1/2', '1/2:1'], '0,1/2,1'
 *   k6 run --no-thresholds --execution-segment <s> --execution-segment-sequence <seq> --out json=<i>.json.gz …
 *   const raw = emptyRaw(); for (const f of files) await readRawOutput(f, raw);
 *   const summary = mergedSummary(raw, thresholds, trendStats);   // the K6Summary shape handleSummary writes
 *
 * The threshold definitions are the script's own (`k6 inspect` prints its options; load/lib.ts K6_THRESHOLDS builds
 * them): nothing here restates a checklist number. The aggregations follow k6's (v1.8.1, measured against its own
 * summary): a Trend's p(N) interpolates linearly between the two nearest samples, a Counter's rate is its count per
 * second of the run, a Rate's rate is the share of non-zero samples; a Rate without samples passes its thresholds,
 * a Counter or Trend without samples is judged on 0.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { K6MetricSummary, K6Summary } from './k6.ts';

type MetricType = K6MetricSummary['type'];

/** Every sample of a run (or of several merged), as k6's JSON output gives them. */
export interface RawResults {
  metrics: Map<string, { type: MetricType; contains: string }>;
  /** Sub-metrics the instances declared (`http_req_duration{expected_response:true}`, those thresholds name). */
  submetrics: Set<string>;
  points: Array<{ metric: string; value: number; tags: Record<string, string>; instance: number }>;
  /** The longest instance's run, ms (instances run side by side). */
  durationMs: number;
}

export function emptyRaw(): RawResults {
  return { metrics: new Map(), submetrics: new Set(), points: [], durationMs: 0 };
}

/** `n` equal execution segments and their sequence, as k6 takes them (`0:1/2`, `1/2:1`; `0,1/2,1`). */
export function executionSegments(n: number): { segments: string[]; sequence: string } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`instances must be a whole number of 1 or more, not ${n}`);
  const at = (i: number) => (i === 0 ? '0' : i === n ? '1' : `${i}/${n}`);
  return { segments: Array.from({ length: n }, (_, i) => `${at(i)}:${at(i + 1)}`), sequence: Array.from({ length: n + 1 }, (_, i) => at(i)).join(',') };
}

/**
 * Adds the lines of one instance's `--out json=` file (JSON lines: `Metric` declarations and `Point` samples) to
 * `raw`. The run's length comes from the first and last sample of the instance.
 */
export function addRawLines(lines: Iterable<string>, instance: number, raw: RawResults): void {
  let first = Infinity;
  let last = -Infinity;
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const l = JSON.parse(line) as {
      type: string;
      metric: string;
      data: { type?: MetricType; contains?: string; submetrics?: Array<{ name: string }> | null; time?: string; value?: number; tags?: Record<string, string> | null };
    };
    if (l.type === 'Metric') {
      raw.metrics.set(l.metric, { type: l.data.type!, contains: l.data.contains ?? 'default' });
      for (const sub of l.data.submetrics ?? []) raw.submetrics.add(sub.name);
    }
    else if (l.type === 'Point') {
      raw.points.push({ metric: l.metric, value: l.data.value ?? 0, tags: l.data.tags ?? {}, instance });
      const t = Date.parse(l.data.time ?? '');
      if (!Number.isNaN(t)) {
        first = Math.min(first, t);
        last = Math.max(last, t);
      }
    }
  }
  if (last >= first) raw.durationMs = Math.max(raw.durationMs, last - first);
}

/** Reads one instance's `--out json=` file (gzipped when it ends in .gz) into `raw`. */
export async function readRawOutput(file: string, instance: number, raw: RawResults): Promise<void> {
  const stream = createReadStream(file);
  const lines: string[] = [];
  for await (const line of createInterface({ input: file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream, crlfDelay: Infinity })) lines.push(line);
  addRawLines(lines, instance, raw);
}

/** `http_req_failed{endpoint:health}` → the metric and the tags its samples must carry. */
export function parseSelector(key: string): { metric: string; tags: Record<string, string> } {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!m) throw new Error(`not a k6 metric or sub-metric: "${key}"`);
  const tags: Record<string, string> = {};
  for (const pair of (m[2] ?? '').split(',').filter((p) => p.trim())) {
    const at = pair.indexOf(':');
    if (at < 1) throw new Error(`sub-metric "${key}": "${pair}" is not tag:value`);
    tags[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return { metric: m[1]!.trim(), tags };
}

export interface Threshold {
  /** `p(95)`, `count`, `rate`, `max`, … */
  stat: string;
  op: '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';
  value: number;
}

/** A threshold expression as k6 writes it: `p(95)<2000`, `count>=100`, `rate==1`. */
export function parseThreshold(expr: string): Threshold {
  const m = /^\s*(\w+(?:\(\s*\d+(?:\.\d+)?\s*\))?)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(expr);
  if (!m) throw new Error(`not a k6 threshold expression: "${expr}"`);
  return { stat: m[1]!.replace(/\s+/g, ''), op: m[2] as Threshold['op'], value: Number(m[3]) };
}

function holds(actual: number, t: Threshold): boolean {
  switch (t.op) {
    case '<': return actual < t.value;
    case '<=': return actual <= t.value;
    case '>': return actual > t.value;
    case '>=': return actual >= t.value;
    case '!=': return actual !== t.value;
    default: return actual === t.value;
  }
}

/** k6's percentile of sorted samples: linear between the two nearest ranks (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = (p / 100) * (sorted.length - 1);
  const lo = sorted[Math.floor(i)]!;
  const hi = sorted[Math.ceil(i)]!;
  return lo + (hi - lo) * (i - Math.floor(i));
}

function trendStat(sorted: number[], stat: string): number | undefined {
  const n = sorted.length;
  if (stat === 'count') return n;
  if (stat === 'min') return n ? sorted[0]! : 0;
  if (stat === 'max') return n ? sorted[n - 1]! : 0;
  if (stat === 'avg') return n ? sorted.reduce((s, v) => s + v, 0) / n : 0;
  if (stat === 'med') return percentile(sorted, 50);
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  return p ? percentile(sorted, Number(p[1])) : undefined;
}

/** The summary values of one (sub-)metric from its samples; `stats` are the Trend statistics wanted. */
export function aggregate(type: MetricType, points: RawResults['points'], durationMs: number, stats: string[]): Record<string, number> {
  const values = points.map((p) => p.value);
  if (type === 'counter') {
    const count = values.reduce((s, v) => s + v, 0);
    return { count, rate: durationMs > 0 ? count / (durationMs / 1000) : 0 };
  }
  if (type === 'rate') {
    const passes = values.filter((v) => v !== 0).length;
    return { rate: values.length ? passes / values.length : 0, passes, fails: values.length - passes };
  }
  if (type === 'gauge') {
    // vus, vus_max: each instance's gauge is its share, so the instances' last values add up.
    const byInstance = new Map<number, number[]>();
    for (const p of points) {
      if (!byInstance.has(p.instance)) byInstance.set(p.instance, []);
      byInstance.get(p.instance)!.push(p.value);
    }
    const sum = (f: (xs: number[]) => number) => [...byInstance.values()].reduce((s, xs) => s + f(xs), 0);
    return { value: sum((xs) => xs[xs.length - 1]!), min: sum((xs) => Math.min(...xs)), max: sum((xs) => Math.max(...xs)) };
  }
  const sorted = [...values].sort((a, b) => a - b);
  return Object.fromEntries(stats.map((s) => [s, trendStat(sorted, s)]).filter((e): e is [string, number] => e[1] !== undefined));
}

/** Threshold definitions as k6's options hold them: a list of expressions or `{ threshold, abortOnFail }`. */
export type ThresholdOptions = Record<string, Array<string | { threshold: string }>>;

/** k6's built-in metrics that are not Trends (every other `http_req_*`, `iteration_duration`, `group_duration` is one). */
const BUILTIN: Record<string, MetricType> = { checks: 'rate', http_req_failed: 'rate', http_reqs: 'counter', iterations: 'counter', dropped_iterations: 'counter', data_sent: 'counter', data_received: 'counter', vus: 'gauge', vus_max: 'gauge' };

/**
 * The type of a metric no instance reported a sample of (k6 declares a metric in its output with its first sample):
 * a built-in's own, else what the threshold asks of it – `count` of a Counter, `rate` of a Rate, `value` of a
 * Gauge, anything else of a Trend.
 */
function unsampledType(metric: string, stat: string): MetricType {
  if (BUILTIN[metric]) return BUILTIN[metric]!;
  if (/^(http_req_|iteration_duration$|group_duration$)/.test(metric)) return 'trend';
  return stat === 'count' ? 'counter' : stat === 'rate' ? 'rate' : stat === 'value' ? 'gauge' : 'trend';
}

function matches(tags: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => tags[k] === v);
}

/**
 * The summary of the merged samples in the shape k6's handleSummary gives (lib/k6.ts K6Summary): every metric, the
 * sub-metrics declared or named by a threshold, and each threshold's verdict over all instances' samples.
 */
export function mergedSummary(raw: RawResults, thresholds: ThresholdOptions, trendStats: string[]): K6Summary {
  const byMetric = new Map<string, RawResults['points']>();
  for (const p of raw.points) {
    if (!byMetric.has(p.metric)) byMetric.set(p.metric, []);
    byMetric.get(p.metric)!.push(p);
  }
  const metrics: K6Summary['metrics'] = {};
  for (const [name, info] of raw.metrics) {
    metrics[name] = { type: info.type, contains: info.contains, values: aggregate(info.type, byMetric.get(name) ?? [], raw.durationMs, trendStats) };
  }
  for (const key of raw.submetrics) {
    const { metric, tags } = parseSelector(key);
    const info = raw.metrics.get(metric);
    if (info) metrics[key] = { type: info.type, contains: info.contains, values: aggregate(info.type, (byMetric.get(metric) ?? []).filter((p) => matches(p.tags, tags)), raw.durationMs, trendStats) };
  }
  for (const [key, list] of Object.entries(thresholds)) {
    const { metric, tags } = parseSelector(key);
    const first = typeof list[0] === 'string' ? list[0] : list[0]?.threshold;
    const info = raw.metrics.get(metric) ?? { type: unsampledType(metric, first ? parseThreshold(first).stat : ''), contains: 'default' };
    const points = (byMetric.get(metric) ?? []).filter((p) => matches(p.tags, tags));
    const values = metrics[key]?.values ?? aggregate(info.type, points, raw.durationMs, trendStats);
    const verdicts: Record<string, { ok: boolean }> = {};
    for (const item of list) {
      const expr = typeof item === 'string' ? item : item.threshold;
      const t = parseThreshold(expr);
      const actual = info.type === 'trend' ? trendStat([...points.map((p) => p.value)].sort((a, b) => a - b), t.stat) : values[t.stat];
      if (actual === undefined) throw new Error(`threshold "${key}: ${expr}": a ${info.type} has no "${t.stat}"`);
      // k6 passes every threshold of a Rate that got no sample (measured with k6 v1.8.1).
      verdicts[expr] = { ok: info.type === 'rate' && points.length === 0 ? true : holds(actual, t) };
    }
    metrics[key] = { type: info.type, contains: info.contains, values, thresholds: verdicts };
  }
  return { metrics, state: { testRunDurationMs: raw.durationMs } };
}

/** Requests the instances sent, in all or to one endpoint tag: the samples of `http_reqs`. */
export function requestCount(raw: RawResults, endpoint?: string): number {
  return raw.points.filter((p) => p.metric === 'http_reqs' && (endpoint === undefined || p.tags.endpoint === endpoint)).reduce((s, p) => s + p.value, 0);
}
