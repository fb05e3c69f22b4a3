/**
 * Phase 1 › Backup Current State › Data Backup. Hermetic/compose: runs the deployment's own
 * scripts/backup.sh, moves the backup into a temporary directory, and verifies it with
 * `scripts/restore.sh <backup> --verify-only` (writes nothing) and an independent check of MANIFEST.sha256.
 * Live: reads the newest existing backup in backups/ only.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { resolveFiles } from '../../checks/discover.ts';
import { describeSource } from '../../core/profile.ts';
import { checkBackedUp, checkBackupManifest, checkConfigBackedUp, listFiles } from '../../checks/backup.ts';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

let backupDir: string | undefined;
let made: { tmp: string; output: string } | undefined;
let unavailable: string | undefined;

test.describe.serial('Data backup', () => {
  test.beforeAll(async ({ target }, testInfo) => {
    test.setTimeout(180_000);
    const dir = target.raw.deployDir;
    if (!dir) {
      unavailable = `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host to read its backups`;
      return;
    }
    if (target.mode === 'live') {
      const root = join(dir, 'backups');
      const latest = existsSync(root) ? readdirSync(root).filter((n) => /^backup-/.test(n) && statSync(join(root, n)).isDirectory()).sort().pop() : undefined;
      if (!latest) unavailable = `live: no backup directory in ${root}; run scripts/backup.sh before upgrading (the gate does not write to a live deployment)`;
      else backupDir = join(root, latest);
      return;
    }
    const script = resolveFiles(dir, target.profile).backupScript;
    annotate.info(testInfo, `backup script: ${script.value} (${describeSource(script.source)})`);
    const r = spawnSync('bash', [join(dir, script.value), dir], { encoding: 'utf8', timeout: 150_000 });
    const output = `${r.stdout}${r.stderr}`.trim();
    const m = /backup: wrote (\S+)/.exec(output);
    if (r.status !== 0 || !m) throw new Error(`${script.value} failed (exit ${r.status}):\n${output}`);
    const tmp = mkdtempSync(join(tmpdir(), 'rag-backup-'));
    backupDir = join(tmp, basename(m[1]!));
    cpSync(m[1]!, backupDir, { recursive: true, preserveTimestamps: true });
    rmSync(m[1]!, { recursive: true, force: true });
    made = { tmp, output };
  });

  test.afterAll(async () => {
    if (made) rmSync(made.tmp, { recursive: true, force: true });
  });

  test('existing document data backed up', verifies('P1-BACKUP-1'), async ({ target, evidence }, testInfo) => {
    if (!backupDir) return notVerified(testInfo, unavailable!);
    const src = listFiles(join(target.raw.deployDir!, 'data/documents'));
    const c = checkBackedUp(target.raw.deployDir!, backupDir, 'data/documents', !!made);
    await evidence('documents', `${made ? `${made.output}\n` : ''}${c.details.join('\n')}`);
    expect(c.problems).toHaveNoProblems('documents of the deployment not in the backup');
    if (src.length === 0) annotate.info(testInfo, 'the deployment holds no documents yet; the backup\'s data/documents is empty like its source');
  });

  test('vector database backed up', verifies('P1-BACKUP-2'), async ({ target, evidence }, testInfo) => {
    if (!backupDir) return notVerified(testInfo, unavailable!);
    const src = listFiles(join(target.raw.deployDir!, 'data/chroma'));
    const got = listFiles(join(backupDir, 'data/chroma'));
    await evidence('vector database', `deployment data/chroma: ${src.join(', ') || '(empty)'}\nbackup data/chroma: ${got.join(', ') || '(empty)'}`);
    expect(checkBackedUp(target.raw.deployDir!, backupDir, 'data/chroma', !!made).problems).toHaveNoProblems('vector database files not in the backup');
  });

  test('configuration files backed up (and no plaintext secrets in the backup)', verifies('P1-BACKUP-3'), async ({ evidence }, testInfo) => {
    if (!backupDir) return notVerified(testInfo, unavailable!);
    const files = listFiles(backupDir);
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as { secrets?: string };
    await evidence('configuration in the backup', `${files.filter((f) => f.startsWith('config/')).join('\n')}\nsecrets: ${manifest.secrets}`);
    expect(checkConfigBackedUp(files).problems).toHaveNoProblems('configuration backup');
  });

  test('backup integrity verified: restore.sh --verify-only and every checksum', verifies('P1-BACKUP-4'), async ({ target, evidence }, testInfo) => {
    if (!backupDir) return notVerified(testInfo, unavailable!);
    const dir = target.raw.deployDir!;
    const own = checkBackupManifest(backupDir);
    const r = spawnSync('bash', [join(dir, resolveFiles(dir, target.profile).restoreScript.value), backupDir, dir, '--verify-only'], { encoding: 'utf8', timeout: 120_000 });
    await evidence('restore.sh --verify-only', `exit ${r.status}\n${r.stdout}${r.stderr}\n\nindependent manifest check: ${own.details.join('; ')}\n${own.problems.join('\n')}`);
    expect(own.problems).toHaveNoProblems(`backup ${basename(backupDir)}`);
    expect(r.status, `restore.sh --verify-only refused the backup:\n${r.stdout}${r.stderr}`).toBe(0);
  });
});
