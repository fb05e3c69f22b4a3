/** Unit tests of the rollback drill's decisions: the criteria, and a corrupted backup stopping the drill at the restore step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrillError, compose, corruptBackup, documentChecksums, documentSizes, evaluateCriteria, filesWithSecrets, integrityProblems, notAtVersion, restoreOutcome, restoreStep, unavailableServices, type Snapshot } from '../checks/rollback.ts';
import { canFail } from './helpers.ts';

const base: Snapshot = { at: '', health: { code: 200, status: 'healthy' }, unavailable: [], docIds: ['a', 'b'], checksums: { 'a.txt': '1', 'b.txt': '2' }, latency: { health: 5, query: 100 }, blocking: [] };

test('criteria: an unchanged system triggers none', () => {
  assert.deepEqual(evaluateCriteria(base, { ...base }), []);
});

test('criteria: unavailability, loss/corruption, >50 % slower, user-blocking failures', canFail('RB-SERVICE-2', 'RB-SERVICE-3', 'RB-CRIT-4'), () => {
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

test('restore outcome: exit 0 is ok; a refusal names the damaged files', canFail('RB-RESTORE-1', 'RB-RESTORE-2'), () => {
  assert.deepEqual(restoreOutcome(0, 'restore: done', ''), { ok: true });
  const r = restoreOutcome(1, '', 'restore: CHECKSUM MISMATCH  data/documents/x.txt\nrestore: REFUSED: backup \'/b\' is corrupted or incomplete: see the file(s) named above\nrestore: nothing was restored.\n');
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /refused as corrupted.*CHECKSUM MISMATCH  data\/documents\/x\.txt/);
});

test('a corrupted backup (real backup.sh / restore.sh on a scratch deployment) fails at the restore step and restores nothing', canFail('RB-RESTORE-1', 'RB-RESTORE-2', 'RB-RESTORE-3'), () => {
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

test('stopping the deployment: a docker-compose down that fails reports the command and what Compose said', canFail('RB-IMMEDIATE-1'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-down-'));
  try {
    const down = compose(dir, 'raggate-selftest-down', {}, 'docker-compose.production.yml', ['down'], 60_000);
    assert.equal(down.ok, false);
    assert.match(down.output, /^\$ docker-compose -p raggate-selftest-down -f docker-compose\.production\.yml down\n/);
    assert.match(down.output, /docker-compose\.production\.yml|ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('preserved logs: a file holding a secret of .env.production is named with the secret, never its value', canFail('RB-IMMEDIATE-2'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-logs-'));
  try {
    mkdirSync(join(dir, 'logs', 'app'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'app', 'app.log'), 'GET /health 200\n');
    writeFileSync(join(dir, 'criteria.json'), '{"baseline":{}}');
    const secrets: Array<[string, string]> = [['API_SECRET_KEY', 'k'.repeat(64)], ['REDIS_PASSWORD', 'r3d1s-pass-xyz']];
    assert.deepEqual(filesWithSecrets(dir, secrets), []);
    writeFileSync(join(dir, 'logs', 'app', 'app.log'), `GET /health 200\nconnecting to redis://:r3d1s-pass-xyz@redis:6379\n`);
    assert.deepEqual(filesWithSecrets(dir, secrets), [{ file: 'logs/app/app.log', secrets: ['REDIS_PASSWORD'] }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('integrity on the running system: counts that disagree, a completed document without chunks, a missing or resized stored file fail', canFail('RB-CRIT-2'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-integrity-'));
  try {
    mkdirSync(join(dir, 'data', 'documents'), { recursive: true });
    writeFileSync(join(dir, 'data', 'documents', 'd1-report.txt'), 'twelve bytes');
    writeFileSync(join(dir, 'data', 'documents', 'd2-notes.txt'), 'notes');
    const doc = (doc_id: string, file_size: number, chunk_count = 1) => ({ doc_id, status: 'completed', chunk_count, file_size });
    const list = { total_count: 2, documents: [doc('d1', 12), doc('d2', 5)] };
    assert.deepEqual(integrityProblems(list, 2, documentSizes(dir)), []);
    assert.deepEqual(integrityProblems({ total_count: 3, documents: [doc('d1', 12), doc('d2', 9, 0), doc('d3', 4)] }, 2, documentSizes(dir)), [
      '/health counts 2 documents, the list 3',
      'd2 is completed with 0 chunks',
      'd2: stored file has 5 bytes, the record says 9',
      'd3: stored file missing from data/documents',
    ]);
    assert.deepEqual(integrityProblems({ total_count: 1, documents: [doc('d3', 4)] }, undefined, undefined), [], 'without data/ only what the API says is compared');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('previous version deployed: a service without a healthy container, or one not running the previous tag, fails', canFail('RB-SERVICE-1'), () => {
  const c = (service: string, image: string, extra: { running?: boolean; health?: string } = {}) => ({ service, image, running: extra.running ?? true, health: extra.health });
  const services = ['rag-backend', 'nginx', 'chroma'];
  const up = [c('rag-backend', 'rag-system/rag-backend:1.0.0', { health: 'healthy' }), c('nginx', 'rag-system/nginx:1.0.0'), c('chroma', 'rag-system/chroma:1.0.0', { health: 'healthy' })];
  assert.deepEqual([unavailableServices(up, services), notAtVersion(up, services, '1.0.0')], [[], []]);
  const half = [c('rag-backend', 'rag-system/rag-backend:1.0.1-rc', { health: 'starting' }), c('nginx', 'rag-system/nginx:1.0.0', { running: false })];
  assert.deepEqual(unavailableServices(half, services), ['rag-backend', 'nginx', 'chroma']);
  assert.deepEqual(notAtVersion(half, services, '1.0.0'), ['rag-backend runs rag-system/rag-backend:1.0.1-rc, not 1.0.0']);
});
