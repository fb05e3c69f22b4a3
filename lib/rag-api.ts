/**
 * The one client of the RAG System v1.0 API (docs/contract.md) on top of lib/http.ts, used by the fixtures
 * (through Nginx), the soak, the rollback drill and the monitoring traffic (the backend URL directly): the base
 * URL is the caller's choice.
 *
 *   const api = new RagApi(http, target.url('backend')!, target.apiKey());
 *   const { ex, docId } = await api.uploadText('probe.txt', 'text');   // tolerant: never throws on a status
 *   const r = await api.query('What ...?');                              // checked: status and schema
 *
 * - the checked methods compare every answer with its status and its JSON schema (lib/schemas/); a mismatch
 *   throws ApiCallError with ajv's text and the redacted request/response transcript;
 * - the tolerant methods (raw, uploadRaw, uploadText, waitProcessed, ask, deleteRaw) return what the API
 *   answered and leave the verdict to the caller;
 * - DocumentJanitor deletes what a run created (marked documents only), EventSocket reads the progress socket.
 * The decisions on answers (facts, attribution, event order) live in checks/answers.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FormData } from 'undici';
import WebSocket from 'ws';
import type { Exchange, HttpClient } from './http.ts';
import { schemaErrors } from './schemas.ts';
import { Arrivals } from './arrivals.ts';

// ---------------------------------------------------------------------------------------------------------
// Bounds that are not checklist numbers (those live in core/thresholds.ts): how long the suite waits.

export const WAIT = {
  /** A stopped dependency must show in /health within this (the backend probes with a 3 s timeout). */
  healthReportsDownMs: 20_000,
  /** After a dependency is started again, /health must be healthy within this. */
  healthRecoversMs: 90_000,
  /** After a container restart, the API must answer queries again within this. */
  serviceRecoversMs: 120_000,
  /** Longest the suite waits for a WebSocket keep-alive ping (the reference pings every 15 s). */
  wsPingMs: 20_000,
  /** Polling interval for status checks. */
  pollMs: 250,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Contract types

export const STATUSES = ['pending', 'validating', 'processing', 'indexing', 'completed', 'failed'] as const;
export type DocStatus = (typeof STATUSES)[number];
export const TERMINAL: readonly DocStatus[] = ['completed', 'failed'];

export interface DocumentInfo {
  doc_id: string;
  title: string;
  file_type: string;
  upload_date: string;
  chunk_count: number;
  file_size: number;
  status: DocStatus;
  error_message: string | null;
}
export interface DocumentList {
  documents: DocumentInfo[];
  total_count: number;
}
export interface DocumentStatus {
  doc_id: string;
  status: DocStatus;
  processing_progress: number;
  error_message: string | null;
  last_updated: string;
}
export interface UploadResult {
  message?: string;
  documents: Array<{ doc_id: string; filename: string; status: DocStatus; task_id?: string }>;
}
export interface DeleteResult {
  message: string;
  deleted_chunks: number;
}
export interface BulkDeleteResult {
  success_count: number;
  error_count: number;
  total_chunks_deleted: number;
  errors: Array<{ doc_id: string; detail?: string }>;
}
export interface Source {
  doc_id: string;
  title: string;
  score: number;
  excerpt: string;
}
export interface QueryResult {
  answer: string;
  sources: Source[];
  context_used: number;
}
export interface Settings {
  similarity_threshold: number;
  max_context_tokens: number;
  chunk_size: number;
  chunk_overlap: number;
}
export interface ProgressEvent {
  task_id: string;
  filename: string;
  status: DocStatus;
  progress: number;
  message: string;
  error: string | null;
  doc_id: string;
  timestamp: string;
}

export interface UploadFile {
  filename: string;
  contentType: string;
  content: string | Buffer;
}

// ---------------------------------------------------------------------------------------------------------
// Generic helpers

/** A marker unique to this run, carried by every document the suite creates (file name and text). */
export function newRunMarker(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `raggate-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A body as JSON, or undefined when it is not JSON. */
function parseOrUndefined(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value that is not undefined, or throws after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 500): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    } catch (e) {
      lastError = e;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (last error: ${(lastError as Error).message.split('\n')[0]})` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** A test file, marked with the run marker in its name and text. */
export function markedFile(marker: string, stem: string, text: string, ext = '.txt', contentType = 'text/plain'): UploadFile {
  return { filename: `${stem}-${marker}${ext}`, contentType, content: `${text}\nRun marker: ${marker}\n` };
}

// ---------------------------------------------------------------------------------------------------------
// The client

export class ApiCallError extends Error {}

export class RagApi {
  constructor(
    private readonly http: HttpClient,
    /**
     * Base URL the API is reached at: the public Nginx URL for the fixtures (the checklist calls
     * http://localhost/...), the backend's own URL for the soak, the rollback drill and the monitoring traffic.
     */
    readonly baseUrl: string,
    /** Credential for mutating endpoints (X-API-Key). */
    private readonly auth: Record<string, string>,
  ) {}

  /** Checks status and schema; throws with the transcript and ajv's text otherwise. */
  check<T>(ex: Exchange, what: string, expected: number | number[], schema: string): T {
    const want = Array.isArray(expected) ? expected : [expected];
    if (!want.includes(ex.status)) {
      throw new ApiCallError(`${what}: expected HTTP ${want.join(' or ')}, got ${ex.status}\n${this.http.describe(ex)}`);
    }
    const body = this.http.json<T>(ex);
    const errs = schemaErrors(schema, body);
    if (errs) throw new ApiCallError(`${what}: the ${ex.status} body does not match the "${schema}" schema: ${errs}\n${this.http.describe(ex)}`);
    return body;
  }

  /** Any request, unchecked (for the error-handling probes and the tolerant callers). */
  raw(path: string, opts: Parameters<HttpClient['fetch']>[1] = {}): Promise<Exchange> {
    return this.http.fetch(`${this.baseUrl}${path}`, opts);
  }

  /** Multipart upload in the field `files`, exactly as `curl -F "files=@test.txt"` does, with the API key. */
  async uploadRaw(files: UploadFile[], opts: { auth?: boolean; field?: string; timeoutMs?: number } = {}): Promise<Exchange> {
    // undici's own FormData: the request() of the npm undici does not take Node's built-in one.
    const form = new FormData();
    for (const f of files) {
      const bytes = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
      form.append(opts.field ?? 'files', new Blob([new Uint8Array(bytes)], { type: f.contentType }), f.filename);
    }
    return this.http.fetch(`${this.baseUrl}/api/v1/documents/upload`, { method: 'POST', body: form as unknown as globalThis.FormData, headers: opts.auth === false ? {} : { ...this.auth }, timeoutMs: opts.timeoutMs ?? 120_000 });
  }

  /**
   * Tolerant upload of one text file: the exchange whatever its status, and the doc_id when the answer carries
   * one (the caller reports the status otherwise). Throws only when no answer came at all.
   */
  async uploadText(filename: string, text: string, timeoutMs = 30_000): Promise<{ ex: Exchange; docId?: string }> {
    const ex = await this.uploadRaw([{ filename, contentType: 'text/plain', content: text }], { timeoutMs });
    let docId: string | undefined;
    try {
      docId = (JSON.parse(ex.body) as { documents?: Array<{ doc_id?: string }> }).documents?.[0]?.doc_id;
    } catch {
      /* not JSON: the caller reports the status */
    }
    return { ex, docId };
  }

  async upload(files: UploadFile[]): Promise<UploadResult> {
    const ex = await this.uploadRaw(files);
    const body = this.check<UploadResult>(ex, `upload of ${files.map((f) => f.filename).join(', ')}`, [200, 201, 202], 'upload');
    if (body.documents.length !== files.length) {
      throw new ApiCallError(`upload of ${files.length} file(s) answered with ${body.documents.length} document(s)\n${this.http.describe(ex)}`);
    }
    return body;
  }

  async list(query = 'limit=1000'): Promise<DocumentList> {
    return this.check<DocumentList>(await this.raw(`/api/v1/documents?${query}`), 'GET /api/v1/documents', 200, 'documents');
  }

  async status(docId: string): Promise<DocumentStatus> {
    return this.check<DocumentStatus>(await this.raw(`/api/v1/documents/${encodeURIComponent(docId)}/status`), `status of ${docId}`, 200, 'document-status');
  }

  /** Polls the status until it is terminal (or the time is up); returns every distinct status seen. */
  async waitForTerminal(docId: string, timeoutMs: number): Promise<{ final: DocumentStatus; seen: DocStatus[]; ms: number }> {
    const t0 = Date.now();
    const seen: DocStatus[] = [];
    for (;;) {
      const s = await this.status(docId);
      if (seen[seen.length - 1] !== s.status) seen.push(s.status);
      if (TERMINAL.includes(s.status) || Date.now() - t0 > timeoutMs) return { final: s, seen, ms: Date.now() - t0 };
      await sleep(WAIT.pollMs);
    }
  }

  /**
   * Tolerant wait: polls a document's status until completed/failed or the deadline and returns the last status
   * seen ("unknown" when none answered 200); a failed request is retried, never thrown.
   */
  async waitProcessed(docId: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let status = 'unknown';
    while (Date.now() < deadline) {
      const ex = await this.raw(`/api/v1/documents/${encodeURIComponent(docId)}/status`).catch(() => undefined);
      // A 200 without a status (not JSON, `{}`) leaves it unknown: never a crash of the caller.
      const said = ex?.status === 200 ? (parseOrUndefined(ex.body) as { status?: unknown } | null | undefined)?.status : undefined;
      if (typeof said === 'string') status = said;
      if (status === 'completed' || status === 'failed') return status;
      await sleep(500);
    }
    return status;
  }

  async delete(docId: string): Promise<DeleteResult> {
    return this.check<DeleteResult>(await this.deleteRaw(docId), `DELETE ${docId}`, 200, 'delete');
  }

  deleteRaw(docId: string): Promise<Exchange> {
    return this.raw(`/api/v1/documents/${encodeURIComponent(docId)}`, { method: 'DELETE', headers: { ...this.auth } });
  }

  async bulkDelete(docIds: string[]): Promise<BulkDeleteResult> {
    const ex = await this.raw('/api/v1/documents/bulk', { method: 'DELETE', headers: { ...this.auth }, json: { doc_ids: docIds } });
    return this.check<BulkDeleteResult>(ex, `bulk delete of ${docIds.length}`, 200, 'bulk-delete');
  }

  /** The checklist's query: POST /query {"question": ...} (max_chunks only when given). */
  async query(question: string, maxChunks?: number): Promise<QueryResult> {
    const ex = await this.raw('/query', { method: 'POST', json: maxChunks === undefined ? { question } : { question, max_chunks: maxChunks }, timeoutMs: 120_000 });
    return this.check<QueryResult>(ex, `query "${question}"`, 200, 'query');
  }

  /** Tolerant query: POST /query {"question": ...}, the exchange whatever its status (throws only without an answer). */
  ask(question: string, timeoutMs = 30_000): Promise<Exchange> {
    return this.raw('/query', { method: 'POST', json: { question }, timeoutMs });
  }

  async getSettings(): Promise<Settings> {
    return this.check<Settings>(await this.raw('/settings'), 'GET /settings', 200, 'settings');
  }

  async postSettingsRaw(body: unknown): Promise<Exchange> {
    return this.raw('/settings', { method: 'POST', headers: { ...this.auth }, json: body });
  }

  async postSettings(body: Partial<Settings>): Promise<Settings> {
    return this.check<Settings>(await this.postSettingsRaw(body), `POST /settings ${JSON.stringify(body)}`, 200, 'settings');
  }

  /** doc_ids among `ids` that exist now (GET status 200); 404 = gone; anything else throws. */
  async existing(ids: Iterable<string>): Promise<Set<string>> {
    const out = new Set<string>();
    for (const id of new Set(ids)) {
      const ex = await this.raw(`/api/v1/documents/${encodeURIComponent(id)}/status`);
      if (ex.status === 200) out.add(id);
      else if (ex.status !== 404) throw new ApiCallError(`status of cited document ${id}: expected 200 or 404, got ${ex.status}\n${this.http.describe(ex)}`);
    }
    return out;
  }

}

// ---------------------------------------------------------------------------------------------------------
// Documents the run creates: marked, tracked, deleted whatever the outcome

export class DocumentJanitor {
  readonly created = new Set<string>();
  constructor(
    private readonly api: RagApi,
    readonly marker: string,
  ) {}

  /** Uploads files (whose names and texts must carry the marker) and tracks them for deletion. */
  async upload(files: UploadFile[]): Promise<UploadResult> {
    for (const f of files) {
      const text = typeof f.content === 'string' ? f.content : f.content.toString('utf8');
      if (!f.filename.includes(this.marker) || !text.includes(this.marker)) throw new Error(`test document ${f.filename} must carry the run marker ${this.marker} in its name and text`);
    }
    const r = await this.api.upload(files);
    for (const d of r.documents) this.created.add(d.doc_id);
    return r;
  }

  track(docId: string): void {
    this.created.add(docId);
  }

  /**
   * Deletes what this run created: the tracked ids, and any document whose title carries the marker (e.g.
   * uploaded through the UI). Nothing else. Returns what it could not delete.
   */
  async cleanup(): Promise<string[]> {
    const ids = new Set(this.created);
    try {
      for (const d of (await this.api.list()).documents) if (d.title.includes(this.marker)) ids.add(d.doc_id);
    } catch {
      /* the list may be unavailable (e.g. mid-restart); the tracked ids are still deleted */
    }
    const failed: string[] = [];
    for (const id of ids) {
      const ex = await this.api.deleteRaw(id).catch(() => undefined);
      if (ex && (ex.status === 200 || ex.status === 404)) this.created.delete(id);
      else failed.push(`${id} (${ex ? ex.status : 'no answer'})`);
    }
    return failed;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The progress WebSocket

export interface SocketMessage {
  at: number;
  raw: string;
  data: Record<string, unknown> | null;
}

export class EventSocket {
  readonly messages: SocketMessage[] = [];
  readonly openedAt = Date.now();
  private readonly arrivals = new Arrivals();
  closed: { code: number; reason: string } | null = null;

  private constructor(
    readonly url: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (raw) => {
      const text = raw.toString();
      let data: Record<string, unknown> | null = null;
      try {
        data = JSON.parse(text) as Record<string, unknown>;
      } catch {
        /* kept raw; the schema check reports it */
      }
      this.messages.push({ at: Date.now(), raw: text, data });
      this.arrivals.notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.arrivals.notify();
    });
  }

  /** Opens wss://<public>/api/v1/documents/ws/<clientId>, trusting the run's CA (never disabling verification). */
  static open(publicUrl: string, clientId: string, caFile: string | undefined, timeoutMs = 10_000): Promise<EventSocket> {
    const url = `${publicUrl.replace(/^http/, 'ws')}/api/v1/documents/ws/${encodeURIComponent(clientId)}`;
    const ws = new WebSocket(url, { ...(caFile ? { ca: readFileSync(caFile) } : {}), handshakeTimeout: timeoutMs });
    const sock = new EventSocket(url, ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(sock));
      ws.once('error', (e) => reject(new Error(`WebSocket ${url} did not open: ${e.message}`)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket ${url} was refused: HTTP ${res.statusCode}`)));
    });
  }

  /** Progress events (not keep-alives) of one document, in arrival order. */
  eventsFor(docId: string): ProgressEvent[] {
    return this.messages.filter((m) => m.data && !('type' in m.data) && m.data['doc_id'] === docId).map((m) => m.data as unknown as ProgressEvent);
  }

  pings(): SocketMessage[] {
    return this.messages.filter((m) => m.data?.['type'] === 'ping');
  }

  /** Waits until `pred` holds for the messages so far; false when the time is up or the socket closed. */
  async waitUntil(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.arrivals.until(pred, timeoutMs, () => this.closed !== null);
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Drops the connection without a closing handshake (as a network failure would). */
  drop(): void {
    this.ws.terminate();
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000, 'test done');
  }

  /** A transcript for the report. */
  transcript(): string {
    return [`WebSocket ${this.url}`, ...this.messages.map((m) => `+${((m.at - this.openedAt) / 1000).toFixed(2)}s < ${m.raw.slice(0, 400)}`), this.closed ? `closed ${this.closed.code} ${this.closed.reason}` : '(open)'].join('\n');
  }
}
