#!/usr/bin/env node
/**
 * A fault-injecting reverse proxy on loopback, for showing that the performance lines fail on a degraded
 * deployment: it forwards everything to a real deployment (e.g. the hermetic stack's Nginx) and can delay
 * /query or fail uploads. Point the gate at it in live mode:
 *
 *   FAULT_QUERY_DELAY_MS=3000 node load/dev/fault-proxy.mjs --port 18090 --upstream https://localhost:PORT --ca ssl/ca.crt
 *   RAG_BASE_URL=http://127.0.0.1:18090 RAG_ENV_FILE=<deploy>/.env.production npx playwright test --grep @P3-
 *
 * Faults: FAULT_QUERY_DELAY_MS (delay before forwarding POST /query), FAULT_FAIL_UPLOADS=1 (upload answers
 * 500 without reaching the backend). Listens on 127.0.0.1 only.
 */
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: { port: { type: 'string', default: '18090' }, upstream: { type: 'string', default: 'http://127.0.0.1:8080' }, ca: { type: 'string' } },
});
const port = Number(opt.port);
const upstream = new URL(opt.upstream);
const ca = opt.ca ? readFileSync(opt.ca) : undefined;
const QUERY_DELAY_MS = Number(process.env.FAULT_QUERY_DELAY_MS ?? 0);
const FAIL_UPLOADS = process.env.FAULT_FAIL_UPLOADS === '1';

createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (FAIL_UPLOADS && req.method === 'POST' && path === '/api/v1/documents/upload') {
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ detail: 'fault-proxy: uploads fail (FAULT_FAIL_UPLOADS=1)' }));
  }
  const forward = () => {
    const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { ...req.headers, host: upstream.host };
    const up = send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, ca }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: `fault-proxy: upstream error ${e.message}` }));
    });
    req.pipe(up);
  };
  if (QUERY_DELAY_MS && req.method === 'POST' && path === '/query') {
    req.pause();
    setTimeout(() => {
      req.resume();
      forward();
    }, QUERY_DELAY_MS);
  } else forward();
}).listen(port, '127.0.0.1', () => console.log(`fault-proxy http://127.0.0.1:${port} -> ${upstream.href} (query delay ${QUERY_DELAY_MS} ms, fail uploads ${FAIL_UPLOADS})`));
