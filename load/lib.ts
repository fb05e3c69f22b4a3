/**
 * Shared by the k6 scripts: environment, per-endpoint tags, the threshold expressions, the summary writer.
 * The checklist's numbers come from core/thresholds.ts (k6 bundles the relative import), never from here.
 *
 * Environment (k6 `-e NAME=value` or the process environment):
 *   BASE_URL     the public entry point (Nginx), e.g. https://127.0.0.1:8443 – required
 *   HEALTH_URL   the URL of the checklist's `ab` line (plain HTTP /health via Nginx); default BASE_URL/health
 *   API_KEY      the backend's API_SECRET_KEY (X-API-Key) – required by uploads.ts only; never printed
 *   AUTH_SCHEME  api-key (default), bearer, basic or none; AUTH_HEADER the api-key header (default X-API-Key),
 *                AUTH_USER the basic-auth user: how API_KEY is sent (the deployment profile's `auth`)
 *   UPLOAD_PATH, UPLOAD_FIELD, QUERY_PATH, QUESTION_FIELD, DOCUMENTS_PATH  the API's routes and field names
 *                (the deployment profile's `api`); default the contract's
 *   SUMMARY_DIR  where handleSummary writes <script>.json; default reports/k6
 *   REQUEST_MARK sent as every request's User-Agent with its endpoint tag, `<mark> (<endpoint>)`
 *                (core/request-mark.ts), so that Nginx's access log tells the run's requests apart (bench:load)
 *
 * TLS: the hermetic stack's HTTPS certificate is signed by a private CA and k6 has no option to trust a CA
 * file. k6 is a Go program, and Go reads extra roots from SSL_CERT_FILE on Linux, so lib/k6.ts runs k6
 * with SSL_CERT_FILE=<deployment>/ssl/ca.crt: verification stays ON. Only when a caller explicitly sets
 * K6_INSECURE_SKIP_TLS_VERIFY=true (k6's own variable) is it turned off – for these load scripts alone; the
 * TLS checks of the checklist are made elsewhere (Phase 4) with verification on.
 */
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import http, { type Params } from 'k6/http';
import {
  BASIC_LOAD_MAX_ERROR_RATE,
  BASIC_LOAD_REQUESTS,
  MAX_QUERY_MS,
  MAX_UPLOAD_TO_SEARCHABLE_MS,
  QUERY_PERCENTILE,
  SIMULTANEOUS_UPLOADS,
} from '../core/thresholds.ts';
import { markedUserAgent } from '../core/request-mark.ts';

// ---- Timing allowances of the scripts themselves (not checklist numbers) ------------------------------

/** How often an upload's status is polled while waiting for `completed`, in ms. */
export const STATUS_POLL_INTERVAL_MS = 250;
/** Per-request timeout of k6 requests; above every threshold so that a slow answer is measured, not cut. */
export const REQUEST_TIMEOUT = '60s';

/**
 * How long a script waits for a document to become searchable: past the checklist's limit, so that a slow upload
 * is measured (and fails its line) rather than cut off.
 */
export const SEARCHABLE_WAIT_MS = MAX_UPLOAD_TO_SEARCHABLE_MS * 2;

/**
 * The k6 threshold expressions, built from the checklist's numbers (one place, one spelling).
 *
 * A figure is a figure only over answers that passed their correctness checks: the latency thresholds sit on
 * Trends that only correct answers feed (`query_ok_duration`), and a Counter of correct answers must reach the
 * number of requests planned. k6 passes `rate==1` on a Rate and any `p(95)<N` on a Trend that got no sample at
 * all, so the Counters (`count>=N` fails at 0) are what make "nothing was measured" fail.
 */
export const K6_THRESHOLDS = {
  health: {
    'http_req_failed{endpoint:health}': [`rate<=${BASIC_LOAD_MAX_ERROR_RATE}`],
    'checks{endpoint:health}': ['rate==1'],
    health_ok: [`count>=${BASIC_LOAD_REQUESTS}`],
  },
  uploads: {
    upload_to_searchable: [`max<${MAX_UPLOAD_TO_SEARCHABLE_MS}`],
    'http_req_failed{endpoint:upload}': ['rate==0'],
    'checks{endpoint:upload}': ['rate==1'],
    'checks{endpoint:status}': ['rate==1'],
    'checks{endpoint:query}': ['rate==1'],
    documents_searchable: [`count>=${SIMULTANEOUS_UPLOADS}`],
  },
  /** `planned`: the number of /query requests the run makes; every one must be a correct answer. */
  queries: (planned: number): Record<string, string[]> => ({
    query_ok_duration: [`p(${QUERY_PERCENTILE})<${MAX_QUERY_MS}`],
    query_answers_ok: [`count>=${planned}`],
    'http_req_failed{endpoint:query}': ['rate==0'],
    'checks{endpoint:query}': ['rate==1'],
    checks: ['rate==1'],
  }),
};

/** `seed`: the requests that plant and probe the query load's seed document (not measured). */
export type Endpoint = 'health' | 'upload' | 'status' | 'query' | 'delete' | 'seed';

export function requireEnv(name: string): string {
  const v = __ENV[name];
  if (v === undefined || v.trim() === '') {
    exec.test.abort(`${name} is not set: pass it with -e ${name}=... (see load/lib.ts for the variables)`);
    throw new Error(`${name} is not set`);
  }
  return v.trim();
}

/** BASE_URL without a trailing slash. */
export function baseUrl(): string {
  return requireEnv('BASE_URL').replace(/\/+$/, '');
}

/** Request params for one endpoint: the endpoint tag (thresholds are per tag) and a fixed `name` so that
 * URLs with ids do not each become their own time series; with REQUEST_MARK, the marked User-Agent. */
export function tagged(endpoint: Endpoint, extra: { headers?: Record<string, string>; timeout?: string; name?: string } = {}) {
  // k6 rejects `timeout: undefined` ("invalid timeout value"), so only set what is given.
  const params: { tags: Record<string, string>; headers?: Record<string, string>; timeout: string } = {
    tags: { endpoint, name: extra.name ?? endpoint },
    timeout: extra.timeout ?? REQUEST_TIMEOUT,
  };
  const mark = (__ENV.REQUEST_MARK ?? '').trim();
  const headers = mark ? { 'User-Agent': markedUserAgent(mark, endpoint), ...extra.headers } : extra.headers;
  if (headers) params.headers = headers;
  return params;
}

interface SummaryData {
  metrics: Record<string, { type: string; contains: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  root_group?: unknown;
  state?: { testRunDurationMs: number };
  [key: string]: unknown;
}

/** A short, secret-free text line per threshold, for k6's stdout (the full JSON goes to the file). */
function thresholdLines(data: SummaryData): string {
  const lines: string[] = [];
  for (const [metric, m] of Object.entries(data.metrics)) {
    for (const [expr, t] of Object.entries(m.thresholds ?? {})) {
      const vals = Object.entries(m.values)
        .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
        .join(' ');
      lines.push(`${t.ok ? 'PASS' : 'FAIL'} ${metric} ${expr}  (${vals})`);
    }
  }
  return lines.join('\n') + '\n';
}

/** handleSummary for a script: writes ${SUMMARY_DIR:-reports/k6}/<script>.json and prints the thresholds. */
export function summaryWriter(script: string) {
  return (data: SummaryData): Record<string, string> => {
    const dir = (__ENV.SUMMARY_DIR || 'reports/k6').replace(/\/+$/, '');
    return {
      [`${dir}/${script}.json`]: JSON.stringify(data, null, 2),
      stdout: `[${script}] thresholds:\n${thresholdLines(data)}`,
    };
  };
}

/** Finds the first `doc_id` string anywhere in a JSON value (the upload response's shape may nest it). */
export function findDocId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  if (typeof obj.doc_id === 'string' && obj.doc_id !== '') return obj.doc_id;
  for (const v of Array.isArray(value) ? value : Object.values(obj)) {
    const found = findDocId(v);
    if (found) return found;
  }
  return undefined;
}

// ---- judging answers: a 200 is not yet a correct answer ---------------------------------------------------

/** At most `max` characters of a response body on one line, for the report (lib/k6.ts redacts secrets). */
export function short(body: unknown, max = 160): string {
  const text = (typeof body === 'string' ? body : body === null || body === undefined ? '' : String(body)).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A response body parsed as JSON, or undefined when it is not JSON. */
export function parseJson(body: unknown): unknown {
  if (typeof body !== 'string' || body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The deployment's routes and field names (lib/k6.ts passes the profile's `api`; the contract's by default). */
export const API = {
  uploadPath: __ENV.UPLOAD_PATH || '/api/v1/documents/upload',
  uploadField: __ENV.UPLOAD_FIELD || 'files',
  queryPath: __ENV.QUERY_PATH || '/query',
  questionField: __ENV.QUESTION_FIELD || 'question',
  documentsPath: __ENV.DOCUMENTS_PATH || '/api/v1/documents',
};

/** A query body with the question in the deployment's field (plus any other fields), as JSON. */
export function questionBody(question: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ [API.questionField]: question, ...extra });
}

/** Whether the deployment authenticates mutating requests (AUTH_SCHEME other than none): then API_KEY is needed. */
export const NEEDS_KEY = (__ENV.AUTH_SCHEME || 'api-key') !== 'none';

/** The credential headers in the deployment's scheme: API_KEY in AUTH_HEADER, as a bearer token, as basic auth, or none. */
export function authHeaders(): Record<string, string> {
  const key = (__ENV.API_KEY ?? '').trim();
  const scheme = __ENV.AUTH_SCHEME || 'api-key';
  if (scheme === 'none') return {};
  if (scheme === 'bearer') return { Authorization: `Bearer ${key}` };
  if (scheme === 'basic') return { Authorization: `Basic ${encoding.b64encode(`${__ENV.AUTH_USER || 'admin'}:${key}`)}` };
  return { [__ENV.AUTH_HEADER || 'X-API-Key']: key };
}

/**
 * POST /api/v1/documents/upload of one text document (multipart field `files`; `params` carry the X-API-Key and the
 * endpoint tag): the answer, the doc_id it names and the error it carries although its status may say success – a
 * 2xx with {"detail": ...} accepted nothing.
 */
export function uploadDocument(base: string, doc: { filename: string; text: string }, params: Params) {
  const res = http.post(`${base}${API.uploadPath}`, { [API.uploadField]: http.file(doc.text, doc.filename, 'text/plain') }, params);
  const json = parseJson(res.body);
  return { res, docId: findDocId(json), error: errorShape(json) };
}

/**
 * The error a JSON body carries although its status says success: a non-empty `error`, `detail` or `errors`
 * (the contract's error bodies are `{detail}`; other frameworks say `error`/`errors`). Empty values (null, "",
 * [], {}, false) are no error. Undefined when there is none.
 */
export function errorShape(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const obj = json as Record<string, unknown>;
  for (const key of ['error', 'detail', 'errors']) {
    const v = obj[key];
    if (v === undefined || v === null || v === false || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    return `"${key}": ${short(JSON.stringify(v), 120)}`;
  }
  return undefined;
}

/**
 * An answer that says there is nothing to answer from ("no documents to search", "I could not find …",
 * "I don't have any context …"): not an answer while the seed document is planted.
 */
export const REFUSAL =
  /\bno (relevant )?(documents?|context|information|passages?|results?)\b|nothing to (answer|search)|\bcould ?n[o']t find\b|\bcannot (answer|find)\b|\bcan'?t (answer|find)\b|\bunable to (answer|find)\b|\bdon'?t have (any )?(context|information|documents?)\b|\bnot (been )?(uploaded|processed|indexed) yet\b/i;

function firstSentence(text: string): string {
  return text.trim().split(/[.!?](?:\s|$)|\n/)[0] ?? '';
}

/** The document the query load plants and every correct answer cites. */
export interface Seed {
  docId: string;
  filename: string;
  /** The code word only this document carries (load/documents.ts). */
  code: string;
}

/**
 * Why a /query response is not a correct answer, in words (undefined when it is one): not a 200, not JSON, an
 * error inside a 200, an empty answer, no sources list; with a planted seed also an answer that says it found
 * nothing, and sources that do not cite the seed (by doc_id, or its filename as the title – docs/contract.md).
 */
export function answerProblem(res: { status: number; body: unknown; error?: string }, seed?: Pick<Seed, 'docId' | 'filename'>): string | undefined {
  if (res.status === 0) return `no response (${res.error || 'connection failed'})`;
  if (res.status !== 200) return `HTTP ${res.status}`;
  const json = parseJson(res.body);
  if (json === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) return 'HTTP 200 whose body is not a JSON object';
  const error = errorShape(json);
  if (error) return `HTTP 200 with an error in the body (${error})`;
  const b = json as { answer?: unknown; sources?: unknown };
  if (typeof b.answer !== 'string' || b.answer.trim() === '') return 'HTTP 200 with an empty answer';
  if (!Array.isArray(b.sources)) return 'HTTP 200 without a sources list';
  if (!seed) return undefined;
  // Judged on the first sentence: a model that answers and then remarks on what the context lacks has answered.
  if (REFUSAL.test(firstSentence(b.answer))) return `the answer says there is nothing to answer from, although the seed document is planted ("${short(b.answer, 100)}")`;
  if (b.sources.length === 0) return 'the answer cites no source, although the seed document is planted';
  const cites = (b.sources as Array<Record<string, unknown> | null>).some((s) => s !== null && typeof s === 'object' && (s.doc_id === seed.docId || s.title === seed.filename || s.filename === seed.filename));
  return cites ? undefined : `the sources do not cite the seed document ${seed.filename} (cited: ${short((b.sources as Array<Record<string, unknown> | null>).map((s) => String(s?.title ?? s?.doc_id ?? '?')).join(', '), 120)})`;
}

/** One line on the console (JSON after "RESULT "), read by lib/k6.ts into K6Run.results for the report. */
export function result(script: string, r: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify({ script, ...r })}`);
}
