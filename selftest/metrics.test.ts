/** Unit tests of checks/metrics.ts: "present and moving" for each performance metric line, with the bad input that turns it red. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerResourceCoverage, hasMoved, movementProblems, outcomeLabelProblems } from '../checks/metrics.ts';
import { canFail } from './helpers.ts';

const MEMORY = 'memory in use (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)';
const DISK = 'disk I/O (node_disk_read_bytes_total + node_disk_written_bytes_total)';
const NETWORK = 'network traffic (node_network_receive/transmit_bytes_total)';
const PROCESSING = 'document processing times (rag_document_processing_seconds_count)';
const ERRORS = 'HTTP errors (http_requests_total{status=~"4..|5.."})';
const QUERIES = 'user activity: queries (rag_queries_total)';
const REQUESTS = 'throughput: requests (http_requests_total)';

test('a system metric that changed between two reads is present and moving; a gauge may fall', () => {
  assert.deepEqual(movementProblems({ what: MEMORY, before: 1_200_000_000, after: 1_150_000_000, absent: [] }, 'change'), []);
  assert.deepEqual(movementProblems({ what: DISK, before: 10, after: 4096, absent: [] }, 'change'), []);
  assert.equal(hasMoved({ before: 5, after: 5 }, 'change'), false);
  assert.equal(hasMoved({ before: undefined, after: 5 }, 'change'), false);
});

test('memory in use that reads the same twice is a dead exporter, named with both reads', canFail('MON-SYSMET-2'), () => {
  const p = movementProblems({ what: MEMORY, before: 1_200_000_000, after: 1_200_000_000, absent: [] }, 'change');
  assert.deepEqual(p, [`${MEMORY} did not change between two scrapes (before 1200000000, after 1200000000): a series that never moves is a dead exporter, not monitoring`]);
});

test('disk I/O series Prometheus does not have at all fail with the series and the job that should export them', canFail('MON-SYSMET-3'), () => {
  const absent = 'node_disk_read_bytes_total does not exist in Prometheus at all: job node-exporter is up and exports other node_* series, but not this one';
  assert.deepEqual(movementProblems({ what: DISK, absent: [absent] }, 'change'), [`${DISK}: ${absent}`]);
});

test('network traffic with no series before or after fails "no such series"; one that vanished fails too', canFail('MON-SYSMET-4'), () => {
  assert.deepEqual(movementProblems({ what: NETWORK, absent: [] }, 'change'), [`${NETWORK}: Prometheus has no such series`]);
  assert.match(movementProblems({ what: NETWORK, before: 123, absent: [] }, 'change').join(), /network traffic .*: the series disappeared from Prometheus \(before: 123, after: no series\)/);
});

test('container resources: a running container with neither cAdvisor nor process memory and CPU series is named', canFail('MON-SYSMET-5'), () => {
  const running = [
    { service: 'rag-backend', name: 'rag-rag-backend-1' },
    { service: 'chroma', name: 'rag-chroma-1' },
    { service: 'nginx', name: 'rag-nginx-1' },
    { service: 'redis', name: 'rag-redis-1' },
  ];
  const r = containerResourceCoverage(running, { cadvisorNames: new Set(['rag-nginx-1']), processMemoryJobs: new Set(['rag-backend', 'chroma']), processCpuJobs: new Set(['rag-backend']) });
  assert.deepEqual(r.coverage.map((c) => c.how), ['process_* of scrape job rag-backend (stand-in for the container)', undefined, 'cAdvisor container_* series', undefined]);
  assert.deepEqual(r.problems, [
    'chroma (container rag-chroma-1): no cAdvisor series and no process_* memory and CPU series (process memory series of its job, but no CPU series)',
    'redis (container rag-redis-1): no cAdvisor series and no process_* memory and CPU series',
  ]);
  assert.deepEqual(containerResourceCoverage(running.slice(0, 1), { cadvisorNames: new Set(), processMemoryJobs: new Set(['rag-backend']), processCpuJobs: new Set(['rag-backend']) }).problems, []);
});

test('an application counter that grew after the traffic passes', () => {
  assert.deepEqual(movementProblems({ what: PROCESSING, before: 3, after: 4, absent: [] }, 'grow'), []);
});

test('document processing times that did not grow after an upload fail, with both reads', canFail('MON-APPMET-2'), () => {
  assert.deepEqual(movementProblems({ what: PROCESSING, before: 3, after: 3, absent: [] }, 'grow'), [`${PROCESSING} did not grow after the traffic (before 3, after 3)`]);
});

test('error rates: HTTP errors that did not grow fail; a query counter without outcome="failure" cannot give a failure rate', canFail('MON-APPMET-3'), () => {
  assert.match(movementProblems({ what: ERRORS, before: 7, after: 7, absent: [] }, 'grow').join(), /HTTP errors .* did not grow after the traffic \(before 7, after 7\)/);
  assert.deepEqual(outcomeLabelProblems('rag_queries_total', [{ outcome: 'success' }, { outcome: 'success', route: '/query' }]), [
    'rag_queries_total has no series with outcome="failure" (outcomes: success), so no query failure rate can be computed',
  ]);
  assert.match(outcomeLabelProblems('rag_queries_total', [{ status: '200' }]).join(), /no series with outcome="failure" or outcome="success" \(outcomes: no outcome label\)/);
  assert.match(outcomeLabelProblems('rag_queries_total', []).join(), /^rag_queries_total: Prometheus has no such series/);
  assert.deepEqual(outcomeLabelProblems('rag_queries_total', [{ outcome: 'failure' }, { outcome: 'success' }]), []);
});

test('user activity: a query counter that fell after the traffic (a restart) did not grow, and says why', canFail('MON-APPMET-4'), () => {
  assert.deepEqual(movementProblems({ what: QUERIES, before: 40, after: 2, absent: [] }, 'grow'), [
    `${QUERIES} did not grow after the traffic (before 40, after 2): the counter fell, so the service restarted or the series was reset`,
  ]);
});

test('throughput: a request counter Prometheus had no series of before the traffic shows no movement', canFail('MON-APPMET-5'), () => {
  assert.deepEqual(movementProblems({ what: REQUESTS, after: 12, absent: [] }, 'grow'), [`${REQUESTS}: Prometheus had no such series before the traffic (after: 12), so no movement can be seen`]);
  const absent = 'http_requests_total does not exist in Prometheus at all: job rag-backend is up and exports other http_* series, but not this one';
  assert.deepEqual(movementProblems({ what: REQUESTS, absent: [absent] }, 'grow'), [`${REQUESTS}: ${absent}`]);
});
