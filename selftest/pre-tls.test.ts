/** Break-it tests for the TLS file checks (checks/tls.ts) on fresh copies of reference/deploy's ssl/. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { checkCertificateValid, checkChain, checkDaysLeft, checkNamesCover, checkSslFilesPresent, tlsFiles, type TlsFiles } from '../checks/tls.ts';
import { resolveFiles } from '../checks/discover.ts';
import { CONTRACT_FILES, contractProfile } from '../core/profile.ts';
import { canFail } from './helpers.ts';
import { deploymentCopies, useCertsLayout } from './deploy-copies.ts';

const copy = deploymentCopies('pre-tls');

/** The reference deployment's TLS files, by the contract's names. */
const REF: TlsFiles = { certificate: CONTRACT_FILES.tlsCertificate, key: CONTRACT_FILES.tlsKey, chain: CONTRACT_FILES.tlsChain, ca: CONTRACT_FILES.tlsCa };

function failing(d: string, now = new Date(), files: TlsFiles = REF): string[] {
  const checks = {
    present: checkSslFilesPresent(d, files),
    valid: checkCertificateValid(d, files, now),
    daysLeft: checkDaysLeft(d, files, now),
    chain: checkChain(d, files, now),
    names: checkNamesCover(d, files, ['localhost', '127.0.0.1']),
  };
  return Object.entries(checks).filter(([, c]) => !c.ok).map(([k]) => k);
}

test('generated certificates pass every TLS check', () => {
  assert.deepEqual(failing(copy()), []);
});

test('a certificate with 30 days left fails the 90-day line only', canFail('PRE-TLS-3'), () => {
  const d = copy();
  execFileSync('bash', [join(d, 'scripts/generate-certs.sh'), d, '--force'], { env: { ...process.env, CERT_DAYS: '30' }, stdio: 'ignore' });
  assert.deepEqual(failing(d), ['daysLeft']);
  const msg = checkDaysLeft(d, REF).problems.join('\n');
  assert.match(msg, /ssl\/server\.crt expires on \d{4}-\d\d-\d\d, in (29|30) days; the checklist requires at least 90 days left/);
});

test('an expired certificate fails validity (checked at a date after its expiry)', canFail('PRE-TLS-1'), () => {
  const d = copy();
  const later = new Date(Date.now() + 400 * 86_400_000);
  assert.ok(failing(d, later).includes('valid'));
  assert.match(checkCertificateValid(d, REF, later).problems.join(), /EXPIRED/);
});

test('a server certificate from another CA fails the chain line', canFail('PRE-TLS-4'), () => {
  const d = copy();
  const other = copy();
  copyFileSync(join(other, 'ssl/ca.crt'), join(d, 'ssl/ca.crt'));
  assert.deepEqual(failing(d), ['chain']);
  assert.match(checkChain(d, REF).problems.join('\n'), /was not issued by ssl\/ca\.crt|does not verify with the public key of ssl\/ca\.crt/);
});

test('a private key that does not match the certificate fails validity', canFail('PRE-TLS-1'), () => {
  const d = copy();
  const other = copy();
  copyFileSync(join(other, 'ssl/server.key'), join(d, 'ssl/server.key'));
  assert.deepEqual(failing(d), ['valid']);
  assert.match(checkCertificateValid(d, REF).problems.join(), /ssl\/server\.key does not belong to ssl\/server\.crt/);
});

test('a world-readable key and a missing chain.pem fail the placement line', canFail('PRE-TLS-2'), () => {
  const d = copy();
  chmodSync(join(d, 'ssl/server.key'), 0o644);
  rmSync(join(d, 'ssl/chain.pem'));
  const c = checkSslFilesPresent(d, REF);
  assert.match(c.problems.join('\n'), /ssl\/chain\.pem \(chain Nginx serves\) is missing or empty/);
  assert.match(c.problems.join('\n'), /ssl\/server\.key is a private key with mode 644/);
});

test('a chain.pem that serves another certificate fails the chain line', canFail('PRE-TLS-4'), () => {
  const d = copy();
  const other = copy();
  writeFileSync(join(d, 'ssl/chain.pem'), ''); // emptied, then replaced with another deployment's chain
  copyFileSync(join(other, 'ssl/chain.pem'), join(d, 'ssl/chain.pem'));
  assert.match(checkChain(d, REF).problems.join('\n'), /ssl\/chain\.pem \(what Nginx serves\) does not start with ssl\/server\.crt/);
});

test('names: localhost is covered, a live host name that is not in the SAN fails', canFail('PRE-TLS-1'), () => {
  const d = copy();
  assert.equal(checkNamesCover(d, REF, ['localhost', '127.0.0.1']).ok, true);
  assert.match(checkNamesCover(d, REF, ['rag.example.com']).problems.join(), /does not cover "rag\.example\.com"/);
});

/** A prepared copy with its TLS files under certs/ (deploy-copies.ts useCertsLayout). */
function fullchainLayout(): string {
  const d = copy();
  useCertsLayout(d);
  return d;
}

const certificates = (f: string) => readFileSync(f, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
const resolved = (d: string, files = {}) => tlsFiles(d, resolveFiles(d, { ...contractProfile(), files }));

test('fullchain.pem + privkey.pem found through Nginx and the compose mount pass every TLS check; the CA is the chain\'s self-signed last certificate', () => {
  const d = fullchainLayout();
  const files = resolved(d);
  assert.deepEqual(files, { certificate: 'certs/fullchain.pem', key: 'certs/privkey.pem', chain: 'certs/fullchain.pem' });
  assert.deepEqual(failing(d, new Date(), files), []);
  const chain = checkChain(d, files);
  assert.match(chain.details.join('\n'), /CA: no CA file, so the chain's last certificate, certs\/fullchain\.pem #2 \(.*RAG System Local CA\), self-signed, is taken as the CA/);
  assert.match(checkCertificateValid(d, files).details.join(), /^certs\/fullchain\.pem \(its first certificate\): subject/);
});

test('a CA file under another name beside the chain is found and judged', canFail('PRE-TLS-4'), () => {
  const d = fullchainLayout();
  const other = copy();
  copyFileSync(join(other, 'ssl/ca.crt'), join(d, 'certs/root-ca.pem'));
  const files = resolved(d);
  assert.equal(files.ca, 'certs/root-ca.pem');
  assert.deepEqual(failing(d, new Date(), files), ['chain'], 'the chain ends at this deployment\'s CA, not at another one');
  assert.match(checkChain(d, files).problems.join('\n'), /certs\/fullchain\.pem #2 \(.*\) (was not issued by|.*does not verify with the public key of) certs\/root-ca\.pem/);
  writeFileSync(join(d, 'certs/root-ca.pem'), certificates(join(d, 'certs/fullchain.pem'))[1]!);
  assert.deepEqual(failing(d, new Date(), files), [], 'with its own CA the same layout passes');
  assert.match(checkChain(d, files).details.join('\n'), /CA: certs\/root-ca\.pem \(.*RAG System Local CA\)/);
});

test('a chain that does not start with the certificate fails the chain line, naming both files', canFail('PRE-TLS-4'), () => {
  const d = fullchainLayout();
  mkdirSync(join(d, 'le'));
  // Let's Encrypt's chain.pem holds the issuer only: served alone, clients get no server certificate.
  const [server, ca] = certificates(join(d, 'certs/fullchain.pem'));
  writeFileSync(join(d, 'le/cert.pem'), server!);
  writeFileSync(join(d, 'le/chain.pem'), ca!);
  const files = resolved(d, { tlsCertificate: 'le/cert.pem', tlsChain: 'le/chain.pem', tlsKey: 'certs/privkey.pem' });
  assert.deepEqual(failing(d, new Date(), files), ['chain']);
  assert.match(checkChain(d, files).problems.join('\n'), /le\/chain\.pem \(what Nginx serves\) does not start with le\/cert\.pem: Nginx would serve a different certificate/);
});

test('no CA file and a chain of the server certificate alone: the chain cannot be validated, and the line says so', canFail('PRE-TLS-4'), () => {
  const d = fullchainLayout();
  writeFileSync(join(d, 'certs/fullchain.pem'), certificates(join(d, 'certs/fullchain.pem'))[0]!);
  const files = resolved(d);
  assert.equal(files.ca, undefined);
  assert.deepEqual(failing(d, new Date(), files), ['chain']);
  assert.match(checkChain(d, files).problems.join('\n'), /no CA certificate file and certs\/fullchain\.pem ends at ".*CN=localhost", which is neither a self-signed CA nor issued by a public root/);
});

test('a CA file the profile names but the deployment lacks fails placement and chain, naming it', canFail('PRE-TLS-2', 'PRE-TLS-4'), () => {
  const d = fullchainLayout();
  const files = resolved(d, { tlsCa: 'certs/ca.pem' });
  assert.equal(files.ca, 'certs/ca.pem');
  assert.match(checkSslFilesPresent(d, files).problems.join(), /certs\/ca\.pem \(CA certificate\) is missing or empty/);
  assert.match(checkChain(d, files).problems.join(), /certs\/ca\.pem is missing/);
});
