/** Unit tests of the suite's own configuration, secrets handling and fail-fast probes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, maskUrlCredentials, prepareContainerRuntimeEnv, soakSettings } from '../core/config.ts';
import { Secrets } from '../lib/secrets.ts';
import { readEnvFile } from '../lib/envfile.ts';
import { probeReachable } from '../lib/preflight.ts';

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) {
    saved[k] = process.env[k];
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('mode is hermetic by default, compose with RAG_COMPOSE_DIR, live with RAG_BASE_URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-'));
  assert.equal(withEnv({ RAG_COMPOSE_DIR: undefined, RAG_BASE_URL: undefined }, loadConfig).mode, 'hermetic');
  assert.equal(withEnv({ RAG_COMPOSE_DIR: dir, RAG_BASE_URL: undefined }, loadConfig).mode, 'compose');
  const live = withEnv({ RAG_COMPOSE_DIR: undefined, RAG_BASE_URL: 'https://rag.example.com' }, loadConfig);
  assert.equal(live.mode, 'live');
  assert.equal(live.allowDestructive, false, 'live mode must not run destructive checks without opt-in');
});

test('bad variables are refused with the variable name and a fix', () => {
  assert.throws(() => withEnv({ RAG_BASE_URL: 'not a url', RAG_COMPOSE_DIR: undefined }, loadConfig), (e: unknown) => e instanceof ConfigError && /RAG_BASE_URL/.test(e.message));
  assert.throws(() => withEnv({ RAG_BASE_URL: undefined, RAG_COMPOSE_DIR: '/nonexistent/dir' }, loadConfig), /RAG_COMPOSE_DIR: directory \/nonexistent\/dir does not exist/);
  assert.throws(() => withEnv({ RAG_BASE_URL: 'https://x', RAG_COMPOSE_DIR: tmpdir() }, loadConfig), /ambiguous/);
  assert.throws(() => withEnv({ RAG_BASE_URL: undefined, RAG_COMPOSE_DIR: undefined, RAG_MODE: 'live' }, loadConfig), /RAG_MODE/);
  assert.throws(() => withEnv({ RAG_BASE_URL: undefined, RAG_COMPOSE_DIR: undefined, RAG_STARTUP_TIMEOUT_S: 'soon' }, loadConfig), /RAG_STARTUP_TIMEOUT_S/);
  assert.throws(() => withEnv({ RAG_BASE_URL: undefined, RAG_COMPOSE_DIR: undefined, RAG_BACKEND_URL: 'http://x:8000' }, loadConfig), /only apply with RAG_BASE_URL/);
});

test('every kind of setting names the variable when its value is wrong', () => {
  const none = { RAG_BASE_URL: undefined, RAG_COMPOSE_DIR: undefined };
  assert.throws(() => withEnv({ ...none, RAG_MODE: 'staging' }, loadConfig), /^ConfigError: RAG_MODE: "staging" is not a mode\. Use one of hermetic, compose, live$/);
  assert.throws(() => withEnv({ ...none, RAG_KEEP_STACK: 'sure' }, loadConfig), /RAG_KEEP_STACK: "sure" is not a boolean\. Use 1\/0/);
  assert.throws(() => withEnv({ RAG_BASE_URL: 'https://x', RAG_COMPOSE_DIR: undefined, RAG_CA_FILE: '/nonexistent/ca.pem' }, loadConfig), /RAG_CA_FILE: \/nonexistent\/ca\.pem does not exist/);
  assert.throws(() => soakSettings({ RAG_SOAK_SAMPLE_SECONDS: '0' }), /RAG_SOAK_SAMPLE_SECONDS: "0" is not a whole number between 1 and 3600\. Unset it to use the default 5/);
  const cfg = withEnv({ ...none, RAG_ALLOW_DESTRUCTIVE: ' no ', RAG_PROJECT: ' mine ' }, loadConfig);
  assert.equal(cfg.allowDestructive, false);
  assert.equal(cfg.projectName, 'mine');
});

test('the container runtime environment is prepared once, and a value the caller set wins', () => {
  withEnv({ TESTCONTAINERS_RYUK_DISABLED: undefined, TESTCONTAINERS_HOST_OVERRIDE: 'docker.example' }, () => {
    prepareContainerRuntimeEnv();
    assert.equal(process.env.TESTCONTAINERS_RYUK_DISABLED, 'true');
    assert.equal(process.env.TESTCONTAINERS_HOST_OVERRIDE, 'docker.example');
  });
});

test('.env.production parsing names the file and line of a malformed entry, and reads the rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-'));
  const good = join(dir, 'good.env');
  writeFileSync(good, '# comment\nSECRET_KEY=abc123abc123\nQUOTED="with space"\nexport LOG_LEVEL=INFO\n\n');
  const read = readEnvFile(good);
  assert.deepEqual(read.entries.map((e) => [e.key, e.value, e.line]), [
    ['SECRET_KEY', 'abc123abc123', 2],
    ['QUOTED', 'with space', 3],
    ['LOG_LEVEL', 'INFO', 4],
  ]);
  assert.deepEqual(read.problems, []);
  const bad = join(dir, 'bad.env');
  writeFileSync(bad, 'A=1\nthis line is wrong\nB=2\n');
  const broken = readEnvFile(bad);
  assert.deepEqual(broken.entries.map((e) => e.key), ['A', 'B']);
  assert.equal(broken.problems.length, 1);
  assert.ok(broken.problems[0]!.message.startsWith(`${bad}:2:`), broken.problems[0]!.message);
  const missing = readEnvFile(join(dir, 'missing.env'));
  assert.deepEqual(missing.entries, []);
  assert.match(missing.problems[0]!.message, /cannot be read/);
});

test('redaction also covers earlier definitions, values as written and what malformed lines hold', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-'));
  const f = join(dir, '.env.production');
  writeFileSync(f, 'API_SECRET_KEY=first-value-1\nAPI_SECRET_KEY=second-value-2\nREDIS_PASSWORD=abc$defghijk\nJWT_SECRET="never-closed-9\n');
  const s = Secrets.fromFile(f);
  assert.equal(s.get('API_SECRET_KEY'), 'second-value-2', 'a later definition wins, as in Compose');
  assert.equal(s.get('REDIS_PASSWORD'), 'abc', 'Compose interpolates $defghijk (unset) to ""');
  assert.equal(s.problems.length, 1);
  assert.match(s.problems[0]!.message, /:4: JWT_SECRET's value opens a " quote that is never closed/);
  assert.equal(s.redact('first-value-1 second-value-2 abc$defghijk never-closed-9'), '[redacted API_SECRET_KEY] [redacted API_SECRET_KEY] [redacted REDIS_PASSWORD] [redacted JWT_SECRET]');
  assert.doesNotThrow(() => Secrets.fromFile(join(dir, 'missing.env')), 'the worker fixture must not fail on an unreadable file');
});

test('service URLs take the scheme their service speaks: http(s) for HTTP, redis://, rediss:// or tcp:// for Redis', () => {
  const live = { RAG_BASE_URL: 'https://rag.example.com', RAG_COMPOSE_DIR: undefined };
  const redis = (v: string) => withEnv({ ...live, RAG_REDIS_URL: v }, loadConfig).serviceUrls.redis!;
  assert.equal(redis('redis://10.0.0.5:6380').href, 'redis://10.0.0.5:6380');
  assert.equal(redis('rediss://cache.internal').href, 'rediss://cache.internal:6379', 'the contract\'s port when none is given');
  assert.equal(redis('tcp://127.0.0.1:16379').port, '16379');
  const withPassword = redis('redis://:s3cr3t-Passw0rd@cache.internal:6379/0');
  assert.ok(!withPassword.href.includes('s3cr3t'), 'the password is dropped, so that it reaches no record or message');
  assert.equal(withPassword.host, 'cache.internal:6379');
  assert.throws(() => redis('http://cache.internal:6379'), /^ConfigError: RAG_REDIS_URL: unsupported scheme http:\. Use a redis:\/\/ \(rediss:\/\/ for TLS, tcp:\/\/ for plain TCP\) URL$/);
  assert.throws(() => redis('redis:cache'), /RAG_REDIS_URL: "redis:cache" has no host/);
  assert.throws(
    () => withEnv({ ...live, RAG_BACKEND_URL: 'redis://backend:8000' }, loadConfig),
    /^ConfigError: RAG_BACKEND_URL: unsupported scheme redis:\. Use an http:\/\/ or https:\/\/ URL$/,
  );
  assert.equal(withEnv({ ...live, RAG_BACKEND_URL: 'http://10.0.0.5:8000' }, loadConfig).serviceUrls.backend!.href, 'http://10.0.0.5:8000/');
});

test('a URL that does not parse is named without the password it may carry', () => {
  const live = { RAG_BASE_URL: 'https://rag.example.com', RAG_COMPOSE_DIR: undefined };
  assert.throws(
    () => withEnv({ ...live, RAG_REDIS_URL: 'redis://:pa ss/w@rd@cache internal:6379' }, loadConfig),
    (e: unknown) => e instanceof ConfigError && /RAG_REDIS_URL: "redis:\/\/\*\*\*@cache internal:6379" is not a URL/.test(e.message) && !/pa ss|w@rd/.test(e.message),
  );
  assert.equal(maskUrlCredentials('https://user:pw@host/x'), 'https://***@host/x');
  assert.equal(maskUrlCredentials('https://host/x'), 'https://host/x');
});

test('redaction removes every secret value and keeps non-secret settings readable', () => {
  const s = new Secrets([
    { key: 'JWT_SECRET', value: 'x'.repeat(64), line: 1 },
    { key: 'REDIS_PASSWORD', value: 'hunter2hunter2', line: 2 },
    { key: 'LOG_LEVEL', value: 'INFO', line: 3 },
    { key: 'OLLAMA_HOST', value: 'http://ollama:11434', line: 4 },
  ]);
  const out = s.redact(`jwt=${'x'.repeat(64)} redis=hunter2hunter2 level=INFO host=http://ollama:11434`);
  assert.equal(out, 'jwt=[redacted JWT_SECRET] redis=[redacted REDIS_PASSWORD] level=INFO host=http://ollama:11434');
});

test('an unreachable RAG_BASE_URL fails with a message that says what to do', async () => {
  await assert.rejects(probeReachable(new URL('http://127.0.0.1:1'), undefined, 3000), /RAG_BASE_URL=http:\/\/127\.0\.0\.1:1\/ is not reachable \(ECONNREFUSED/);
});
