/**
 * Pre-Deployment Requirements › Security Setup › Security Configuration – .env.production's secrets and
 * file permissions (checks/env-file.ts). Values are never shown: messages name the variable. A secret counts only
 * when the deployment uses it: the compose files must hand it to the services that need it (checkConsumed);
 * without the deployment directory that cannot be seen, and a line whose values are good is then not verified.
 */
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import type { Check } from '../../checks/check.ts';
import { readComposeServices } from '../../checks/compose.ts';
import { checkConsumed, checkEnvFilePermissions, checkNoPlaceholders, checkPassword, checkSecret, passwordKeys } from '../../checks/env-file.ts';
import { envMap, type EnvEntry } from '../../lib/envfile.ts';
import { SIXTY_FOUR_CHAR_SECRETS } from '../../core/thresholds.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveFiles } from '../../checks/discover.ts';
import { describeSource } from '../../core/profile.ts';

function envPath(target: TargetView, testInfo: TestInfo): string | undefined {
  const p = target.raw.deployDir ? join(target.raw.deployDir, '.env.production') : target.raw.envFile;
  if (!p) notVerified(testInfo, `${target.mode}: the deployment's .env.production is not readable from here; run on the host with RAG_DEPLOY_DIR (or RAG_ENV_FILE)`);
  return p;
}

function merge(checks: Check[]): Check {
  const problems = checks.flatMap((c) => c.problems);
  return { ok: problems.length === 0, problems, details: checks.flatMap((c) => c.details) };
}

/** Whether the compose files hand these variables to the services that need them; undefined without the deployment directory. */
function consumed(target: TargetView, env: Map<string, EnvEntry>, keys: readonly string[]): Check | undefined {
  const dir = target.raw.deployDir;
  if (!dir) return undefined;
  const services = readComposeServices(dir);
  return merge(keys.map((k) => checkConsumed(env, k, services, dir)));
}

/** The line's values are good but the compose files are not visible: not verified, saying what was judged. */
function unseenUse(target: TargetView, testInfo: TestInfo, what: string): void {
  notVerified(testInfo, `${target.mode}: ${what} pass, but whether the deployment reads them cannot be seen without its compose files; set RAG_DEPLOY_DIR`);
}

test.describe('Security configuration', () => {
  test('strong passwords for every service (zxcvbn score 4)', verifies('PRE-SECCONF-1'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    expect(existsSync(p), `${p} does not exist`).toBe(true);
    const env = envMap(p);
    const keys = passwordKeys(env);
    expect(keys.length, '.env.production defines no *_PASSWORD variables').toBeGreaterThan(0);
    const used = consumed(target, env, keys);
    const c = merge([...keys.map((k) => checkPassword(env, k)), ...(used ? [used] : [])]);
    await evidence('password strength', [...c.details, ...c.problems].join('\n'));
    expect(c.problems).toHaveNoProblems('service passwords');
    if (!used) unseenUse(target, testInfo, `the strengths of ${keys.join(', ')}`);
  });

  test('API keys and secrets: 64+ random characters, each different', verifies('PRE-SECCONF-2'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    const env = envMap(p);
    const used = consumed(target, env, SIXTY_FOUR_CHAR_SECRETS);
    const c = merge([...SIXTY_FOUR_CHAR_SECRETS.map((k) => checkSecret(env, k)), ...(used ? [used] : [])]);
    await evidence('secret lengths and entropy', [...c.details, ...c.problems].join('\n'));
    expect(c.problems).toHaveNoProblems('API keys and secrets');
    if (!used) unseenUse(target, testInfo, `the lengths and entropy of ${SIXTY_FOUR_CHAR_SECRETS.join(', ')}`);
  });

  test('.env.production created with secure values (no placeholder left)', verifies('PRE-SECCONF-3'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    expect(existsSync(p), `${p} does not exist: create it with scripts/generate-env.sh`).toBe(true);
    const env = envMap(p);
    const used = consumed(target, env, [...SIXTY_FOUR_CHAR_SECRETS, ...passwordKeys(env)]);
    const c = merge([checkNoPlaceholders(env), ...SIXTY_FOUR_CHAR_SECRETS.map((k) => checkSecret(env, k)), ...passwordKeys(env).map((k) => checkPassword(env, k)), ...(used ? [used] : [])]);
    await evidence('secure values', [...c.details, ...c.problems].join('\n'));
    expect(c.problems).toHaveNoProblems('.env.production values');
    if (!used) unseenUse(target, testInfo, 'the values of .env.production');
  });

  test('secret files have mode 600 and the right owner', verifies('PRE-SECCONF-4'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    const checks = [checkEnvFilePermissions(p)];
    const dir = target.raw.deployDir;
    if (dir) {
      // The served private key (as resolved) and every *.key beside it (a CA key left next to the certificates).
      const key = resolveFiles(dir, target.profile).tlsKey;
      annotate.info(testInfo, `tlsKey: ${key.value} (${describeSource(key.source)})`);
      const keyDir = key.value.includes('/') ? key.value.slice(0, key.value.lastIndexOf('/')) : '.';
      const beside = existsSync(resolve(dir, keyDir)) ? readdirSync(resolve(dir, keyDir)).filter((n) => n.endsWith('.key')).map((n) => (keyDir === '.' ? n : `${keyDir}/${n}`)) : [];
      for (const k of new Set([key.value, ...beside])) {
        const f = resolve(dir, k);
        if (!existsSync(f)) continue;
        const mode = statSync(f).mode & 0o777;
        checks.push({ ok: (mode & 0o077) === 0, problems: (mode & 0o077) === 0 ? [] : [`${k} has mode ${mode.toString(8)}; private keys must be 600`], details: [`${k} mode ${mode.toString(8)}`] });
      }
    }
    const c = merge(checks);
    await evidence('secret file permissions', c.details.join('\n'));
    expect(c.problems).toHaveNoProblems('secret file permissions');
  });
});
