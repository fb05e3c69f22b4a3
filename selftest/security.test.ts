/** Unit tests of the Phase 4 decisions (checks/security.ts, lib/tls-probe.ts): each one must be able to fail. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { isLoopback } from '../core/contract.ts';
import {
  corsProblems,
  envProblems,
  exposureProblems,
  INTENDED_PORTS,
  fileSecretProblems,
  findLeaks,
  gradeAtLeast,
  gradeTls,
  headerProblems,
  modeProblems,
  observatoryGrade,
  parseHsts,
  reachableBeyondLoopback,
  signJwtHs256,
  testsslBlocking,
  uploadRefusalProblem,
  type ObservatoryResult,
} from '../checks/security.ts';
import { parseMinHeaderGrade } from '../core/config.ts';
import { canFail, GOOD_TLS } from './helpers.ts';
import { Secrets } from '../lib/secrets.ts';

const GOOD_HEADERS = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'content-security-policy': "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'camera=()',
  server: 'nginx',
};

test('headers: the reference set passes; each missing or weak header is named', canFail('P4-NETSEC-4'), () => {
  assert.deepEqual(headerProblems(GOOD_HEADERS), []);
  const { 'strict-transport-security': _h, ...noHsts } = GOOD_HEADERS;
  assert.match(headerProblems(noHsts).join(), /Strict-Transport-Security missing/);
  assert.match(headerProblems({ ...GOOD_HEADERS, 'strict-transport-security': 'max-age=86400' }).join(), /shorter than one year/);
  const { 'content-security-policy': _c, ...noCsp } = GOOD_HEADERS;
  assert.match(headerProblems(noCsp).join(), /Content-Security-Policy missing/);
  assert.match(headerProblems({ ...GOOD_HEADERS, 'content-security-policy': "default-src *; script-src 'self' 'unsafe-eval'" }).join(), /unsafe-eval/);
  assert.match(headerProblems({ ...GOOD_HEADERS, 'x-content-type-options': 'sniff' }).join(), /nosniff/);
  const { 'x-frame-options': _x, ...noXfo } = GOOD_HEADERS;
  assert.deepEqual(headerProblems(noXfo), [], "frame-ancestors 'none' replaces X-Frame-Options");
  assert.match(headerProblems({ ...noXfo, 'content-security-policy': "default-src 'self'" }).join(), /X-Frame-Options/);
  assert.match(headerProblems({ ...GOOD_HEADERS, 'referrer-policy': 'unsafe-url' }).join(), /Referrer-Policy/);
  const { 'permissions-policy': _p, ...noPp } = GOOD_HEADERS;
  assert.match(headerProblems(noPp).join(), /Permissions-Policy missing/);
  assert.match(headerProblems({ ...GOOD_HEADERS, server: 'nginx/1.22.1' }).join(), /discloses a version/);
  assert.match(headerProblems({ ...GOOD_HEADERS, 'x-powered-by': 'Express' }).join(), /X-Powered-By/);
});

test('HSTS parsing', () => {
  assert.deepEqual(parseHsts('max-age=31536000; includeSubDomains; preload'), { maxAge: 31536000, includeSubDomains: true, preload: true });
  assert.equal(parseHsts('includeSubDomains'), undefined);
  assert.equal(parseHsts(undefined), undefined);
});

test('CORS: wildcard with credentials and an echoed foreign origin fail; a same-origin answer passes', canFail('P4-ACCESS-2'), () => {
  const evil = 'https://evil.example';
  assert.deepEqual(corsProblems({}, evil), []);
  assert.deepEqual(corsProblems({ 'access-control-allow-origin': 'https://rag.example.com' }, evil), []);
  assert.match(corsProblems({ 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' }, evil).join(), /\* together with/);
  assert.match(corsProblems({ 'access-control-allow-origin': evil }, evil).join(), /echoed/);
  assert.match(corsProblems({ 'access-control-allow-origin': 'null' }, evil).join(), /null/);
});

test('TLS grade: A only when everything holds; each defect lowers it', canFail('P4-NETSEC-3'), () => {
  assert.deepEqual(gradeTls(GOOD_TLS, 90), { grade: 'A', reasons: [] });
  assert.equal(gradeTls({ ...GOOD_TLS, protocols: { ...GOOD_TLS.protocols, TLSv1: true } }, 90).grade, 'F');
  assert.equal(gradeTls({ ...GOOD_TLS, protocols: { ...GOOD_TLS.protocols, 'TLSv1.1': true } }, 90).grade, 'F');
  assert.equal(gradeTls({ ...GOOD_TLS, protocols: { ...GOOD_TLS.protocols, 'TLSv1.2': false } }, 90).grade, 'F');
  assert.equal(gradeTls({ ...GOOD_TLS, weakCiphersAccepted: ['DES-CBC3-SHA'] }, 90).grade, 'F');
  assert.equal(gradeTls({ ...GOOD_TLS, certTrusted: false }, 90).grade, 'F');
  assert.equal(gradeTls({ ...GOOD_TLS, nameMatches: false }, 90).grade, 'F');
  assert.equal(gradeTls({ ...GOOD_TLS, daysLeft: -1 }, 90).grade, 'F');
  assert.equal(gradeTls({ ...GOOD_TLS, daysLeft: 89 }, 90).grade, 'C');
  assert.equal(gradeTls({ ...GOOD_TLS, chainComplete: false }, 90).grade, 'C');
  assert.equal(gradeTls({ ...GOOD_TLS, protocols: { ...GOOD_TLS.protocols, 'TLSv1.3': false } }, 90).grade, 'B');
  assert.equal(gradeTls({ ...GOOD_TLS, hsts: undefined }, 90).grade, 'B');
  assert.equal(gradeTls({ ...GOOD_TLS, hsts: 'max-age=600' }, 90).grade, 'B');
  assert.equal(gradeTls({ ...GOOD_TLS, hsts: undefined, daysLeft: 10, protocols: { ...GOOD_TLS.protocols, TLSv1: true } }, 90).grade, 'F', 'worst wins');
});

test('testssl.sh: HIGH/CRITICAL block, lower severities and not-applicable ids do not', canFail('P4-NETSEC-3'), () => {
  const f = [
    { id: 'SWEET32', severity: 'LOW', finding: 'x' },
    { id: 'BEAST', severity: 'HIGH', finding: 'vulnerable' },
    { id: 'cert_revocation', severity: 'HIGH', finding: 'Neither CRL nor OCSP URI provided' },
    { id: 'heartbleed', severity: 'CRITICAL', finding: 'VULNERABLE' },
  ];
  assert.deepEqual(testsslBlocking(f).map((x) => x.id), ['BEAST', 'cert_revocation', 'heartbleed']);
  assert.deepEqual(testsslBlocking(f, ['cert_revocation']).map((x) => x.id), ['BEAST', 'heartbleed']);
});

test('header grade: parser, comparison and the Observatory chart', canFail('P4-NETSEC-4'), () => {
  assert.equal(parseMinHeaderGrade(undefined), 'A');
  assert.equal(parseMinHeaderGrade('b+'), 'B+');
  assert.throws(() => parseMinHeaderGrade('Z'), /RAG_MIN_HEADER_GRADE/);
  assert.equal(gradeAtLeast('A+', 'A'), true);
  assert.equal(gradeAtLeast('A', 'A'), true);
  assert.equal(gradeAtLeast('A-', 'A'), false);
  assert.equal(gradeAtLeast('B+', 'A'), false);
  assert.equal(gradeAtLeast(undefined, 'F'), false);
  const r: ObservatoryResult = {
    grade: 'B+',
    score: 80,
    statusCode: 200,
    verified: true,
    tests: { redirection: { pass: false, result: 'redirection-missing', scoreModifier: -20 }, 'content-security-policy': { pass: true, result: 'csp-implemented', scoreModifier: 10 }, 'x-frame-options': { pass: true, result: 'x', scoreModifier: 5 } },
  };
  assert.deepEqual(observatoryGrade(r), { grade: 'B+', score: 80 });
  assert.deepEqual(observatoryGrade(r, ['redirection']), { grade: 'A+', score: 115 });
  const noHsts = { ...r, tests: { ...r.tests, 'strict-transport-security': { pass: false, result: 'hsts-not-implemented', scoreModifier: -20 } } };
  assert.equal(observatoryGrade(noHsts, ['redirection']).grade, 'B+', 'an exemption covers only the named test');
  assert.equal(observatoryGrade({ ...r, error: 'down' }).grade, 'F');
});

test('exposure: only Nginx may bind beyond loopback; unknown ports and services are named', canFail('P4-NETSEC-1', 'P4-DATA-2'), () => {
  assert.deepEqual(exposureProblems([{ service: 'nginx', containerPort: 443, hostIp: '0.0.0.0', hostPort: 443 }, { service: 'rag-backend', containerPort: 8000, hostIp: '127.0.0.1', hostPort: 8000 }]), []);
  assert.match(exposureProblems([{ service: 'rag-backend', containerPort: 8000, hostIp: '0.0.0.0', hostPort: 8000 }]).join(), /must bind to 127.0.0.1/);
  assert.match(exposureProblems([{ service: 'redis', containerPort: 6379, hostIp: '', hostPort: 6379 }]).join(), /must bind to 127.0.0.1/);
  assert.match(exposureProblems([{ service: 'node-exporter', containerPort: 9100, hostIp: '127.0.0.1', hostPort: 9100 }]).join(), /not an intended port/);
  assert.match(exposureProblems([{ service: 'nginx', containerPort: 8080, hostIp: '127.0.0.1', hostPort: 8080 }]).join(), /not an intended port/);
  assert.match(exposureProblems([{ service: 'debug-shell', containerPort: 22, hostIp: '127.0.0.1', hostPort: 2222 }]).join(), /not in the contract/);
});

test('beyond loopback: an internal port that answers on a host address, and a published node-exporter, fail', canFail('P4-NETSEC-2'), () => {
  const backend = { service: 'rag-backend', containerPort: 8000, hostIp: '127.0.0.1', hostPort: 8000, address: '10.0.0.5' };
  assert.deepEqual(reachableBeyondLoopback([{ ...backend, result: 'refused' }], [{ service: 'rag-backend', ports: [{ hostPort: 8000 }] }, { service: 'node-exporter', ports: [] }]), []);
  assert.deepEqual(reachableBeyondLoopback([{ ...backend, hostIp: '0.0.0.0', result: 'open' }, { ...backend, service: 'redis', containerPort: 6379, hostPort: 6379, result: 'timeout' }], [{ service: 'node-exporter', ports: [{ hostPort: 9100 }] }]), [
    'rag-backend (container port 8000) answers on 10.0.0.5:8000',
    'node-exporter publishes 9100 although the contract publishes none of its ports',
  ]);
});

test('loopback: 127/8, ::1, ::ffff:127.x and localhost only; anything that reaches beyond the machine is not', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '[::1]', '::ffff:127.0.0.1', '::FFFF:127.0.0.53', 'localhost', 'LOCALHOST']) assert.equal(isLoopback(a), true, a);
  for (const a of ['', '0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.0.0', '127.0.0.256', '127.example.com', '::ffff:10.0.0.1', '::2', 'localhost.example.com']) assert.equal(isLoopback(a), false, a);
});

test('exposure: the intended ports are the contract\'s (each service once, only Nginx public)', () => {
  assert.deepEqual(INTENDED_PORTS.nginx, { ports: [80, 443], public: true });
  assert.deepEqual(INTENDED_PORTS['reflex-frontend'], { ports: [3000, 8001], public: false });
  assert.deepEqual(INTENDED_PORTS['node-exporter'], { ports: [], public: false });
  assert.deepEqual(Object.entries(INTENDED_PORTS).filter(([, r]) => r.public).map(([s]) => s), ['nginx']);
});

test('JWT: HS256 signature verifies with the same key only', () => {
  const t = signJwtHs256({ sub: 'x', exp: 1 }, 'k1');
  const [h, p, s] = t.split('.');
  assert.equal(JSON.parse(Buffer.from(h!, 'base64url').toString()).alg, 'HS256');
  assert.equal(JSON.parse(Buffer.from(p!, 'base64url').toString()).exp, 1);
  assert.equal(s, createHmac('sha256', 'k1').update(`${h}.${p}`).digest('base64url'));
  assert.notEqual(s, createHmac('sha256', 'k2').update(`${h}.${p}`).digest('base64url'));
});

const SECRETS: Array<[string, string]> = [['API_SECRET_KEY', 'a'.repeat(64)], ['REDIS_PASSWORD', 'r3d1s-pass-xyz']];
const ENV_FILE = [{ key: 'API_SECRET_KEY', value: 'a'.repeat(64), line: 1 }, { key: 'REDIS_PASSWORD', value: 'r3d1s-pass-xyz', line: 2 }];

test('leaks in logs: secret values, bearer tokens and planted text are found by label', canFail('P4-ACCESS-4'), () => {
  assert.deepEqual(findLeaks('GET /health 200', [{ label: 'API key', value: 'a'.repeat(64) }]), []);
  assert.deepEqual(findLeaks(`key=${'a'.repeat(64)}`, [{ label: 'API key', value: 'a'.repeat(64) }]), ['API key']);
  assert.match(findLeaks('authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig', []).join(), /bearer token/);
  assert.deepEqual(findLeaks('send Authorization: Bearer <HS256 JWT signed with JWT_SECRET>', []), [], 'a help text is not a token');
});

test('container environments: env_file values pass; secrets from the image or compose fail', canFail('P4-DATA-4'), () => {
  assert.deepEqual(envProblems('backend', ['PATH=/usr/bin', `API_SECRET_KEY=${'a'.repeat(64)}`, 'REDIS_HOST=redis'], ['PATH=/usr/bin'], ENV_FILE, SECRETS), []);
  assert.match(envProblems('backend', ['PATH=/usr/bin'], [`BAKED=${'a'.repeat(64)}`], ENV_FILE, SECRETS).join(), /image bakes the value of API_SECRET_KEY/);
  assert.match(envProblems('redis', ['REDIS_URL=redis://:r3d1s-pass-xyz@redis:6379'], [], ENV_FILE, SECRETS).join(), /carries the value of REDIS_PASSWORD/);
  assert.match(envProblems('grafana', ['GF_SECURITY_ADMIN_PASSWORD=admin123'], [], ENV_FILE, SECRETS).join(), /credential-like variable GF_SECURITY_ADMIN_PASSWORD/);
  assert.deepEqual(envProblems('grafana', ['GF_SECURITY_ADMIN_PASSWORD=$__env{GRAFANA_PASSWORD}'], [], ENV_FILE, SECRETS), [], 'a reference is not a credential');
});

test('files: secret values and literal credentials in compose files fail; ${VAR} references pass', canFail('P4-DATA-4'), () => {
  assert.deepEqual(fileSecretProblems('c.yml', 'environment:\n  REDIS_HOST: redis\n  GF_SECURITY_ADMIN_PASSWORD: "$$__env{GRAFANA_PASSWORD}"\n', SECRETS), []);
  assert.match(fileSecretProblems('c.yml', 'command: redis-server --requirepass r3d1s-pass-xyz\n', SECRETS).join(), /value of REDIS_PASSWORD/);
  assert.match(fileSecretProblems('docker-compose.production.yml', 'environment:\n  - DB_PASSWORD=hunter2\n', SECRETS).join(), /DB_PASSWORD to a literal value/);
  assert.deepEqual(fileSecretProblems('.env.production.template', 'API_SECRET_KEY=change-me\n', SECRETS), [], 'placeholders in a template are not credentials');
  assert.match(fileSecretProblems('.env.production.template', `API_SECRET_KEY=${'a'.repeat(64)}\n`, SECRETS).join(), /value of API_SECRET_KEY/);
});

test('modes: anything group/other can access is named', canFail('P4-DATA-3'), () => {
  assert.deepEqual(modeProblems([{ path: 'backups', mode: 0o40700, isDir: true }, { path: '.env.production', mode: 0o100600, isDir: false }]), []);
  assert.match(modeProblems([{ path: 'backups', mode: 0o40755, isDir: true }]).join(), /backups is 755.*expected 700/);
  assert.match(modeProblems([{ path: '.env.production', mode: 0o100640, isDir: false }]).join(), /640.*expected 600/);
  assert.match(modeProblems([{ path: 'backups/b/data.json', mode: 0o100644, isDir: false, size: 10 }]).join(), /644/);
  assert.deepEqual(modeProblems([{ path: 'backups/.gitkeep', mode: 0o100644, isDir: false, size: 0 }]), []);
});

test('upload refusals: right status with a message passes; 200, wrong status or empty message fail', canFail('P4-ACCESS-3'), () => {
  assert.equal(uploadRefusalProblem([415], 415, '{"detail":"unsupported file type \\".exe\\""}'), undefined);
  assert.match(uploadRefusalProblem([415], 200, '{"documents":[]}')!, /expected 415, got 200/);
  assert.match(uploadRefusalProblem([413], 400, '{"detail":"too big"}')!, /expected 413, got 400/);
  assert.match(uploadRefusalProblem([400], 400, '<html>bad</html>')!, /not JSON/);
  assert.match(uploadRefusalProblem([400], 400, '{"detail":""}')!, /says nothing useful/);
});

test('credential findings in files: file:line, value never shown; defaults and weak values named; ordinary words are no finding', canFail('P4-DATA-4'), () => {
  const none: Array<[string, string]> = [];
  const grafana = fileSecretProblems('monitoring/grafana/grafana.ini', '[security]\nadmin_user = admin\nadmin_password = admin123\n', none);
  assert.deepEqual(grafana, ['monitoring/grafana/grafana.ini:3 sets admin_password to a known default password (value of 8 characters, not shown)']);
  assert.ok(!grafana.join().includes('admin123'), 'the value is never shown');
  assert.match(fileSecretProblems('conf/app.yml', 'db:\n  password: summer2024\n', none).join(), /conf\/app\.yml:2 sets password to weak \(zxcvbn score/);
  assert.deepEqual(fileSecretProblems('conf/app.yml', 'environment: production\nhost: localhost\npassword_file: /run/secrets/db\ntoken_header: X-Api-Token\n', none), [], 'ordinary configuration is no credential');
  assert.deepEqual(fileSecretProblems('conf/app.yml', `password: ${'kq8Zr2vN0xLw5Tj7Yp3Hs9Bd'}\n`, none), [], 'a strong literal outside compose files is not flagged as weak');
  assert.match(fileSecretProblems('nginx/snippet.conf', 'x\n-----BEGIN PRIVATE KEY-----\n', none).join(), /nginx\/snippet\.conf:2 holds private key material/);
  assert.deepEqual(fileSecretProblems('ssl/server.key', '-----BEGIN PRIVATE KEY-----\n', none), [], 'a key file is where a key belongs');
  assert.match(fileSecretProblems('docker-compose.yml', 'services:\n  grafana:\n    environment:\n      GF_SECURITY_ADMIN_PASSWORD: admin\n', none).join(), /docker-compose\.yml:4 sets GF_SECURITY_ADMIN_PASSWORD to a literal value instead of taking it from \.env\.production – a known default password/);
});

test('leak checks look for credentials, not for every configured word', () => {
  const s = new Secrets([
    { key: 'ENVIRONMENT', value: 'production', line: 1 },
    { key: 'DOMAIN_HOST', value: 'localhost', line: 2 },
    { key: 'GRAFANA_PASSWORD', value: 'admin123', line: 3 },
    { key: 'SESSION_ID_SEED', value: 'f3A9kQ2mZ7xR1tL8', line: 4 },
    { key: 'API_KEY_HEADER', value: 'X-Api-Token', line: 5 },
    { key: 'BACKUP_PASSPHRASE_FILE', value: '/run/secrets/backup', line: 6 },
  ]);
  const names = s.credentialValues().map(([k]) => k).sort();
  assert.deepEqual(names, ['GRAFANA_PASSWORD', 'SESSION_ID_SEED']);
  assert.equal(s.redact('production localhost'), '[redacted ENVIRONMENT] [redacted DOMAIN_HOST]', 'still redacted everywhere');
});

test('a shell variable or setting that only contains a credential word is no credential', () => {
  assert.deepEqual(fileSecretProblems('scripts/backup.sh', 'secrets="excluded"\nsecrets="encrypted (secrets.tar.enc)"\ntokenizer: words\n', []), []);
  assert.match(fileSecretProblems('scripts/x.sh', 'DB_PASSWORD="hunter2"\n', []).join(), /scripts\/x\.sh:1 sets DB_PASSWORD to weak/);
});
