/** Prepared copies of the reference deployment for unit tests that judge a deployment directory (not every test needs Testcontainers loaded). */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
/**
 * A prepared copy of the reference deployment (secrets and certificates generated) in a temporary directory that is
 * removed when the test file ends: `const copy = deploymentCopies('pre-tls'); … const d = copy();`.
 */
export function deploymentCopies(prefix: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-selftest-`));
    made.push(dir);
    return prepareHermeticDeployDir(join(dir, 'deploy'));
  };
}

/** Replaces the first occurrence of `from` in `file` with `to`. */
export function edit(file: string, from: string, to: string): void {
  writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
}

/**
 * A copy's TLS files laid out as a Let's Encrypt-style host would: certs/fullchain.pem (server certificate, then the
 * CA) and certs/privkey.pem, named by Nginx's ssl_certificate* directives and mounted by the compose file; no ssl/.
 */
export function useCertsLayout(d: string): void {
  mkdirSync(join(d, 'certs'));
  copyFileSync(join(d, 'ssl/chain.pem'), join(d, 'certs/fullchain.pem'));
  copyFileSync(join(d, 'ssl/server.key'), join(d, 'certs/privkey.pem'));
  chmodSync(join(d, 'certs/privkey.pem'), 0o600);
  for (const f of ['server.crt', 'server.key', 'chain.pem', 'ca.crt', 'ca.key']) rmSync(join(d, 'ssl', f));
  edit(join(d, 'nginx/conf.d/rag-system.conf'), '/etc/nginx/ssl/chain.pem', '/etc/nginx/certs/fullchain.pem');
  edit(join(d, 'nginx/conf.d/rag-system.conf'), '/etc/nginx/ssl/server.key', '/etc/nginx/certs/privkey.pem');
  edit(join(d, 'docker-compose.production.yml'), './ssl:/etc/nginx/ssl:ro', './certs:/etc/nginx/certs:ro');
}
