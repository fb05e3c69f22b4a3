/**
 * Shared by the k6 scripts: environment, per-endpoint tags, the threshold expressions, the summary writer.
 * The checklist's numbers come from core/thresholds.ts (k6 bundles the relative import), never from here.
 *
 * Environment (k6 `-e NAME=value` or the process environment):
 *   BASE_URL     the public entry point (Nginx), e.g. https://127.0.0.1:8443 – required
 *   HEALTH_URL   the URL of the checklist's `ab` line (plain HTTP /health via Nginx); default BASE_URL/health
 *   API_KEY      the backend's API_SECRET_KEY (X-API-Key) – required by uploads.ts only; never printed
 *   SUMMARY_DIR  where handleSummary writes <script>.json; default reports/k6
 *
 * TLS: the hermetic stack's HTTPS certificate is signed by a private CA and k6 has no option to trust a CA
 * file. k6 is a Go program, and Go reads extra roots from SSL_CERT_FILE on Linux, so lib/k6.ts runs k6
 * with SSL_CERT_FILE=<deployment>/ssl/ca.crt: verification stays ON. Only when a caller explicitly sets
 * K6_INSECURE_SKIP_TLS_VERIFY=true (k6's own variable) is it turned off – for these load scripts alone; the
 * TLS checks of the checklist are made elsewhere (Phase 4) with verification on.
 */
import exec from 'k6/execution';
import {
  BASIC_LOAD_MAX_ERROR_RATE,
  MAX_QUERY_MS,
  MAX_UPLOAD_TO_SEARCHABLE_MS,
  QUERY_PERCENTILE,
  SIMULTANEOUS_UPLOADS,
} from '../core/thresholds.ts';

// ---- Timing allowances of the scripts themselves (not checklist numbers) ------------------------------

/** How often an upload's status is polled while waiting for `completed`, in ms. */
export const STATUS_POLL_INTERVAL_MS = 250;
/** Per-request timeout of k6 requests; above every threshold so that a slow answer is measured, not cut. */
export const REQUEST_TIMEOUT = '60s';

/** The k6 threshold expressions, built from the checklist's numbers (one place, one spelling). */
export const K6_THRESHOLDS: Record<'health' | 'uploads' | 'queries', Record<string, string[]>> = {
  health: {
    'http_req_failed{endpoint:health}': [`rate<=${BASIC_LOAD_MAX_ERROR_RATE}`],
    'checks{endpoint:health}': ['rate==1'],
  },
  uploads: {
    upload_to_searchable: [`max<${MAX_UPLOAD_TO_SEARCHABLE_MS}`],
    'http_req_failed{endpoint:upload}': ['rate==0'],
    'checks{endpoint:upload}': ['rate==1'],
    'checks{endpoint:status}': ['rate==1'],
    'checks{endpoint:query}': ['rate==1'],
    documents_searchable: [`count>=${SIMULTANEOUS_UPLOADS}`],
  },
  queries: {
    'http_req_duration{endpoint:query}': [`p(${QUERY_PERCENTILE})<${MAX_QUERY_MS}`],
    'http_req_failed{endpoint:query}': ['rate==0'],
    checks: ['rate==1'],
  },
};

export type Endpoint = 'health' | 'upload' | 'status' | 'query' | 'delete';

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
 * URLs with ids do not each become their own time series. */
export function tagged(endpoint: Endpoint, extra: { headers?: Record<string, string>; timeout?: string; name?: string } = {}) {
  // k6 rejects `timeout: undefined` ("invalid timeout value"), so only set what is given.
  const params: { tags: Record<string, string>; headers?: Record<string, string>; timeout: string } = {
    tags: { endpoint, name: extra.name ?? endpoint },
    timeout: extra.timeout ?? REQUEST_TIMEOUT,
  };
  if (extra.headers) params.headers = extra.headers;
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
