/**
 * Pure checks on a backup written by the deployment's backup.sh (Pre-Deployment › Backup Strategy): its
 * MANIFEST.sha256 verified independently of restore.sh, and the files a backup holds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
