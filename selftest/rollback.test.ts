/** Unit tests of the rollback drill's decisions: the criteria, and a corrupted backup stopping the drill at the restore step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrillError, corruptBackup, documentChecksums, evaluateCriteria, restoreOutcome, restoreStep, type Snapshot } from '../checks/rollback.ts';

const base: Snapshot = { at: '', health: { code: 200, status: 'healthy' }, unavailable: [], docIds: ['a', 'b'], checksums: { 'a.txt': '1', 'b.txt': '2' }, latency: { health: 5, query: 100 }, blocking: [] };

test('criteria: an unchanged system triggers none', () => {
  assert.deepEqual(evaluateCriteria(base, { ...base }), []);
});

test('criteria: unavailability, loss/corruption, >50 % slower, user-blocking failures', () => {
  const ids = (s: Partial<Snapshot>) => evaluateCriteria(base, { ...base, ...s }).map((c) => c.id);
  assert.deepEqual(ids({ unavailable: ['chroma'] }), ['RB-CRIT-1']);
  assert.deepEqual(ids({ health: { code: 503, status: 'unhealthy' } }), ['RB-CRIT-1']);
  assert.deepEqual(ids({ docIds: ['a'] }), ['RB-CRIT-2']);
  assert.deepEqual(ids({ checksums: { 'a.txt': '1', 'b.txt': 'X' } }), ['RB-CRIT-2']);
  assert.deepEqual(ids({ latency: { health: 5, query: 151 } }), ['RB-CRIT-4']);
  assert.deepEqual(ids({ latency: { health: 5, query: 149 } }), []);
  // +60 % of 5 ms is 3 ms: noise, not degradation
  assert.deepEqual(ids({ latency: { health: 8, query: 100 } }), []);
  assert.deepEqual(ids({ blocking: ['upload failed'] }), ['RB-CRIT-5']);
});

test('restore outcome: exit 0 is ok; a refusal names the damaged files', () => {
  assert.deepEqual(restoreOutcome(0, 'restore: done', ''), { ok: true });
  const r = restoreOutcome(1, '', 'restore: CHECKSUM MISMATCH  data/documents/x.txt\nrestore: REFUSED: backup \'/b\' is corrupted or incomplete: see the file(s) named above\nrestore: nothing was restored.\n');
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /refused as corrupted.*CHECKSUM MISMATCH  data\/documents\/x\.txt/);
});

test('a corrupted backup (real backup.sh / restore.sh on a scratch deployment) fails at the restore step and restores nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-'));
  try {
    const deploy = join(dir, 'deploy');
    cpSync(new URL('../reference/deploy', import.meta.url).pathname, deploy, { recursive: true, filter: (s) => !/\/(backups\/backup-|data\/[^/]+\/.+|logs\/[^/]+\/.+)/.test(s) });
    for (const d of ['documents', 'chroma', 'redis']) mkdirSync(join(deploy, 'data', d), { recursive: true });
    writeFileSync(join(deploy, 'data', 'documents', 'doc-1.txt'), 'golden content\n');
    writeFileSync(join(deploy, 'data', 'chroma', 'chroma.sqlite3'), 'vectors');
    const b = spawnSync('bash', [join(deploy, 'scripts', 'backup.sh'), deploy], { encoding: 'utf8', env: { ...process.env, BACKUP_SKIP_REDIS_SAVE: '1' } });
    assert.equal(b.status, 0, b.stderr);
    const path = /backup: wrote (\S+)/.exec(b.stdout)![1]!;
    const damaged = corruptBackup(path);
    assert.equal(damaged, 'data/documents/doc-1.txt');
    writeFileSync(join(deploy, 'data', 'documents', 'doc-1.txt'), 'current content\n');
    const before = documentChecksums(deploy);
    assert.throws(() => restoreStep(deploy, path, true), (e: Error) => e instanceof DrillError && e.step === 'restore' && e.message.includes('data/documents/doc-1.txt') && /refused/.test(e.message));
    assert.deepEqual(documentChecksums(deploy), before);
    assert.equal(readFileSync(join(deploy, 'data', 'documents', 'doc-1.txt'), 'utf8'), 'current content\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
