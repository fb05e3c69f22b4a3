/**
 * Pre-Deployment Requirements › Security Setup › Security Configuration – .env.production's secrets and
 * file permissions (checks/env-file.ts). Values are never shown: messages name the variable.
 */
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified } from '../../fixtures/index.ts';
import type { Check } from '../../checks/check.ts';
import { checkEnvFilePermissions, checkNoPlaceholders, checkPassword, checkSecret, passwordKeys } from '../../checks/env-file.ts';
import { envMap } from '../../lib/envfile.ts';
import { SIXTY_FOUR_CHAR_SECRETS } from '../../core/thresholds.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

function envPath(target: TargetView, testInfo: TestInfo): string | undefined {
  const p = target.raw.deployDir ? join(target.raw.deployDir, '.env.production') : target.raw.envFile;
  if (!p) notVerified(testInfo, `${target.mode}: the deployment's .env.production is not readable from here; run on the host with RAG_DEPLOY_DIR (or RAG_ENV_FILE)`);
  return p;
}

function merge(checks: Check[]): Check {
  const problems = checks.flatMap((c) => c.problems);
  return { ok: problems.length === 0, problems, details: checks.flatMap((c) => c.details) };
}

test.describe('Security configuration', () => {
  test('strong passwords for every service (zxcvbn score 4)', verifies('PRE-SECCONF-1'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    expect(existsSync(p), `${p} does not exist`).toBe(true);
    const env = envMap(p);
    const keys = passwordKeys(env);
    expect(keys.length, '.env.production defines no *_PASSWORD variables').toBeGreaterThan(0);
    const c = merge(keys.map((k) => checkPassword(env, k)));
    await evidence('password strength', c.details.join('\n'));
    expect(c.problems).toHaveNoProblems('service passwords');
  });

  test('API keys and secrets: 64+ random characters, each different', verifies('PRE-SECCONF-2'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    const env = envMap(p);
    const c = merge(SIXTY_FOUR_CHAR_SECRETS.map((k) => checkSecret(env, k)));
    await evidence('secret lengths and entropy', c.details.join('\n'));
    expect(c.problems).toHaveNoProblems('API keys and secrets');
  });

  test('.env.production created with secure values (no placeholder left)', verifies('PRE-SECCONF-3'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    expect(existsSync(p), `${p} does not exist: create it with scripts/generate-env.sh`).toBe(true);
    const env = envMap(p);
    const c = merge([checkNoPlaceholders(env), ...SIXTY_FOUR_CHAR_SECRETS.map((k) => checkSecret(env, k)), ...passwordKeys(env).map((k) => checkPassword(env, k))]);
    await evidence('secure values', c.details.join('\n'));
    expect(c.problems).toHaveNoProblems('.env.production values');
  });

  test('secret files have mode 600 and the right owner', verifies('PRE-SECCONF-4'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    const checks = [checkEnvFilePermissions(p)];
    const dir = target.raw.deployDir;
    if (dir) {
      for (const k of ['ssl/server.key', 'ssl/ca.key']) {
        const f = join(dir, k);
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
