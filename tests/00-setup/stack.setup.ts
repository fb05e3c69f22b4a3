/**
 * The "setup" project: checks the preconditions of the chosen mode, starts (hermetic, compose) or attaches
 * to (live) the target, and records it for the workers. Fails fast with what to do when something is off.
 */
import { test as setup } from '@playwright/test';
import { annotate } from '../../fixtures/checklist.ts';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../core/config.ts';
import { Secrets } from '../../lib/secrets.ts';
import { probeReachable } from '../../lib/preflight.ts';
import { projectContainers } from '../../lib/docker.ts';
import { clearTarget, readTarget, saveTarget, startTarget, targetRecorded } from '../../testcontainers/target.ts';

setup('start or attach to the target deployment', async ({}, testInfo) => {
  const config = loadConfig();
  if (config.reuseStack && config.mode === 'hermetic' && targetRecorded()) {
    const previous = readTarget();
    const containers = previous.projectName ? await projectContainers(previous.projectName) : [];
    const unhealthy = containers.filter((c) => !c.running || (c.health && c.health !== 'healthy'));
    if (previous.urls.nginxHttps && containers.length > 0 && unhealthy.length === 0) {
      annotate.info(testInfo, `RAG_REUSE_STACK=1: reusing project ${previous.projectName} started at ${previous.startedAt}`);
      return;
    }
  }
  clearTarget();
  if (config.mode !== 'live') {
    setup.setTimeout(config.startupTimeoutS * 1000 * 2 + 60_000);
    const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
    if (info.error || info.status !== 0) {
      throw new Error(`${config.mode} mode needs a running Docker engine, and none answers (${(info.stderr || String(info.error)).trim()}). Run \`bash scripts/setup\` (installs and starts one), or point the suite at a running deployment with RAG_BASE_URL.`);
    }
  } else setup.setTimeout(30_000);
  const target = await startTarget(config);
  // Live: the CA the run trusts is RAG_CA_FILE, else the deployment's own (the profile's tlsCa or ssl/ca.crt).
  if (config.mode === 'live') await probeReachable(config.baseUrl!, target.caFile);
  saveTarget(target);
  const secrets = Secrets.fromFile(target.envFile);
  // Lines of the env file that cannot be parsed fail the checks of their variables (with file:line), not the set-up.
  for (const p of secrets.problems) annotate.warning(testInfo, p.message);
  for (const raw of target.startupProblems ?? []) {
    const problem = secrets.redact(raw);
    // Not a failure of the set-up: the Phase 2 health lines fail on it, with this as evidence.
    annotate.warning(testInfo, problem.split('\n')[0]!);
    await testInfo.attach('container not healthy at start-up', { body: problem, contentType: 'text/plain' });
  }
  await testInfo.attach('target.json', {
    body: JSON.stringify({ ...target, composeEnvironment: undefined }, null, 2),
    contentType: 'application/json',
  });
});
