import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { validateUpload, validateSettings, DEFAULT_SETTINGS, checkFilename, MB } from '../src/backend/validate.js';
import { ApiError } from '../src/backend/errors.js';
import { chunkText } from '../src/backend/chunk.js';
import { excerptOf, isListQuestion, isRefusal, parseQuery, cacheKey, rankCandidates, supportingChunks, QueryService } from '../src/backend/query.js';
import { chunkId, docIdOfChunk, EXHAUSTIVE_SEARCH_LIMIT, HNSW, hnswMismatch, type Chroma, type Ranked } from '../src/backend/chroma.js';
import type { Ollama } from '../src/backend/ollama.js';
import type { DocRecord, Store } from '../src/backend/store.js';
import { EventHub } from '../src/backend/events.js';
import { makeAuth } from '../src/backend/auth.js';
import { apiShapeFromEnv } from '../src/backend/config.js';
import { openApiDocument } from '../src/backend/openapi.js';
import { checkFileField } from '../src/backend/validate.js';
import { extract } from '../src/backend/extract.js';
import { embed, answer, DIMENSIONS, NOT_FOUND } from '../src/ollama/engine.js';
import { makePdf } from './pdf.js';

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
  return 200;
};
const txt = Buffer.from('hello world\n');

test('upload validation: accepted types and content types', () => {
  assert.equal(validateUpload('a.txt', 'text/plain', txt).type.fileType, 'txt');
  assert.equal(validateUpload('a.md', 'text/markdown', txt).type.fileType, 'md');
  assert.equal(validateUpload('a.csv', 'text/csv', Buffer.from('a,b\n1,2\n')).type.fileType, 'csv');
  assert.equal(validateUpload('a.csv', 'application/octet-stream', Buffer.from('a,b\n')).type.fileType, 'csv');
  assert.equal(validateUpload('a.pdf', 'application/pdf', makePdf(['x'])).type.fileType, 'pdf');
});

test('upload validation: rejections with the right status', () => {
  assert.equal(status(() => validateUpload('a.exe', 'application/octet-stream', txt)), 415);
  assert.equal(status(() => validateUpload('a.txt', 'application/pdf', txt)), 415);
  assert.equal(status(() => validateUpload('a.pdf', 'application/pdf', txt)), 415);
  assert.equal(status(() => validateUpload('a.txt', 'text/plain', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2]))), 415);
  assert.equal(status(() => validateUpload('a.txt', 'text/plain', Buffer.from('MZ\x90\x00'))), 415);
  assert.equal(status(() => validateUpload('a.txt', 'text/plain', Buffer.from([0x61, 0, 0x62]))), 415);
  assert.equal(status(() => validateUpload('a.txt', 'text/plain', Buffer.alloc(0))), 400);
  assert.equal(status(() => validateUpload('a.txt', 'text/plain', Buffer.alloc(10 * MB + 1, 0x61))), 413);
  assert.equal(status(() => validateUpload('a.md', 'text/markdown', Buffer.alloc(5 * MB + 1, 0x61))), 413);
  assert.equal(status(() => validateUpload('../../etc/passwd.txt', 'text/plain', txt)), 400);
  assert.equal(status(() => validateUpload('..\\x.txt', 'text/plain', txt)), 400);
  assert.equal(status(() => validateUpload('a\u0001b.txt', 'text/plain', txt)), 400);
  assert.equal(checkFilename('report (final).txt'), 'report (final).txt');
});

test('settings validation names the field', () => {
  assert.deepEqual(validateSettings(DEFAULT_SETTINGS, { chunk_size: 1000 }), { ...DEFAULT_SETTINGS, chunk_size: 1000 });
  for (const [body, field] of [
    [{ similarity_threshold: 1.5 }, 'similarity_threshold'],
    [{ similarity_threshold: '0.5' }, 'similarity_threshold'],
    [{ max_context_tokens: 100 }, 'max_context_tokens'],
    [{ chunk_size: 99 }, 'chunk_size'],
    [{ chunk_size: 8001 }, 'chunk_size'],
    [{ chunk_size: 200, chunk_overlap: 101 }, 'chunk_overlap'],
    [{ chunk_overlap: -1 }, 'chunk_overlap'],
    [{ bogus: 1 }, 'bogus'],
  ] as const) {
    assert.throws(() => validateSettings(DEFAULT_SETTINGS, body), (e: any) => e.status === 400 && e.detail.includes(field));
  }
  assert.throws(() => validateSettings(DEFAULT_SETTINGS, [1]), (e: any) => e.status === 400);
});

test('chunks are verbatim slices, bounded and overlapping', () => {
  const text = Array.from({ length: 200 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7}.`).join(' ');
  const chunks = chunkText(text, 300, 50);
  assert.ok(chunks.length > 5);
  for (const c of chunks) {
    assert.ok(c.text.length <= 300);
    assert.equal(text.slice(c.start, c.start + c.text.length), c.text);
  }
  for (let i = 1; i < chunks.length; i++) assert.ok(chunks[i].start < chunks[i - 1].start + chunks[i - 1].text.length, 'overlap');
  assert.equal(chunkText('short', 100, 0).length, 1);
  assert.equal(chunkText('   ', 100, 0).length, 0);
});

test('query parsing, list questions, excerpts, cache keys', () => {
  assert.deepEqual(parseQuery({ question: ' hi ' }), { question: 'hi', maxChunks: 5 });
  assert.throws(() => parseQuery({}), (e: any) => e.status === 400);
  assert.throws(() => parseQuery({ question: 'x', max_chunks: 0 }), (e: any) => e.status === 400);
  assert.ok(isListQuestion('What documents are available?'));
  assert.ok(isListQuestion('Which files have been uploaded?'));
  assert.ok(isListQuestion('List all documents'));
  assert.ok(!isListQuestion('What is the budget of the Zephyr project?'));
  const chunk = 'Intro text. '.repeat(60) + 'The Zephyr budget was 42 million euros. ' + 'Outro text. '.repeat(60);
  const ex = excerptOf(chunk, 'What was the Zephyr budget?');
  assert.ok(chunk.includes(ex) && ex.includes('Zephyr budget'), ex);
  assert.ok(ex.length <= 400);
  const s = DEFAULT_SETTINGS;
  assert.equal(cacheKey('Hi  there', 5, s, '1', 'm'), cacheKey('hi there', 5, s, '1', 'm'));
  assert.notEqual(cacheKey('hi', 5, s, '1', 'm'), cacheKey('hi', 5, s, '2', 'm'));
});

test('event hub: replay of the latest event per document, ordered fan-out', () => {
  const hub = new EventHub();
  const seen: string[] = [];
  const ev = (doc_id: string, status: string, ts: string) => ({ task_id: 't', filename: 'f', status, progress: 0, message: '', error: null, doc_id, timestamp: ts });
  const off = hub.subscribe((e) => seen.push(`${e.doc_id}:${e.status}`));
  hub.publish(ev('a', 'processing', new Date().toISOString()));
  hub.publish(ev('a', 'completed', new Date().toISOString()));
  hub.publish(ev('b', 'completed', new Date(Date.now() - 11 * 60_000).toISOString()));
  off();
  hub.publish(ev('c', 'pending', new Date().toISOString()));
  assert.deepEqual(seen, ['a:processing', 'a:completed', 'b:completed']);
  assert.deepEqual(hub.snapshot().map((e) => `${e.doc_id}:${e.status}`), ['a:completed', 'c:pending']);
});

test('auth: API key, HS256 JWT with exp; everything else 401', async () => {
  const authorize = makeAuth('k'.repeat(32), 's'.repeat(64));
  const key = new TextEncoder().encode('s'.repeat(64));
  const now = Math.floor(Date.now() / 1000);
  await authorize({ 'x-api-key': 'k'.repeat(32) });
  await authorize({ authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 60).sign(key)}` });
  const rejects = async (h: Record<string, string>) => assert.rejects(authorize(h), (e: any) => e.status === 401);
  await rejects({});
  await rejects({ 'x-api-key': 'wrong' });
  await rejects({ authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(key)}` }); // no exp
  await rejects({ authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now - 10).sign(key)}` });
  await rejects({ authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 60).sign(new TextEncoder().encode('x'.repeat(64)))}` });
});

/** Runs `fn` with the environment variables set (undefined: unset), restoring them afterwards. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k]; else process.env[k] = x;
  };
  put(vars);
  try {
    return fn();
  } finally {
    put(saved);
  }
}

test('UPLOAD_FIELD: default "files"; another field is what the upload takes, refuses the other and is what /openapi.json names', () => {
  assert.equal(withEnv({ UPLOAD_FIELD: undefined }, apiShapeFromEnv).uploadField, 'files');
  const { uploadField } = withEnv({ UPLOAD_FIELD: 'file' }, apiShapeFromEnv);
  assert.equal(uploadField, 'file');
  checkFileField('file', uploadField);
  assert.throws(() => checkFileField('files', uploadField), (e: any) => e.status === 400 && /field "file"/.test(e.detail));
  const doc = openApiDocument({ uploadField, apiKeyHeader: 'X-API-Key', version: '1.0.0' }) as any;
  assert.equal(doc.paths['/api/v1/documents/upload'].post.requestBody.content['multipart/form-data'].schema.$ref, '#/components/schemas/UploadBody');
  assert.deepEqual(Object.keys(doc.components.schemas.UploadBody.properties), ['file']);
  assert.deepEqual(doc.components.schemas.UploadBody.required, ['file']);
  assert.throws(() => withEnv({ UPLOAD_FIELD: 'my field' }, apiShapeFromEnv), /UPLOAD_FIELD/);
});

test('API_KEY_HEADER: default X-API-Key; another header is the one the key is accepted in, and /openapi.json names it', async () => {
  assert.equal(withEnv({ API_KEY_HEADER: undefined }, apiShapeFromEnv).apiKeyHeader, 'X-API-Key');
  const { apiKeyHeader } = withEnv({ API_KEY_HEADER: 'X-Auth-Token' }, apiShapeFromEnv);
  const authorize = makeAuth('k'.repeat(32), 's'.repeat(64), apiKeyHeader);
  await authorize({ 'x-auth-token': 'k'.repeat(32) });
  await assert.rejects(authorize({ 'x-api-key': 'k'.repeat(32) }), (e: any) => e.status === 401 && /send X-Auth-Token/.test(e.detail));
  await assert.rejects(authorize({ 'x-auth-token': 'wrong' }), (e: any) => e.status === 401);
  const doc = openApiDocument({ uploadField: 'files', apiKeyHeader, version: '1.0.0' }) as any;
  assert.deepEqual(doc.components.securitySchemes.apiKey, { type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
  assert.throws(() => withEnv({ API_KEY_HEADER: 'Authorization' }, apiShapeFromEnv), /API_KEY_HEADER/);
});

test('text extraction: txt and a real PDF', async () => {
  assert.equal(await extract('txt', Buffer.from('\ufeffa\r\nb')), 'a\nb');
  const text = await extract('pdf', makePdf(['Quarterly report.', 'The budget was 42 million euros.']));
  assert.match(text, /budget was 42 million euros/);
});

test('stand-in embeddings: normalised, deterministic, lexically related text is closer', () => {
  const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  const q = embed('What was the budget of the Zephyr project?');
  const rel = embed('The Zephyr project budget was 42 million euros.');
  const unrel = embed('Cats sleep most of the afternoon in the sun.');
  assert.equal(q.length, DIMENSIONS);
  assert.ok(Math.abs(cos(q, q) - 1) < 1e-5);
  assert.deepEqual(embed('same text'), embed('same text'));
  assert.ok(cos(q, rel) > cos(q, unrel) + 0.2, `${cos(q, rel)} vs ${cos(q, unrel)}`);
});

test('stand-in chat answers only from the context, verbatim, and lists documents', () => {
  const ctx = '<context>\n[Source 1: a.txt]\nThe Zephyr budget was 42 million euros. Cats like fish.\n</context>';
  const a = answer([{ role: 'system', content: `Use the context.\n${ctx}` }, { role: 'user', content: 'What was the Zephyr budget?' }]);
  assert.equal(a, 'The Zephyr budget was 42 million euros.');
  const none = answer([{ role: 'system', content: ctx }, { role: 'user', content: 'Who won the 1998 world cup?' }]);
  assert.match(none, /couldn't find/);
  const list = answer([{ role: 'system', content: 'Available documents:\n- a.txt\n- b.pdf' }, { role: 'user', content: 'What documents are available?' }]);
  assert.equal(list, 'The following documents are available: a.txt, b.pdf.');
});

test('vector store: chunk ids carry the document id; an index other than HNSW is detected', () => {
  const id = chunkId('4f1c2b9e-0000-4000-8000-000000000001', 1217);
  assert.equal(docIdOfChunk(id), '4f1c2b9e-0000-4000-8000-000000000001');
  assert.equal(hnswMismatch({ hnsw: { ...HNSW, ef_search: 100, resize_factor: 1.2 } }), null, 'ef_search can differ (searches ask for more)');
  // What get_or_create returns for a collection made with Chroma's defaults: kept as it is, the config asked for is ignored.
  const defaults = { hnsw: { space: 'cosine', ef_construction: 100, ef_search: 100, max_neighbors: 16, resize_factor: 1.2, sync_threshold: 1000 } };
  assert.match(hnswMismatch(defaults)!, /max_neighbors 16 \(want 64\), ef_construction 100 \(want 400\)/);
  assert.match(hnswMismatch({ hnsw: { ...HNSW, space: 'l2' } })!, /space l2/);
  assert.match(hnswMismatch({ hnsw: null, spann: {} })!, /no HNSW/);
  assert.match(hnswMismatch(undefined)!, /no HNSW/);
});

test('retrieval ranks candidates by similarity, completed documents only, down to the threshold', () => {
  const r = (doc: string, i: number, distance: number): Ranked => ({ id: chunkId(doc, i), distance });
  const ranked = [r('b', 0, 0.5), r('a', 3, 0.2), r('a', 1, 0.95), r('pending', 0, 0.1), r('a', 2, 0.7)];
  const got = rankCandidates(ranked, new Set(['a', 'b']), 0.1, 5).map((h) => h.id);
  assert.deepEqual(got, ['a:3', 'b:0', 'a:2']);
  assert.equal(rankCandidates(ranked, new Set(['a', 'b']), 0.1, 1).length, 3, 'a few spare candidates for the context budget');
});

/** One large document of near-identical chunks (distance 0.98 to the question), one of which holds the fact (0.79). */
function fakeServices(chunks: number, opts: { lexical?: Ranked[] } = {}) {
  const doc = (id: string): DocRecord => ({ doc_id: id, task_id: 't', title: `${id}.txt`, file_type: 'txt', content_type: 'text/plain', stored_name: `${id}.txt`, upload_date: '2026-01-01T00:00:00Z', file_size: 1, status: 'completed', processing_progress: 100, error_message: null, chunk_count: chunks, last_updated: '2026-01-01T00:00:00Z' });
  const calls: Array<{ n: number; whereDocument?: unknown }> = [];
  const text = (id: string) => (id === chunkId('big', 1000) ? 'Filler. The calibration code of the zq1 turbine is KX-1. Filler.' : 'Filler sentence about the cooling pumps.');
  const all: Ranked[] = Array.from({ length: chunks }, (_, i) => ({ id: chunkId('big', i), distance: i === 1000 ? 0.79 : 0.98 + (i % 7) / 1000 }));
  const chroma = {
    async rank(_e: number[], n: number, whereDocument?: unknown) {
      calls.push({ n, whereDocument });
      if (whereDocument) return opts.lexical ?? [];
      return [...all].sort((a, b) => a.distance - b.distance).slice(0, n);
    },
    async getByIds(ids: string[]) {
      return ids.map((id) => ({ id, document: text(id), metadata: { doc_id: docIdOfChunk(id) } }));
    },
  } as unknown as Chroma;
  const store = { allDocs: async () => [doc('big')] } as unknown as Store;
  const ollama = { embed: async (q: string[]) => q.map(() => [1]), chat: async () => 'The calibration code of the zq1 turbine is KX-1.' } as unknown as Ollama;
  return { service: new QueryService(store, chroma, ollama), calls };
}

test('retrieval scores every chunk up to EXHAUSTIVE_SEARCH_LIMIT, so a fact in the middle of a large document is cited', async () => {
  const { service, calls } = fakeServices(2435);
  const a = await service.answer('What is the calibration code of the zq1 turbine?', 5, DEFAULT_SETTINGS);
  assert.deepEqual(calls, [{ n: EXHAUSTIVE_SEARCH_LIMIT, whereDocument: undefined }], 'one search, wide enough to be exhaustive; no lexical pass needed');
  assert.equal(a.sources.length, 1, 'the filler chunks are below the similarity threshold');
  assert.equal(a.sources[0].doc_id, 'big');
  assert.match(a.sources[0].excerpt, /KX-1/);
});

test('retrieval beyond EXHAUSTIVE_SEARCH_LIMIT adds chunks with the question\'s salient words', async () => {
  const { service, calls } = fakeServices(EXHAUSTIVE_SEARCH_LIMIT + 10, { lexical: [{ id: chunkId('big', 1000), distance: 0.79 }] });
  const a = await service.answer('What is the calibration code of the zq17 turbine?', 5, DEFAULT_SETTINGS);
  assert.equal(calls.length, 2);
  assert.deepEqual(JSON.stringify(calls[1].whereDocument).match(/zq17|calibration|turbine/g)?.sort(), ['calibration', 'turbine', 'zq17']);
  assert.equal(a.sources[0]?.doc_id, 'big');
});

test('the model stand-in answers from the context, and says so when the context does not answer the question', () => {
  const ask = (question: string, context: string) => answer([{ role: 'system', content: `<context>\n${context}\n</context>` }, { role: 'user', content: question }]);
  const ctx = '# Skelton Canal\nThe Skelton canal was designed by the engineer Bram Ockleton.\nThe Skelton canal has 9 locks.\nThe Wexcombe trust restored the locks of the Skelton canal.';
  assert.match(ask('Who designed the Skelton canal?', ctx), /Bram Ockleton/);
  assert.doesNotMatch(ask('Who designed the Skelton canal?', ctx), /^#/, 'a heading is no answer sentence');
  assert.match(ask('Which engineer designed the canal the Wexcombe trust restored?', ctx), /Bram Ockleton/, 'one hop: the canal the trust restored, then its engineer');
  assert.match(ask('Who designed the Quenby canal?', ctx), /couldn't find information about Quenby/, 'a name the context never mentions');
  assert.match(ask('What was the toll of the Skelton canal in 1850?', ctx), /couldn't find information about 1850/, 'a year the context never mentions');
  assert.equal(ask('What is the boiling point of liquid nitrogen?', 'Brew the tea with water just off the boil.'), NOT_FOUND, 'one word in common is not an answer');
  const policy = '# Returns Policy of the Example Shop\nCustomers may return unworn goods within 45 days of delivery.\nRefunds are paid within 6 working days.';
  assert.match(ask('Within how many days may customers of the Example Shop return unworn goods?', policy), /45 days/, 'names only the title carries say which document, not which sentence');
});

test('an answer cites the passages it quotes; a refusal cites nothing', async () => {
  const chunks = [{ text: 'Filler about the weather. The Skelton canal has 9 locks.' }, { text: 'canal,cargo,toll\nSkelton canal,grain,9 pence' }, { text: 'The Marrowby canal has 14 locks.' }];
  assert.deepEqual(supportingChunks('The Skelton canal has 9 locks. Skelton canal,grain,9 pence', chunks), chunks.slice(0, 2));
  assert.deepEqual(supportingChunks('Fourteen, according to the survey.', chunks), chunks, 'an untraceable paraphrase cites every passage');
  assert.equal(isRefusal("I couldn't find information about Quenby in the provided context."), true);
  assert.equal(isRefusal('The context does not mention it.'), true);
  assert.equal(isRefusal('The Skelton canal has 9 locks. No information was found on tolls.'), false, 'judged on the first sentence');
  const doc = { doc_id: 'd', title: 'd.txt', status: 'completed' } as DocRecord;
  const chroma = { rank: async () => [{ id: chunkId('d', 0), distance: 0.5 }], getByIds: async (ids: string[]) => ids.map((id) => ({ id, document: 'The Skelton canal has 9 locks.', metadata: { doc_id: 'd' } })) } as unknown as Chroma;
  const store = { allDocs: async () => [doc] } as unknown as Store;
  const service = (reply: string) => new QueryService(store, chroma, { embed: async (q: string[]) => q.map(() => [1]), chat: async () => reply } as unknown as Ollama);
  assert.equal((await service("I couldn't find information about Quenby in the provided context.").answer('Who designed the Quenby canal?', 5, DEFAULT_SETTINGS)).sources.length, 0);
  assert.equal((await service('The Skelton canal has 9 locks.').answer('How many locks has the Skelton canal?', 5, DEFAULT_SETTINGS)).sources.length, 1);
});
