/** The "teardown" project: removes the stack this run started (never a live deployment). */
import { test as teardown } from '@playwright/test';
import { loadConfig } from '../../core/config.ts';
import { composeDown } from '../../testcontainers/stack.ts';
import { readTarget, targetRecorded } from '../../testcontainers/target.ts';

teardown('remove the stack this run started', async () => {
  teardown.setTimeout(120_000);
  const config = loadConfig();
  if (!targetRecorded()) return; // setup failed before it started anything
  const target = readTarget();
  if (!target.owned || !target.deployDir || !target.projectName) return;
  if (config.keepStack) {
    console.log(`RAG_KEEP_STACK=1: leaving project ${target.projectName} running (docker-compose -p ${target.projectName} ... down -v to remove it)`);
    return;
  }
  await composeDown(target.deployDir, target.projectName, target.composeEnvironment ?? {});
});
