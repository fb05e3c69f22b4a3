// End-to-end against real Redis and ChromaDB: starts the three bundles (dist/, `npm run build` first) and
// walks the contract. Runs only when RAG_IT_REDIS_URL and RAG_IT_CHROMA_URL are set, e.g.
//   redis-server --port 6390 --requirepass x --daemonize yes
//   npx chroma run --path /tmp/chroma --port 8012
//   RAG_IT_REDIS_URL=redis://:x@127.0.0.1:6390/3 RAG_IT_CHROMA_URL=http://127.0.0.1:8012 npm test
// RAG_IT_NODE may name another node binary (e.g. Debian's Node 18) to run the bundles with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { makePdf } from './pdf.js';
import { embed } from '../src/ollama/engine.js';

const REDIS = process.env.RAG_IT_REDIS_URL;
const CHROMA = process.env.RAG_IT_CHROMA_URL;
const skip = !REDIS || !CHROMA ? 'set RAG_IT_REDIS_URL and RAG_IT_CHROMA_URL to run the integration test' : false;
const NODE = process.env.RAG_IT_NODE ?? process.execPath;
const KEY = 'it-api-key-' + 'k'.repeat(40);
const JWT_SECRET = 'it-jwt-secret-' + 's'.repeat(60);
const COLLECTION = `it-documents-${process.pid}`;
const CHROMA_DB = `${CHROMA}/api/v2/tenants/default_tenant/databases/default_database`;

const procs: ChildProcess[] = [];
let dir = '';
let backend = '';
let frontend = '';
let frontendEvents = '';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as any).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor(url: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(bundle: string, env: Record<string, string>): ChildProcess {
  const p = spawn(NODE, [join('dist', bundle)], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  procs.push(p);
  return p;
}

function upload(files: Array<{ name: string; type: string; data: Buffer | string }>, headers: Record<string, string> = { 'x-api-key': KEY }) {
  const fd = new FormData();
  for (const f of files) fd.append("files", new Blob([f.data as any], { type: f.type }), f.name);
  return fetch(`${backend}/api/v1/documents/upload`, { method: 'POST', body: fd, headers });
}

const json = (r: Response) => r.json() as Promise<any>;
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${backend}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

function watch(url: string): { events: any[]; until: (pred: (e: any) => boolean, ms?: number) => Promise<any>; close: () => void; open: Promise<void> } {
  const ws = new WebSocket(url);
  const events: any[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (m) => {
    events.push(JSON.parse(String(m)));
    waiters.splice(0).forEach((w) => w());
  });
  const open = new Promise<void>((r) => ws.on('open', () => r()));
  const until = (pred: (e: any) => boolean, ms = 15000) =>
    new Promise<any>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching event in ${ms} ms; got ${JSON.stringify(events.slice(-5))}`)), ms);
      const check = () => {
        const e = events.find(pred);
        if (e) {
          clearTimeout(t);
          resolve(e);
        } else waiters.push(check);
      };
      check();
    });
  return { events, until, close: () => ws.close(), open };
}

before(async () => {
  if (skip) return;
  assert.ok(existsSync('dist/backend.mjs'), 'run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'rag-it-'));
  const [op, bp, fp, ep] = [await freePort(), await freePort(), await freePort(), await freePort()];
  run('ollama.mjs', { PORT: String(op), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  await waitFor(`http://127.0.0.1:${op}/api/tags`);
  const redisUrl = new URL(REDIS!);
  // The collection as an earlier version left it: Chroma's default index, with records the backend must keep.
  const legacy = await json(await fetch(`${CHROMA_DB}/collections`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: COLLECTION, configuration: { hnsw: { space: 'cosine' } } }) }));
  await fetch(`${CHROMA_DB}/collections/${legacy.id}/upsert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ids: ['legacy:0', 'legacy:1'], embeddings: [embed('legacy one'), embed('legacy two')], documents: ['legacy one', 'legacy two'], metadatas: [{ doc_id: 'legacy', chunk_index: 0 }, { doc_id: 'legacy', chunk_index: 1 }] }),
  });
  run('backend.mjs', {
    PORT: String(bp), HOST: '127.0.0.1', REDIS_URL: REDIS!, CHROMA_URL: CHROMA!, CHROMA_COLLECTION: COLLECTION,
    OLLAMA_HOST: `http://127.0.0.1:${op}`, OLLAMA_MODEL: 'llama2:7b', API_SECRET_KEY: KEY, JWT_SECRET,
    LOG_LEVEL: 'INFO', DATA_DIR: join(dir, 'documents'), LOG_DIR: join(dir, 'logs'), APP_VERSION: '1.0.0-it', WS_PING_INTERVAL_MS: '300',
  });
  backend = `http://127.0.0.1:${bp}`;
  await waitFor(`${backend}/health`);
  // Start from an empty document set in this Redis database.
  const docs = await json(await fetch(`${backend}/api/v1/documents?limit=1000`));
  if (docs.documents.length) {
    await fetch(`${backend}/api/v1/documents/bulk`, { method: 'DELETE', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: JSON.stringify({ doc_ids: docs.documents.map((d: any) => d.doc_id) }) });
  }
  run('frontend.mjs', { PORT: String(fp), EVENT_PORT: String(ep), HOST: '127.0.0.1', BACKEND_URL: backend, JWT_SECRET, LOG_LEVEL: 'warn' });
  frontend = `http://127.0.0.1:${fp}`;
  frontendEvents = `http://127.0.0.1:${ep}`;
  await waitFor(`${frontend}/_health`);
  void redisUrl;
});

after(async () => {
  for (const p of procs) p.kill('SIGTERM');
  if (CHROMA && !skip) {
    await fetch(`${CHROMA_DB}/collections/${COLLECTION}`, { method: 'DELETE' }).catch(() => undefined);
  }
});

test('health reports every component and the version', { skip }, async () => {
  const r = await fetch(`${backend}/health`);
  const b = await json(r);
  assert.equal(r.status, 200);
  assert.equal(b.status, 'healthy');
  assert.deepEqual(b.components, { redis: true, chromadb: true, ollama: true, storage: true });
  assert.equal(b.version, '1.0.0-it');
  assert.equal(b.document_count, 0);
});

test('upload → WebSocket progress to completed → list → query cites it → delete', { skip }, async () => {
  const w = watch(`${backend.replace('http', 'ws')}/api/v1/documents/ws/it-client`);
  await w.open;
  const text = 'The RAG System v1.0 reference deployment was built in Freedonia.\nThe secret launch codeword is PELICAN-42.\n';
  const r = await upload([{ name: 'test.txt', type: 'text/plain', data: text }]);
  assert.equal(r.status, 202);
  const [doc] = (await json(r)).documents;
  assert.equal(doc.filename, 'test.txt');
  await w.until((e) => e.doc_id === doc.doc_id && e.status === 'completed');
  const mine = w.events.filter((e) => e.doc_id === doc.doc_id);
  assert.deepEqual(Object.keys(mine[0]).sort(), ['doc_id', 'error', 'filename', 'message', 'progress', 'status', 'task_id', 'timestamp']);
  const progress = mine.map((e) => e.progress);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress never goes back');
  assert.equal(mine.at(-1).status, 'completed');
  await w.until((e) => e.type === 'ping', 2000);
  w.close();

  const list = await json(await fetch(`${backend}/api/v1/documents`));
  assert.equal(list.total_count, 1);
  assert.equal(list.documents[0].status, 'completed');
  assert.ok(list.documents[0].chunk_count >= 1);
  const st = await json(await fetch(`${backend}/api/v1/documents/${doc.doc_id}/status`));
  assert.equal(st.processing_progress, 100);

  const q = await json(await post('/query', JSON.stringify({ question: 'What is the secret launch codeword?' })));
  assert.match(q.answer, /PELICAN-42/);
  assert.equal(q.sources[0].doc_id, doc.doc_id);
  assert.ok(text.includes(q.sources[0].excerpt), 'excerpt is verbatim');
  const avail = await json(await post('/query', JSON.stringify({ question: 'What documents are available?' })));
  assert.match(avail.answer, /test\.txt/);

  // A late WebSocket client receives the current state of the recently completed document.
  const late = watch(`${backend.replace('http', 'ws')}/api/v1/documents/ws/late`);
  await late.until((e) => e.doc_id === doc.doc_id && e.status === 'completed', 3000);
  late.close();

  const del = await fetch(`${backend}/api/v1/documents/${doc.doc_id}`, { method: 'DELETE', headers: { 'x-api-key': KEY } });
  assert.equal(del.status, 200);
  assert.ok((await json(del)).deleted_chunks >= 1);
  assert.equal((await fetch(`${backend}/api/v1/documents/${doc.doc_id}/status`)).status, 404);
  const after = await json(await post('/query', JSON.stringify({ question: 'What is the secret launch codeword?' })));
  assert.equal(after.sources.length, 0, 'cache invalidated, chunks gone');
});

test('a collection left with Chroma\'s default index is rebuilt with the required one, its records kept', { skip }, async () => {
  const c = await json(await fetch(`${CHROMA_DB}/collections/${COLLECTION}`));
  assert.equal(c.configuration_json?.hnsw?.max_neighbors, 64, JSON.stringify(c.configuration_json));
  assert.equal(c.configuration_json?.hnsw?.ef_construction, 400);
  const kept = await json(await fetch(`${CHROMA_DB}/collections/${c.id}/get`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ where: { doc_id: 'legacy' }, include: ['documents'] }) }));
  assert.deepEqual(kept.documents.sort(), ['legacy one', 'legacy two']);
  const names = (await json(await fetch(`${CHROMA_DB}/collections`))).map((x: any) => x.name);
  assert.ok(!names.some((n: string) => n.startsWith(`${COLLECTION}-`)), `no temporary collection left: ${names}`);
});

test('1 MB of near-identical text: the one fact in the middle is cited', { skip, timeout: 120_000 }, async () => {
  // ~2,400 chunks that differ only in week numbers, many of them identical (issue 3: never cited within 90 s).
  // In the collection's default index (16 neighbours) the chunk with the fact had no incoming link, so no vector
  // query reached it; in a denser graph an approximate search (ef 400) still passes it by in such a cluster.
  const sentence = (i: number) => `The maintenance team inspected the cooling pumps in week ${(i % 52) + 1} before the winter season.`;
  const fact = 'The calibration code of the zqa1b2c3 turbine is KX-7Q4.';
  const paragraphs: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i += 5) {
    paragraphs.push(paragraphs.length === 1200 ? `${sentence(i)} ${fact} ${sentence(i + 1)}` : [0, 1, 2, 3, 4].map((k) => sentence(i + k)).join(' '));
    size += paragraphs.at(-1)!.length + 2;
  }
  const r = await upload([{ name: 'big.txt', type: 'text/plain', data: paragraphs.join('\n\n') }]);
  assert.equal(r.status, 202);
  const [doc] = (await json(r)).documents;
  try {
    const t0 = Date.now();
    let st: any;
    do {
      await new Promise((res) => setTimeout(res, 250));
      st = await json(await fetch(`${backend}/api/v1/documents/${doc.doc_id}/status`));
    } while (!['completed', 'failed'].includes(st.status) && Date.now() - t0 < 90_000);
    assert.equal(st.status, 'completed', JSON.stringify(st));
    assert.ok(st.chunk_count > 2000, `chunk_count ${st.chunk_count}`);
    const q = await json(await post('/query', JSON.stringify({ question: 'What is the calibration code of the zqa1b2c3 turbine?' })));
    assert.equal(q.sources[0]?.doc_id, doc.doc_id, JSON.stringify(q).slice(0, 500));
    assert.match(q.answer, /KX-7Q4/);
    // Without the rare word, by similarity alone.
    const q2 = await json(await post('/query', JSON.stringify({ question: 'Which calibration code does the turbine have?' })));
    assert.match(q2.sources[0]?.excerpt ?? '', /KX-7Q4/, JSON.stringify(q2).slice(0, 500));
  } finally {
    await fetch(`${backend}/api/v1/documents/${doc.doc_id}`, { method: 'DELETE', headers: { 'x-api-key': KEY } });
  }
});

test('PDF, markdown and CSV are processed; bulk delete removes only the named ids', { skip }, async () => {
  const w = watch(`${backend.replace('http', 'ws')}/api/v1/documents/ws/it-bulk`);
  await w.open;
  const r = await upload([
    { name: 'report.pdf', type: 'application/pdf', data: makePdf(['The Zephyr budget was 42 million euros.']) },
    { name: 'notes.md', type: 'text/markdown', data: '# Notes\nOrchids need indirect light.\n' },
    { name: 'table.csv', type: 'text/csv', data: 'city,population\nSpringfield,30000\n' },
  ]);
  assert.equal(r.status, 202);
  const docs = (await json(r)).documents;
  for (const d of docs) await w.until((e) => e.doc_id === d.doc_id && (e.status === 'completed' || e.status === 'failed'));
  w.close();
  for (const d of docs) assert.equal((await json(await fetch(`${backend}/api/v1/documents/${d.doc_id}/status`))).status, 'completed', d.filename);
  const q = await json(await post('/query', JSON.stringify({ question: 'What was the Zephyr budget?' })));
  assert.equal(q.sources[0].title, 'report.pdf');
  const bulk = await fetch(`${backend}/api/v1/documents/bulk`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ doc_ids: [docs[0].doc_id, docs[1].doc_id, '00000000-0000-4000-8000-000000000000'] }),
  });
  const b = await json(bulk);
  assert.equal(bulk.status, 200);
  assert.equal(b.success_count, 2);
  assert.equal(b.error_count, 1);
  const left = await json(await fetch(`${backend}/api/v1/documents`));
  assert.deepEqual(left.documents.map((d: any) => d.title), ['table.csv']);
});

test('bad inputs get the right 4xx with a detail, and store nothing', { skip }, async () => {
  const before = readdirSync(join(dir, 'documents')).length;
  const cases: Array<[string, Promise<Response>, number]> = [
    ['anonymous upload', upload([{ name: 'a.txt', type: 'text/plain', data: 'x' }], {}), 401],
    ['forged bearer', upload([{ name: 'a.txt', type: 'text/plain', data: 'x' }], { authorization: 'Bearer a.b.c' }), 401],
    ['unsupported type', upload([{ name: 'a.exe', type: 'application/octet-stream', data: 'x' }]), 415],
    ['mismatched type', upload([{ name: 'a.txt', type: 'application/pdf', data: 'x' }]), 415],
    ['ELF renamed .txt', upload([{ name: 'a.txt', type: 'text/plain', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]) }]), 415],
    ['oversize', upload([{ name: 'a.md', type: 'text/markdown', data: Buffer.alloc(5 * 1024 * 1024 + 1, 0x61) }]), 413],
    ['empty', upload([{ name: 'a.txt', type: 'text/plain', data: '' }]), 400],
    ['traversal', upload([{ name: '../../etc/evil.txt', type: 'text/plain', data: 'x' }]), 400],
    ['one bad among good', upload([{ name: 'ok.txt', type: 'text/plain', data: 'fine' }, { name: 'b.exe', type: 'text/plain', data: 'x' }]), 415],
    ['malformed JSON', post('/query', '{"question":'), 400],
    ['missing question', post('/query', '{}'), 400],
    ['unknown doc', fetch(`${backend}/api/v1/documents/00000000-0000-4000-8000-000000000000/status`), 404],
    ['unknown doc delete', fetch(`${backend}/api/v1/documents/nope`, { method: 'DELETE', headers: { 'x-api-key': KEY } }), 404],
    ['settings out of range', post('/settings', '{"similarity_threshold": 1.5}', { 'x-api-key': KEY }), 400],
    ['settings malformed', post('/settings', '{"chunk_size":', { 'x-api-key': KEY }), 400],
    ['settings anonymous', post('/settings', '{"chunk_size": 500}'), 401],
  ];
  for (const [name, p, want] of cases) {
    const r = await p;
    const body = await json(r);
    assert.equal(r.status, want, `${name}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.detail, 'string', name);
    assert.ok(body.detail.length > 10, name);
  }
  assert.equal(readdirSync(join(dir, 'documents')).length, before, 'nothing stored');
});

test('settings persist and are validated', { skip }, async () => {
  const r = await post('/settings', '{"chunk_size": 600, "chunk_overlap": 60}', { 'x-api-key': KEY });
  assert.equal(r.status, 200);
  const s = await json(await fetch(`${backend}/settings`));
  assert.equal(s.chunk_size, 600);
  assert.equal(s.chunk_overlap, 60);
});

test('metrics expose the series the alert rules use, by route pattern', { skip }, async () => {
  const m = await (await fetch(`${backend}/metrics`)).text();
  for (const series of ['http_requests_total', 'http_request_duration_seconds_bucket', 'rag_queries_total', 'rag_query_duration_seconds_bucket',
    'rag_documents_processed_total', 'rag_document_processing_seconds_bucket', 'rag_documents', 'rag_websocket_connections', 'process_resident_memory_bytes']) {
    assert.match(m, new RegExp(`^${series}`, 'm'), series);
  }
  assert.match(m, /route="\/api\/v1\/documents\/:doc_id\/status",status="404"/);
  assert.match(m, /rag_documents_processed_total\{outcome="completed"\} [1-9]/);
});

test('logs are JSON, in LOG_DIR, and carry no secret', { skip }, async () => {
  const log = readFileSync(join(dir, 'logs', 'backend.log'), 'utf8');
  const lines = log.trim().split('\n');
  assert.ok(lines.length > 5);
  for (const l of lines) JSON.parse(l);
  assert.ok(!log.includes(KEY) && !log.includes(JWT_SECRET) && !log.includes('PELICAN-42'));
});

test('frontend serves the UI, health on both ports, and proxies /ui/api with its own JWT', { skip }, async () => {
  const page = await (await fetch(`${frontend}/`)).text();
  assert.match(page, /<table aria-label="Documents">/);
  assert.equal((await fetch(`${frontend}/_health`)).status, 200);
  assert.equal((await fetch(`${frontendEvents}/_health`)).status, 200);
  assert.equal(await (await fetch(`${frontendEvents}/ping`)).text(), 'pong');
  const s = await fetch(`${frontend}/ui/api/settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"chunk_size": 800, "chunk_overlap": 100}' });
  assert.equal(s.status, 200);
  const relay = watch(`${frontend.replace('http', 'ws')}/api/v1/documents/ws/ui-test`);
  await relay.until((e) => e.type === 'ping', 3000);
  relay.close();
});
