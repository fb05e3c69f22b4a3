import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const httpRequests = new client.Counter({
  name: 'http_requests_total',
  help: 'HTTP requests by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'],
  registers: [registry],
});
export const httpDuration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
  registers: [registry],
});
export const ragQueries = new client.Counter({
  name: 'rag_queries_total',
  help: 'RAG queries by outcome',
  labelNames: ['outcome'],
  registers: [registry],
});
export const ragQueryDuration = new client.Histogram({
  name: 'rag_query_duration_seconds',
  help: 'RAG query latency (retrieval + generation)',
  buckets: [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
  registers: [registry],
});
export const docsProcessed = new client.Counter({
  name: 'rag_documents_processed_total',
  help: 'Documents processed by outcome',
  labelNames: ['outcome'],
  registers: [registry],
});
export const docProcessingSeconds = new client.Histogram({
  name: 'rag_document_processing_seconds',
  help: 'Time from upload to completed/failed',
  buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});
export const documentsGauge = new client.Gauge({
  name: 'rag_documents',
  help: 'Documents known to the system',
  registers: [registry],
});
export const wsConnections = new client.Gauge({
  name: 'rag_websocket_connections',
  help: 'Open WebSocket connections',
  registers: [registry],
});
for (const outcome of ['success', 'failure']) ragQueries.inc({ outcome }, 0);
for (const outcome of ['completed', 'failed']) docsProcessed.inc({ outcome }, 0);
