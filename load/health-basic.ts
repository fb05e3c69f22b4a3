/**
 * P3-LOAD-1 – "Basic load test: `ab -n 100 -c 10 http://localhost/health`" as k6:
 * 100 iterations shared by 10 VUs (the shared-iterations executor is exactly ab's -n/-c), one GET /health
 * through Nginx each, no request may fail: every answer is a 200 without an error in the body (and, when it is the
 * contract's JSON, not `unhealthy`), counted by `health_ok`, which must reach 100. Each wrong answer is printed as
 * a RESULT line (status, why, the start of the body) for the report.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 load/health-basic.ts
 *   (HEALTH_URL overrides the URL, e.g. when BASE_URL is the HTTPS entry point and /health is on port 80)
 */
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';
import { healthAnswerProblems } from '../core/contract.ts';
import { BASIC_LOAD_CONCURRENCY, BASIC_LOAD_PATH, BASIC_LOAD_REQUESTS } from '../core/thresholds.ts';
import { baseUrl, errorShape, K6_THRESHOLDS, parseJson, REQUEST_TIMEOUT, result, short, summaryWriter, tagged } from './lib.ts';

/** Correct answers to GET /health (must reach BASIC_LOAD_REQUESTS: a Counter fails `count>=N` at 0). */
const healthOk = new Counter('health_ok');

export const options: Options = {
  scenarios: {
    ab: { executor: 'shared-iterations', vus: BASIC_LOAD_CONCURRENCY, iterations: BASIC_LOAD_REQUESTS, maxDuration: '2m' },
  },
  thresholds: { ...K6_THRESHOLDS.health },
  // ab keeps no connection alive unless -k is given; keep k6 comparable (one connection per request).
  noConnectionReuse: true,
  summaryTrendStats: ['min', 'avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export function setup(): { url: string } {
  return { url: __ENV.HEALTH_URL || `${baseUrl()}${BASIC_LOAD_PATH}` };
}

/** Why an answer to GET /health is not a healthy one (undefined when it is). */
function healthProblem(res: { status: number; body: unknown; error?: string }): string | undefined {
  if (res.status === 0) return `no response (${res.error || 'connection failed'})`;
  if (res.status !== 200) return `HTTP ${res.status}`;
  const error = errorShape(parseJson(res.body));
  if (error) return `HTTP 200 with an error in the body (${error})`;
  // The same rule the Phase 2 health lines apply: a 200 `{}` says nothing about health.
  return healthAnswerProblems(typeof res.body === 'string' ? res.body : '', 'GET /health')[0];
}

export default function (data: { url: string }): void {
  const res = http.get(data.url, tagged('health', { timeout: REQUEST_TIMEOUT }));
  const why = healthProblem(res);
  check(res, { 'GET /health answers 200': (r) => r.status === 200, 'the answer carries no error': () => why === undefined }, { endpoint: 'health' });
  if (why === undefined) healthOk.add(1);
  else result('health-basic', { stage: 'health', ok: false, status: res.status, ms: Math.round(res.timings.duration), why, body: short(res.body, 200) });
}

export const handleSummary = summaryWriter('health-basic');
