/** Unit tests of the deployment profile: schema errors with file:line, the contract's defaults, environment overrides, auth headers, the draft. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeaders, CONTRACT_API, CONTRACT_AUTH, loadProfile, parseProfile, ProfileError, PROFILE_FILE } from '../core/profile.ts';
import { loadConfig } from '../core/config.ts';
import { draftProfile } from '../scripts/profile.ts';

function problems(text: string): string[] {
  try {
    parseProfile(text, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof ProfileError, `expected a ProfileError, got ${String(e)}`);
    return e.problems;
  }
  return [];
}

test('a valid profile parses; an empty one is the contract', () => {
  assert.deepEqual(problems('files:\n  tlsCertificate: ssl/fullchain.pem\napi:\n  uploadField: file\nauth:\n  scheme: bearer\n'), []);
  const dir = mkdtempSync(join(tmpdir(), 'rg-profile-'));
  writeFileSync(join(dir, 'p.yaml'), '# nothing differs\n');
  const p = loadProfile(join(dir, 'p.yaml'));
  assert.deepEqual(p.api, CONTRACT_API);
  assert.deepEqual(p.auth, CONTRACT_AUTH);
  assert.deepEqual(p.files, {});
});

test('schema errors name the file, the line and the field', () => {
  const bad = problems('name: x\napi:\n  uploadPath: upload\n  uploadFeld: file\nauth:\n  scheme: oauth\n');
  assert.ok(bad.some((p) => /^p\.yaml:3: api\.uploadPath must match pattern/.test(p)), bad.join('\n'));
  assert.ok(bad.some((p) => /^p\.yaml:4: api must NOT have additional properties "uploadFeld"/.test(p)), bad.join('\n'));
  assert.ok(bad.some((p) => /^p\.yaml:6: auth\.scheme must be equal to one of the allowed values \(api-key, bearer, basic, none\)/.test(p)), bad.join('\n'));
  const yaml = problems('files:\n  tlsKey: [unclosed\n');
  assert.ok(yaml.some((p) => /^p\.yaml:\d+: /.test(p)), yaml.join('\n'));
  assert.throws(() => loadProfile('/nonexistent/rag-gate.profile.yaml'), /cannot read it: ENOENT/);
});

test('the profile is found in the deployment directory; a variable overrides its value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-profile-'));
  writeFileSync(join(dir, PROFILE_FILE), 'ollamaModel: mistral:7b\nexpectedVersion: v1.0.3\nauth:\n  scheme: none\n');
  const c = loadConfig({ RAG_COMPOSE_DIR: dir });
  assert.equal(c.profile.file, join(dir, PROFILE_FILE));
  assert.equal(c.ollamaModel, 'mistral:7b');
  assert.equal(c.expectedVersion, 'v1.0.3');
  assert.equal(c.profile.auth.scheme, 'none');
  assert.equal(loadConfig({ RAG_COMPOSE_DIR: dir, RAG_OLLAMA_MODEL: 'llama2:7b' }).ollamaModel, 'llama2:7b', 'the variable wins over the profile');
});

test("a profile's live target selects live mode unless the environment chooses another; unknown services are refused", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-profile-'));
  const file = join(dir, 'live.yaml');
  writeFileSync(file, 'target:\n  baseUrl: https://rag.example.com\n  services:\n    prometheus: http://10.0.0.5:9090\n');
  const c = loadConfig({ RAG_PROFILE: file });
  assert.equal(c.mode, 'live');
  assert.equal(c.serviceUrls.prometheus?.href, 'http://10.0.0.5:9090/');
  assert.equal(loadConfig({ RAG_PROFILE: file, RAG_BASE_URL: 'https://other.example.com' }).baseUrl?.host, 'other.example.com');
  assert.equal(loadConfig({ RAG_PROFILE: file, RAG_COMPOSE_DIR: dir }).mode, 'compose', 'compose mode from the environment ignores the profile\'s live target');
  writeFileSync(file, 'target:\n  baseUrl: https://rag.example.com\n  services:\n    vectordb: http://10.0.0.5:8002\n');
  assert.throws(() => loadConfig({ RAG_PROFILE: join(dir, 'again.yaml') }), /RAG_PROFILE: .*again\.yaml does not exist/);
  const other = join(dir, 'other.yaml');
  writeFileSync(other, 'target:\n  services:\n    vectordb: http://10.0.0.5:8002\n');
  assert.throws(() => loadConfig({ RAG_PROFILE: other }), /target\.services\.vectordb is not a service of the contract/);
});

test('auth headers follow the scheme; none and a missing secret give no header', () => {
  const secret = (n: string) => ({ API_SECRET_KEY: 'k'.repeat(64), TOKEN: 't0k' })[n];
  assert.deepEqual(authHeaders(CONTRACT_AUTH, secret), { 'x-api-key': 'k'.repeat(64) });
  assert.deepEqual(authHeaders({ ...CONTRACT_AUTH, header: 'X-Api-Token', secret: 'TOKEN' }, secret), { 'x-api-token': 't0k' });
  assert.deepEqual(authHeaders({ ...CONTRACT_AUTH, scheme: 'bearer', secret: 'TOKEN' }, secret), { authorization: 'Bearer t0k' });
  assert.deepEqual(authHeaders({ ...CONTRACT_AUTH, scheme: 'basic', secret: 'TOKEN' }, secret), { authorization: `Basic ${Buffer.from('admin:t0k').toString('base64')}` });
  assert.deepEqual(authHeaders({ ...CONTRACT_AUTH, scheme: 'none' }, secret), {});
  assert.deepEqual(authHeaders({ ...CONTRACT_AUTH, secret: 'ABSENT' }, secret), {});
});

test('the draft profile names what was found by content and how, and parses as a profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-draft-'));
  mkdirSync(join(dir, 'proxy/sites'), { recursive: true });
  mkdirSync(join(dir, 'certs'), { recursive: true });
  mkdirSync(join(dir, 'ops'), { recursive: true });
  writeFileSync(join(dir, 'docker-compose.production.yml'), 'services:\n  nginx:\n    image: nginx\n    volumes:\n      - ./certs:/etc/nginx/tls:ro\n');
  writeFileSync(join(dir, 'proxy/sites/rag.conf'), 'server {\n  listen 443 ssl;\n  ssl_certificate /etc/nginx/tls/fullchain.pem;\n  ssl_certificate_key /etc/nginx/tls/privkey.pem;\n}\n');
  writeFileSync(join(dir, 'certs/fullchain.pem'), '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'certs/privkey.pem'), '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n');
  writeFileSync(join(dir, 'ops/nightly-backup.sh'), '#!/bin/bash\ntar czf x.tgz data\n');
  const text = draftProfile(dir, { api: { uploadField: 'file', queryPath: '/query' }, how: 'OpenAPI: multipart field of POST /api/v1/documents/upload' });
  const p = parseProfile(text, 'draft.yaml');
  assert.equal(p.files?.tlsChain, 'certs/fullchain.pem');
  assert.equal(p.files?.tlsKey, 'certs/privkey.pem');
  assert.equal(p.files?.backupScript, 'ops/nightly-backup.sh');
  assert.equal(p.api?.uploadField, 'file');
  assert.equal(p.api?.queryPath, undefined, 'a value equal to the contract is not written');
  assert.match(text, /fullchain\.pem # ssl_certificate \/etc\/nginx\/tls\/fullchain\.pem in proxy\/sites\/rag\.conf/);
  assert.match(text, /files\.restoreScript: not found, and the contract's scripts\/restore\.sh does not exist/);
});
