/**
 * P3-LOAD-2 "Document processing under load (5 simultaneous uploads)" and
 * P3-BENCH-1 "Document upload: <30 seconds for typical documents".
 *
 * 5 VUs start together and each uploads one generated typical document (POST /api/v1/documents/upload,
 * multipart field `files`, X-API-Key), polls GET /api/v1/documents/{id}/status until `completed`, then asks
 * /query until an answer cites that document. `upload_to_searchable` is the time from the start of the
 * upload until that answer; every upload must get there in < 30 s. Each VU deletes its document; teardown
 * sweeps anything of this run that is left (and nothing else).
 *
 *   k6 run -e BASE_URL=https://127.0.0.1:8443 -e API_KEY=... load/uploads.ts
 */
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { MAX_UPLOAD_TO_SEARCHABLE_MS, SIMULTANEOUS_UPLOADS } from '../core/thresholds.ts';
import {
  answerProblem,
  API,
  authHeaders,
  baseUrl,
  K6_THRESHOLDS,
  NEEDS_KEY,
  questionBody,
  REQUEST_TIMEOUT,
  requireEnv,
  result as report,
  SEARCHABLE_WAIT_MS,
  short,
  STATUS_POLL_INTERVAL_MS,
  summaryWriter,
  tagged,
  uploadDocument,
} from './lib.ts';
import { questionFor, typicalDocument } from './documents.ts';

/** Time from the start of an upload until a /query cites the document (ms). */
const uploadToSearchable = new Trend('upload_to_searchable', true);
/** Uploads that became searchable (must reach SIMULTANEOUS_UPLOADS: an upload that fails adds no time sample). */
const documentsSearchable = new Counter('documents_searchable');

/** How long a VU keeps waiting: past the threshold, so a slow upload is measured rather than cut off. */
const WAIT_LIMIT_MS = SEARCHABLE_WAIT_MS;

export const options: Options = {
  scenarios: {
    uploads: { executor: 'per-vu-iterations', vus: SIMULTANEOUS_UPLOADS, iterations: 1, maxDuration: `${Math.ceil(WAIT_LIMIT_MS / 1000) + 60}s` },
  },
  thresholds: { ...K6_THRESHOLDS.uploads },
  summaryTrendStats: ['min', 'avg', 'med', 'p(90)', 'p(95)', 'max', 'count'],
};

interface SetupData {
  base: string;
  runId: string;
}

export function setup(): SetupData {
  if (NEEDS_KEY) requireEnv('API_KEY');
  return { base: baseUrl(), runId: `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}` };
}

const apiKeyHeader = authHeaders;

/** One line per upload on the console (JSON after "RESULT "), read by lib/k6.ts for the report. */
function result(r: Record<string, unknown>): void {
  report('uploads', { vu: exec.vu.idInTest, ...r });
}

export default function (data: SetupData): void {
  const doc = typicalDocument(data.runId, exec.vu.idInTest);
  const t0 = Date.now();
  // A 2xx that carries an error ({"detail": ...}) accepted nothing.
  const { res: up, docId, error: upError } = uploadDocument(data.base, doc, tagged('upload', { headers: apiKeyHeader(), timeout: REQUEST_TIMEOUT }));
  const uploaded = check(up, { 'upload answers 2xx with a doc_id and no error': (r) => r.status >= 200 && r.status < 300 && !!docId && !upError }, { endpoint: 'upload' });
  if (!uploaded || !docId) {
    result({ ok: false, stage: 'upload', status: up.status, ms: Date.now() - t0, ...(upError ? { why: `error in the body (${upError})` } : {}), body: short(up.body, 300) });
    if (docId) http.del(`${data.base}${API.documentsPath}/${docId}`, null, tagged('delete', { name: 'delete', headers: apiKeyHeader() }));
    return;
  }

  try {
    // Poll the status until completed (or failed, or the wait limit).
    let status = '';
    let statusBody = '';
    while (Date.now() - t0 < WAIT_LIMIT_MS) {
      const st = http.get(`${data.base}${API.documentsPath}/${docId}/status`, tagged('status', { name: 'status', timeout: REQUEST_TIMEOUT }));
      statusBody = String(st.body ?? '').slice(0, 300);
      try {
        status = String((st.json() as { status?: string }).status ?? '');
      } catch {
        status = `HTTP ${st.status}`;
      }
      if (status === 'completed' || status === 'failed') break;
      sleep(STATUS_POLL_INTERVAL_MS / 1000);
    }
    const completed = check(status, { 'document processing completes': (s) => s === 'completed' }, { endpoint: 'status' });
    if (!completed) {
      result({ ok: false, stage: 'status', docId, status, ms: Date.now() - t0, body: statusBody });
      return;
    }

    // Searchable = a correct /query answer (no error, not a refusal) cites the document.
    let cited = false;
    let lastQuery = '';
    while (!cited && Date.now() - t0 < WAIT_LIMIT_MS) {
      const q = http.post(`${data.base}${API.queryPath}`, questionBody(questionFor(doc.code), { max_chunks: 5 }), tagged('query', { headers: { 'Content-Type': 'application/json' }, timeout: REQUEST_TIMEOUT }));
      const why = answerProblem(q, { docId, filename: doc.filename });
      lastQuery = `${why ?? `HTTP ${q.status}`}: ${short(q.body, 300)}`;
      cited = why === undefined;
      if (!cited) sleep(1);
    }
    const ms = Date.now() - t0;
    check(cited, { 'a /query cites the uploaded document': (c) => c }, { endpoint: 'query' });
    if (cited) {
      uploadToSearchable.add(ms);
      documentsSearchable.add(1);
      result({ ok: ms < MAX_UPLOAD_TO_SEARCHABLE_MS, stage: 'searchable', docId, ms });
    } else {
      result({ ok: false, stage: 'query', docId, ms, body: lastQuery });
    }
  } finally {
    const del = http.del(`${data.base}${API.documentsPath}/${docId}`, null, tagged('delete', { name: 'delete', headers: apiKeyHeader() }));
    if (del.status !== 200 && del.status !== 404) console.warn(`cleanup: DELETE ${docId} answered ${del.status}`);
  }
}

/** Sweeps documents of this run that a VU could not delete (e.g. it was stopped mid-way). Only this run's. */
export function teardown(data: SetupData): void {
  const list = http.get(`${data.base}${API.documentsPath}?limit=1000`, tagged('delete', { name: 'list' }));
  if (list.status !== 200) return;
  let docs: Array<{ doc_id: string; title?: string }> = [];
  try {
    docs = (list.json() as { documents?: Array<{ doc_id: string; title?: string }> }).documents ?? [];
  } catch {
    return;
  }
  const mine = docs.filter((d) => (d.title ?? '').includes(`raggate-load-${data.runId}`.toLowerCase()));
  for (const d of mine) http.del(`${data.base}${API.documentsPath}/${d.doc_id}`, null, tagged('delete', { name: 'delete', headers: apiKeyHeader() }));
}

export const handleSummary = summaryWriter('uploads');
