/**
 * Pure checks on a deployment directory's layout (Pre-Deployment Requirements › Directory Structure, Source):
 * the checklist's directories, the files a deployment needs, executable scripts, the source checkout.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contractProfile, describeSource, type Resolved } from '../core/profile.ts';
import { check, type Check } from './check.ts';
import { expandGlobs, resolveFiles, type ResolvedFiles } from './discover.ts';

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

/** The files a deployment needs (compose files, configs, scripts), by their role in the profile (core/profile.ts). */
export const REQUIRED_FILES = [
  'composeProduction',
  'composeMonitoring',
  'envTemplate',
  'nginxConfig',
  'prometheusConfig',
  'alertmanagerConfig',
  'grafanaDatasources',
  'grafanaDashboards',
  'backupScript',
  'restoreScript',
] as const satisfies ReadonlyArray<keyof ResolvedFiles>;

/** Nginx's server configuration: nginx.conf's own `server {` blocks, else the `*.conf` files in conf.d/ beside it. */
export function nginxServerConfigs(deployDir: string, nginxConfig: string): string[] {
  const main = resolve(deployDir, nginxConfig);
  if (existsSync(main) && /(^|[\s;{}])server\s*\{/.test(readFileSync(main, 'utf8').replace(/#[^\n]*/g, ''))) return [nginxConfig];
  return expandGlobs(deployDir, [`${nginxConfig.includes('/') ? nginxConfig.slice(0, nginxConfig.lastIndexOf('/') + 1) : ''}conf.d/*.conf`]);
}

/**
 * PRE-SOURCE-3: every required file present and non-empty, the Nginx server configuration and at least one alert rule
 * file; each named as resolved (default: with no profile – found by content, else the contract's names).
 */
export function checkFilesPresent(deployDir: string, files: ResolvedFiles = resolveFiles(deployDir, contractProfile())): Check {
  const missing: string[] = [];
  const details: string[] = [];
  for (const k of REQUIRED_FILES) {
    const { value, source } = files[k];
    const p = resolve(deployDir, value);
    if (!existsSync(p) || statSync(p).size === 0) missing.push(`${value} (${k}, ${describeSource(source)})`);
    else details.push(`${k}: ${value} (${describeSource(source)})`);
  }
  const servers = nginxServerConfigs(deployDir, files.nginxConfig.value);
  if (servers.length) details.push(`Nginx server configuration: ${servers.join(', ')}`);
  else missing.push(`Nginx server configuration (no server block in ${files.nginxConfig.value}, no conf.d/*.conf beside it)`);
  const rules = expandGlobs(deployDir, files.alertRules.value);
  if (rules.length) details.push(`alert rules: ${rules.join(', ')} (${describeSource(files.alertRules.source)})`);
  else missing.push(`alert rule files ${files.alertRules.value.join(', ')} (alertRules, ${describeSource(files.alertRules.source)})`);
  return check(missing.length ? [`required files missing or empty in ${deployDir}: ${missing.join(', ')}`] : [], details);
}

/** Backup scripts present, executable, and syntactically valid shell is left to `bash -n` by the spec. */
export function checkExecutable(deployDir: string, rel: string): Check {
  const p = resolve(deployDir, rel);
  if (!existsSync(p)) return check([`${rel} is missing from ${deployDir}`]);
  try {
    accessSync(p, constants.X_OK);
  } catch {
    return check([`${rel} is not executable (chmod +x ${p})`]);
  }
  if ((statSync(p).mode & 0o111) === 0) return check([`${rel} has no execute bit (chmod +x ${p})`]);
  return check([], [`${rel} executable`]);
}

/** `git -C dir …`: ok and the output (stdout and stderr, trimmed). */
export function git(dir: string, ...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/**
 * The deployment directory as a git checkout: its work tree's top level when the directory is that top level, else
 * why it is not a checkout – no work tree at all, or a directory inside another repository's checkout, whose commit,
 * branch and status say nothing about the deployment.
 */
export function deploymentCheckout(dir: string): { top: string; problem?: undefined } | { top?: undefined; problem: string } {
  const top = git(dir, 'rev-parse', '--show-toplevel');
  if (!top.ok) return { problem: `the deployment directory ${dir} is not a git checkout: clone the repository to the deployment location` };
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  if (real(top.out) !== real(dir)) return { problem: `the deployment directory ${dir} is not a git checkout: it lies inside another repository's checkout (${top.out}), whose version is not the deployment's; clone the repository to the deployment location` };
  return { top: top.out };
}

/** A resolved deployment file's text, or the problem in words: the file, what it is, and where its name came from. */
export function readResolved(deployDir: string, file: Resolved<string>, what: string): { text: string; problem?: undefined } | { text?: undefined; problem: string } {
  const p = resolve(deployDir, file.value);
  if (!existsSync(p)) return { problem: `${file.value} (${what}; ${describeSource(file.source)}) is missing from ${deployDir}` };
  try {
    return { text: readFileSync(p, 'utf8') };
  } catch (err) {
    return { problem: `${file.value} (${what}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}
