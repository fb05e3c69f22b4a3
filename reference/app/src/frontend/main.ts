// RAG System v1.0 frontend: the web UI on PORT (3000, with /_health) and the event socket on EVENT_PORT
// (8001: /_health, /ping, WebSocket /_event). UI calls go to /ui/api/..., proxied to the backend with a
// Bearer JWT signed here with JWT_SECRET; the backend's WebSocket is relayed at the same path as on Nginx.
import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { int, logLevel, optional, start, str, url } from '../common/env.js';
import indexHtml from './public/index.html';
import appJs from './public/app.js.txt';
import appCss from './public/app.css';

const MAX_BODY = 210 * 1024 * 1024;

async function main(): Promise<void> {
  const port = int('PORT', 3000, 1, 65535);
  const eventPort = int('EVENT_PORT', 8001, 1, 65535);
  const host = optional('HOST') ?? '0.0.0.0';
  const backend = url('BACKEND_URL', 'http://rag-backend:8000');
  const backendWs = backend.replace(/^http/, 'ws');
  const secret = new TextEncoder().encode(str('JWT_SECRET'));
  const version = str('APP_VERSION', '1.0.0');
  // The backend's multipart field (the backend reads the same UPLOAD_FIELD from .env.production).
  const uploadField = str('UPLOAD_FIELD', 'files');
  if (!/^[A-Za-z0-9_-]+$/.test(uploadField)) throw new Error(`UPLOAD_FIELD "${uploadField}" is not a form field name (letters, digits, _ and - only)`);
  const script = appJs.replace("fd.append('files', f, f.name)", `fd.append(${JSON.stringify(uploadField)}, f, f.name)`);
  if (!script.includes(`fd.append(${JSON.stringify(uploadField)}`) && uploadField !== 'files') throw new Error('the UI script no longer has its upload field where UPLOAD_FIELD is set');
  const level = logLevel();

  let token: { value: string; until: number } | null = null;
  const bearer = async (): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    if (!token || token.until < now + 60) {
      const exp = now + 300;
      const value = await new SignJWT({ role: 'frontend' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('reflex-frontend')
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(secret);
      token = { value, until: exp };
    }
    return token.value;
  };

  const relay = (path: string) => (client: WebSocket, req: FastifyRequest) => {
    const upstream = new WebSocket(`${backendWs}${path.replace(':client_id', encodeURIComponent((req.params as any).client_id ?? `ui-${Date.now()}`))}`);
    const pending: WebSocket.RawData[] = [];
    upstream.on('open', () => {
      for (const m of pending.splice(0)) upstream.send(m.toString());
    });
    upstream.on('message', (m) => client.readyState === client.OPEN && client.send(m.toString()));
    upstream.on('close', () => client.close());
    upstream.on('error', (e) => {
      req.log.warn({ err: e.message }, 'backend websocket unavailable');
      client.close(1011, 'backend unavailable');
    });
    client.on('message', (m) => (upstream.readyState === upstream.OPEN ? upstream.send(m.toString()) : pending.push(m)));
    client.on('close', () => upstream.close());
  };

  const health = async () => ({ status: 'ok', service: 'frontend', version, timestamp: new Date().toISOString() });

  // ---- UI server
  const ui = Fastify({ logger: { level }, bodyLimit: MAX_BODY });
  ui.removeAllContentTypeParsers();
  ui.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY }, (_req, body, done) => done(null, body));
  await ui.register(websocket);
  ui.setErrorHandler((err: any, _req, reply) => reply.code(err.statusCode && err.statusCode < 500 ? err.statusCode : 502).send({ detail: err.message }));

  const page = async (_req: FastifyRequest, reply: any) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(indexHtml);
  for (const p of ['/', '/documents', '/chat', '/settings']) ui.get(p, page);
  ui.get('/static/app.js', async (_req, reply) => reply.type('application/javascript; charset=utf-8').send(script));
  ui.get('/static/app.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(appCss));
  ui.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  ui.get('/_health', health);
  ui.get('/api/v1/documents/ws/:client_id', { websocket: true }, relay('/api/v1/documents/ws/:client_id'));

  const targetFor = (rest: string): string | null => {
    if (rest === 'documents' || rest.startsWith('documents/') || rest.startsWith('documents?')) return `/api/v1/${rest}`;
    for (const p of ['query', 'settings', 'health']) if (rest === p || rest.startsWith(`${p}?`)) return `/${rest}`;
    return null;
  };
  ui.all('/ui/api/*', async (req, reply) => {
    const rest = req.url.slice('/ui/api/'.length);
    const target = targetFor(rest);
    if (!target) return reply.code(404).send({ detail: `unknown UI API path /ui/api/${rest.split('?')[0]}` });
    const headers: Record<string, string> = { authorization: `Bearer ${await bearer()}` };
    if (req.headers['content-type']) headers['content-type'] = String(req.headers['content-type']);
    const hasBody = !['GET', 'HEAD'].includes(req.method) && Buffer.isBuffer(req.body) && req.body.length > 0;
    let res: Response;
    try {
      res = await fetch(`${backend}${target}`, { method: req.method, headers, body: hasBody ? (req.body as any) : undefined, signal: AbortSignal.timeout(180000) });
    } catch (e: any) {
      return reply.code(502).send({ detail: `backend unreachable (${e.message}): check that rag-backend is running` });
    }
    const text = await res.text();
    return reply.code(res.status).type(res.headers.get('content-type') ?? 'application/json').send(text);
  });

  // ---- event socket server
  const events: FastifyInstance = Fastify({ logger: { level } });
  await events.register(websocket);
  events.get('/_health', health);
  events.get('/ping', async (_req, reply) => reply.type('text/plain').send('pong'));
  events.get('/_event', { websocket: true }, relay(`/api/v1/documents/ws/events-${Date.now()}`));

  const shutdown = async () => {
    await Promise.allSettled([ui.close(), events.close()]);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await ui.listen({ port, host });
  await events.listen({ port: eventPort, host });
}

start('frontend', main);
