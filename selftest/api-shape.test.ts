/**
 * Unit tests of the API client in a deployment profile's shape (lib/rag-api.ts): routes and field names from the
 * profile, credentials in its scheme, "blocked: <ID> – <cause>", and the proxy-or-backend verdict of a failed call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_API, CONTRACT_AUTH, type ApiShape } from '../core/profile.ts';
import type { Exchange, HttpClient } from '../lib/http.ts';
import { apiShapeEnv } from '../lib/k6.ts';
import { blockedBy, credentialName, faultVerdict, NO_AUTH, RagApi, wrongCredential } from '../lib/rag-api.ts';
import { canFail } from './helpers.ts';

const OTHER: ApiShape = { healthPath: '/healthz', uploadPath: '/upload', uploadField: 'file', queryPath: '/ask', questionField: 'prompt', documentsPath: '/docs' };

/** A stand-in HTTP client: answers by URL prefix, records every request. */
function fakeHttp(answer: (url: string, method: string) => { status: number; body: string } | Error) {
  const asked: Array<{ url: string; method: string; body?: unknown }> = [];
  const http = {
    exchanges: [],
    async fetch(url: string, opts: { method?: string; json?: unknown; body?: unknown } = {}): Promise<Exchange> {
      const method = opts.method ?? (opts.body === undefined && opts.json === undefined ? 'GET' : 'POST');
      asked.push({ url, method, body: opts.json });
      const a = answer(url, method);
      if (a instanceof Error) throw a;
      return { method, url, requestHeaders: {}, status: a.status, headers: {}, body: a.body, ms: 1 };
    },
    json: (ex: Exchange) => JSON.parse(ex.body) as unknown,
    describe: (ex: Exchange) => `> ${ex.method} ${ex.url}\n< ${ex.status}`,
  };
  return { http: http as unknown as HttpClient, asked };
}

const QUERY_OK = JSON.stringify({ answer: 'x', sources: [], context_used: 0 });

test('api shape: every route and field name comes from the profile', async () => {
  const { http, asked } = fakeHttp(() => ({ status: 404, body: '{"detail":"no"}' }));
  const api = new RagApi(http, 'https://h', {}, OTHER);
  assert.equal(api.docPath('a b', 'status'), '/docs/a%20b/status');
  assert.deepEqual(api.questionBody('q?', { max_chunks: 2 }), { prompt: 'q?', max_chunks: 2 });
  await api.ask('q?');
  await api.health();
  await api.deleteRaw('d1');
  await api.uploadRaw([{ filename: 'a.txt', contentType: 'text/plain', content: 'a' }]);
  await api.waitProcessed('d1', 1);
  assert.deepEqual(asked.map((a) => `${a.method} ${a.url}`), ['POST https://h/ask', 'GET https://h/healthz', 'DELETE https://h/docs/d1', 'POST https://h/upload', 'GET https://h/docs/d1/status']);
  assert.deepEqual(asked[0]!.body, { prompt: 'q?' });
  // The contract when no shape is given.
  const c = new RagApi(http, 'https://h', {});
  assert.equal(c.docPath('bulk'), '/api/v1/documents/bulk');
  assert.deepEqual(c.questionBody('q'), { question: 'q' });
});

test('api shape: the k6 scripts get the same shape and auth scheme', () => {
  assert.deepEqual(apiShapeEnv(OTHER, { scheme: 'bearer', header: 'X-Key', secret: 'TOKEN', user: 'u' }), {
    UPLOAD_PATH: '/upload', UPLOAD_FIELD: 'file', QUERY_PATH: '/ask', QUESTION_FIELD: 'prompt', DOCUMENTS_PATH: '/docs', AUTH_SCHEME: 'bearer', AUTH_HEADER: 'X-Key', AUTH_USER: 'u',
  });
});

test('auth: the credential in words and a wrong one in the profile\'s scheme', () => {
  assert.equal(credentialName(CONTRACT_AUTH), 'the X-API-Key header');
  assert.equal(credentialName({ ...CONTRACT_AUTH, scheme: 'bearer' }), 'Authorization: Bearer');
  assert.match(credentialName({ ...CONTRACT_AUTH, scheme: 'none' }), /auth.scheme: none/);
  assert.deepEqual(Object.keys(wrongCredential({ ...CONTRACT_AUTH, header: 'X-Auth-Token' })!), ['x-auth-token']);
  assert.match(wrongCredential({ ...CONTRACT_AUTH, scheme: 'bearer' })!['authorization']!, /^Bearer [0-9a-f]{64}$/);
  assert.match(wrongCredential({ ...CONTRACT_AUTH, scheme: 'basic' })!['authorization']!, /^Basic /);
  assert.equal(wrongCredential({ ...CONTRACT_AUTH, scheme: 'none' }), undefined);
  assert.match(NO_AUTH, /^the deployment profile declares no authentication \(auth\.scheme: none\): mutating endpoints accept anonymous requests$/);
});

test('blocked: names the line that failed and the first line of its cause', () => {
  assert.equal(blockedBy('P3-UPLOAD-2', 'upload of a.txt: expected HTTP 200 or 201 or 202, got 422\n> POST https://h/upload'), 'blocked: P3-UPLOAD-2 – upload of a.txt: expected HTTP 200 or 201 or 202, got 422');
});

test('proxy or backend: the verdict says which of the two is at fault', () => {
  assert.equal(faultVerdict('/query', { said: '502', ok: false }, { said: '200', ok: true }), 'through Nginx: 502; the backend directly: 200 – the proxy is at fault (route /query)');
  assert.match(faultVerdict('/query', { said: '500', ok: false }, { said: '500', ok: false }), /the backend is at fault/);
});

test('proxy or backend: a call that fails through the proxy is repeated against the backend, and only then', async () => {
  const { http, asked } = fakeHttp((url) => (url.startsWith('https://proxy') ? { status: 502, body: '<html>Bad Gateway</html>' } : { status: 200, body: QUERY_OK }));
  const api = new RagApi(http, 'https://proxy', {}, CONTRACT_API, 'http://backend:8000');
  await assert.rejects(api.query('What?'), /^Error: through Nginx: 502; the backend directly: 200 – the proxy is at fault \(route \/query\)\nquery "What\?": expected HTTP 200, got 502/);
  assert.deepEqual(asked.map((a) => a.url), ['https://proxy/query', 'http://backend:8000/query']);

  // Both fail, the backend with an answer that breaks the contract: the backend is at fault.
  const both = fakeHttp(() => ({ status: 200, body: '{}' }));
  await assert.rejects(new RagApi(both.http, 'https://proxy', {}, CONTRACT_API, 'http://backend:8000').query('What?'), /the backend directly: 200 with a body that breaks the "query" schema – the backend is at fault/);

  // No answer through the proxy at all.
  const down = fakeHttp((url) => (url.startsWith('https://proxy') ? new Error('ECONNREFUSED') : { status: 200, body: QUERY_OK }));
  await assert.rejects(new RagApi(down.http, 'https://proxy', {}, CONTRACT_API, 'http://backend:8000').query('What?'), /through Nginx: no answer \(ECONNREFUSED\); the backend directly: 200 – the proxy is at fault/);

  // Success through the proxy: no second request; without a backend URL: the plain error.
  const fine = fakeHttp(() => ({ status: 200, body: QUERY_OK }));
  await new RagApi(fine.http, 'https://proxy', {}, CONTRACT_API, 'http://backend:8000').query('What?');
  assert.equal(fine.asked.length, 1);
  const alone = fakeHttp(() => ({ status: 502, body: 'x' }));
  await assert.rejects(new RagApi(alone.http, 'https://proxy', {}).query('What?'), (e: Error) => !/through Nginx/.test(e.message));
});

test('proxy or backend: an upload the backend accepts on the repeat is deleted there again', async () => {
  const { http, asked } = fakeHttp((url, method) =>
    url.startsWith('https://proxy') ? { status: 502, body: 'x' } : method === 'POST' ? { status: 202, body: JSON.stringify({ documents: [{ doc_id: 'd9', filename: 'a.txt', status: 'pending' }] }) } : { status: 200, body: '{}' },
  );
  const api = new RagApi(http, 'https://proxy', {}, CONTRACT_API, 'http://backend:8000');
  await assert.rejects(api.upload([{ filename: 'a.txt', contentType: 'text/plain', content: 'a' }]), /the proxy is at fault \(route \/api\/v1\/documents\/upload\)/);
  assert.deepEqual(asked.map((a) => `${a.method} ${a.url}`), ['POST https://proxy/api/v1/documents/upload', 'POST http://backend:8000/api/v1/documents/upload', 'DELETE http://backend:8000/api/v1/documents/d9']);
});

test('upload refused (4xx): the OpenAPI document\'s field leads the error', canFail('P3-UPLOAD-2'), async () => {
  const openapi = { openapi: '3.1.0', paths: { '/api/v1/documents/upload': { post: { requestBody: { content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } } } } } } } };
  const { http } = fakeHttp((url) => (url.endsWith('/openapi.json') ? { status: 200, body: JSON.stringify(openapi) } : { status: 422, body: '{"detail":[{"loc":["body","file"],"msg":"Field required"}]}' }));
  await assert.rejects(new RagApi(http, 'http://b', {}).upload([{ filename: 'a.txt', contentType: 'text/plain', content: 'a' }]), /^Error: the backend wants multipart field 'file' \(its OpenAPI document\), the profile says 'files' – set api.uploadField\nupload of a.txt: expected HTTP 200 or 201 or 202, got 422/);
});

test('upload refused through the proxy and the backend alike: the OpenAPI hint leads, the verdict follows on the same line', async () => {
  const openapi = { openapi: '3.1.0', paths: { '/api/v1/documents/upload': { post: { requestBody: { content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } } } } } } } };
  const { http } = fakeHttp((url) => (url === 'http://backend:8000/openapi.json' ? { status: 200, body: JSON.stringify(openapi) } : { status: 422, body: '{"detail":"field required"}' }));
  const err = await new RagApi(http, 'https://proxy', {}, CONTRACT_API, 'http://backend:8000').upload([{ filename: 'a.txt', contentType: 'text/plain', content: 'a' }]).catch((e: Error) => e);
  assert.equal(
    blockedBy('P3-UPLOAD-2', (err as Error).message),
    "blocked: P3-UPLOAD-2 – the backend wants multipart field 'file' (its OpenAPI document), the profile says 'files' – set api.uploadField (through Nginx: 422; the backend directly: 422 – the backend is at fault (route /api/v1/documents/upload))",
  );
});
