/** Unit tests of the monitoring and stability fixtures: webhook planning and receiving, PromQL helpers, soak settings and the leak verdict (with a real planted leak). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AlertReceiver, parseWebhookPayload, planWebhook } from '../lib/alert-receiver.ts';
import { dashboardPanelQueries, expandGrafanaVariables, metricNamesIn, promtoolFailedAlerts, promtoolTestCases, seriesPresence, type ScrapeTarget } from '../lib/prometheus.ts';
import { checkAlertRule, checkChecklistAlerts, CHECKLIST_ALERTS, deploymentAlertFiles, loadedAlertRules, matchChecklistAlerts, readAlertRuleFiles, readAlertRules } from '../checks/monitoring-config.ts';
import { contractProfile } from '../core/profile.ts';
import { leakVerdict, leastSquares } from '../checks/stability.ts';
import { ConfigError, soakSettings } from '../core/config.ts';
import { canFail } from './helpers.ts';

test('webhook plan: host.docker.internal is receivable, loopback and https are not (with the reason)', canFail('MON-GRAFANA-4', 'MON-ALERTS-3', 'MON-ALERTS-4'), () => {
  assert.deepEqual(planWebhook('http://host.docker.internal:21458/rag-alerts'), { port: 21458, path: '/rag-alerts', host: 'host.docker.internal' });
  assert.match(planWebhook('http://127.0.0.1:5001/rag-alerts').problem!, /container itself.*host\.docker\.internal/);
  assert.match(planWebhook('https://host.docker.internal:9000/x').problem!, /https/);
  assert.match(planWebhook(undefined).problem!, /not set/);
  assert.match(planWebhook('not a url').problem!, /not a URL/);
});

test('webhook payload: alerts with status and labels; anything else is refused', () => {
  const a = parseWebhookPayload(JSON.stringify({ version: '4', receiver: 'ops-webhook', alerts: [{ status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: 's', endsAt: 'e' }] }), 5);
  assert.deepEqual(a, [{ status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: 's', endsAt: 'e', receivedAt: 5, receiver: 'ops-webhook' }]);
  assert.throws(() => parseWebhookPayload('{"foo":1}'), /not an Alertmanager webhook payload/);
});

test('alert receiver records POSTs on its path and wakes a waiter', async () => {
  const rx = await AlertReceiver.listen(0, '/hook', '127.0.0.1');
  try {
    const waiting = rx.waitFor((x) => x.labels.alertname === 'ServiceUnavailable' && x.status === 'resolved', 5_000);
    const post = (path: string, body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: rx.port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    assert.equal(await post('/other', '{}'), 404);
    assert.equal(await post('/hook', JSON.stringify({ alerts: [{ status: 'resolved', labels: { alertname: 'ServiceUnavailable' }, annotations: {}, startsAt: '', endsAt: '' }] })), 200);
    const hit = await waiting;
    assert.equal(hit?.status, 'resolved');
    assert.equal(await rx.waitFor((x) => x.labels.alertname === 'Nope', 50), undefined);
  } finally {
    await rx.close();
  }
});

test('dashboard helpers: panel queries, Grafana variables, metric names', () => {
  const dash = { panels: [{ type: 'row', panels: [{ title: 'A', targets: [{ expr: 'sum(rate(x_total[$__rate_interval]))' }] }] }, { title: 'B', targets: [{ expr: 'up == 0' }, { expr: '' }] }] };
  assert.deepEqual(dashboardPanelQueries(dash), [{ panel: 'A', expr: 'sum(rate(x_total[$__rate_interval]))' }, { panel: 'B', expr: 'up == 0' }]);
  assert.equal(expandGrafanaVariables('rate(x[$__rate_interval]) {job=~"$job"}'), 'rate(x[1m]) {job=~".*"}');
  assert.deepEqual(metricNamesIn('sum by (le) (rate(rag_query_duration_seconds_bucket{outcome="failure"}[5m])) / sum(rate(http_requests_total[5m]))').sort(), ['http_requests_total', 'rag_query_duration_seconds_bucket']);
  // Parsed by lib/promql.ts: a metric without an underscore is still a metric, a filter panel names what it reads.
  assert.deepEqual(metricNamesIn('count(up == 0) or vector(0)'), ['up']);
  // The reference dashboards parse and every panel has a query.
  for (const f of ['system-overview', 'application-performance', 'error-tracking']) {
    const d = JSON.parse(readFileSync(new URL(`../reference/deploy/monitoring/grafana/dashboards/${f}.json`, import.meta.url), 'utf8'));
    assert.ok(dashboardPanelQueries(d).length > 3, f);
  }
});

test('a dashboard without panel queries yields none, so its line fails ("has no panel queries")', canFail('MON-GRAFANA-1', 'MON-GRAFANA-2', 'MON-GRAFANA-3'), () => {
  assert.deepEqual(dashboardPanelQueries({ title: 'System overview' }), []);
  assert.deepEqual(dashboardPanelQueries({ title: 'Application performance', panels: [{ type: 'text', title: 'Notes' }, { type: 'row', title: 'Latency', panels: [] }] }), []);
  assert.deepEqual(dashboardPanelQueries({ title: 'Error tracking', panels: [{ title: 'Errors', targets: [{ expr: '' }, { refId: 'A' }] }] }), []);
  assert.deepEqual(dashboardPanelQueries('not a dashboard'), []);
});

test('soak settings: defaults, and a wrong value names the variable', () => {
  assert.deepEqual(soakSettings({}), { durationS: 120, leakPctPerHour: 25, sampleS: 5 });
  assert.equal(soakSettings({ RAG_SOAK_SECONDS: '604800' }).sampleS, 300);
  assert.throws(() => soakSettings({ RAG_SOAK_SECONDS: '2m' }), (e: Error) => e instanceof ConfigError && /RAG_SOAK_SECONDS/.test(e.message));
  assert.throws(() => soakSettings({ RAG_SOAK_SECONDS: '5' }), /RAG_SOAK_SECONDS.*between 30/);
  assert.throws(() => soakSettings({ RAG_SOAK_LEAK_PCT_PER_HOUR: '-1' }), /RAG_SOAK_LEAK_PCT_PER_HOUR/);
});

test('least squares recovers slope and intercept', () => {
  const f = leastSquares([0, 1, 2, 3, 4].map((t) => ({ t, y: 10 + 2 * t })));
  assert.ok(Math.abs(f.slope - 2) < 1e-9 && Math.abs(f.intercept - 10) < 1e-9 && Math.abs(f.r2 - 1) < 1e-9);
});

test('leak verdict: flat noisy memory is stable, steady growth is a leak, a warm-up bump is ignored, few samples are inconclusive', canFail('STAB-DAILY-2'), () => {
  const MB = 1024 * 1024;
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2 * MB;
  const flat = Array.from({ length: 24 }, (_, i) => ({ t: i * 5, y: 80 * MB + noise() }));
  assert.equal(leakVerdict('flat', flat, { tolerancePctPerHour: 25, minAbsoluteGrowth: 2 * MB }).verdict, 'stable');
  // 50 KB/s on 80 MB = 225 %/h
  const growing = Array.from({ length: 24 }, (_, i) => ({ t: i * 5, y: 80 * MB + i * 5 * 50 * 1024 + noise() / 4 }));
  const v = leakVerdict('growing', growing, { tolerancePctPerHour: 25, minAbsoluteGrowth: 2 * MB, rateMinWindowS: 60 });
  assert.equal(v.verdict, 'leak', v.reason);
  // The same moderate growth in a soak too short for a rate verdict: warm-up cannot be ruled out, so only
  // gross growth (half the mean within the window) counts.
  assert.equal(leakVerdict('growing-short', growing, { tolerancePctPerHour: 25, minAbsoluteGrowth: 2 * MB }).verdict, 'stable');
  const gross = Array.from({ length: 24 }, (_, i) => ({ t: i * 5, y: 80 * MB + i * 5 * 1024 * 1024 + noise() / 4 }));
  const g = leakVerdict('gross', gross, { tolerancePctPerHour: 25, minAbsoluteGrowth: 2 * MB });
  assert.equal(g.verdict, 'leak', g.reason);
  const warm = flat.map((p, i) => ({ t: p.t, y: i < 4 ? 60 * MB + i * 5 * MB : p.y }));
  assert.equal(leakVerdict('warm', warm, { tolerancePctPerHour: 25, minAbsoluteGrowth: 2 * MB, rateMinWindowS: 60 }).verdict, 'stable');
  assert.equal(leakVerdict('short', flat.slice(0, 4), { tolerancePctPerHour: 25 }).verdict, 'inconclusive');
});

/** A real process with a planted leak (keeps 256 KB per request), sampled the way the soak samples: RSS from /proc. */
test('a planted leak in a real server fails the leak verdict', canFail('STAB-DAILY-2'), async () => {
  const code = `const http=require('http');const keep=[];http.createServer((q,s)=>{${'keep.push(Buffer.alloc(256*1024,1));'}s.end('ok')}).listen(0,'127.0.0.1',function(){console.log(this.address().port)});`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
    const get = () => new Promise<void>((resolve) => request({ host: '127.0.0.1', port, path: '/' }, (r) => { r.resume(); r.on('end', resolve); }).end());
    const points: Array<{ t: number; y: number }> = [];
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 10; k++) await get();
      points.push({ t: (Date.now() - t0) / 1000, y: rss() });
      await new Promise((r) => setTimeout(r, 100));
    }
    const v = leakVerdict('planted leak memory', points, { tolerancePctPerHour: 25, minAbsoluteGrowth: 2 * 1024 * 1024 });
    assert.equal(v.verdict, 'leak', v.reason);
  } finally {
    child.kill();
  }
});

test('promtoolFailedAlerts names the alerts whose cases failed, and only those', canFail('MON-ALERTS-1', 'MON-ALERTS-2', 'MON-ALERTS-3', 'MON-ALERTS-4', 'MON-ALERTS-5'), () => {
  const output = `Unit Testing:  /etc/prometheus/tests/rag-alerts.test.yml
  FAILED:
    alertname: HighMemoryUsage, time: 10m, 
        exp:[
            0:
              Labels:{alertname="HighMemoryUsage", instance="high:9100", job="node-exporter", severity="warning"}
            ], 
        got:[]
    alertname: HighMemoryUsage, time: 12m, 
        exp:[], 
        got:[]
`;
  assert.deepEqual(promtoolFailedAlerts({ ok: false, output }), ['HighMemoryUsage']);
  assert.deepEqual(promtoolFailedAlerts({ ok: true, output: 'SUCCESS' }), []);
  // A failure that names no alert (the test file does not parse) cannot clear any alert.
  assert.equal(promtoolFailedAlerts({ ok: false, output: 'FAILED:\n    yaml: unmarshal errors:\n  line 3: field foo not found' }), undefined);
});

// ------------------------------------------------------------------------------------------- alert rules by what they measure

const REFERENCE = new URL('../reference/deploy/', import.meta.url).pathname;
const REFERENCE_RULES = readFileSync(join(REFERENCE, 'monitoring/prometheus/rules/rag-alerts.yml'), 'utf8');
const RENAMES: Array<[string, string]> = [
  ['HighMemoryUsage', 'MemoryPressure'],
  ['HighCPUUsage', 'CpuSaturated'],
  ['ServiceUnavailable', 'TargetDown'],
  ['HighQueryFailureRate', 'RagQueriesFailing'],
  ['DocumentProcessingFailures', 'IngestErrors'],
];
const renamed = (text: string) => RENAMES.reduce((t, [from, to]) => t.replaceAll(`alert: ${from}`, `alert: ${to}`), text);

/** A deployment directory with the given rule files (relative path → text). */
function deployWith(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'mon-selftest-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(d, rel)), { recursive: true });
    writeFileSync(join(d, rel), text);
  }
  return d;
}

test('alert rules renamed are matched by what their expression measures and at the threshold, and pass', () => {
  const { rules, problems } = readAlertRuleFiles(REFERENCE, ['monitoring/prometheus/rules/rag-alerts.yml']);
  assert.deepEqual(problems, []);
  const foreign = rules.map((r) => ({ ...r, alert: RENAMES.find(([from]) => from === r.alert)?.[1] ?? r.alert, file: 'alerting/ops.yml' }));
  const m = matchChecklistAlerts(foreign);
  assert.deepEqual(m.map((x) => [x.want.alert, x.rule?.alert, x.how]), RENAMES.map(([from, to]) => [from, to, 'expression']));
  assert.deepEqual(checkChecklistAlerts(foreign).problems, []);
  assert.match(checkChecklistAlerts(foreign).details.join('\n'), /HighMemoryUsage: rule MemoryPressure, recognised by its expression: > 85% \(alerting\/ops\.yml\)/);
  // The contract's names still decide where they are used: the reference matches by name.
  assert.deepEqual(matchChecklistAlerts(rules).map((x) => x.how), ['name', 'name', 'name', 'name', 'name']);
  // One availability rule per service: the first is judged, the others are named with it.
  const perService = [
    { alert: 'BackendDown', expr: 'up{job="rag-backend"} == 0', file: 'a.yml' },
    { alert: 'OllamaDown', expr: 'probe_success{service="ollama"} == 0', file: 'a.yml' },
  ];
  const su = matchChecklistAlerts(perService)[2]!;
  assert.deepEqual([su.rule?.alert, su.also.map((r) => r.alert), su.problems], ['BackendDown', ['OllamaDown'], []]);
});

test('a renamed rule at the wrong threshold fails naming the rule, its file and the threshold', canFail('PRE-MONSTACK-3', 'MON-ALERTS-1', 'MON-ALERTS-4'), () => {
  const text = renamed(REFERENCE_RULES).replace('node_memory_MemTotal_bytes) * 100 > 85', 'node_memory_MemTotal_bytes) * 100 > 80').replace('sum(rate(rag_queries_total[5m])) > 0.05', 'sum(rate(rag_queries_total[5m])) > 0.5');
  const d = deployWith({ 'rules/x.yml': text });
  try {
    const { rules, problems } = readAlertRuleFiles(d, ['rules/x.yml']);
    assert.deepEqual(problems, []);
    const c = checkChecklistAlerts(rules);
    assert.equal(c.problems.length, 2, c.problems.join('\n'));
    assert.match(c.problems[0]!, /^alert 'MemoryPressure' \(rules\/x\.yml\) measures node_memory_\* but fires at > 80%; the checklist says "High memory usage alerts \(>85%\)", i\.e\. > 85%$/);
    assert.match(c.problems[1]!, /^alert 'RagQueriesFailing' \(rules\/x\.yml\) measures a \*quer\* series but fires at > 0\.5 \(= 50%\)/);
    const m = matchChecklistAlerts(rules);
    assert.deepEqual([m[0]!.how, m[0]!.rule?.alert], ['closest', 'MemoryPressure']);
    // The loaded rule judged on its own (the spec's check of what Prometheus runs) says the same.
    assert.match(checkAlertRule(CHECKLIST_ALERTS[0], m[0]!.rule!).problems.join(), /alert MemoryPressure fires at > 80%.*\(rules\/x\.yml\)/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('of several rules measuring a series the one at the threshold implements it; else the nearest one is judged', () => {
  const latency = { alert: 'SlowQueries', expr: 'histogram_quantile(0.95, sum by (le) (rate(rag_query_duration_seconds_bucket[5m]))) > 2', file: 'r.yml' };
  const failing = { alert: 'QueryErrors', expr: 'sum(rate(rag_queries_total{outcome="failure"}[5m])) / sum(rate(rag_queries_total[5m])) * 100 > 5', file: 'r.yml' };
  assert.deepEqual(matchChecklistAlerts([latency, failing])[3]!.rule?.alert, 'QueryErrors');
  const wrong = { ...failing, expr: failing.expr.replace('> 5', '> 10') };
  const m = matchChecklistAlerts([latency, wrong])[3]!;
  assert.deepEqual([m.how, m.rule?.alert], ['closest', 'QueryErrors']);
  assert.match(m.problems.join(), /fires at > 10%/);
});

test('no rule measuring memory fails saying so, with the files read', canFail('PRE-MONSTACK-3', 'MON-ALERTS-1'), () => {
  const rules = readAlertRules(join(REFERENCE, 'monitoring/prometheus/rules')).filter((r) => r.alert !== 'HighMemoryUsage');
  const c = checkChecklistAlerts(rules);
  assert.equal(c.problems.length, 1, c.problems.join('\n'));
  assert.match(c.problems[0]!, /^alert HighMemoryUsage \("High memory usage alerts \(>85%\)"\) is not defined, and no alert rule measures node_memory_\* \(rules read: 4 in rag-alerts\.yml\)$/);
  assert.match(checkChecklistAlerts([]).problems[0]!, /no alert rules read/);
});

test('a missing or unparsable rule file is a problem naming it, not a throw; the other files are still read', () => {
  const d = deployWith({ 'rules/good.yml': renamed(REFERENCE_RULES), 'rules/bad.yml': 'groups:\n  - name: x\n    rules: [\n', 'rules/other.yml': 'scrape_configs: []\n' });
  try {
    const r = readAlertRuleFiles(d, ['rules/good.yml', 'rules/bad.yml', 'rules/missing.yml', 'rules/other.yml']);
    assert.equal(r.rules.length, 5);
    assert.equal(r.problems.length, 3, r.problems.join('\n'));
    assert.match(r.problems[0]!, /^alert rule file rules\/bad\.yml is not valid YAML: /);
    assert.match(r.problems[1]!, /^alert rule file rules\/missing\.yml cannot be read: it does not exist$/);
    assert.match(r.problems[2]!, /^alert rule file rules\/other\.yml is not a Prometheus rule file/);
    assert.match(readAlertRuleFiles(d, []).problems.join(), /no alert rule file to read/);
    // readAlertRules(dir) keeps refusing a directory with a broken file.
    assert.throws(() => readAlertRules(join(d, 'rules')));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('the reference deployment: rule and promtool test files resolved from prometheus.yml, all five alerts by name', () => {
  const f = deploymentAlertFiles(REFERENCE, contractProfile());
  assert.deepEqual(f.problems, []);
  assert.match(f.from, /^monitoring\/prometheus\/rules\/rag-alerts\.yml \(found: rule_files of monitoring\/prometheus\/prometheus\.yml\)$/);
  assert.deepEqual(f.tests, ['monitoring/prometheus/tests/rag-alerts.test.yml']);
  assert.deepEqual(checkChecklistAlerts(f.rules).problems, []);
  const cases = promtoolTestCases(readFileSync(join(REFERENCE, f.tests[0]!), 'utf8'));
  for (const a of CHECKLIST_ALERTS) assert.ok(cases.includes(a.alert), a.alert);
  assert.deepEqual(promtoolTestCases('tests: [\n'), []);
  // Prometheus's loaded rules are matched the same way (a live target without the deployment directory).
  const loaded = loadedAlertRules([{ type: 'alerting', name: 'TargetDown', query: 'up == 0', file: '/etc/prometheus/rules/a.yml' }, { type: 'recording', name: 'x:y', query: 'sum(up)' }]);
  assert.deepEqual(matchChecklistAlerts(loaded)[2]!.rule, { alert: 'TargetDown', expr: 'up == 0', file: '/etc/prometheus/rules/a.yml' });
});

// ------------------------------------------------------------------------------------------- series that do not exist

const target = (job: string, health: ScrapeTarget['health'], lastScrape: number): ScrapeTarget => ({ job, instance: `${job}:1`, health, lastError: health === 'up' ? '' : 'connection refused', scrapeUrl: '', lastScrape });

test('a series Prometheus does not have, from a job that is up and scraped since, is missing for good – naming the series and the job', canFail('MON-APPMET-1', 'MON-SYSMET-1'), () => {
  const known = new Set(['rag_queries_total', 'node_cpu_seconds_total', 'up']);
  const targets = [target('rag-backend', 'up', 2_000), target('node-exporter', 'up', 2_000)];
  assert.deepEqual(seriesPresence('rag_queries_total', known, ['rag-backend'], targets, 1_000), { series: 'rag_queries_total', final: false });
  const gone = seriesPresence('rag_query_duration_seconds_count', known, ['rag-backend'], targets, 1_000);
  assert.equal(gone.final, true);
  assert.match(gone.missing!, /^rag_query_duration_seconds_count does not exist in Prometheus at all: job rag-backend is up and scraped after .* and exports other rag_\* series, but not this one$/);
  const none = seriesPresence('container_memory_usage_bytes', known, [], targets, 1_000);
  assert.equal(none.final, true);
  assert.match(none.missing!, /no job exports any container_\* series \(jobs up .*: rag-backend, node-exporter\)/);
});

test('a missing series is waited for while its job is down or not scraped since the traffic', () => {
  const known = new Set(['rag_queries_total']);
  const stale = seriesPresence('rag_documents_processed_total', known, ['rag-backend'], [target('rag-backend', 'up', 500)], 1_000);
  assert.deepEqual([stale.final, /not scraped again yet/.test(stale.missing!)], [false, true]);
  const down = seriesPresence('rag_documents_processed_total', known, ['rag-backend'], [target('rag-backend', 'down', 2_000)], 1_000);
  assert.deepEqual([down.final, /rag-backend \(rag-backend:1\) is down: connection refused/.test(down.missing!)], [false, true]);
});
