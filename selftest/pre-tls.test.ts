/** Break-it tests for the TLS file checks (checks/tls.ts) on fresh copies of reference/deploy's ssl/. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
import { checkCertificateValid, checkChain, checkDaysLeft, checkNamesCover, checkSslFilesPresent } from '../checks/tls.ts';

const made: string[] = [];
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pre-tls-selftest-'));
  made.push(dir);
  return prepareHermeticDeployDir(join(dir, 'deploy'));
}
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function failing(d: string, now = new Date()): string[] {
  const ssl = join(d, 'ssl');
  const checks = {
    present: checkSslFilesPresent(ssl),
    valid: checkCertificateValid(ssl, now),
    daysLeft: checkDaysLeft(ssl, now),
    chain: checkChain(ssl, now),
    names: checkNamesCover(ssl, ['localhost', '127.0.0.1']),
  };
  return Object.entries(checks).filter(([, c]) => !c.ok).map(([k]) => k);
}

test('generated certificates pass every TLS check', () => {
  assert.deepEqual(failing(copy()), []);
});

test('a certificate with 30 days left fails the 90-day line only', () => {
  const d = copy();
  execFileSync('bash', [join(d, 'scripts/generate-certs.sh'), d, '--force'], { env: { ...process.env, CERT_DAYS: '30' }, stdio: 'ignore' });
  assert.deepEqual(failing(d), ['daysLeft']);
  const msg = checkDaysLeft(join(d, 'ssl')).problems.join('\n');
  assert.match(msg, /ssl\/server\.crt expires on \d{4}-\d\d-\d\d, in (29|30) days; the checklist requires at least 90 days left/);
});

test('an expired certificate fails validity (checked at a date after its expiry)', () => {
  const d = copy();
  const later = new Date(Date.now() + 400 * 86_400_000);
  assert.ok(failing(d, later).includes('valid'));
  assert.match(checkCertificateValid(join(d, 'ssl'), later).problems.join(), /EXPIRED/);
});

test('a server certificate from another CA fails the chain line', () => {
  const d = copy();
  const other = copy();
  copyFileSync(join(other, 'ssl/ca.crt'), join(d, 'ssl/ca.crt'));
  assert.deepEqual(failing(d), ['chain']);
  assert.match(checkChain(join(d, 'ssl')).problems.join('\n'), /was not issued by ssl\/ca\.crt|does not verify with the public key of ssl\/ca\.crt/);
});

test('a private key that does not match the certificate fails validity', () => {
  const d = copy();
  const other = copy();
  copyFileSync(join(other, 'ssl/server.key'), join(d, 'ssl/server.key'));
  assert.deepEqual(failing(d), ['valid']);
  assert.match(checkCertificateValid(join(d, 'ssl')).problems.join(), /does not belong to ssl\/server\.crt/);
});

test('a world-readable key and a missing chain.pem fail the placement line', () => {
  const d = copy();
  chmodSync(join(d, 'ssl/server.key'), 0o644);
  rmSync(join(d, 'ssl/chain.pem'));
  const c = checkSslFilesPresent(join(d, 'ssl'));
  assert.match(c.problems.join('\n'), /ssl\/chain\.pem is missing/);
  assert.match(c.problems.join('\n'), /ssl\/server\.key is a private key with mode 644/);
});

test('a chain.pem that serves another certificate fails the chain line', () => {
  const d = copy();
  const other = copy();
  writeFileSync(join(d, 'ssl/chain.pem'), ''); // emptied, then replaced with another deployment's chain
  copyFileSync(join(other, 'ssl/chain.pem'), join(d, 'ssl/chain.pem'));
  assert.match(checkChain(join(d, 'ssl')).problems.join('\n'), /does not start with ssl\/server\.crt/);
});

test('names: localhost is covered, a live host name that is not in the SAN fails', () => {
  const d = copy();
  assert.equal(checkNamesCover(join(d, 'ssl'), ['localhost', '127.0.0.1']).ok, true);
  assert.match(checkNamesCover(join(d, 'ssl'), ['rag.example.com']).problems.join(), /does not cover "rag\.example\.com"/);
});
