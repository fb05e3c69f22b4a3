import { defineConfig, devices } from '@playwright/test';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, prepareContainerRuntimeEnv, processFact, resultsSettings, usePlaywrightBrowser, type Config } from './core/config.ts';

// Once for the runner and every worker (they inherit it), before any spec or fixture obtains a container runtime client.
prepareContainerRuntimeEnv();

const results = resultsSettings();

/**
 * The system Chromium (Debian's package, a GitHub runner's Chromium or Google Chrome) where it is installed, unless
 * RAG_USE_PLAYWRIGHT_BROWSER=1; else Playwright's own. scripts/setup-plan.ts lists the same paths (BROWSER_CANDIDATES).
 */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']
  .find((p) => existsSync(p));
const launchOptions = {
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  ...(usePlaywrightBrowser() ? {} : SYSTEM_CHROMIUM ? { executablePath: SYSTEM_CHROMIUM } : {}),
};

/** The target the user pointed the gate at: the base URL without user info (no secrets), the directory, or the bundled reference. */
function targetOf(config: Config): string {
  if (config.mode === 'live') return config.baseUrl!.origin;
  if (config.mode === 'compose') return config.deployDir!;
  return 'reference/deploy (hermetic copy)';
}

/**
 * What the report records about the run (scripts/gate.ts reads mode and target from it), so that a gate run on
 * copied results still names them. A wrong setting is left to the setup project, which reports it as a test.
 */
function runMetadata(): Record<string, unknown> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) return {};
    throw e;
  }
  return { mode: config.mode, target: targetOf(config), project: config.mode === 'live' ? undefined : config.projectName, allowDestructive: config.allowDestructive };
}

/**
 * One project per checklist phase; each depends on the setup project that starts or attaches the target. Monitoring
 * runs last: its alert drill (~215 s of waiting on the rules' for:) is then a shard's tail of its own, so that two
 * shards split ~285 s / ~230 s instead of ~325 s / ~190 s (Playwright cuts shards in project order).
 */
const PHASES = [
  ['prerequisites', 'tests/01-prerequisites'],
  ['predeploy', 'tests/10-predeploy'],
  ['deployment', 'tests/20-deployment'],
  ['integration', 'tests/30-integration'],
  ['security', 'tests/40-security'],
  ['stability', 'tests/60-stability'],
  ['rollback', 'tests/70-rollback'],
  ['monitoring', 'tests/50-monitoring'],
] as const;

export default defineConfig({
  testDir: 'tests',
  outputDir: `${results.dir}/test-results`,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  metadata: runMetadata(),
  forbidOnly: !!processFact('CI'),
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
