/** Unit tests of the one PromQL parser (lib/promql.ts): alert comparisons, precedence, and metric names read from the reference rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { alertComparison, alertComparisons, metricNames, parsePromQL, selectorNames } from '../lib/promql.ts';
import { REPO_ROOT } from '../core/paths.ts';

test('PromQL: the top-level comparison is found structurally, not by grepping numbers', () => {
  // 100 and 5m appear inside the query; the threshold is the comparison's literal, either side.
  const a = alertComparison('100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > 90');
  assert.deepEqual([a.op, a.threshold, a.percentScale], ['>', 90, true]);
  const b = alertComparison('0.05 < sum(rate(x{outcome="failure"}[5m])) / sum(rate(x[5m]))');
  assert.deepEqual([b.op, b.threshold, b.percentScale], ['>', 0.05, false]);
  const c = alertComparison('(up{job=~"rag.*"} == 0)');
  assert.deepEqual([c.op, c.threshold], ['==', 0]);
  assert.deepEqual(selectorNames(c.query), ['up']);
  // precedence: comparison binds looser than arithmetic, `and` looser than comparison
  const t = parsePromQL('a + b * 2 > 3 and c');
  assert.equal(t.type === 'binary' && t.op, 'and');
  assert.throws(() => alertComparison('rate(x[5m]) * 100'), /not a comparison/);
  assert.throws(() => alertComparison('a > b'), /compares two queries/);
});

test('PromQL: a union of conditions is one comparison per branch', () => {
  const cmps = alertComparisons('up{job!="blackbox"} == 0 or probe_success == 0');
  assert.deepEqual(cmps.map((x) => [selectorNames(x.query), x.op, x.threshold]), [[['up'], '==', 0], [['probe_success'], '==', 0]]);
});

test('PromQL metric names: selectors and __name__ matchers, not labels, functions or keywords', () => {
  const names = (e: string): string[] => metricNames(parsePromQL(e)).sort();
  const ratio = 'sum by (le) (rate(rag_query_duration_seconds_bucket{outcome="failure"}[5m])) / sum(rate(http_requests_total[5m]))';
  assert.deepEqual(names(ratio), ['http_requests_total', 'rag_query_duration_seconds_bucket']);
  assert.deepEqual(names('count(up == 0) or vector(0)'), ['up']);
  assert.deepEqual(names('ALERTS{alertstate="firing"}'), ['ALERTS']);
  assert.deepEqual(names('count({__name__="node_load1", job="node"}) + count({__name__=~"x.*"})'), ['node_load1']);
  assert.deepEqual(names('histogram_quantile(0.95, sum without (instance) (rate(a_bucket[5m] offset 1h))) > bool 1'), ['a_bucket']);
  assert.deepEqual(names('max_over_time(rag_documents[1h:1m]) @ start()'), ['rag_documents']);
});

interface RuleDoc {
  alert?: string;
  record?: string;
  expr: string;
}

test('PromQL metric names of every expression in the reference alert rules', () => {
  const dir = join(REPO_ROOT, 'reference/deploy/monitoring/prometheus/rules');
  const byAlert = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((x) => /\.ya?ml$/.test(x))) {
    const doc = parseYaml(readFileSync(join(dir, f), 'utf8')) as { groups: Array<{ rules: RuleDoc[] }> };
    for (const r of doc.groups.flatMap((g) => g.rules)) byAlert.set(r.alert ?? r.record ?? r.expr, metricNames(parsePromQL(String(r.expr))).sort());
  }
  assert.ok(byAlert.size >= 5, `rules read: ${[...byAlert.keys()].join(', ')}`);
  for (const [alert, names] of byAlert) assert.ok(names.length > 0, `${alert} reads no metric`);
  assert.deepEqual(byAlert.get('HighMemoryUsage'), ['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes']);
  assert.deepEqual(byAlert.get('HighCPUUsage'), ['node_cpu_seconds_total']);
  assert.deepEqual(byAlert.get('ServiceUnavailable'), ['probe_success', 'up']);
  assert.deepEqual(byAlert.get('HighQueryFailureRate'), ['rag_queries_total']);
  assert.deepEqual(byAlert.get('DocumentProcessingFailures'), ['rag_documents_processed_total']);
});
