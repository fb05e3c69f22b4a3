/**
 * The one client of the RAG System v1.0 API (docs/contract.md) on top of lib/http.ts, used by the fixtures
 * (through Nginx), the soak, the rollback drill and the monitoring traffic (the backend URL directly): the base
 * URL is the caller's choice.
 *
 *   const api = new RagApi(http, target.url('backend')!, target.apiKey(), target.profile.api);
 *   const { ex, docId } = await api.uploadText('probe.txt', 'text');   // tolerant: never throws on a status
 *   const r = await api.query('What ...?');                              // checked: status and schema
 *
 * - the checked methods compare every answer with its status and its JSON schema (lib/schemas/); a mismatch
 *   throws ApiCallError with ajv's text and the redacted request/response transcript;
 * - the tolerant methods (raw, uploadRaw, uploadText, waitProcessed, ask, deleteRaw) return what the API
 *   answered and leave the verdict to the caller;
 * - DocumentJanitor deletes what a run created (marked documents only), EventSocket reads the progress socket.
 * Routes and field names follow the deployment profile's API shape (core/profile.ts `ApiShape`; the contract's
 * when none is given): upload path and multipart field, query path and question field, the documents path with
 * /{id}, /{id}/status and /bulk beneath it, the health path.
 * The decisions on answers (facts, attribution, event order) live in checks/answers.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FormData } from 'undici';
import WebSocket from 'ws';
import { authHeaders, CONTRACT_API, type ApiShape, type AuthShape } from '../core/profile.ts';
import type { Exchange, HttpClient } from './http.ts';
import { schemaErrors } from './schemas.ts';
import { fetchOpenApi, uploadFieldHint } from './openapi.ts';
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

/**
 * "blocked: <ID> – <cause>": the message of a line that cannot run because the line `id` failed to make what it
 * needs (a document); the cause's first line only, the rest of it is on that line.
 */
export function blockedBy(id: string, cause: string): string {
  return `blocked: ${id} – ${cause.split('\n')[0]}`;
}

/** The finding of a deployment whose profile declares no authentication and that accepts anonymous mutating requests. */
export const NO_AUTH = 'the deployment profile declares no authentication (auth.scheme: none): mutating endpoints accept anonymous requests';

/** The credential a profile's auth scheme sends, in words: "the X-API-Key header", "Authorization: Bearer", ... */
export function credentialName(auth: AuthShape): string {
  return auth.scheme === 'none' ? 'no credential (auth.scheme: none)' : auth.scheme === 'api-key' ? `the ${auth.header} header` : `Authorization: ${auth.scheme === 'bearer' ? 'Bearer' : 'Basic'}`;
}

/** A credential in the profile's scheme with a value that is not the deployment's (undefined for scheme none). */
export function wrongCredential(auth: AuthShape): Record<string, string> | undefined {
  return auth.scheme === 'none' ? undefined : authHeaders(auth, () => randomBytes(32).toString('hex'));
}

/** What a call came to: a status, a status with a body that breaks its schema, or no answer. */
export interface CallOutcome {
  said: string;
  ok: boolean;
}

/**
 * Which of the two is at fault when a call failed through the proxy and was repeated against the backend
 * directly: "through Nginx: 502; the backend directly: 200 – the proxy is at fault (route /query)".
 */
export function faultVerdict(route: string, viaProxy: CallOutcome, direct: CallOutcome): string {
  const who = direct.ok ? 'the proxy is at fault' : 'the backend is at fault';
  return `through Nginx: ${viaProxy.said}; the backend directly: ${direct.said} – ${who} (route ${route})`;
}

// ---------------------------------------------------------------------------------------------------------
// The client

export class ApiCallError extends Error {}

type Send = (api: RagApi) => Promise<Exchange>;

export class RagApi {
  constructor(
    private readonly http: HttpClient,
    /**
     * Base URL the API is reached at: the public Nginx URL for the fixtures (the checklist calls
     * http://localhost/...), the backend's own URL for the soak, the rollback drill and the monitoring traffic.
     */
    readonly baseUrl: string,
    /** Credential for mutating endpoints, in the profile's scheme (target.apiKey()). */
    private readonly auth: Record<string, string>,
    /** The deployment's routes and field names (the profile's `api`). */
    readonly shape: ApiShape = CONTRACT_API,
    /**
     * The backend's own URL when `baseUrl` is the proxy's: a checked call that fails through the proxy is
     * repeated there, and its error says which of the two is at fault.
     */
    private readonly direct?: string,
  ) {}

  /** The documents path, with encoded segments beneath it: docPath(id, 'status') = /api/v1/documents/<id>/status. */
  docPath(...segments: string[]): string {
    return [this.shape.documentsPath, ...segments.map(encodeURIComponent)].join('/');
  }

  /** A query body with the question in the deployment's field (plus any other fields). */
  questionBody(question: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { [this.shape.questionField]: question, ...extra };
  }

  /** The same API at another base URL (the backend directly instead of through Nginx). */
  at(baseUrl: string): RagApi {
    return new RagApi(this.http, baseUrl, this.auth, this.shape);
  }

  /**
   * What the backend's OpenAPI document says against the profile's upload path and field (lib/openapi.ts
   * uploadFieldHint), read from the backend directly when its URL is known; undefined when it serves none or agrees.
   */
  async uploadHint(): Promise<string | undefined> {
    const found = await fetchOpenApi((u) => this.http.fetch(u, { timeoutMs: 10_000 }), this.direct ?? this.baseUrl);
    return found && uploadFieldHint(found.doc, this.shape);
  }

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

  /** What an exchange (or its absence) came to against `expected` and `schema`. */
  private outcome(ex: Exchange | Error, expected: number[], schema: string): CallOutcome {
    if (ex instanceof Error) return { said: `no answer (${ex.message.split('\n')[0]})`, ok: false };
    if (!expected.includes(ex.status)) return { said: String(ex.status), ok: false };
    let body: unknown;
    try {
      body = JSON.parse(ex.body) as unknown;
    } catch {
      return { said: `${ex.status} with a body that is not JSON`, ok: false };
    }
    return schemaErrors(schema, body) ? { said: `${ex.status} with a body that breaks the "${schema}" schema`, ok: false } : { said: String(ex.status), ok: true };
  }

  /**
   * A checked call (status and schema). When it fails through the proxy and the backend's URL is known, the
   * same call is repeated against the backend and the error leads with which of the two is at fault; `undo`
   * removes what the repeated call created (an upload). `explain` may lead the error with a cause it finds for
   * the answer (the upload: what the OpenAPI document says).
   */
  async checked<T>(what: string, expected: number | number[], schema: string, route: string, send: Send, extra: { undo?: (api: RagApi, ex: Exchange) => Promise<void>; explain?: (ex: Exchange) => Promise<string | undefined> } = {}): Promise<T> {
    const want = Array.isArray(expected) ? expected : [expected];
    const first = await send(this).catch((e: Error) => e);
    let err: Error;
    if (first instanceof Error) err = first;
    else {
      try {
        return this.check<T>(first, what, want, schema);
      } catch (e) {
        err = e as Error;
      }
    }
    const why = first instanceof Error ? undefined : await extra.explain?.(first).catch(() => undefined);
    const verdict = this.direct ? await this.repeatDirect(first, want, schema, route, send, extra.undo) : undefined;
    // The first line carries the cause (what a "blocked" line quotes): the explanation, else the verdict.
    const lead = why && verdict ? `${why} (${verdict})` : (why ?? verdict);
    if (!lead) throw err;
    throw new ApiCallError(`${lead}\n${err.message}`);
  }

  /** The same call against the backend directly: the verdict on which of the two is at fault. */
  private async repeatDirect(first: Exchange | Error, want: number[], schema: string, route: string, send: Send, undo?: (api: RagApi, ex: Exchange) => Promise<void>): Promise<string> {
    const backend = this.at(this.direct!);
    const again = await send(backend).catch((e: Error) => e);
    if (undo && !(again instanceof Error) && again.status < 300) await undo(backend, again).catch(() => undefined);
    return faultVerdict(route, this.outcome(first, want, schema), this.outcome(again, want, schema));
  }

  /** Any request, unchecked (for the error-handling probes and the tolerant callers). */
  raw(path: string, opts: Parameters<HttpClient['fetch']>[1] = {}): Promise<Exchange> {
    return this.http.fetch(`${this.baseUrl}${path}`, opts);
  }

  /** Multipart upload in the profile's field (the contract's `files`, as `curl -F "files=@test.txt"` does), with the credential. */
  async uploadRaw(files: UploadFile[], opts: { auth?: boolean; field?: string; timeoutMs?: number } = {}): Promise<Exchange> {
    // undici's own FormData: the request() of the npm undici does not take Node's built-in one.
    const form = new FormData();
    for (const f of files) {
      const bytes = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
      form.append(opts.field ?? this.shape.uploadField, new Blob([new Uint8Array(bytes)], { type: f.contentType }), f.filename);
    }
    return this.http.fetch(`${this.baseUrl}${this.shape.uploadPath}`, { method: 'POST', body: form as unknown as globalThis.FormData, headers: opts.auth === false ? {} : { ...this.auth }, timeoutMs: opts.timeoutMs ?? 120_000 });
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
    const undo = async (api: RagApi, ex: Exchange) => {
      for (const d of (JSON.parse(ex.body) as Partial<UploadResult>).documents ?? []) await api.deleteRaw(d.doc_id);
    };
    // A refused upload (4xx) may be the profile's shape: the backend's OpenAPI document names the field it wants.
    const explain = async (ex: Exchange) => (ex.status >= 400 && ex.status < 500 ? this.uploadHint() : undefined);
    const body = await this.checked<UploadResult>(`upload of ${files.map((f) => f.filename).join(', ')}`, [200, 201, 202], 'upload', this.shape.uploadPath, (api) => api.uploadRaw(files), { undo, explain });
    if (body.documents.length !== files.length) {
      throw new ApiCallError(`upload of ${files.length} file(s) answered with ${body.documents.length} document(s): ${body.documents.map((d) => d.filename).join(', ')}`);
    }
    return body;
  }

  async list(query = 'limit=1000'): Promise<DocumentList> {
    const path = `${this.shape.documentsPath}?${query}`;
    return this.checked<DocumentList>(`GET ${path}`, 200, 'documents', this.shape.documentsPath, (api) => api.raw(path));
  }

  async status(docId: string): Promise<DocumentStatus> {
    return this.checked<DocumentStatus>(`status of ${docId}`, 200, 'document-status', `${this.shape.documentsPath}/{id}/status`, (api) => api.raw(api.docPath(docId, 'status')));
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
      const ex = await this.raw(this.docPath(docId, 'status')).catch(() => undefined);
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
    return this.raw(this.docPath(docId), { method: 'DELETE', headers: { ...this.auth } });
  }

  async bulkDelete(docIds: string[]): Promise<BulkDeleteResult> {
    const ex = await this.raw(this.docPath('bulk'), { method: 'DELETE', headers: { ...this.auth }, json: { doc_ids: docIds } });
    return this.check<BulkDeleteResult>(ex, `bulk delete of ${docIds.length}`, 200, 'bulk-delete');
  }

  /** The checklist's query: POST /query {"question": ...} in the profile's path and field (max_chunks only when given). */
  async query(question: string, maxChunks?: number): Promise<QueryResult> {
    const json = this.questionBody(question, maxChunks === undefined ? {} : { max_chunks: maxChunks });
    return this.checked<QueryResult>(`query "${question}"`, 200, 'query', this.shape.queryPath, (api) => api.raw(api.shape.queryPath, { method: 'POST', json, timeoutMs: 120_000 }));
  }

  /** Tolerant query: POST /query {"question": ...} (the profile's path and field), the exchange whatever its status (throws only without an answer). */
  ask(question: string, timeoutMs = 30_000): Promise<Exchange> {
    return this.raw(this.shape.queryPath, { method: 'POST', json: this.questionBody(question), timeoutMs });
  }

  /** Tolerant GET of the health path. */
  health(timeoutMs = 30_000): Promise<Exchange> {
    return this.raw(this.shape.healthPath, { timeoutMs });
  }

  async getSettings(): Promise<Settings> {
    return this.checked<Settings>('GET /settings', 200, 'settings', '/settings', (api) => api.raw('/settings'));
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
      const ex = await this.raw(this.docPath(id, 'status'));
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

  /** Opens wss://<public><documents path>/ws/<clientId>, trusting the run's CA (never disabling verification). */
  static open(publicUrl: string, clientId: string, caFile: string | undefined, timeoutMs = 10_000, documentsPath = CONTRACT_API.documentsPath): Promise<EventSocket> {
    const url = `${publicUrl.replace(/^http/, 'ws')}${documentsPath}/ws/${encodeURIComponent(clientId)}`;
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
