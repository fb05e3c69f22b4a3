// The backend's OpenAPI 3.1 document, served at GET /openapi.json (where FastAPI serves its own): the routes of
// main.ts, the multipart field uploads carry their files in (UPLOAD_FIELD) and the API key header (API_KEY_HEADER).
// Written by hand from the routes; a pure function, unit-tested.

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = { $ref: '#/components/schemas/Error' };
const docId = { name: 'doc_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const secured = [{ apiKey: [] }, { bearer: [] }];

export function openApiDocument(opts: { uploadField: string; apiKeyHeader: string; version: string }): object {
  const statuses = ['pending', 'validating', 'processing', 'indexing', 'completed', 'failed'];
  return {
    openapi: '3.1.0',
    info: { title: 'RAG System backend', version: opts.version },
    paths: {
      '/health': { get: { summary: 'Health of the backend and its dependencies', responses: { 200: { description: 'healthy or degraded' }, 503: { description: 'unhealthy' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
      '/api/v1/documents/upload': {
        post: {
          summary: 'Upload documents (.txt, .md, .pdf, .csv) for processing',
          security: secured,
          requestBody: { required: true, content: { 'multipart/form-data': { schema: { $ref: '#/components/schemas/UploadBody' } } } },
          responses: { 202: { description: 'accepted for processing', ...json({ $ref: '#/components/schemas/UploadResult' }) }, 400: { description: 'bad file or field', ...json(error) }, 401: { description: 'no valid credential', ...json(error) }, 413: { description: 'too large', ...json(error) }, 415: { description: 'unsupported type', ...json(error) } },
        },
      },
      '/api/v1/documents': {
        get: {
          summary: 'List documents',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
            { name: 'status', in: 'query', schema: { type: 'string', enum: statuses } },
          ],
          responses: { 200: { description: 'the documents', ...json({ type: 'object', required: ['documents', 'total_count'], properties: { documents: { type: 'array', items: { type: 'object' } }, total_count: { type: 'integer' } } }) } },
        },
      },
      '/api/v1/documents/bulk': {
        delete: {
          summary: 'Delete several documents',
          security: secured,
          requestBody: { required: true, ...json({ type: 'object', required: ['doc_ids'], properties: { doc_ids: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1000 } } }) },
          responses: { 200: { description: 'what was deleted and what not', ...json({ type: 'object', properties: { success_count: { type: 'integer' }, error_count: { type: 'integer' }, total_chunks_deleted: { type: 'integer' }, errors: { type: 'array', items: { type: 'object' } } } }) } },
        },
      },
      '/api/v1/documents/{doc_id}': {
        delete: { summary: 'Delete a document', security: secured, parameters: [docId], responses: { 200: { description: 'deleted' }, 404: { description: 'unknown document', ...json(error) } } },
      },
      '/api/v1/documents/{doc_id}/status': {
        get: { summary: 'Processing status of a document', parameters: [docId], responses: { 200: { description: 'the status' }, 404: { description: 'unknown document', ...json(error) } } },
      },
      '/api/v1/documents/ws/{client_id}': {
        get: { summary: 'WebSocket of processing progress events', parameters: [{ name: 'client_id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 101: { description: 'switching protocols' } } },
      },
      '/query': {
        post: {
          summary: 'Ask a question about the documents',
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/QueryRequest' }) },
          responses: { 200: { description: 'the answer and its sources' }, 400: { description: 'bad request', ...json(error) } },
        },
      },
      '/settings': {
        get: { summary: 'Retrieval settings', responses: { 200: { description: 'the settings' } } },
        post: { summary: 'Update retrieval settings', security: secured, requestBody: { required: true, ...json({ type: 'object' }) }, responses: { 200: { description: 'the merged settings' }, 400: { description: 'out of range', ...json(error) } } },
      },
    },
    components: {
      schemas: {
        UploadBody: {
          type: 'object',
          required: [opts.uploadField],
          properties: { [opts.uploadField]: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'one or more files' } },
        },
        UploadResult: { type: 'object', required: ['documents'], properties: { documents: { type: 'array', items: { type: 'object', properties: { doc_id: { type: 'string' }, filename: { type: 'string' }, status: { type: 'string', enum: statuses }, task_id: { type: 'string' } } } } } },
        QueryRequest: { type: 'object', required: ['question'], properties: { question: { type: 'string', maxLength: 4000 }, max_chunks: { type: 'integer', minimum: 1, maximum: 50 } } },
        Error: { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } },
      },
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: opts.apiKeyHeader },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}
