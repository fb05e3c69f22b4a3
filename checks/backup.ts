/**
 * Pure checks on a backup written by the deployment's backup.sh (Pre-Deployment › Backup Strategy, Phase 1 › Backup
 * Current State): its MANIFEST.sha256 verified independently of restore.sh, and the files a backup holds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { check, type Check } from './check.ts';

/** Verifies a backup directory written by backup.sh independently of restore.sh: every MANIFEST.sha256 line. */
export function checkBackupManifest(backupDir: string): Check {
  const manifest = join(backupDir, 'MANIFEST.sha256');
  if (!existsSync(manifest)) return check([`${backupDir} has no MANIFEST.sha256: its integrity cannot be verified`]);
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const line of readFileSync(manifest, 'utf8').split('\n').filter((l) => l.trim() !== '')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m) {
      problems.push(`malformed MANIFEST.sha256 line: ${line.slice(0, 80)}`);
      continue;
    }
    listed.add(m[2]!);
    const f = join(backupDir, m[2]!);
    if (!existsSync(f)) problems.push(`${m[2]} is listed in the manifest but missing from the backup`);
    else if (createHash('sha256').update(readFileSync(f)).digest('hex') !== m[1]) problems.push(`${m[2]} does not match its checksum: the backup is corrupted`);
  }
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (r !== 'MANIFEST.sha256' && !listed.has(r)) problems.push(`${r} is in the backup but not in its manifest`);
    }
  };
  walk(backupDir, '');
  return check(problems, [`${listed.size} files listed in MANIFEST.sha256`]);
}

/** Files (relative paths) under a directory, skipping .gitkeep. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (e.name !== '.gitkeep') out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/**
 * P1-BACKUP-1/2: the files of the deployment's `rel` directory that the backup lacks (SQLite journals aside: they
 * are transient). `compare` false (live: an existing backup, taken earlier than the data now) checks presence only.
 */
export function checkBackedUp(deployDir: string, backupDir: string, rel: 'data/documents' | 'data/chroma', compare: boolean): Check {
  const src = listFiles(join(deployDir, rel));
  const got = listFiles(join(backupDir, rel));
  const problems: string[] = [];
  if (rel === 'data/documents' && !existsSync(join(backupDir, rel))) problems.push('the backup has no data/documents');
  if (compare) problems.push(...src.filter((f) => !got.includes(f) && !/-journal$|-wal$|-shm$/.test(f)).map((f) => `${rel}/${f} is in the deployment but not in the backup`));
  if (rel === 'data/chroma' && src.length > 0 && !got.some((f) => /chroma\.sqlite3$/.test(f))) problems.push(`the backup's data/chroma has no chroma.sqlite3 (files: ${got.join(', ') || 'none'})`);
  return check(problems, [`deployment ${rel}: ${src.length} files; backup ${rel}: ${got.length} files`]);
}

/** The configuration a backup must hold (backup.sh copies it under config/). */
export const BACKUP_CONFIG_FILES = [
  'config/docker-compose.production.yml',
  'config/docker-compose.monitoring.yml',
  'config/.env.production.template',
  'config/nginx/nginx.conf',
  'config/monitoring/prometheus/prometheus.yml',
  'config/monitoring/alertmanager/alertmanager.yml',
] as const;

/** P1-BACKUP-3: the backup's files (relative paths) hold the configuration, and no plaintext secret (.env.production, private keys). */
export function checkConfigBackedUp(files: readonly string[]): Check {
  const missing = BACKUP_CONFIG_FILES.filter((f) => !files.includes(f));
  const secrets = files.filter((f) => /(^|\/)\.env\.production$|\.key$/.test(f));
  return check([
    ...(missing.length ? [`configuration files missing from the backup: ${missing.join(', ')}`] : []),
    ...secrets.map((f) => `${f} is a plaintext secret in the backup (.env.production and private keys stay out of backups)`),
  ], [`${files.filter((f) => f.startsWith('config/')).length} configuration files in the backup`]);
}

/**
 * STAB-DAILY-4: a backup the job just wrote says (manifest.json) it covers the documents, the vector database, Redis
 * and the configuration, is private (700), and really holds Redis and vector database files.
 */
export function checkBackupContents(backupDir: string): Check {
  const problems: string[] = [];
  let contents: unknown;
  try {
    contents = (JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as { contents?: unknown }).contents;
  } catch (e) {
    problems.push(`the backup's manifest.json cannot be read: ${(e as Error).message}`);
  }
  if (Array.isArray(contents)) {
    const missing = ['data/documents', 'data/chroma', 'data/redis', 'config'].filter((c) => !contents.includes(c));
    if (missing.length) problems.push(`the backup does not cover ${missing.join(', ')} (manifest.json contents: ${contents.join(', ')})`);
  } else if (contents !== undefined) problems.push('manifest.json has no "contents" list');
  const mode = statSync(backupDir).mode & 0o777;
  if (mode & 0o077) problems.push(`the backup directory is ${mode.toString(8)}; it must be private (700)`);
  for (const [rel, what] of [['data/redis', 'Redis data (the documents\' metadata live in Redis)'], ['data/chroma', 'vector database files']] as const) {
    if (!existsSync(join(backupDir, rel)) || readdirSync(join(backupDir, rel)).length === 0) problems.push(`the backup holds no ${what} in ${rel}`);
  }
  return check(problems, [`backup ${backupDir}: mode ${mode.toString(8)}`]);
}
