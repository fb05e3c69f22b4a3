/** Unit tests of P4-DATA-1 "Document data encrypted at rest (if configured)": the profile's requirement and the verdict over the host's storage facts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptionAtRestVerdict, type StorageFacts } from '../checks/security.ts';
import { contractProfile, loadProfile, parseProfile, ProfileError } from '../core/profile.ts';
import { canFail } from './helpers.ts';

const PLAIN: StorageFacts = { mount: '/dev/sda1 ext4 /srv', blockStack: 'sda1 part\n└─sda disk\n', fscrypt: '', attributes: '--------------e------- /srv/rag/data\n' };
const LUKS: StorageFacts = { mount: '/dev/mapper/luks-data ext4 /srv', blockStack: 'luks-data crypt\n└─sda2  part\n  └─sda disk\n', fscrypt: '', attributes: '' };

test('the profile: security.encryptionAtRest defaults to optional; required is read; another value is refused with file:line', () => {
  assert.equal(contractProfile().security.encryptionAtRest, 'optional');
  const dir = mkdtempSync(join(tmpdir(), 'rg-enc-'));
  writeFileSync(join(dir, 'none.yaml'), 'name: x\n');
  assert.equal(loadProfile(join(dir, 'none.yaml')).security.encryptionAtRest, 'optional');
  writeFileSync(join(dir, 'req.yaml'), 'security:\n  encryptionAtRest: required\n');
  assert.equal(loadProfile(join(dir, 'req.yaml')).security.encryptionAtRest, 'required');
  assert.throws(() => parseProfile('name: x\nsecurity:\n  encryptionAtRest: yes\n', 'p.yaml'), (e: unknown) => e instanceof ProfileError && e.problems.some((p) => /^p\.yaml:3: security\.encryptionAtRest must be equal to one of the allowed values \(required, optional\)/.test(p)));
});

test('data/ on a dm-crypt/LUKS layer or under an fscrypt policy passes, required or not', () => {
  for (const required of [true, false]) {
    const v = encryptionAtRestVerdict(required, LUKS);
    assert.deepEqual(v, { verdict: 'pass', how: 'data/ is on /dev/mapper/luks-data ext4, on a dm-crypt/LUKS layer (luks-data crypt on sda2 part on sda disk)' });
  }
  assert.equal(encryptionAtRestVerdict(true, { ...PLAIN, fscrypt: '"/srv/rag/data" is encrypted with fscrypt.\nEncrypted: true\n' }).verdict, 'pass');
  assert.equal(encryptionAtRestVerdict(true, { ...PLAIN, attributes: '----------E---e------- /srv/rag/data\n' }).verdict, 'pass');
});

test('required by the profile, data/ on a plain ext4 partition fails, naming the profile field, the device and what is missing', canFail('P4-DATA-1'), () => {
  assert.deepEqual(encryptionAtRestVerdict(true, PLAIN), {
    verdict: 'fail',
    cause: 'the deployment profile requires encryption at rest (security.encryptionAtRest: required), but data/ is on /dev/sda1 ext4 with no dm-crypt/LUKS layer and no fscrypt policy',
  });
  // A device whose name says crypt is not a crypt layer; only lsblk's TYPE column counts.
  assert.equal(encryptionAtRestVerdict(true, { ...PLAIN, blockStack: 'cryptdata part\n└─sda disk\n' }).verdict, 'fail');
});

test('required by the profile, data/ on a filesystem that is no block device fails, saying no LUKS layer can be seen', canFail('P4-DATA-1'), () => {
  const v = encryptionAtRestVerdict(true, { mount: 'overlay overlay /', blockStack: '', fscrypt: '', attributes: '' });
  assert.equal(v.verdict, 'fail');
  assert.match((v as { cause: string }).cause, /data\/ is on overlay overlay which is no block device \(no dm-crypt\/LUKS layer can be seen below it\) and under no fscrypt policy$/);
});

test('optional (the checklist\'s "if configured"): unencrypted data/ is not verified, with the device and how to make it a requirement', () => {
  const v = encryptionAtRestVerdict(false, PLAIN);
  assert.equal(v.verdict, 'not verified');
  assert.match((v as { reason: string }).reason, /^encryption at rest is not configured for data\/ \(on \/dev\/sda1 ext4 with no dm-crypt\/LUKS layer and no fscrypt policy\).*security\.encryptionAtRest: required/);
});

test('storage that cannot be seen is not verified, even when required – and says the requirement cannot be shown', () => {
  const v = encryptionAtRestVerdict(true, { mount: '', blockStack: '', fscrypt: '', attributes: '' });
  assert.equal(v.verdict, 'not verified');
  assert.match((v as { reason: string }).reason, /findmnt found no mount\), so encryption at rest, which the deployment profile requires \(security\.encryptionAtRest: required\), cannot be shown/);
});
