#!/usr/bin/env node
/**
 * A loopback stand-in for the RAG backend's load-relevant API, for developing and demonstrating the k6
 * scripts without the stack: /health, POST /api/v1/documents/upload (multipart `files`), GET
 * /api/v1/documents[/{id}/status], DELETE /api/v1/documents/{id}, POST /query. Not a reference
 * implementation (that is reference/); it answers just enough of the contract in docs/stack.md.
 *
 *   node load/dev/standin.mjs [--port 18080] [--tls-dir DIR]   (DIR holds ca.crt server.crt server.key)
 *   Faults: STANDIN_QUERY_DELAY_MS=3000 (slow /query), STANDIN_FAIL_UPLOADS=1 (upload answers 500),
 *           STANDIN_QUERY_STATUS=502 (/query answers that status, as an Nginx without its upstream does),
 *           STANDIN_QUERY_ERROR=1 (/query answers 200 {"answer":"","sources":[],"error":"no documents to search"}),
 *           STANDIN_QUERY_FAULT_AFTER=1 (the two faults above start after that many /query requests, e.g. once the
 *           load's seed document was found), STANDIN_PROCESSING_MS=1500 (time from upload to `completed`), STANDIN_API_KEY (default "dev-key").
 * Listens on 127.0.0.1 only.
 */
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';

const { values: opt } = parseArgs({ options: { port: { type: 'string', default: '18080' }, 'tls-dir': { type: 'string' } } });
const port = Number(opt.port);
const tlsDir = opt['tls-dir'];
const QUERY_DELAY_MS = Number(process.env.STANDIN_QUERY_DELAY_MS ?? 0);
const FAIL_UPLOADS = process.env.STANDIN_FAIL_UPLOADS === '1';
const QUERY_STATUS = Number(process.env.STANDIN_QUERY_STATUS ?? 0);
const QUERY_ERROR = process.env.STANDIN_QUERY_ERROR === '1';
const QUERY_FAULT_AFTER = Number(process.env.STANDIN_QUERY_FAULT_AFTER ?? 0);
let queries = 0;
const PROCESSING_MS = Number(process.env.STANDIN_PROCESSING_MS ?? 1500);
const API_KEY = process.env.STANDIN_API_KEY ?? 'dev-key';

/** doc_id -> { title, text, uploadedAt, words:Set } */
const docs = new Map();

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
const words = (t) => new Set(t.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []);
const statusOf = (d) => (Date.now() - d.uploadedAt >= PROCESSING_MS ? 'completed' : 'processing');

/** Minimal multipart parser: the parts named `files`, as {filename, text}. */
function parseMultipart(buf, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  if (!m) return [];
  const boundary = `--${m[1] ?? m[2]}`;
  const out = [];
  for (const part of buf.toString('latin1').split(boundary).slice(1, -1)) {
    const [head, ...rest] = part.split('\r\n\r\n');
    const body = rest.join('\r\n\r\n').replace(/\r\n$/, '');
    const name = /name="([^"]*)"/.exec(head)?.[1];
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (name === 'files' && filename) out.push({ filename, text: Buffer.from(body, 'latin1').toString('utf8') });
  }
  return out;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (p === '/health') return send(res, 200, { status: 'healthy', components: { standin: true }, document_count: docs.size });
  if (p === '/api/v1/documents/upload' && req.method === 'POST') {
    if (req.headers['x-api-key'] !== API_KEY) return send(res, 401, { detail: 'missing or wrong API key' });
    const body = await readBody(req);
    if (FAIL_UPLOADS) return send(res, 500, { detail: 'stand-in: uploads fail (STANDIN_FAIL_UPLOADS=1)' });
    const files = parseMultipart(body, req.headers['content-type']);
    if (files.length === 0) return send(res, 400, { detail: 'no files' });
    const results = files.map((f) => {
      const doc_id = randomUUID();
      docs.set(doc_id, { title: f.filename, text: f.text, uploadedAt: Date.now(), words: words(f.text) });
      return { doc_id, filename: f.filename, status: 'pending' };
    });
    return send(res, 200, { documents: results });
  }
  const st = /^\/api\/v1\/documents\/([^/]+)\/status$/.exec(p);
  if (st && req.method === 'GET') {
    const d = docs.get(st[1]);
    if (!d) return send(res, 404, { detail: 'unknown document' });
    return send(res, 200, { doc_id: st[1], status: statusOf(d), processing_progress: statusOf(d) === 'completed' ? 100 : 50, error_message: null, last_updated: new Date().toISOString() });
  }
  if (p === '/api/v1/documents' && req.method === 'GET') {
    const documents = [...docs].map(([doc_id, d]) => ({ doc_id, title: d.title, file_type: 'txt', upload_date: new Date(d.uploadedAt).toISOString(), chunk_count: 1, file_size: d.text.length, status: statusOf(d), error_message: null }));
    return send(res, 200, { documents, total_count: documents.length });
  }
  const del = /^\/api\/v1\/documents\/([^/]+)$/.exec(p);
  if (del && req.method === 'DELETE') {
    if (req.headers['x-api-key'] !== API_KEY) return send(res, 401, { detail: 'missing or wrong API key' });
    if (!docs.delete(del[1])) return send(res, 404, { detail: 'unknown document' });
    return send(res, 200, { message: 'deleted', deleted_chunks: 1 });
  }
  if (p === '/query' && req.method === 'POST') {
    const q = JSON.parse((await readBody(req)).toString() || '{}');
    if (QUERY_DELAY_MS) await new Promise((r) => setTimeout(r, QUERY_DELAY_MS));
    const faulty = ++queries > QUERY_FAULT_AFTER;
    if (QUERY_STATUS && faulty) {
      res.writeHead(QUERY_STATUS, { 'content-type': 'text/html' });
      return res.end(`<html><head><title>${QUERY_STATUS} Bad Gateway</title></head><body><center><h1>${QUERY_STATUS} Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n`);
    }
    if (QUERY_ERROR && faulty) return send(res, 200, { answer: '', sources: [], error: 'no documents to search' });
    const qw = words(String(q.question ?? ''));
    const scored = [...docs]
      .filter(([, d]) => statusOf(d) === 'completed')
      .map(([doc_id, d]) => ({ doc_id, title: d.title, score: [...qw].filter((w) => d.words.has(w)).length / Math.max(1, qw.size), excerpt: d.text.slice(0, 120) }))
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, q.max_chunks ?? 3);
    return send(res, 200, { answer: scored.length ? `From ${scored[0].title}: ${scored[0].excerpt}` : 'No relevant documents.', sources: scored, context_used: scored.length > 0 });
  }
  send(res, 404, { detail: 'not found' });
}

const server = tlsDir
  ? createHttps({ cert: readFileSync(`${tlsDir}/server.crt`), key: readFileSync(`${tlsDir}/server.key`) }, handle)
  : createHttp(handle);
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => console.log(`stand-in listening on ${tlsDir ? 'https' : 'http'}://127.0.0.1:${port}`));
