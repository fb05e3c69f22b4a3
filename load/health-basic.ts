/**
 * P3-LOAD-1 – "Basic load test: `ab -n 100 -c 10 http://localhost/health`" as k6:
 * 100 iterations shared by 10 VUs (the shared-iterations executor is exactly ab's -n/-c), one GET /health
 * through Nginx each, no request may fail.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 load/health-basic.ts
 *   (HEALTH_URL overrides the URL, e.g. when BASE_URL is the HTTPS entry point and /health is on port 80)
 */
import http from 'k6/http';
import { check } from 'k6';
import type { Options } from 'k6/options';
import { BASIC_LOAD_CONCURRENCY, BASIC_LOAD_PATH, BASIC_LOAD_REQUESTS } from '../core/thresholds.ts';
import { baseUrl, K6_THRESHOLDS, REQUEST_TIMEOUT, summaryWriter, tagged } from './lib.ts';

export const options: Options = {
  scenarios: {
    ab: {
      executor: 'shared-iterations',
      vus: BASIC_LOAD_CONCURRENCY,
      iterations: BASIC_LOAD_REQUESTS,
      maxDuration: '2m',
    },
  },
  thresholds: { ...K6_THRESHOLDS.health },
  // ab keeps no connection alive unless -k is given; keep k6 comparable (one connection per request).
  noConnectionReuse: true,
  summaryTrendStats: ['min', 'avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export function setup(): { url: string } {
  return { url: __ENV.HEALTH_URL || `${baseUrl()}${BASIC_LOAD_PATH}` };
}

export default function (data: { url: string }): void {
  const res = http.get(data.url, tagged('health', { timeout: REQUEST_TIMEOUT }));
  check(res, { 'GET /health answers 200': (r) => r.status === 200 }, { endpoint: 'health' });
}

export const handleSummary = summaryWriter('health-basic');
