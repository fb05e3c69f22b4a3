/**
 * The report self-tests (reports/checklist.html and the Allure report in a real browser, from committed fixtures):
 * a config of their own, so `npx playwright test` – the gate QA and CI run against a deployment – never includes
 * them. Same browser set-up as the gate's config. Run: npm run test:report.
 */
import { defineConfig } from '@playwright/test';
import { join } from 'node:path';
import gate from '../../playwright.config.ts';
import { REPO_ROOT } from '../../core/paths.ts';

const OUT = join(REPO_ROOT, 'reports', 'report-check');

export default defineConfig({
  testDir: '.',
  testMatch: /\.spec\.ts$/,
  outputDir: join(OUT, 'test-results'),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: gate.forbidOnly,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: join(OUT, 'playwright.json') }]],
  // No trace: recording one snapshots the whole page at every step and doubles the time; a failure keeps its screenshot.
  use: { ...gate.use, trace: 'off' },
  projects: [{ name: 'report' }],
});
