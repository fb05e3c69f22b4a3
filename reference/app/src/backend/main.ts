// RAG System v1.0 backend (port 8000): documents, processing pipeline, query, settings, health, metrics.
import Fastify, { FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import websocket from '@fastify/websocket';
import { Redis } from 'ioredis';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { access, constants, mkdir, unlink, writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { start } from '../common/env.js';
import { makeAuth } from './auth.js';
import { Chroma } from './chroma.js';
import { loadConfig } from './config.js';
import { ApiError } from './errors.js';
import { EventHub } from './events.js';
import { documentsGauge, httpDuration, httpRequests, ragQueries, ragQueryDuration, registry, wsConnections } from './metrics.js';
import { Ollama } from './ollama.js';
import { Pipeline } from './pipeline.js';
import { cacheKey, parseQuery, QueryService } from './query.js';
import { DocRecord, STATUSES, Store } from './store.js';
import { checkFileField, MAX_UPLOAD_BYTES, validateSettings, validateUpload, FileType } from './validate.js';
import { openApiDocument } from './openapi.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function main(): Promise<void> {
  const cfg = loadConfig();

  const streams: pino.StreamEntry[] = [{ stream: process.stdout }];
  try {
    mkdirSync(cfg.logDir, { recursive: true });
    streams.push({ stream: pino.destination({ dest: join(cfg.logDir, 'backend.log'), mkdir: true, sync: false }) });
  } catch (e: any) {
    process.stderr.write(`backend: cannot write logs to ${cfg.logDir} (${e.message}); logging to stdout only\n`);
  }
  const logger = pino(
    {
      level: cfg.logLevel,
      base: { service: 'rag-backend', version: cfg.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', `req.headers["${cfg.apiKeyHeader.toLowerCase()}"]`, 'req.headers["x-api-key"]', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
    },
    pino.multistream(streams),
  );

  await mkdir(cfg.dataDir, { recursive: true });
  const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5000, lazyConnect: false });
  redis.on('error', (e) => logger.warn({ err: e.message }, 'redis connection problem'));
  const store = new Store(redis);
  const chroma = new Chroma(cfg.chromaUrl, cfg.chromaTenant, cfg.chromaDatabase, cfg.chromaCollection, logger.child({ component: 'chroma' }));
  const ollama = new Ollama(cfg.ollamaHost, cfg.ollamaModel, cfg.ollamaEmbedModel, cfg.ollamaTimeoutMs);
  const hub = new EventHub();
  const pipeline = new Pipeline(store, chroma, ollama, hub, cfg.dataDir, cfg.processingConcurrency, logger.child({ component: 'pipeline' }));
  const queries = new QueryService(store, chroma, ollama);
  const authorize = makeAuth(cfg.apiSecretKey, cfg.jwtSecret, cfg.apiKeyHeader);
  const requireAuth = async (req: FastifyRequest) => authorize(req.headers);

  const app = Fastify({ logger, bodyLimit: 1024 * 1024, disableRequestLogging: false, trustProxy: true });
  await app.register(multipart, {
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 20, fields: 20, parts: 60, fieldSize: 1024 * 1024 },
    throwFileSizeLimit: true,
    // Keep the client's filename as sent, so a name with a path (../../x.txt) is rejected rather than silently cut.
    preservePath: true,
  } as Parameters<typeof multipart>[1] & { preservePath: boolean });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    const labels = { method: req.method, route, status: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send({ detail: err.detail });
    const code = err.statusCode ?? 500;
    if (err.code === 'FST_REQ_FILE_TOO_LARGE') {
      return reply.code(413).send({ detail: `file too large: .txt at most 10 MB, .md 5 MB, .csv 25 MB, .pdf 50 MB` });
    }
    if (code === 400 && (err instanceof SyntaxError || /JSON/i.test(err.message) || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')) {
      return reply.code(400).send({ detail: `malformed JSON body (${err.message}): send a valid JSON object with Content-Type: application/json` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ detail: `unsupported Content-Type "${req.headers['content-type'] ?? ''}": send application/json (or multipart/form-data for uploads)` });
    }
    if (code >= 400 && code < 500) return reply.code(code).send({ detail: err.message });
    req.log.error({ err: err.message, code: err.code }, 'request failed');
    const dep = /chroma|ollama|redis|ECONNREFUSED|fetch failed|timeout|Connection/i.test(String(err.message));
    return reply.code(dep ? 503 : 500).send({ detail: dep ? `a backend dependency is unavailable: ${String(err.message).slice(0, 200)}` : 'internal server error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `no route for ${req.method} ${req.url.split('?')[0]}: see the API of RAG System v1.0` }));

  const refreshGauge = async () => documentsGauge.set(await store.count());

  // ---- health and metrics
  app.get('/health', async (_req, reply) => {
    const timed = async <T>(p: Promise<T>): Promise<T> => Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout after 3s')), 3000))]);
    const [r, c, o, s] = await Promise.allSettled([
      timed(store.ping()),
      timed(chroma.heartbeat()),
      timed(ollama.check()),
      access(cfg.dataDir, constants.W_OK).then(() => true),
    ]);
    const components = {
      redis: r.status === 'fulfilled' && r.value === true,
      chromadb: c.status === 'fulfilled' && c.value === true,
      ollama: o.status === 'fulfilled' && o.value.ok,
      storage: s.status === 'fulfilled',
    };
    const errors: Record<string, string> = {};
    if (!components.redis) errors.redis = r.status === 'rejected' ? String(r.reason?.message ?? r.reason) : 'no PONG';
    if (!components.chromadb) errors.chromadb = c.status === 'rejected' ? String(c.reason?.message ?? c.reason) : 'bad heartbeat';
    if (!components.ollama) errors.ollama = o.status === 'rejected' ? String(o.reason?.message ?? o.reason) : String((o as any).value?.detail);
    if (!components.storage) errors.storage = `${cfg.dataDir} is not writable`;
    const required = components.redis && components.chromadb && components.ollama;
    const status = !required ? 'unhealthy' : components.storage ? 'healthy' : 'degraded';
    let document_count: number | null = null;
    if (components.redis) {
      document_count = await store.count().catch(() => null);
      if (document_count !== null) documentsGauge.set(document_count);
    }
    return reply.code(status === 'unhealthy' ? 503 : 200).send({
      status,
      components,
      ...(Object.keys(errors).length ? { errors } : {}),
      document_count,
      processing_queue: pipeline.pending,
      version: cfg.version,
      timestamp: new Date().toISOString(),
    });
  });

  // The API's own description (FastAPI serves one at the same path): routes, the upload field, the key header.
  const openapi = openApiDocument({ uploadField: cfg.uploadField, apiKeyHeader: cfg.apiKeyHeader, version: cfg.version });
  app.get('/openapi.json', async () => openapi);

  app.get('/metrics', async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });

  // ---- documents
  app.post('/api/v1/documents/upload', { preHandler: requireAuth }, async (req, reply) => {
    if (!req.isMultipart()) {
      throw new ApiError(415, `upload must be multipart/form-data with the file(s) in the field "${cfg.uploadField}" (curl -F "${cfg.uploadField}=@test.txt")`);
    }
    const received: Array<{ filename: string; mimetype: string; data: Buffer }> = [];
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== cfg.uploadField) {
        await part.toBuffer().catch(() => undefined);
        checkFileField(part.fieldname, cfg.uploadField);
      }
      let data: Buffer;
      try {
        data = await part.toBuffer();
      } catch (e: any) {
        if (e.code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new ApiError(413, `file "${part.filename}" is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB: .txt may be at most 10 MB, .md 5 MB, .csv 25 MB, .pdf 50 MB`);
        }
        throw e;
      }
      received.push({ filename: part.filename, mimetype: part.mimetype, data });
    }
    if (received.length === 0) throw new ApiError(400, `no file received: send one or more files in the multipart field "${cfg.uploadField}"`);
    // Validate everything first: a rejected request stores nothing.
    const accepted: Array<{ title: string; type: FileType; data: Buffer; mimetype: string }> = [];
    for (const f of received) accepted.push({ ...validateUpload(f.filename, f.mimetype, f.data, cfg.uploadField), data: f.data, mimetype: f.mimetype });

    const now = new Date().toISOString();
    const docs: DocRecord[] = accepted.map((f) => {
      const doc_id = randomUUID();
      return {
        doc_id,
        task_id: randomUUID(),
        title: f.title,
        file_type: f.type.fileType,
        content_type: f.type.canonical,
        stored_name: `${doc_id}${f.type.ext}`,
        upload_date: now,
        file_size: f.data.length,
        status: 'pending',
        processing_progress: 0,
        error_message: null,
        chunk_count: 0,
        last_updated: now,
      };
    });
    const written: string[] = [];
    try {
      for (let i = 0; i < docs.length; i++) {
        const path = join(cfg.dataDir, docs[i].stored_name);
        await writeFile(path, accepted[i].data, { flag: 'wx', mode: 0o640 });
        written.push(path);
      }
      await store.createDocs(docs);
    } catch (e) {
      await Promise.all(written.map((p) => unlink(p).catch(() => undefined)));
      throw e;
    }
    for (const d of docs) {
      hub.publish({ task_id: d.task_id, filename: d.title, status: 'pending', progress: 0, message: 'queued for processing', error: null, doc_id: d.doc_id, timestamp: now });
      pipeline.enqueue(d.doc_id);
      req.log.info({ doc_id: d.doc_id, file_type: d.file_type, file_size: d.file_size }, 'document accepted');
    }
    await refreshGauge().catch(() => undefined);
    return reply.code(202).send({
      message: `${docs.length} document(s) accepted for processing`,
      documents: docs.map((d) => ({ doc_id: d.doc_id, filename: d.title, status: d.status, task_id: d.task_id, file_size: d.file_size, file_type: d.file_type })),
      total: docs.length,
    });
  });

  app.get('/api/v1/documents', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    if (q.status !== undefined && !STATUSES.includes(q.status as any)) {
      throw new ApiError(400, `status must be one of ${STATUSES.join(', ')}, got "${q.status}"`);
    }
    const intParam = (name: string, def: number, min: number, max: number) => {
      const raw = q[name];
      if (raw === undefined || raw === '') return def;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new ApiError(400, `${name} must be an integer between ${min} and ${max}, got "${raw}"`);
      return n;
    };
    const limit = intParam('limit', 100, 1, 1000);
    const offset = intParam('offset', 0, 0, Number.MAX_SAFE_INTEGER);
    let docs = (await store.allDocs()).reverse();
    if (q.status) docs = docs.filter((d) => d.status === q.status);
    return {
      documents: docs.slice(offset, offset + limit).map((d) => ({
        doc_id: d.doc_id,
        title: d.title,
        file_type: d.file_type,
        upload_date: d.upload_date,
        chunk_count: d.chunk_count,
        file_size: d.file_size,
        status: d.status,
        error_message: d.error_message,
        processing_progress: d.processing_progress,
      })),
      total_count: docs.length,
      limit,
      offset,
    };
  });

  const deleteDocument = async (id: string): Promise<number> => {
    const doc = UUID.test(id) ? await store.getDoc(id) : null;
    if (!doc) throw new ApiError(404, `document ${id} not found: list documents with GET /api/v1/documents`);
    const chunks = await chroma.countWhere({ doc_id: id });
    await chroma.deleteWhere({ doc_id: id });
    await unlink(join(cfg.dataDir, doc.stored_name)).catch((e) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await store.deleteDoc(id);
    hub.forget(id);
    return chunks;
  };

  // Registered before /:doc_id so "bulk" is never taken for a document id.
  app.delete('/api/v1/documents/bulk', { preHandler: requireAuth }, async (req) => {
    const b = req.body as any;
    if (b === null || typeof b !== 'object' || !Array.isArray(b.doc_ids)) {
      throw new ApiError(400, 'body must be a JSON object {"doc_ids": ["<doc_id>", ...]}');
    }
    if (b.doc_ids.length === 0 || b.doc_ids.length > 1000) throw new ApiError(400, 'doc_ids must contain between 1 and 1000 ids');
    if (!b.doc_ids.every((x: unknown) => typeof x === 'string')) throw new ApiError(400, 'doc_ids must be strings');
    let success_count = 0;
    let total_chunks_deleted = 0;
    const errors: Array<{ doc_id: string; detail: string }> = [];
    for (const id of [...new Set<string>(b.doc_ids)]) {
      try {
        total_chunks_deleted += await deleteDocument(id);
        success_count++;
      } catch (e: any) {
        errors.push({ doc_id: id, detail: e instanceof ApiError ? e.detail : String(e.message) });
      }
    }
    await refreshGauge().catch(() => undefined);
    req.log.info({ success_count, error_count: errors.length }, 'bulk delete');
    return { success_count, error_count: errors.length, total_chunks_deleted, errors };
  });

  app.get('/api/v1/documents/:doc_id/status', async (req) => {
    const { doc_id } = req.params as { doc_id: string };
    const doc = UUID.test(doc_id) ? await store.getDoc(doc_id) : null;
    if (!doc) throw new ApiError(404, `document ${doc_id} not found: list documents with GET /api/v1/documents`);
    return {
      doc_id: doc.doc_id,
      title: doc.title,
      status: doc.status,
      processing_progress: doc.processing_progress,
      error_message: doc.error_message,
      chunk_count: doc.chunk_count,
      task_id: doc.task_id,
      last_updated: doc.last_updated,
    };
  });

  app.delete('/api/v1/documents/:doc_id', { preHandler: requireAuth }, async (req) => {
    const { doc_id } = req.params as { doc_id: string };
    const deleted_chunks = await deleteDocument(doc_id);
    await refreshGauge().catch(() => undefined);
    req.log.info({ doc_id, deleted_chunks }, 'document deleted');
    return { message: `document ${doc_id} deleted`, doc_id, deleted_chunks };
  });

  // WebSocket progress events. On connect the client receives the latest event of every document still
  // processing or finished within the last 10 minutes, then every new event in order; {"type":"ping"}
  // every WS_PING_INTERVAL_MS. A client may send {"type":"sync"} to receive that snapshot again.
  app.get('/api/v1/documents/ws/:client_id', { websocket: true }, (socket, req) => {
    const { client_id } = req.params as { client_id: string };
    wsConnections.inc();
    const send = (m: unknown) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    for (const e of hub.snapshot()) send(e);
    const unsubscribe = hub.subscribe(send);
    const ping = setInterval(() => send({ type: 'ping', timestamp: new Date().toISOString() }), cfg.wsPingIntervalMs);
    socket.on('message', (raw) => {
      let msg: any;
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return send({ type: 'error', error: 'messages must be JSON, e.g. {"type":"sync"}' });
      }
      if (msg?.type === 'ping') send({ type: 'pong', timestamp: new Date().toISOString() });
      else if (msg?.type === 'sync' || msg?.type === 'get_status') for (const e of hub.snapshot()) send(e);
    });
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(ping);
      wsConnections.dec();
      req.log.debug({ client_id }, 'websocket closed');
    };
    socket.on('close', close);
    socket.on('error', close);
  });

  // ---- query
  app.post('/query', async (req) => {
    const { question, maxChunks } = parseQuery(req.body);
    const t0 = process.hrtime.bigint();
    try {
      const settings = await store.getSettings();
      const key = cacheKey(question, maxChunks, settings, await store.version(), cfg.ollamaModel);
      const cached = await store.cacheGet(key).catch(() => null);
      const result = cached ?? (await queries.answer(question, maxChunks, settings));
      if (!cached) await store.cacheSet(key, result, cfg.queryCacheTtlSeconds).catch(() => undefined);
      ragQueries.inc({ outcome: 'success' });
      ragQueryDuration.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      req.log.info({ cached: Boolean(cached), context_used: result.context_used }, 'query answered');
      return result;
    } catch (e) {
      ragQueries.inc({ outcome: 'failure' });
      ragQueryDuration.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      throw e;
    }
  });

  // ---- settings
  app.get('/settings', async () => store.getSettings());
  app.post('/settings', { preHandler: requireAuth }, async (req) => {
    const next = validateSettings(await store.getSettings(), req.body);
    await store.saveSettings(next);
    req.log.info({ settings: next }, 'settings updated');
    return next;
  });

  // Bring the vector store's collection up when it is reachable; the health check reports it otherwise.
  await chroma.ensureCollection().catch((e) => logger.warn({ err: e.message }, 'ChromaDB not reachable yet'));
  await pipeline.recover().catch((e) => logger.warn({ err: e.message }, 'could not resume unfinished documents'));
  await refreshGauge().catch(() => undefined);

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await app.close().catch(() => undefined);
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: cfg.port, host: cfg.host });
}

start('rag-backend', main);
