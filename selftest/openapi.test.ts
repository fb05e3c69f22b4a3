/** Unit tests of lib/openapi.ts: the API shape read from FastAPI-like OpenAPI documents, and the upload-field hint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_API } from '../core/profile.ts';
import { discoverApiShape, fetchOpenApi, questionField, uploadFieldHint, uploadFields } from '../lib/openapi.ts';

/** What FastAPI (Pydantic v2, OpenAPI 3.1) generates for an app with `file: UploadFile = File(...)` and a Pydantic query body. */
const fastapi = {
  openapi: '3.1.0',
  info: { title: 'RAG System', version: '1.0.0' },
  paths: {
    '/health': { get: { operationId: 'health_health_get', responses: { 200: { description: 'ok' } } } },
    '/api/v1/documents/upload': {
      post: {
        requestBody: { content: { 'multipart/form-data': { schema: { $ref: '#/components/schemas/Body_upload_document_api_v1_documents_upload_post' } } }, required: true },
        responses: { 200: { description: 'ok' }, 422: { description: 'Validation Error' } },
      },
    },
    '/api/v1/documents': { get: { responses: { 200: { description: 'ok' } } } },
    '/api/v1/documents/bulk': { delete: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/BulkDelete' } } } }, responses: {} } },
    '/api/v1/documents/{doc_id}': { delete: { responses: {} } },
    '/api/v1/documents/{doc_id}/status': { get: { responses: {} } },
    '/query': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/QueryRequest' } } }, required: true }, responses: {} } },
    '/settings': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Settings' } } } }, responses: {} } },
  },
  components: {
    schemas: {
      Body_upload_document_api_v1_documents_upload_post: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', title: 'File' } }, title: 'Body_upload_document' },
      BulkDelete: { type: 'object', required: ['doc_ids'], properties: { doc_ids: { type: 'array', items: { type: 'string' } } } },
      QueryRequest: { type: 'object', required: ['question'], properties: { question: { type: 'string', title: 'Question' }, max_chunks: { anyOf: [{ type: 'integer' }, { type: 'null' }] } } },
      Settings: { type: 'object', properties: { similarity_threshold: { type: 'number' } } },
    },
  },
};

test('openapi: the upload field of a FastAPI document, through its $ref', () => {
  assert.deepEqual(uploadFields(fastapi, '/api/v1/documents/upload'), ['file']);
  assert.equal(uploadFields(fastapi, '/upload'), undefined, 'a path the document does not have');
  assert.equal(uploadFields(fastapi, '/query'), undefined, 'a JSON body is no multipart upload');
});

test('openapi: List[UploadFile] (array of binary), Optional (anyOf) and OpenAPI 3.1 contentMediaType are file fields; plain form fields are not', () => {
  const doc = {
    paths: {
      '/up': {
        post: {
          requestBody: {
            content: {
              'multipart/form-data; boundary=x': {
                schema: {
                  type: 'object',
                  properties: {
                    note: { type: 'string' },
                    extra: { anyOf: [{ type: 'string', contentMediaType: 'application/octet-stream' }, { type: 'null' }] },
                    files: { type: 'array', items: { type: 'string', format: 'binary' } },
                  },
                  required: ['files'],
                },
              },
            },
          },
        },
      },
    },
  };
  assert.deepEqual(uploadFields(doc, '/up'), ['files', 'extra'], 'required first, the text field "note" left out');
});

test('openapi: the question field of the query body', () => {
  assert.equal(questionField(fastapi, '/query'), 'question');
  const other = { paths: { '/ask': { post: { requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['q_text'], properties: { q_text: { type: 'string' }, top_k: { type: 'integer' } } } } } } } } } };
  assert.equal(questionField(other, '/ask'), 'q_text', 'the only required string property');
  const ambiguous = { paths: { '/ask': { post: { requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['a', 'b'], properties: { a: { type: 'string' }, b: { type: 'string' } } } } } } } } } };
  assert.equal(questionField(ambiguous, '/ask'), undefined, 'two required strings: the document cannot tell');
});

test('openapi: discoverApiShape reads every route of a FastAPI document and says how', () => {
  const found = discoverApiShape(fastapi);
  assert.deepEqual({ ...found, how: undefined }, { ...CONTRACT_API, uploadField: 'file', how: undefined });
  assert.match(found.how, /OpenAPI document: upload POST \/api\/v1\/documents\/upload takes files in the multipart field 'file'; query POST \/query takes the question in the JSON field 'question'/);
});

test('openapi: discoverApiShape on another layout (/upload, /ask {prompt}, /docs/{id}, /healthz)', () => {
  const doc = {
    openapi: '3.0.2',
    paths: {
      '/healthz': { get: {} },
      '/upload': { post: { requestBody: { content: { 'multipart/form-data': { schema: { type: 'object', properties: { document: { type: 'string', format: 'binary' } } } } } } } },
      '/docs': { get: {} },
      '/docs/{id}': { delete: {} },
      '/ask': { post: { requestBody: { content: { 'application/json': { schema: { allOf: [{ type: 'object', properties: { prompt: { type: 'string' } }, required: ['prompt'] }] } } } } } },
    },
  };
  const found = discoverApiShape(doc);
  assert.equal(found.uploadPath, '/upload');
  assert.equal(found.uploadField, 'document');
  assert.equal(found.queryPath, '/ask');
  assert.equal(found.questionField, 'prompt');
  assert.equal(found.documentsPath, '/docs');
  assert.equal(found.healthPath, '/healthz');
});

test('openapi: what is not an OpenAPI document, or says nothing, yields no shape (never a crash)', () => {
  for (const bad of [undefined, null, 'x', {}, { paths: [] }, { paths: { '/x': 'nonsense' } }, { paths: { '/u': { post: { requestBody: { $ref: '#/components/requestBodies/Missing' } } } } }]) {
    const found = discoverApiShape(bad);
    assert.equal(found.uploadPath, undefined, JSON.stringify(bad));
    assert.equal(typeof found.how, 'string');
  }
  const cyclic = { paths: { '/u': { post: { requestBody: { content: { 'multipart/form-data': { schema: { $ref: '#/components/schemas/A' } } } } } } }, components: { schemas: { A: { $ref: '#/components/schemas/A' } } } };
  assert.equal(uploadFields(cyclic, '/u'), undefined);
});

test('openapi: the upload hint names the field the backend wants when the profile says another', () => {
  assert.equal(uploadFieldHint(fastapi, CONTRACT_API), "the backend wants multipart field 'file' (its OpenAPI document), the profile says 'files' – set api.uploadField");
  assert.equal(uploadFieldHint(fastapi, { ...CONTRACT_API, uploadField: 'file' }), undefined, 'the profile agrees');
  assert.match(uploadFieldHint(fastapi, { uploadPath: '/upload', uploadField: 'files' })!, /no multipart POST \/upload; it uploads with POST \/api\/v1\/documents\/upload \(multipart field 'file'\) – set api.uploadPath/);
  assert.equal(uploadFieldHint({ openapi: '3.1.0', paths: {} }, CONTRACT_API), undefined, 'a document that names no upload gives no hint');
  assert.equal(uploadFieldHint('<html>', CONTRACT_API), undefined);
});

test('openapi: fetchOpenApi takes the first place that answers an OpenAPI document', async () => {
  const asked: string[] = [];
  const answers: Record<string, { status: number; body: string }> = {
    'http://b:8000/openapi.json': { status: 200, body: '{"detail":"Not Found"}' },
    'http://b:8000/docs/openapi.json': { status: 200, body: JSON.stringify(fastapi) },
  };
  const got = await fetchOpenApi(async (u) => {
    asked.push(u);
    return answers[u] ?? { status: 404, body: '' };
  }, 'http://b:8000/');
  assert.equal(got?.url, 'http://b:8000/docs/openapi.json');
  assert.deepEqual(asked, ['http://b:8000/openapi.json', 'http://b:8000/docs/openapi.json']);
  assert.equal(await fetchOpenApi(async () => ({ status: 200, body: '<html>' }), 'http://b'), undefined);
  assert.equal(await fetchOpenApi(async () => Promise.reject(new Error('ECONNREFUSED')), 'http://b'), undefined);
});
