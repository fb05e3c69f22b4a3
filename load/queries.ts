/**
 * P3-LOAD-3 "Query response times under load (10 concurrent queries)" and
 * P3-BENCH-2 "Query response: <2 seconds for complex queries".
 *
 * 10 VUs start together and each posts QUERIES_PER_CLIENT realistic, multi-part questions to /query
 * back to back (each worded uniquely, so no answer comes from the backend's cache); p95 of http_req_duration{endpoint:query} must stay < 2 s and every answer must be a
 * 200 with an answer and a sources list. When API_KEY is given, setup uploads one seed document (so the
 * questions have something to retrieve) and teardown deletes it; without API_KEY (or when that upload
 * fails) the store is queried as it is.
 *
 *   k6 run -e BASE_URL=https://127.0.0.1:8443 [-e API_KEY=...] load/queries.ts
 */
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { CONCURRENT_QUERIES, MAX_UPLOAD_TO_SEARCHABLE_MS, QUERIES_PER_CLIENT } from '../core/thresholds.ts';
import { baseUrl, findDocId, K6_THRESHOLDS, REQUEST_TIMEOUT, STATUS_POLL_INTERVAL_MS, summaryWriter, tagged } from './lib.ts';
import { QUESTIONS, seedDocument } from './documents.ts';

export const options: Options = {
  scenarios: {
    queries: {
      executor: 'per-vu-iterations',
      vus: CONCURRENT_QUERIES,
      // QUERIES_PER_CLIENT=1 gives exactly the checklist's 10 concurrent queries (the gate does so in live mode).
      iterations: Number(__ENV.QUERIES_PER_CLIENT || QUERIES_PER_CLIENT),
      maxDuration: '5m',
    },
  },
  thresholds: { ...K6_THRESHOLDS.queries },
  summaryTrendStats: ['min', 'avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'],
};

interface SetupData {
  base: string;
  seedDocId?: string;
}

export function setup(): SetupData {
  const base = baseUrl();
  const key = __ENV.API_KEY;
  if (!key) return { base };
  const seed = seedDocument(`${Date.now().toString(36)}`);
  const up = http.post(`${base}/api/v1/documents/upload`, { files: http.file(seed.text, seed.filename, 'text/plain') }, tagged('upload', { headers: { 'X-API-Key': key }, timeout: REQUEST_TIMEOUT }));
  let seedDocId: string | undefined;
  try {
    seedDocId = findDocId(up.json());
  } catch {
    seedDocId = undefined;
  }
  if (!seedDocId) {
    // The query line is measured on its own: a failing upload is the upload line's failure, so the queries
    // run against the store as it is.
    console.warn(`setup: uploading the seed document failed (HTTP ${up.status}); querying the store as it is`);
    return { base };
  }
  const t0 = Date.now();
  while (Date.now() - t0 < MAX_UPLOAD_TO_SEARCHABLE_MS) {
    const st = http.get(`${base}/api/v1/documents/${seedDocId}/status`, tagged('status'));
    let status = '';
    try {
      status = String((st.json() as { status?: string }).status ?? '');
    } catch {
      /* not JSON yet */
    }
    if (status === 'completed') break;
    if (status === 'failed') {
      console.warn('setup: the seed document failed to process; querying the store as it is');
      break;
    }
    sleep(STATUS_POLL_INTERVAL_MS / 1000);
  }
  return { base, seedDocId };
}

export default function (data: SetupData): void {
  // The backend caches answers by question: every request gets its own wording (client and round number) so
  // each one takes the full retrieval + generation path, which is what the checklist's limit is about.
  const base = QUESTIONS[(exec.vu.idInTest + exec.vu.iterationInScenario) % QUESTIONS.length]!;
  const question = `${base} (client ${exec.vu.idInTest}, round ${exec.vu.iterationInScenario + 1})`;
  const res = http.post(`${data.base}/query`, JSON.stringify({ question }), tagged('query', { headers: { 'Content-Type': 'application/json' }, timeout: REQUEST_TIMEOUT }));
  check(
    res,
    {
      'query answers 200': (r) => r.status === 200,
      'answer is a non-empty text with a sources list': (r) => {
        try {
          const b = r.json() as { answer?: unknown; sources?: unknown };
          return typeof b.answer === 'string' && b.answer.length > 0 && Array.isArray(b.sources);
        } catch {
          return false;
        }
      },
    },
    { endpoint: 'query' },
  );
}

export function teardown(data: SetupData): void {
  if (data.seedDocId) http.del(`${data.base}/api/v1/documents/${data.seedDocId}`, null, tagged('delete', { headers: { 'X-API-Key': __ENV.API_KEY! } }));
}

export const handleSummary = summaryWriter('queries');
