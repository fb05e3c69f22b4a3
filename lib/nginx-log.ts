/**
 * The server's side of k6's latency (`npm run bench:load`): Nginx's JSON access log (the reference's
 * `log_format json_safe`, one object per line with `request_time`, `status`, `method`, `uri`, `user_agent`), the lines
 * of one marked k6 run (core/request-mark.ts), their p95, and whether k6's p95 over the same requests agrees with it.
 *
 *   const log = parseAccessLog(text);                         // { entries, malformed }
 *   const mine = markedRequests(log.entries, mark);           // Map endpoint -> entries of this run only
 *   agreement(k6Ms, mine.get('health')!.map((e) => e.requestTimeMs))
 *
 * `$request_time` runs from the first byte Nginx read of the request to the log write after the last byte it sent, in
 * seconds with millisecond resolution; k6's `http_req_duration` from its first byte sent to the last it received
 * (connection and TLS set-up excluded). Both p95 are k6's percentile (linear between the two nearest ranks).
 */
import { markedEndpoint } from '../core/request-mark.ts';
import { percentile } from './k6-merge.ts';

/** The bound of the agreement: k6's p95 within this share of Nginx's … */
export const FIDELITY_RELATIVE = 0.1;
/** … or within this many ms, whichever is larger ($request_time has millisecond resolution; loopback answers take a few). */
export const FIDELITY_FLOOR_MS = 5;

/** One request as Nginx logged it. */
export interface AccessEntry {
  method: string;
  uri: string;
  status: number;
  requestTimeMs: number;
  userAgent: string;
}

export interface AccessLog {
  entries: AccessEntry[];
  /** Lines that are no JSON object with a numeric `request_time` and `status` and a `user_agent` (skipped). */
  malformed: number;
}

/** A number, or a string that is one (formats that quote every field). */
function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The access log's lines as entries; blank lines are ignored, every other line that is not an entry is counted. */
export function parseAccessLog(text: string): AccessLog {
  const entries: AccessEntry[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      malformed++;
      continue;
    }
    const r = o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
    const seconds = num(r.request_time);
    const status = num(r.status);
    if (seconds === undefined || seconds < 0 || status === undefined || typeof r.user_agent !== 'string') {
      malformed++;
      continue;
    }
    entries.push({ method: String(r.method ?? ''), uri: String(r.uri ?? ''), status, requestTimeMs: seconds * 1000, userAgent: r.user_agent });
  }
  return { entries, malformed };
}

/** The entries of the run marked `mark`, by the endpoint their User-Agent names; every other request is left out. */
export function markedRequests(entries: AccessEntry[], mark: string): Map<string, AccessEntry[]> {
  const out = new Map<string, AccessEntry[]>();
  for (const e of entries) {
    const endpoint = markedEndpoint(e.userAgent, mark);
    if (endpoint === undefined) continue;
    if (!out.has(endpoint)) out.set(endpoint, []);
    out.get(endpoint)!.push(e);
  }
  return out;
}

/** The 95th percentile as k6 computes it; undefined without samples. */
export function p95(values: number[]): number | undefined {
  return values.length ? percentile([...values].sort((a, b) => a - b), 95) : undefined;
}

export interface Agreement {
  k6Count: number;
  nginxCount: number;
  k6P95?: number;
  nginxP95?: number;
  /** k6's p95 minus Nginx's, ms. */
  diffMs?: number;
  /** max(FIDELITY_RELATIVE × Nginx's p95, FIDELITY_FLOOR_MS). */
  allowedMs?: number;
  ok: boolean;
  /** Why it is not ok, in words. */
  problem?: string;
}

/**
 * Whether k6's p95 (`k6Ms`: http_req_duration of the requests) agrees with Nginx's (`nginxMs`: request_time of the
 * same requests) within max(10 %, 5 ms). The same requests means as many on both sides: a request Nginx did not log
 * (not logged at all, or never arrived) makes the two p95 incomparable.
 */
export function agreement(k6Ms: number[], nginxMs: number[]): Agreement {
  const k6P95 = p95(k6Ms);
  const nginxP95 = p95(nginxMs);
  const base = { k6Count: k6Ms.length, nginxCount: nginxMs.length, k6P95, nginxP95 };
  if (k6P95 === undefined) return { ...base, ok: false, problem: 'k6 made no such request' };
  if (nginxP95 === undefined) return { ...base, ok: false, problem: `Nginx logged none of the ${k6Ms.length} requests k6 made (is access_log off for them?)` };
  const diffMs = k6P95 - nginxP95;
  const allowedMs = Math.max(FIDELITY_RELATIVE * nginxP95, FIDELITY_FLOOR_MS);
  const figures = { ...base, diffMs, allowedMs };
  if (nginxMs.length !== k6Ms.length) return { ...figures, ok: false, problem: `not the same requests: k6 made ${k6Ms.length}, Nginx logged ${nginxMs.length} with the run's mark` };
  if (Math.abs(diffMs) > allowedMs) {
    return { ...figures, ok: false, problem: `k6's p95 ${k6P95.toFixed(1)} ms is ${Math.abs(diffMs).toFixed(1)} ms ${diffMs > 0 ? 'above' : 'below'} Nginx's ${nginxP95.toFixed(1)} ms, more than the ${allowedMs.toFixed(1)} ms allowed (max(${FIDELITY_RELATIVE * 100} %, ${FIDELITY_FLOOR_MS} ms))` };
  }
  return { ...figures, ok: true };
}
