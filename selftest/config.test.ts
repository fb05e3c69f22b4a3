/** Unit tests of the suite's own configuration, secrets handling and fail-fast probes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, prepareContainerRuntimeEnv, soakSettings } from '../core/config.ts';
import { Secrets } from '../lib/secrets.ts';
import { EnvFileError, parseEnvFile } from '../lib/envfile.ts';
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

test('.env.production parsing names the file and line of a malformed entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-'));
  const good = join(dir, 'good.env');
  writeFileSync(good, '# comment\nSECRET_KEY=abc123abc123\nQUOTED="with space"\nexport LOG_LEVEL=INFO\n\n');
  assert.deepEqual(parseEnvFile(good).map((e) => [e.key, e.value, e.line]), [
    ['SECRET_KEY', 'abc123abc123', 2],
    ['QUOTED', 'with space', 3],
    ['LOG_LEVEL', 'INFO', 4],
  ]);
  const bad = join(dir, 'bad.env');
  writeFileSync(bad, 'A=1\nthis line is wrong\n');
  assert.throws(() => parseEnvFile(bad), (e: unknown) => e instanceof EnvFileError && e.message.startsWith(`${bad}:2:`));
  assert.throws(() => parseEnvFile(join(dir, 'missing.env')), /cannot be read/);
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
