import { defineConfig, devices } from '@playwright/test';
import { existsSync } from 'node:fs';
import { resultsSettings } from './core/config.ts';

const results = resultsSettings();

/** Playwright's own Chromium where it is installed, else the system Chromium (Debian's package). */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const launchOptions = {
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  ...(process.env.RAG_USE_PLAYWRIGHT_BROWSER ? {} : SYSTEM_CHROMIUM ? { executablePath: SYSTEM_CHROMIUM } : {}),
};

/** One project per checklist phase; each depends on the setup project that starts or attaches the target. */
const PHASES = [
  ['prerequisites', 'tests/01-prerequisites'],
  ['predeploy', 'tests/10-predeploy'],
  ['deployment', 'tests/20-deployment'],
  ['integration', 'tests/30-integration'],
  ['security', 'tests/40-security'],
  ['monitoring', 'tests/50-monitoring'],
  ['stability', 'tests/60-stability'],
  ['rollback', 'tests/70-rollback'],
] as const;

export default defineConfig({
  testDir: 'tests',
  outputDir: `${results.dir}/test-results`,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: results.jsonOnly
    ? [['dot'], ['json', { outputFile: `${results.dir}/playwright.json` }]]
    : [
        ['list'],
        ['json', { outputFile: `${results.dir}/playwright.json` }],
        ['junit', { outputFile: `${results.dir}/junit.xml` }],
        ['allure-playwright', { resultsDir: `${results.dir}/allure-results`, detail: true, suiteTitle: false }],
      ],
  use: {
    ...devices['Desktop Chrome'],
    launchOptions,
    ignoreHTTPSErrors: false,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    video: 'off',
  },
  projects: [
    { name: 'setup', testDir: 'tests/00-setup', testMatch: /stack\.setup\.ts/, teardown: 'teardown' },
    { name: 'teardown', testDir: 'tests/00-setup', testMatch: /stack\.teardown\.ts/ },
    ...PHASES.map(([name, dir]) => ({ name, testDir: dir, dependencies: ['setup'] })),
  ],
});
