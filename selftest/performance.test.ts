/**
 * Bad-input tests of Performance Validation's decisions (checks/performance.ts, and what lib/k6.ts and lib/containers.ts
 * give tests/30-integration/performance.spec.ts to decide on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadResourceProblems, memoryProblems, searchableUploadsProblems, slowestInteractions, slowestUploadProblems, uiInteractionProblems } from '../checks/performance.ts';
import { peaks, type ContainerSample } from '../lib/containers.ts';
import { describeFailures, metric, resultsAt, type K6Run } from '../lib/k6.ts';
import { canFail } from './helpers.ts';

const GB = 1024 ** 3;

test('ab -n 100 -c 10: requests that failed or answered 200 with an error are counted and named by kind', canFail('P3-LOAD-1'), () => {
  const failure = (status: number, body: string, why?: string) => ({ script: 'health-basic', stage: 'health', status, body, ...(why ? { why } : {}) });
  const run: K6Run = {
    script: 'health-basic', exitCode: 0, stdout: '', stderr: '', logs: [], failedThresholds: [], durationMs: 900, startedAt: 0, endedAt: 900,
    summary: { metrics: { http_reqs: { type: 'counter', contains: 'default', values: { count: 100 } }, health_ok: { type: 'counter', contains: 'default', values: { count: 97 } } } },
    results: [failure(502, '<html>502 Bad Gateway</html>'), failure(502, '<html>502 Bad Gateway</html>'), failure(200, '{"error":"chroma down"}', 'HTTP 200 with an error in the body'), { script: 'queries', stage: 'health', status: 500 }],
  };
  const sent = metric(run, 'http_reqs', 'count')!;
  const failures = resultsAt(run, 'health');
  const failed = Math.max(failures.length, sent - metric(run, 'health_ok', 'count')!);
  assert.equal(failed, 3, 'the spec fails the line on any failed request');
  assert.equal(describeFailures(failures, sent, 'GET /health requests', failed), '3 of 100 GET /health requests failed – HTTP 502 ×2, HTTP 200 with an error in the body ×1; first: HTTP 502: <html>502 Bad Gateway</html> | HTTP 200 with an error in the body: {"error":"chroma down"}');
});

test('simultaneous uploads: fewer than 5 searchable fails with what became of each upload', canFail('P3-LOAD-2', 'P3-BENCH-1'), () => {
  assert.deepEqual(searchableUploadsProblems(5, 'all searchable'), []);
  assert.deepEqual(searchableUploadsProblems(3, 'upload 2: stopped at processing after 30000 ms (failed); upload 4: stopped at upload after 12 ms (422)'), [
    '3 of 5 simultaneous uploads became searchable: upload 2: stopped at processing after 30000 ms (failed); upload 4: stopped at upload after 12 ms (422)',
  ]);
});

test('upload benchmark: the slowest upload at 30 s or more, or none measured, fails', canFail('P3-BENCH-1'), () => {
  assert.deepEqual(slowestUploadProblems(4_200), []);
  assert.deepEqual(slowestUploadProblems(30_000), ['the slowest upload became searchable after 30000 ms; the checklist requires < 30000 ms']);
  assert.deepEqual(slowestUploadProblems(undefined), ['no upload became searchable, so no upload time was measured']);
});

/** Samples of one container every second: memory used, its limit, restart count, running, OOM-killed. */
function samples(service: string, rows: Array<[mem: number, limit: number, restarts?: number, running?: boolean, oom?: boolean]>): ContainerSample[] {
  return rows.map(([mem, limit, restarts = 0, running = true, oom = false], i) => ({
    t: i * 1000, service, container: `rag-${service}-1`, running, memUsage: mem, anonBytes: mem, memLimit: limit, limited: limit < 8 * GB, restartCount: restarts, oomKilled: oom, cpuPercent: 40,
  }));
}

test('resource usage during load: a container that stopped, restarted or was OOM-killed, and a load nothing sampled, fail', canFail('P3-LOAD-4'), () => {
  assert.deepEqual(loadResourceProblems('queries', peaks(samples('rag-backend', [[1 * GB, 2 * GB], [1.2 * GB, 2 * GB]])), 2, []), []);
  const bad = peaks([...samples('rag-backend', [[1 * GB, 2 * GB, 0], [1.9 * GB, 2 * GB, 1, true, true]]), ...samples('chroma', [[0.5 * GB, 16 * GB], [0, 16 * GB, 0, false]])]);
  assert.deepEqual(loadResourceProblems('uploads', bad, 4, []), [
    'uploads: rag-backend restarted 1 time(s) during the load',
    'uploads: rag-backend was OOM-killed',
    'uploads: chroma was not running during the load',
  ]);
  assert.deepEqual(loadResourceProblems('health-basic', [], 0, ['Docker API: connect ENOENT /var/run/docker.sock']), ['health-basic: no resource sample was taken (Docker API: connect ENOENT /var/run/docker.sock)']);
});

test('memory under load: a container or the whole stack at 80 % of what is available to it fails', canFail('P3-BENCH-4'), () => {
  const calm = peaks([...samples('rag-backend', [[1 * GB, 2 * GB]]), ...samples('chroma', [[2 * GB, 16 * GB]])]);
  assert.deepEqual(memoryProblems(calm, { fraction: 0.3, hostBytes: 16 * GB }), []);
  const full = peaks(samples('rag-backend', [[1 * GB, 2 * GB], [1.7 * GB, 2 * GB]]));
  assert.deepEqual(memoryProblems(full, { fraction: 0.82, hostBytes: 16 * GB }), [
    'rag-backend peaked at 85.0 % of 2048.0 MiB (its limit)',
    "the whole stack peaked at 82.0 % of the host's 16384.0 MiB",
  ]);
});

test('UI interactions: the slowest entry per interaction decides; one of 200 ms or more fails, named', canFail('P3-BENCH-3'), () => {
  const e = (interactionId: number, duration: number, name = 'click', target = 'a') => ({ name, duration, interactionId, target, page: '/' });
  const worst = slowestInteractions([e(1, 24), e(1, 40, 'pointerup'), e(2, 96, 'keydown', 'textarea'), e(0, 500, 'pointermove')]);
  assert.deepEqual(worst.map((x) => [x.interactionId, x.duration]), [[2, 96], [1, 40]], 'an entry without an interaction (pointermove) is no interaction');
  assert.deepEqual(uiInteractionProblems(worst), []);
  assert.deepEqual(uiInteractionProblems(slowestInteractions([e(3, 240, 'click', 'button'), e(4, 199)])), ['click on button (/) took 240 ms; the checklist allows < 200 ms']);
});
