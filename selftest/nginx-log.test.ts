/**
 * k6 against Nginx (lib/nginx-log.ts, core/request-mark.ts; `npm run bench:load`): the JSON access log read line by
 * line (malformed lines skipped and counted), exactly the marked run's requests selected, the p95 as k6 computes it,
 * and the agreement bound max(10 %, 5 ms) – and, where k6 is installed, that load/lib.ts really sends the mark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markedEndpoint, markedUserAgent } from '../core/request-mark.ts';
import { BASIC_LOAD_REQUESTS } from '../core/thresholds.ts';
import { percentile } from '../lib/k6-merge.ts';
import { k6Missing, runK6 } from '../lib/k6.ts';
import { agreement, markedRequests, p95, parseAccessLog } from '../lib/nginx-log.ts';

const MARK = 'rag-gate-bench/abc123/health-basic';

/** A line as the reference's `log_format json_safe` writes it. */
function line(o: { uri?: string; method?: string; status?: number; seconds?: number | string; ua?: string }): string {
  return JSON.stringify({
    time: '2026-11-30T01:01:51+00:00',
    remote_addr: '172.20.0.1',
    remote_user: '',
    method: o.method ?? 'GET',
    uri: o.uri ?? '/health',
    protocol: 'HTTP/1.1',
    status: o.status ?? 200,
    body_bytes_sent: 21,
    request_time: o.seconds ?? 0.001,
    upstream_addr: '',
    upstream_status: '',
    upstream_response_time: '',
    user_agent: o.ua ?? markedUserAgent(MARK, 'health'),
    request_id: '7985ebb7dc5e7feadd8640b2c3cb0b6b',
    tls: '',
    host: 'localhost',
  });
}

test('the mark: the User-Agent names the run and the endpoint, and only that run reads back', () => {
  assert.equal(markedUserAgent(MARK, 'query'), 'rag-gate-bench/abc123/health-basic (query)');
  assert.equal(markedEndpoint('rag-gate-bench/abc123/health-basic (query)', MARK), 'query');
  assert.equal(markedEndpoint('rag-gate-bench/abc1234/health-basic (query)', 'rag-gate-bench/abc123'), undefined, 'a mark that merely starts with this one is another run');
  assert.equal(markedEndpoint('Grafana k6/1.8.1 (https://k6.io/)', MARK), undefined);
  assert.equal(markedEndpoint(`${MARK} (query) extra`, MARK), undefined);
  assert.equal(markedEndpoint('anything', ''), undefined, 'an empty mark marks nothing');
});

test('the access log: json_safe lines become entries in ms; malformed lines are skipped and counted, blank ones ignored', () => {
  const text = [
    line({ seconds: 0.012 }),
    '',
    '2026/11/30 01:01:51 [error] 29#29: *1 connect() failed',
    line({ seconds: 0.003 }).slice(0, 80),
    JSON.stringify({ uri: '/health', status: 200, user_agent: 'x' }),
    line({ seconds: '-' }),
    line({ seconds: -1 }),
    '[1, 2]',
    line({ seconds: '0.250', method: 'POST', uri: '/query', status: 502 }),
  ].join('\n');
  const log = parseAccessLog(text);
  assert.equal(log.malformed, 6, 'a text line, a cut line, one without request_time, "-" and a negative time, an array');
  assert.equal(log.entries.length, 2);
  assert.deepEqual(log.entries[0], { method: 'GET', uri: '/health', status: 200, requestTimeMs: 12, userAgent: markedUserAgent(MARK, 'health') });
  assert.equal(log.entries[1]!.requestTimeMs, 250, 'a quoted request_time is read too');
  assert.equal(log.entries[1]!.status, 502);
});

test('only the marked run\'s requests are selected, by endpoint: other clients and other runs are not counted', () => {
  const log = parseAccessLog(
    [
      line({ seconds: 0.001 }),
      line({ seconds: 0.002 }),
      line({ seconds: 0.9, ua: 'Prometheus/2.42.0' }),
      line({ seconds: 0.9, ua: 'Grafana k6/1.8.1 (https://k6.io/)' }),
      line({ seconds: 0.9, ua: markedUserAgent('rag-gate-bench/other/health-basic', 'health') }),
      line({ seconds: 0.4, method: 'POST', uri: '/query', ua: markedUserAgent(MARK, 'seed') }),
    ].join('\n'),
  );
  const mine = markedRequests(log.entries, MARK);
  assert.deepEqual([...mine.keys()].sort(), ['health', 'seed']);
  assert.deepEqual(mine.get('health')!.map((e) => e.requestTimeMs), [1, 2]);
  assert.equal(mine.get('seed')!.length, 1);
});

test('p95 is k6\'s percentile (linear between the nearest ranks), whatever the order of the samples', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(p95(xs), percentile([...xs].sort((a, b) => a - b), 95));
  assert.equal(p95([10, 20, 30, 40, 50]), 48);
  assert.equal(p95([]), undefined);
});

test('a 30 % disagreement fails, naming both figures and the bound', () => {
  const nginx = Array.from({ length: 100 }, () => 100);
  const a = agreement(nginx.map((v) => v * 1.3), nginx);
  assert.equal(a.ok, false);
  assert.equal(a.diffMs, 30);
  assert.equal(a.allowedMs, 10);
  assert.match(a.problem!, /k6's p95 130\.0 ms is 30\.0 ms above Nginx's 100\.0 ms, more than the 10\.0 ms allowed/);
  assert.equal(agreement(nginx.map((v) => v * 0.7), nginx).ok, false, 'below by 30 % fails as well');
  assert.equal(agreement(nginx.map((v) => v * 1.09), nginx).ok, true, '9 % is within 10 %');
});

test('a 3 ms disagreement on a 20 ms p95 passes by the 5 ms floor; 8 ms does not', () => {
  const nginx = Array.from({ length: 10 }, () => 20);
  const a = agreement(nginx.map((v) => v + 3), nginx);
  assert.equal(a.allowedMs, 5, '10 % of 20 ms is 2 ms: the floor applies');
  assert.equal(a.ok, true, a.problem);
  assert.equal(agreement(nginx.map((v) => v + 8), nginx).ok, false);
});

test('not the same requests: a request Nginx did not log, or none logged at all, fails with the counts', () => {
  const a = agreement([5, 5, 5], [5, 5]);
  assert.equal(a.ok, false);
  assert.match(a.problem!, /k6 made 3, Nginx logged 2/);
  const none = agreement(Array.from({ length: BASIC_LOAD_REQUESTS }, () => 1), []);
  assert.equal(none.ok, false);
  assert.match(none.problem!, /Nginx logged none of the 100 requests k6 made/);
  assert.match(agreement([], []).problem!, /k6 made no such request/);
});

test('load/health-basic.ts with REQUEST_MARK: every request carries the marked User-Agent of its endpoint', { skip: k6Missing() }, async () => {
  const agents: string[] = [];
  const server = createServer((req, res) => {
    agents.push(String(req.headers['user-agent']));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'nginx-log-'));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const run = await runK6('health-basic', { BASE_URL: base, REQUEST_MARK: MARK }, undefined, { summaryDir: dir, timeoutMs: 60_000 });
    assert.equal(run.exitCode, 0, run.stderr.slice(-500));
    assert.equal(agents.length, BASIC_LOAD_REQUESTS);
    assert.deepEqual([...new Set(agents)], [markedUserAgent(MARK, 'health')]);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
