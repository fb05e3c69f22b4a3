/**
 * The smoke profile's run (`npm run smoke`, scripts/release-gate --smoke): playwright.config.ts with the phase
 * projects folded into one project, `smoke`, that runs the tests tagged @smoke in phase order (the phase
 * directories are numbered) after the setup project. Each Playwright project starts a worker of its own – about 2 s
 * on 2 cores, importing Playwright, the fixtures and the specs – and the smoke's tests take ~5 s in all; with one
 * project the run starts four workers (setup, smoke – a second one for the specs with the browser fixtures, whose
 * worker fixtures differ – and teardown) instead of seven. Which tests run, and how each is decided, is unchanged:
 * the same tag, the same specs, the same fixtures. Measured against a live target (a kept hermetic stack, 2 cores):
 * Playwright 18.4 s → 11.3 s. Two workers gained nothing on 2 cores (the start-ups are CPU-bound).
 */
import { defineConfig } from '@playwright/test';
import base from './playwright.config.ts';
import { SMOKE_TAG } from './core/config.ts';

const setupProjects = (base.projects ?? []).filter((p) => p.name === 'setup' || p.name === 'teardown');

export default defineConfig({
  ...base,
  projects: [...setupProjects, { name: 'smoke', testDir: 'tests', testIgnore: ['00-setup/**'], grep: new RegExp(SMOKE_TAG), dependencies: ['setup'] }],
});
