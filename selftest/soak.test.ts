/**
 * Bad-input tests of the Stability Assessment's verdicts (checks/soak.ts, checks/backup.ts checkBackupContents, as
 * tests/60-stability/stability.spec.ts calls them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBackupContents } from '../checks/backup.ts';
import { percentile, rotationProblems, soakHealthProblems, uiResponsivenessProblems, uploadRateProblems } from '../checks/soak.ts';
import { canFail } from './helpers.ts';

test('percentile: nearest rank; none is NaN', () => {
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([10, 20, 30, 40], 95), 40);
  assert.ok(Number.isNaN(percentile([], 95)));
});

test('services through the soak: a moment a service was down or unhealthy, and a restart, each fail with when and which', canFail('STAB-DAILY-1'), () => {
  const healthy = [{ t: 1_767_225_600, unhealthy: [] }, { t: 1_767_225_605, unhealthy: [] }];
  assert.deepEqual(soakHealthProblems(healthy, { 'rag-backend': 0, redis: 0 }), []);
  assert.deepEqual(soakHealthProblems([...healthy, { t: 1_767_225_610, unhealthy: ['chroma (running, unhealthy)'] }], { 'rag-backend': 1 }), [
    '2026-01-01T00:00:10.000Z: chroma (running, unhealthy) not running or not healthy',
    'rag-backend restarted 1 time(s) during the soak',
  ]);
});

test('UI through the soak: a failed request or a p95 of 200 ms or more fails, with the figure', canFail('STAB-UX-1'), () => {
  assert.deepEqual(uiResponsivenessProblems({ ok: 60, failed: 0, ms: Array.from({ length: 60 }, (_, i) => 20 + i) }), []);
  assert.deepEqual(uiResponsivenessProblems({ ok: 58, failed: 2, ms: [30, 40] }), ['2 of 60 UI requests failed during the soak']);
  assert.deepEqual(uiResponsivenessProblems({ ok: 20, failed: 0, ms: [...Array.from({ length: 18 }, () => 50), 250, 260] }), ['UI p95 during the soak is 260.0 ms; the checklist allows < 200 ms']);
  assert.match(uiResponsivenessProblems({ ok: 0, failed: 3, ms: [] }).join('; '), /3 of 3 UI requests failed.*unmeasured \(no answer\)/);
});

test('uploads through the soak: 95 % or less processed, or none attempted, fails naming the rate and the failures', canFail('STAB-UX-2'), () => {
  assert.deepEqual(uploadRateProblems({ attempted: 40, succeeded: 39, failures: ['upload 7: 500'] }), []);
  assert.deepEqual(uploadRateProblems({ attempted: 20, succeeded: 19, failures: ['upload 3: ended failed'] }), ['upload success rate 95.0 % (19/20), the checklist requires > 95 %; failures: upload 3: ended failed']);
  assert.deepEqual(uploadRateProblems({ attempted: 0, succeeded: 0, failures: [] }), ['no upload was attempted during the soak']);
});

test('log rotation: a log without a rotated copy, or not truncated, fails naming the file', canFail('STAB-DAILY-3'), () => {
  const before = { 'nginx/access.log': 5000, 'app/app.log': 1200 };
  assert.deepEqual(rotationProblems(before, { 'nginx/access.log': 0, 'nginx/access.log.1': 5000, 'app/app.log': 0, 'app/app.log.1': 1200 }), []);
  assert.deepEqual(rotationProblems(before, { 'nginx/access.log': 5000, 'nginx/access.log.1': 5000, 'app/app.log': 1300 }), [
    'nginx/access.log was not truncated by the rotation (5000 bytes before, 5000 after; copytruncate)',
    'app/app.log has no rotated copy after logrotate -f (files: nginx/access.log, nginx/access.log.1, app/app.log)',
    'app/app.log was not truncated by the rotation (1200 bytes before, 1300 after; copytruncate)',
  ]);
});

test('the backup job: a backup that does not cover Redis, is readable by others or holds no vector data fails', canFail('STAB-DAILY-4'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'soak-backup-'));
  try {
    const backup = join(dir, 'backup-20260101T020000Z');
    for (const d of ['data/documents', 'data/chroma', 'data/redis', 'config']) mkdirSync(join(backup, d), { recursive: true });
    writeFileSync(join(backup, 'data/chroma/chroma.sqlite3'), 'v');
    writeFileSync(join(backup, 'data/redis/dump.rdb'), 'r');
    writeFileSync(join(backup, 'manifest.json'), JSON.stringify({ contents: ['data/documents', 'data/chroma', 'data/redis', 'config'] }));
    chmodSync(backup, 0o700);
    assert.deepEqual(checkBackupContents(backup).problems, []);
    writeFileSync(join(backup, 'manifest.json'), JSON.stringify({ contents: ['data/documents', 'data/chroma', 'config'] }));
    rmSync(join(backup, 'data/chroma/chroma.sqlite3'));
    chmodSync(backup, 0o755);
    assert.deepEqual(checkBackupContents(backup).problems, [
      'the backup does not cover data/redis (manifest.json contents: data/documents, data/chroma, config)',
      'the backup directory is 755; it must be private (700)',
      'the backup holds no vector database files in data/chroma',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
