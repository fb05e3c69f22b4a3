/** Unit tests of the monitoring and stability fixtures: webhook planning and receiving, PromQL helpers, soak settings and the leak verdict (with a real planted leak). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { AlertReceiver, parseWebhookPayload, planWebhook } from '../lib/alert-receiver.ts';
import { dashboardPanelQueries, expandGrafanaVariables, metricNamesIn, promtoolFailedAlerts } from '../lib/prometheus.ts';
import { leakVerdict, leastSquares } from '../checks/stability.ts';
import { ConfigError, soakSettings } from '../core/config.ts';

test('webhook plan: host.docker.internal is receivable, loopback and https are not (with the reason)', () => {
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

test('leak verdict: flat noisy memory is stable, steady growth is a leak, a warm-up bump is ignored, few samples are inconclusive', () => {
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
test('a planted leak in a real server fails the leak verdict', async () => {
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

test('promtoolFailedAlerts names the alerts whose cases failed, and only those', () => {
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
