/**
 * The merge of a sharded run: `npx playwright merge-reports -c playwright.merge.config.ts <dir of blob reports>`
 * (scripts/release-gate --merge) writes what a single run's reporters write – reports/playwright.json, which the gate
 * evaluates, junit.xml and allure-results – from the shards' blob reports (`playwright test --shard i/N --reporter blob`).
 * allure-playwright through lib/allure-merged-reporter.ts, which gives it the project a merged configuration lacks.
 * merge-reports reads only testDir and the reporters from here: playwright.config.ts's testDir, so that the spec paths
 * in the merged report are the single run's, and its file reporters with their options (selftest/shards.test.ts
 * checks both against it; a root file may import only core/, not the other configuration).
 */
import { defineConfig } from '@playwright/test';
import { resultsSettings } from './core/config.ts';

const results = resultsSettings();

export default defineConfig({
  testDir: 'tests',
  reporter: results.jsonOnly
    ? [['json', { outputFile: `${results.dir}/playwright.json` }]]
    : [
        ['json', { outputFile: `${results.dir}/playwright.json` }],
        ['junit', { outputFile: `${results.dir}/junit.xml` }],
        ['./lib/allure-merged-reporter.ts', { resultsDir: `${results.dir}/allure-results`, detail: true, suiteTitle: false }],
      ],
});
