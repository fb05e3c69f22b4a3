/**
 * A hostile target for the gate (`npm run prove:hostile`): a server on 127.0.0.1 only that answers like no RAG
 * System at all, so that every checklist line which depends on the deployment must fail or say why it cannot be
 * decided – never pass.
 *
 *   ok-empty  every method and path answers HTTP 200 `{}` (application/json); WebSocket upgrades are accepted, then silent
 *   error     every request (upgrades too) answers 500 with a short body
 *   hang      accepts connections and never answers; each is closed after HANG_CLOSE_MS
 *
 *   tsx prove/hostile/server.ts <variant> [--port N] [--lifetime-s N] [--tls-cert chain.pem --tls-key server.key]
 * With a certificate it also listens for HTTPS (Nginx's 443) on a second port, answering the same way (hang: no
 * handshake). Prints `listening http://127.0.0.1:<port> [https://127.0.0.1:<port>]` once it listens. Bounded: it
 * exits by itself after its lifetime (default 15 min), and on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { WebSocketServer } from 'ws';

export const VARIANTS = ['ok-empty', 'error', 'hang'] as const;
export type Variant = (typeof VARIANTS)[number];

/** A hanging connection is closed after this long, so that nothing waits on it for ever. */
export const HANG_CLOSE_MS = 10 * 60_000;
/** The server's longest life: it exits by itself after this. */
export const DEFAULT_LIFETIME_S = 15 * 60;

export interface HostileServer {
  variant: Variant;
  url: string;
  /** With a certificate: the HTTPS listener's URL. */
  httpsUrl?: string;
  /** Requests and upgrades seen (hang: connections accepted). */
  seen(): number;
  close(): Promise<void>;
}

const EMPTY_JSON = '{}';
const ERROR_BODY = 'hostile target: internal error\n';

function okEmpty(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(EMPTY_JSON)) });
  res.end(req.method === 'HEAD' ? undefined : EMPTY_JSON);
}

function error(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(ERROR_BODY)) });
  res.end(req.method === 'HEAD' ? undefined : ERROR_BODY);
}

export interface TlsFiles {
  cert: string;
  key: string;
}

/** Answers every request per the variant (ok-empty, error): an HTTP(S) server with the variant's upgrade handling. */
function httpServer(variant: Exclude<Variant, 'hang'>, count: () => void, tls?: TlsFiles): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    count();
    (variant === 'ok-empty' ? okEmpty : error)(req, res);
  };
  const server = tls
    ? createHttpsServer({ keepAliveTimeout: 5_000, cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler)
    : createHttpServer({ keepAliveTimeout: 5_000 }, handler);
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    count();
    if (variant === 'error') {
      socket.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(ERROR_BODY)}\r\nconnection: close\r\n\r\n${ERROR_BODY}`);
      return;
    }
    // Accepted, then silent: no message is ever sent; the client's own bound must end the wait.
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => undefined));
  });
  return server;
}

/** Accepts connections and never writes a byte; closes each after HANG_CLOSE_MS. */
function hangServer(count: () => void, closeAfterMs: number): Server {
  return createNetServer((socket) => {
    count();
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    const timer = setTimeout(() => socket.destroy(), closeAfterMs);
    timer.unref();
    socket.on('close', () => clearTimeout(timer));
  });
}

/** Listens on 127.0.0.1 (port 0: a free one); every socket is tracked so that close() ends them. */
async function listen(server: Server, port: number, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return (server.address() as AddressInfo).port;
}

export async function startHostile(variant: Variant, opts: { port?: number; hangCloseMs?: number; tls?: TlsFiles } = {}): Promise<HostileServer> {
  let seen = 0;
  const count = (): void => void seen++;
  const sockets = new Set<Socket>();
  const make = (tls?: TlsFiles): Server => (variant === 'hang' ? hangServer(count, opts.hangCloseMs ?? HANG_CLOSE_MS) : httpServer(variant, count, tls));
  const servers = [make()];
  const port = await listen(servers[0]!, opts.port ?? 0, sockets);
  let httpsUrl: string | undefined;
  if (opts.tls) {
    servers.push(make(opts.tls));
    httpsUrl = `https://127.0.0.1:${await listen(servers[1]!, 0, sockets)}`;
  }
  return {
    variant,
    url: `http://127.0.0.1:${port}`,
    ...(httpsUrl ? { httpsUrl } : {}),
    seen: () => seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((srv) => new Promise<void>((ok) => srv.close(() => ok()))));
    },
  };
}

function parseArgs(argv: string[]): { variant: Variant; port: number; lifetimeS: number; tls?: TlsFiles } {
  const [variant] = argv;
  if (!(VARIANTS as readonly string[]).includes(variant ?? '')) {
    throw new Error(`usage: tsx prove/hostile/server.ts <${VARIANTS.join('|')}> [--port N] [--lifetime-s N] [--tls-cert chain.pem --tls-key server.key]`);
  }
  const num = (flag: string, def: number): number => {
    const i = argv.indexOf(flag);
    if (i < 0) return def;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, got "${argv[i + 1]}"`);
    return n;
  };
  const file = (flag: string): string | undefined => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const [cert, key] = [file('--tls-cert'), file('--tls-key')];
  if (!cert !== !key) throw new Error('--tls-cert and --tls-key go together');
  return { variant: variant as Variant, port: num('--port', 0), lifetimeS: Math.min(num('--lifetime-s', DEFAULT_LIFETIME_S), 24 * 3600), ...(cert && key ? { tls: { cert, key } } : {}) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const server = await startHostile(args.variant, { port: args.port, hangCloseMs: Math.min(HANG_CLOSE_MS, args.lifetimeS * 1000), ...(args.tls ? { tls: args.tls } : {}) });
  console.log(`listening ${server.url}${server.httpsUrl ? ` ${server.httpsUrl}` : ''} (${server.variant}, exits after ${args.lifetimeS} s)`);
  const stop = (why: string): void => {
    console.log(`stopping (${why}) after ${server.seen()} request(s)`);
    void server.close().finally(() => process.exit(0));
    // Never outlive the bound because a close hangs.
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  setTimeout(() => stop('lifetime reached'), args.lifetimeS * 1000);
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(2);
  });
}
