// Ollama-API service (port 11434): the parts of Ollama's HTTP API that RAG System v1.0 uses, deterministic.
import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { int, logLevel, optional, start } from '../common/env.js';
import { answer, ChatMessage, embed, promptTokens } from './engine.js';

const VERSION = '0.5.7';

interface Model {
  name: string;
  digest: string;
  size: number;
  modified_at: string;
  details: Record<string, unknown>;
}

/**
 * The models "pulled" into this service: OLLAMA_MODELS (comma-separated, default llama2:7b). What the backend is
 * configured to use (OLLAMA_MODEL) is deliberately not added: a model configured but never pulled is a real
 * deployment mistake, and this service answers it as Ollama does (404 "try pulling it first").
 */
function modelList(): Model[] {
  const names = new Set<string>();
  for (const n of (optional('OLLAMA_MODELS') ?? 'llama2:7b').split(',')) if (n.trim()) names.add(withTag(n.trim()));
  return [...names].map((name) => {
    const family = name.split(':')[0].replace(/[0-9.]+$/, '') || 'llama';
    const sizeTag = name.split(':')[1] ?? 'latest';
    return {
      name,
      digest: createHash('sha256').update(name).digest('hex'),
      size: 3_826_793_677,
      modified_at: '2024-01-01T00:00:00Z',
      details: {
        parent_model: '',
        format: 'gguf',
        family,
        families: [family],
        parameter_size: /^\d+(\.\d+)?[bB]$/.test(sizeTag) ? sizeTag.toUpperCase() : '7B',
        quantization_level: 'Q4_0',
      },
    };
  });
}

function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

class HttpError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

function findModel(models: Model[], requested: unknown): Model {
  if (typeof requested !== 'string' || requested.trim() === '') throw new HttpError(400, 'model is required');
  const m = models.find((x) => x.name === withTag(requested.trim()));
  if (!m) throw new HttpError(404, `model "${requested}" not found, try pulling it first`);
  return m;
}

function body(req: FastifyRequest): Record<string, any> {
  const b = req.body;
  if (b === undefined || b === null || b === '') return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'invalid request body: expected a JSON object');
  return b as Record<string, any>;
}

function stats(start: bigint, promptText: string, output: string) {
  const total = Number(process.hrtime.bigint() - start);
  return {
    total_duration: total,
    load_duration: Math.floor(total / 10),
    prompt_eval_count: promptTokens(promptText),
    prompt_eval_duration: Math.floor(total / 3),
    eval_count: promptTokens(output),
    eval_duration: Math.floor(total / 2),
  };
}

/** Splits a finished answer into streaming pieces (word by word, whitespace kept). */
function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [''];
}

function streamNdjson(reply: FastifyReply, lines: object[]): void {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const l of lines) reply.raw.write(JSON.stringify(l) + '\n');
  reply.raw.end();
}

async function main(): Promise<void> {
  const port = int('PORT', 11434, 1, 65535);
  const host = optional('HOST') ?? '0.0.0.0';
  const models = modelList();
  const app = Fastify({ logger: { level: logLevel() }, bodyLimit: 64 * 1024 * 1024 });

  // Ollama accepts JSON whatever the content type says (curl -d sends form encoding).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, raw, done) => {
    const text = String(raw ?? '');
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError(400, 'invalid JSON in request body'), undefined);
    }
  });

  app.setErrorHandler((err: any, _req, reply) => {
    const status = err instanceof HttpError ? err.status : err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    reply.code(status).send({ error: err.message });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain').send('404 page not found'));

  app.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('Ollama is running'));
  app.head('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(''));
  app.get('/api/version', async () => ({ version: VERSION }));
  app.get('/api/tags', async () => ({
    models: models.map((m) => ({ name: m.name, model: m.name, modified_at: m.modified_at, size: m.size, digest: m.digest, details: m.details })),
  }));
  app.get('/api/ps', async () => ({
    models: models.map((m) => ({ name: m.name, model: m.name, size: m.size, digest: m.digest, details: m.details, expires_at: '2099-01-01T00:00:00Z', size_vram: 0 })),
  }));
  app.post('/api/show', async (req) => {
    const b = body(req);
    const m = findModel(models, b.model ?? b.name);
    return { modelfile: `FROM ${m.name}`, parameters: '', template: '{{ .Prompt }}', details: m.details, model_info: {} };
  });

  app.post('/api/generate', async (req, reply) => {
    const t0 = process.hrtime.bigint();
    const b = body(req);
    const m = findModel(models, b.model);
    const prompt = typeof b.prompt === 'string' ? b.prompt : '';
    const created_at = new Date().toISOString();
    if (prompt.trim() === '') return { model: m.name, created_at, response: '', done: true, done_reason: 'load' };
    const messages: ChatMessage[] = [];
    if (typeof b.system === 'string' && b.system) messages.push({ role: 'system', content: b.system });
    messages.push({ role: 'user', content: prompt });
    const text = answer(messages);
    const final = { model: m.name, created_at, response: '', done: true, done_reason: 'stop', context: [1, 2, 3], ...stats(t0, prompt, text) };
    if (b.stream === false) return { ...final, response: text };
    streamNdjson(reply, [
      ...pieces(text).map((p) => ({ model: m.name, created_at: new Date().toISOString(), response: p, done: false })),
      final,
    ]);
  });

  app.post('/api/chat', async (req, reply) => {
    const t0 = process.hrtime.bigint();
    const b = body(req);
    const m = findModel(models, b.model);
    if (b.messages !== undefined && !Array.isArray(b.messages)) throw new HttpError(400, 'messages must be an array');
    const messages: ChatMessage[] = (b.messages ?? []).map((x: any) => ({ role: String(x?.role ?? 'user'), content: String(x?.content ?? '') }));
    const created_at = new Date().toISOString();
    if (messages.length === 0) {
      return { model: m.name, created_at, message: { role: 'assistant', content: '' }, done: true, done_reason: 'load' };
    }
    const text = answer(messages);
    const promptText = messages.map((x) => x.content).join('\n');
    const final = { model: m.name, created_at, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', ...stats(t0, promptText, text) };
    if (b.stream === false) return { ...final, message: { role: 'assistant', content: text } };
    streamNdjson(reply, [
      ...pieces(text).map((p) => ({ model: m.name, created_at: new Date().toISOString(), message: { role: 'assistant', content: p }, done: false })),
      final,
    ]);
  });

  app.post('/api/embed', async (req) => {
    const t0 = process.hrtime.bigint();
    const b = body(req);
    const m = findModel(models, b.model);
    const input = b.input === undefined ? [] : Array.isArray(b.input) ? b.input : [b.input];
    if (!input.every((x: unknown) => typeof x === 'string')) throw new HttpError(400, 'input must be a string or an array of strings');
    const embeddings = input.map((x: string) => embed(x));
    const total = Number(process.hrtime.bigint() - t0);
    return {
      model: m.name,
      embeddings,
      total_duration: total,
      load_duration: Math.floor(total / 10),
      prompt_eval_count: input.reduce((n: number, x: string) => n + promptTokens(x), 0),
    };
  });

  app.post('/api/embeddings', async (req) => {
    const b = body(req);
    findModel(models, b.model);
    if (b.prompt !== undefined && typeof b.prompt !== 'string') throw new HttpError(400, 'prompt must be a string');
    return { embedding: typeof b.prompt === 'string' && b.prompt !== '' ? embed(b.prompt) : [] };
  });

  const shutdown = async () => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await app.listen({ port, host });
}

start('ollama', main);
