/**
 * The Allure 3 report in a real browser (the `report` project; no stack): built with allurerc.ts from a committed
 * fixture, opened from file:// as a reviewer opens a downloaded CI artifact. Checks the product's name and the run's
 * environment, the tree phase › section › item, a test's severity, category and link to its checklist line, the
 * three failure categories, the checklist's links back into the report, the quality gate (the gate's verdict, in
 * both directions) and one history entry per run. Screenshots go to reports/report-check/ (git-ignored).
 *
 * The fixture (selftest/report/fixture/allure/) is what a real run wrote: allure-results and playwright.json of
 * seven tests run with fixtures/checklist.ts and the allure-playwright reporter as playwright.config.ts sets it –
 * passed, failed on an assertion (P2-HEALTH-3), broken by a TypeError (P4-ACCESS-1) and by a fixture that timed
 * out (P4-ACCESS-2), not verified (PRE-SERVER-4, P2-HEALTH-5), and one test for two items (MON-ALERTS-3,
 * MON-GRAFANA-4) – with the paths of the machine replaced by /home/ci/rag-gate/.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JSONReport } from '@playwright/test/reporter';
import { allureTestUrl, readAllureResultIds } from '../../checklist/allure.ts';
import { loadChecklist } from '../../checklist/load.ts';
import { loadRecords } from '../../checklist/records.ts';
import { writeReports } from '../../checklist/render.ts';
import { collectTests, evaluate, type GateResult } from '../../checklist/results.ts';
import { REPO_ROOT } from '../../core/paths.ts';
import { FIXTURE_DIR } from './fixture.ts';

const FIXTURE = join(FIXTURE_DIR, 'allure');
const CHECK = join(REPO_ROOT, 'reports', 'report-check');
/** The run as release-gate leaves it (RAG_RESULTS_DIR): results, the gate's checklist, the report, the history. */
const RUN = join(CHECK, 'allure');
/** The same results with every failure waived: the gate passes, so must the quality gate. */
const WAIVED_RUN = join(CHECK, 'allure-waived');
const REPORT_URL = pathToFileURL(join(RUN, 'allure-report', 'index.html')).href;
const HISTORY = join(RUN, 'history', 'allure-history.jsonl');

const report = JSON.parse(readFileSync(join(FIXTURE, 'playwright.json'), 'utf8')) as JSONReport;

/** `npm run report` (scripts/report.ts: allure generate, made offline) or `npx allure quality-gate` on a results dir. */
function allure(command: 'generate' | 'quality-gate', resultsDir: string): { code: number | null; out: string } {
  const args = command === 'generate' ? ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'report.ts')] : [join(REPO_ROOT, 'node_modules', 'allure', 'cli.js'), command];
  const r = spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, RAG_RESULTS_DIR: resultsDir, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** A results directory as the gate leaves it: the fixture's results, and the gate's checklist of them. */
function gateRun(dir: string, waived: string[]): GateResult {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'waivers'), { recursive: true });
  cpSync(join(FIXTURE, 'allure-results'), join(dir, 'allure-results'), { recursive: true });
  cpSync(join(FIXTURE, 'playwright.json'), join(dir, 'playwright.json'));
  waived.forEach((id) => writeFileSync(join(dir, 'waivers', `${id}.yaml`), `id: ${id}\nreason: selftest\nexpires: 2999-12-31\napproved_by: Kira Preston\n`));
  const checklist = loadChecklist();
  const records = loadRecords(checklist, { attestations: join(dir, 'none'), waivers: join(dir, 'waivers') });
  const meta = report.config.metadata as { mode: 'hermetic'; target: string };
  const result = evaluate(checklist, report, records, { mode: meta.mode, target: meta.target, strict: false, resultsFile: 'playwright.json' });
  writeReports(checklist, result, dir);
  return result;
}

let gate: GateResult;

test.beforeAll(() => {
  gate = gateRun(RUN, []);
  const built = allure('generate', RUN);
  expect(built.code, built.out).toBe(0);
});

/** Requests the report made to anything but its own file (data: and blob: URLs are the file's own). */
const leftTheFile = new WeakMap<Page, string[]>();

/** The report's overview, or (with a URL from the checklist) a test's page. */
async function open(page: Page, url = REPORT_URL): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 1000 });
  if (!leftTheFile.has(page)) {
    const outside: string[] = [];
    leftTheFile.set(page, outside);
    await page.route(/^(?!file:|data:|blob:)/, (route) => {
      outside.push(route.request().url());
      return route.abort();
    });
  }
  // The single-file report (several MB of inlined data) can take well over 5 s to render on a loaded 2-core machine.
  await page.goto(url);
  await expect(page.getByTestId(url.includes('#') ? 'test-result-info-title' : 'report-title')).toBeVisible({ timeout: 30_000 });
}

test.afterEach(({ page }) => {
  // Opened from a downloaded CI artifact, perhaps on a machine without internet: the report loads nothing from
  // elsewhere and tells no one it was opened (Allure's analytics are removed by scripts/report.ts).
  expect(leftTheFile.get(page) ?? [], 'requests from the report to another host').toEqual([]);
});

test('the fixture decides what the report must show', () => {
  expect(gate.verdict.result).toBe('FAILED');
  expect(gate.verdict.blockingLeaves).toEqual(['P2-HEALTH-3', 'P4-ACCESS-1', 'P4-ACCESS-2']);
});

test('the product\'s name, the run\'s environment and the gate\'s checklist', async ({ page }) => {
  await open(page);
  await expect(page).toHaveTitle(/^rag-gate · RAG System v1\.0 reference \(hermetic\) · v\d+\.\d+\.\d+$/);
  await expect(page.getByTestId('report-title')).toHaveText(await page.title());
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const body = page.locator('body');
  for (const text of ['mode', 'hermetic', 'target', 'reference/deploy (hermetic copy)', 'rag-gate', pkg.version, 'Playwright', report.config.version]) await expect(body).toContainText(text);
  await expect(page.getByTestId('nav-tab-globalAttachments')).toContainText('1'); // checklist.md
  await page.screenshot({ path: join(CHECK, 'allure-overview.png') });
});

test('the tree is phase › section › item, with the garbled emoji gone', async ({ page }) => {
  await open(page);
  const phases = page.locator('[data-testid="tree-section-title"]');
  await expect(phases.first()).toHaveText('PRE · Pre-Deployment Requirements');
  for (const node of ['P2 · Service Deployment', 'P4 · Security Validation', 'MON · Post-Deployment Monitoring', 'Step 3: Service Health Verification', 'P2-HEALTH-3 ChromaDB health: curl http://localhost:8002/api/v1/heartbeat']) {
    await expect(phases.filter({ hasText: node }).first()).toBeVisible(); // groups with failures open by themselves
  }
  await phases.filter({ hasText: 'MON · Post-Deployment Monitoring' }).click();
  await phases.filter({ hasText: 'Enhanced Monitoring Setup' }).click();
  await expect(phases.filter({ hasText: 'MON-ALERTS-3 Service unavailability alerts (+1 more)' })).toBeVisible();
  await expect(page.locator('body')).not.toContainText('‚úÖ');
  await page.screenshot({ path: join(CHECK, 'allure-tree.png') });
});

test('a test shows its severity, its category and its checklist line', async ({ page }) => {
  const ids = readAllureResultIds(join(RUN, 'allure-results'));
  const chroma = collectTests(report).find((t) => t.ids.includes('P2-HEALTH-3'))!;
  await open(page, new URL(allureTestUrl(ids, chroma), pathToFileURL(join(RUN, 'checklist.html'))).href);
  await expect(page.getByTestId('test-result-info-title')).toHaveText(chroma.title);
  const info = page.locator('body');
  await expect(info).toContainText('Blocker');
  await expect(info).toContainText('Category: The deployment is wrong (a checklist check failed)');
  await expect(page.getByTestId('test-result-meta-link')).toHaveText('P2-HEALTH-3 in the rendered checklist');
  await page.screenshot({ path: join(CHECK, 'allure-test.png'), fullPage: true });
});

test('categories: the deployment is wrong / the gate itself broke / not verified', async ({ page }) => {
  await open(page);
  await page.getByTestId('nav-tab-categories').click();
  await page.getByText('Not verified (skipped, with the reason)').click();
  // Each category in order, with its tests under it (the failed ones open by themselves).
  const content = page.locator('body');
  await expect(content).toHaveText(new RegExp([
    'The deployment is wrong \\(a checklist check failed\\)', 'ChromaDB heartbeat answers 200',
    'The gate itself broke \\(fix the gate or this machine, not the deployment\\)', 'Test timeout of 1500ms exceeded while setting up', 'API endpoints refuse requests without the API key',
    'TypeError: Cannot read properties of undefined', 'administrative interfaces refuse anonymous and wrong credentials',
    'Not verified \\(skipped, with the reason\\)', 'not verified: (hermetic|live): ',
  ].join('[\\s\\S]*')));
  await expect(content).not.toContainText('Other failures');
  await expect(content).not.toContainText('Product errors');
  await page.screenshot({ path: join(CHECK, 'allure-categories.png'), fullPage: true });
});

test('the rendered checklist links every test to its own page in the report', async ({ page }) => {
  const ids = readAllureResultIds(join(RUN, 'allure-results'));
  const tests = collectTests(report);
  expect(ids.size).toBe(tests.length);
  const checklistPage = pathToFileURL(join(RUN, 'checklist.html'));
  for (const t of tests) {
    const url = allureTestUrl(ids, t);
    expect(url).toMatch(/^allure-report\/index\.html#[0-9a-f]{32}$/);
    await open(page, new URL(url, checklistPage).href);
    await expect(page.getByTestId('test-result-info-title')).toHaveText(t.title);
  }
});

test('quality gate: fails exactly when the gate fails', () => {
  const failed = allure('quality-gate', RUN);
  expect(failed.code, failed.out).toBe(1);
  expect(failed.out).toContain('gate FAILED: 3 blocking item(s) P2-HEALTH-3, P4-ACCESS-1, P4-ACCESS-2');
  // Waived failures: the gate passes (incomplete), and a quality gate of "no failed test" would not.
  const waived = gateRun(WAIVED_RUN, gate.verdict.blockingLeaves);
  expect(waived.verdict.exitCode).toBe(0);
  const passed = allure('quality-gate', WAIVED_RUN);
  expect(passed.code, passed.out).toBe(0);
});

test('history: one entry per run, in history/allure-history.jsonl beside the results', () => {
  const entries = (): number => readFileSync(HISTORY, 'utf8').trim().split('\n').length;
  expect(entries()).toBe(1);
  const again = allure('generate', RUN); // npm run report on the same results
  expect(again.code, again.out).toBe(0);
  expect(allure('quality-gate', RUN).code).toBe(1);
  expect(entries()).toBe(1);
});
