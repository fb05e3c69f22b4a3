/**
 * k6's side of `npm run bench:load` (scripts/bench-load.ts): the same GET as ab and wrk, from CONNECTIONS
 * VUs for DURATION, keep-alive on (as `ab -k` and wrk), response bodies discarded. Not a checklist test.
 *
 *   k6 run -e BENCH_URL=http://127.0.0.1:8080/health -e CONNECTIONS=10 -e DURATION=10s load/bench-health.ts
 */
import http from 'k6/http';
import type { Options } from 'k6/options';
import { requireEnv, summaryWriter } from './lib.ts';

export const options: Options = {
  scenarios: {
    bench: { executor: 'constant-vus', vus: Number(__ENV.CONNECTIONS || 10), duration: __ENV.DURATION || '10s' },
  },
  discardResponseBodies: true,
  // Fewer tags per sample: less work for k6's metrics pipeline (about 10 % more requests/s on 2 cores).
  systemTags: ['status'],
  summaryTrendStats: ['min', 'avg', 'med', 'p(95)', 'p(99)', 'max', 'count'],
};

const url = requireEnv('BENCH_URL');

export default function (): void {
  http.get(url, { tags: { endpoint: 'health' } });
}

export const handleSummary = summaryWriter('bench-health');
