/**
 * Pre-Deployment Requirements › Configuration Files › Environment Configuration – one test per variable the
 * checklist lists (checks/env-file.ts). Values are never shown. A value counts only when the deployment uses it:
 * the compose files must hand it to the services that need it (checkConsumed); without the deployment directory
 * that cannot be seen, and a line whose value is good is then not verified.
 */
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { readComposeServices } from '../../checks/compose.ts';
import { checkConsumed, checkCreatedFromTemplate, checkRequiredVariable } from '../../checks/env-file.ts';
import { envMap } from '../../lib/envfile.ts';
import { REQUIRED_ENV_VARS } from '../../core/thresholds.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { resolveFiles } from '../../checks/discover.ts';
import { describeSource } from '../../core/profile.ts';

const IDS: Record<(typeof REQUIRED_ENV_VARS)[number], string> = {
  SECRET_KEY: 'PRE-ENV-2.1',
  API_SECRET_KEY: 'PRE-ENV-2.2',
  JWT_SECRET: 'PRE-ENV-2.3',
  REDIS_PASSWORD: 'PRE-ENV-2.4',
  GRAFANA_PASSWORD: 'PRE-ENV-2.5',
  OLLAMA_HOST: 'PRE-ENV-2.6',
  SSL_ENABLED: 'PRE-ENV-2.7',
  LOG_LEVEL: 'PRE-ENV-2.8',
};

const RULE: Record<(typeof REQUIRED_ENV_VARS)[number], string> = {
  SECRET_KEY: '64+ random characters',
  API_SECRET_KEY: '64+ random characters',
  JWT_SECRET: '64+ random characters',
  REDIS_PASSWORD: 'a strong password',
  GRAFANA_PASSWORD: 'a strong password',
  OLLAMA_HOST: 'a URL of the deployment\'s Ollama',
  SSL_ENABLED: 'true',
  LOG_LEVEL: 'INFO',
};

function envPath(target: TargetView, testInfo: TestInfo): string | undefined {
  const p = target.raw.deployDir ? join(target.raw.deployDir, '.env.production') : target.raw.envFile;
  if (!p) notVerified(testInfo, `${target.mode}: the deployment's .env.production is not readable from here; run on the host with RAG_DEPLOY_DIR (or RAG_ENV_FILE)`);
  return p;
}

test.describe('Environment configuration', () => {
  test('.env.production created from the template (every template variable set and filled in)', verifies('PRE-ENV-1'), async ({ target, evidence }, testInfo) => {
    const p = envPath(target, testInfo);
    if (!p) return;
    // Its mode is PRE-SECCONF-4's line; here: it exists and was filled in from the template.
    expect(existsSync(p), `${p} does not exist: create it from .env.production.template with scripts/generate-env.sh`).toBe(true);
    if (!target.raw.deployDir) return notVerified(testInfo, `${target.mode}: the template .env.production.template is in the deployment directory; set RAG_DEPLOY_DIR`);
    const tpl = resolveFiles(target.raw.deployDir, target.profile).envTemplate;
    annotate.info(testInfo, `envTemplate: ${tpl.value} (${describeSource(tpl.source)})`);
    const c = checkCreatedFromTemplate(p, resolve(target.raw.deployDir, tpl.value));
    await evidence('template comparison', [...c.details, ...c.problems].join('\n'));
    expect(c.problems).toHaveNoProblems(`.env.production vs ${tpl.value}`);
  });

  for (const key of REQUIRED_ENV_VARS) {
    test(`${key} is configured (${RULE[key]})`, verifies(IDS[key]), async ({ target, evidence }, testInfo) => {
      const p = envPath(target, testInfo);
      if (!p) return;
      const dir = target.raw.deployDir;
      const services = dir ? readComposeServices(dir) : undefined;
      const env = envMap(p);
      // OLLAMA_HOST is judged against the compose files' services when the deployment directory is visible.
      const c = checkRequiredVariable(env, key, key === 'OLLAMA_HOST' ? services : undefined);
      const used = services ? checkConsumed(env, key, services, dir) : undefined;
      const problems = [...c.problems, ...(used?.problems ?? [])];
      await evidence(key, [...c.details, ...(used?.details ?? []), ...problems].join('\n'));
      expect(problems).toHaveNoProblems(key);
      if (!used) return notVerified(testInfo, `${target.mode}: ${key} is ${RULE[key]} in ${p}, but whether the deployment reads it cannot be seen without its compose files; set RAG_DEPLOY_DIR`);
    });
  }
});
