/**
 * Pure checks on a deployment directory's layout (Pre-Deployment Requirements › Directory Structure, Source):
 * the checklist's directories, the files a deployment needs, executable scripts.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { check, type Check } from './check.ts';

/** The checklist's directory structure: path relative to the deployment directory → what it is for. */
export const REQUIRED_DIRECTORIES: Record<string, string> = {
  'data/chroma': 'vector database storage',
  'data/documents': 'document storage',
  'data/redis': 'cache storage',
  'logs/nginx': 'proxy logs',
  'logs/app': 'application logs',
  'logs/monitoring': 'monitoring logs',
  ssl: 'certificates',
  backups: 'data backups',
};

/** A directory exists, is a directory, and the deploying user can write to it. */
export function checkDirectory(deployDir: string, rel: string): Check {
  const p = join(deployDir, rel);
  if (!existsSync(p)) return check([`${rel}/ does not exist in ${deployDir} (needed for ${REQUIRED_DIRECTORIES[rel] ?? rel}); create it: mkdir -p ${p}`]);
  const st = statSync(p);
  if (!st.isDirectory()) return check([`${rel} exists in ${deployDir} but is not a directory`]);
  const problems: string[] = [];
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch {
    problems.push(`${rel}/ is not writable by the deploying user`);
  }
  return check(problems, [`${rel}/ mode ${(st.mode & 0o777).toString(8)}, owner uid ${st.uid}`]);
}

/** Files a deployment needs (compose files, configs, scripts), relative to the deployment directory. */
export const REQUIRED_FILES = [
  'docker-compose.production.yml',
  'docker-compose.monitoring.yml',
  '.env.production.template',
  'nginx/nginx.conf',
  'monitoring/prometheus/prometheus.yml',
  'monitoring/alertmanager/alertmanager.yml',
  'monitoring/grafana/provisioning/datasources/prometheus.yml',
  'monitoring/grafana/provisioning/dashboards/dashboards.yml',
  'scripts/backup.sh',
  'scripts/restore.sh',
] as const;

export function checkFilesPresent(deployDir: string, files: readonly string[] = REQUIRED_FILES): Check {
  const missing = files.filter((f) => !existsSync(join(deployDir, f)) || statSync(join(deployDir, f)).size === 0);
  const globs: Array<[string, RegExp]> = [
    ['nginx/conf.d', /\.conf$/],
    ['monitoring/prometheus/rules', /\.ya?ml$/],
  ];
  for (const [d, re] of globs) {
    const p = join(deployDir, d);
    if (!existsSync(p) || !readdirSync(p).some((f) => re.test(f))) missing.push(`${d}/*${re.source.replace(/[\\$]/g, '')}`);
  }
  return check(missing.length ? [`required files missing or empty in ${deployDir}: ${missing.join(', ')}`] : [], [`${files.length + globs.length} required files/patterns present`]);
}

/** Backup scripts present, executable, and syntactically valid shell is left to `bash -n` by the spec. */
export function checkExecutable(deployDir: string, rel: string): Check {
  const p = join(deployDir, rel);
  if (!existsSync(p)) return check([`${rel} is missing from ${deployDir}`]);
  try {
    accessSync(p, constants.X_OK);
  } catch {
    return check([`${rel} is not executable (chmod +x ${p})`]);
  }
  if ((statSync(p).mode & 0o111) === 0) return check([`${rel} has no execute bit (chmod +x ${p})`]);
  return check([], [`${rel} executable`]);
}
