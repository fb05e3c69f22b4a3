/**
 * The sharded gate (scripts/shards.ts, playwright.merge.config.ts, scripts/release-gate --merge, the workflow's
 * release jobs): argument handling, each shard's environment, the duration-weighted split, the times report; the
 * merge configuration writes the single run's file reports; and end to end on a generated suite (no target needed):
 * two shards' blob reports, merged, give the gate exactly the statuses, verdict and exit code of a single run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ReporterDescription } from '@playwright/test';
import type { JSONReport } from '@playwright/test/reporter';
import { collectTests } from '../checklist/results.ts';
import { REPO_ROOT } from '../checklist/source.ts';
import { compareChecklists, type ComparedChecklist } from '../scripts/compare-checklists.ts';
import { balance, parseArgs, parseWeights, shardArgs, shardEnv, timesReport, UNSHARDED, type Group } from '../scripts/shards.ts';
import suite from '../playwright.config.ts';
import merge from '../playwright.merge.config.ts';

describe('scripts/shards.ts arguments', () => {
  test('defaults: 2 shards, no weights, nothing compared; the arguments after -- go to every shard', () => {
    assert.deepEqual(parseArgs([]), { shards: 2, plan: false, extra: [] });
    assert.deepEqual(parseArgs(['--shards', '3', '--', '--project', 'security']).extra, ['--project', 'security']);
  });

  test('refused with the reason: a shard count out of range, weights that do not fit, both a split and a run to compute it from', () => {
    assert.throws(() => parseArgs(['--shards', '1']), /--shards must be a whole number from 2 to 16, got "1"/);
    assert.throws(() => parseArgs(['--shards', 'two']), /--shards must be a whole number/);
    assert.throws(() => parseArgs(['--weights', '1:2:3']), /names 3 weight\(s\) for 2 shards/);
    assert.throws(() => parseWeights('3:x', 2), /non-negative numbers separated by ':'/);
    assert.throws(() => parseWeights('0:0', 2), /at least one shard must get tests/);
    assert.throws(() => parseArgs(['--weights', '3:1', '--balance', 'package.json']), /exclude each other/);
    assert.throws(() => parseArgs(['--plan']), /--plan computes the weights from an earlier run/);
    assert.throws(() => parseArgs(['--single', 'reports/no-such.json']), /--single .*no such file/);
    assert.throws(() => parseArgs(['--shards']), /--shards needs a value/);
    assert.deepEqual(parseArgs(['--weights', '3:1']).weights, [3, 1]);
  });

  test('each shard: its own stack, results and blob report; the weights only when given (an inherited value is dropped)', () => {
    const env = shardEnv({ RAG_PROJECT: 'proof', PWTEST_SHARD_WEIGHTS: '9:1' }, 2, 2, '/r/shards', [134, 33]);
    assert.equal(env.RAG_PROJECT, 'proof-2');
    assert.equal(env.RAG_RESULTS_DIR, '/r/shards/2');
    assert.equal(env.PLAYWRIGHT_BLOB_OUTPUT_FILE, '/r/shards/blob/report-2.zip');
    assert.equal(env.PWTEST_SHARD_WEIGHTS, '134:33');
    assert.equal(shardEnv({ PWTEST_SHARD_WEIGHTS: '9:1' }, 1, 2, '/r').PWTEST_SHARD_WEIGHTS, undefined);
    assert.equal(shardEnv({}, 1, 12, '/r').PLAYWRIGHT_BLOB_OUTPUT_FILE, '/r/blob/report-01.zip', 'padded as Playwright names its shards, so they sort');
    assert.equal(shardEnv({}, 1, 2, '/r').RAG_PROJECT, 'raggate-shard-1');
    assert.deepEqual(shardArgs(1, 2, ['-x']), ['playwright', 'test', '--shard=1/2', '--reporter=blob,dot', '-x']);
  });

  test('the projects run in every shard are the configuration\'s dependencies and teardowns', () => {
    const projects = suite.projects ?? [];
    const expected = new Set(projects.flatMap((p) => [...(p.dependencies ?? []), ...(p.teardown ? [p.teardown] : [])]));
    assert.deepEqual([...UNSHARDED].sort(), [...expected].sort());
  });
});

describe('the duration-weighted split', () => {
  const g = (file: string, tests: number, s: number): Group => ({ project: 'p', file, tests, ms: s * 1000 });
  // The shape of a full run: many quick files first, the long drill, soak and rollback last.
  const run = [g('prereq', 56, 11), g('predeploy', 12, 3), g('integration', 30, 43), g('security', 13, 39), g('alerts', 4, 205), g('prometheus', 21, 18), g('stability', 8, 125), g('rollback', 4, 50)];

  test('the cut goes where the longest shard is shortest, as each shard\'s test count', () => {
    const b = balance(run, 2);
    assert.deepEqual(b.weights, [115, 33]);
    assert.deepEqual(b.ms, [301_000, 193_000]);
  });

  test('equal counts (Playwright\'s default) would be far worse: the check can tell', () => {
    const total = run.reduce((s, x) => s + x.tests, 0);
    let n = 0;
    let first = 0;
    for (const x of run) {
      if (n < total / 2) first += x.ms;
      n += x.tests;
    }
    assert.ok(Math.max(first, 494_000 - first) > Math.max(...balance(run, 2).ms) * 1.3, `equal counts: ${first} ms in the first shard`);
  });

  test('a file with no countable test stays with the one before it, as Playwright places it', () => {
    const b = balance([g('a', 2, 100), g('b', 0, 50), g('c', 2, 100)], 2);
    assert.deepEqual(b.weights, [2, 2]);
    assert.deepEqual(b.ms, [150_000, 100_000]);
  });

  test('three shards', () => {
    assert.deepEqual(balance(run, 3).weights, [111, 4, 33], 'the drill alone: nothing can share a shard with it without making that shard the longest');
  });

  test('the times report: each shard, the sum, the longest as % of the sum and of the single run', () => {
    const text = timesReport([{ shard: 1, ms: 330_000, exit: 0 }, { shard: 2, ms: 220_000, exit: 1 }], 550_000);
    assert.equal(text, [
      'shard 1/2: 330.0 s',
      'shard 2/2: 220.0 s (playwright exit 1)',
      'sum 550.0 s; longest shard 1: 330.0 s = 60 % of the sum',
      'single run 550.0 s: the longest shard takes 60 % of it',
    ].join('\n'));
  });
});

describe('the merge configuration', () => {
  test('the suite\'s testDir and its file reporters, options and all, without the console ones', () => {
    assert.equal(resolve(REPO_ROOT, merge.testDir!), resolve(REPO_ROOT, suite.testDir!));
    // allure-playwright through the wrapper that survives a merged configuration (lib/allure-merged-reporter.ts).
    const files = (suite.reporter as ReporterDescription[])
      .filter(([name]) => !['list', 'line', 'dot'].includes(name))
      .map(([name, o]) => (name === 'allure-playwright' ? ['./lib/allure-merged-reporter.ts', o] : [name, o]));
    assert.deepEqual(merge.reporter, files);
    assert.ok((merge.reporter as ReporterDescription[]).some(([name, o]) => name === 'json' && /playwright\.json$/.test(String((o as { outputFile?: string }).outputFile))), 'the json report the gate reads');
  });
});

// End to end, on a generated suite shaped like the gate's: a setup project every phase depends on (run in every
// shard), two phases, a failing, a passing and a not-verified line.
const dir = resolve(REPO_ROOT, '.cache', `selftest-shards-${process.pid}`);
const CLI = resolve(REPO_ROOT, 'node_modules/@playwright/test/cli.js');
const CHECKLIST_FIXTURES = resolve(REPO_ROOT, 'fixtures', 'checklist.ts');

function playwright(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

function gate(results: string, reports: string): { code: number | null; out: string; checklist: ComparedChecklist } {
  const empty = join(dir, 'empty');
  const env = { ...process.env };
  delete env.RAG_BASELINE; // each reports folder starts empty: no run compares its figures with another
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'scripts/gate.ts'), '--results', results, '--reports', reports, '--attestations', empty, '--waivers', empty], { cwd: REPO_ROOT, encoding: 'utf8', env });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, checklist: JSON.parse(readFileSync(join(reports, 'checklist.json'), 'utf8')) as ComparedChecklist };
}

describe('two shards merged decide as one run', () => {
  before(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'empty'), { recursive: true });
    const spec = (body: string) => `import { test as base, expect } from '@playwright/test';
import { checklistFixtures, notVerified, verifies } from '${CHECKLIST_FIXTURES}';
const test = base.extend(checklistFixtures);
${body}
`;
    mkdirSync(join(dir, 'setup'));
    writeFileSync(join(dir, 'setup', 'stack.setup.ts'), `import { test } from '@playwright/test';\ntest('start the target', async () => {});\n`);
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'health.spec.ts'), spec(`test('backend health', verifies('P2-HEALTH-1'), async () => { expect(200).toBe(200); });
test('chroma heartbeat', verifies('P2-HEALTH-3'), async () => { expect(410, 'heartbeat status').toBe(200); });`));
    writeFileSync(join(dir, 'a', 'more.spec.ts'), spec(`test('frontend health', verifies('P2-HEALTH-2'), async () => {});`));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'monitoring.spec.ts'), spec(`test('prometheus', verifies('P2-HEALTH-5'), async ({}, testInfo) => notVerified(testInfo, 'live: port 9090 is not reachable from here'));
test('grafana', verifies('P2-HEALTH-6'), async () => {});`));
    writeFileSync(join(dir, 'playwright.config.ts'), `import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: '.', outputDir: 'test-results', workers: 1, fullyParallel: false, metadata: { mode: 'hermetic', target: 'selftest' },
  reporter: [['json', { outputFile: 'single/playwright.json' }]],
  projects: [
    { name: 'setup', testDir: 'setup', testMatch: /stack\.setup\.ts/ },
    { name: 'a', testDir: 'a', dependencies: ['setup'] },
    { name: 'b', testDir: 'b', dependencies: ['setup'] },
  ],
});
`);
    // As playwright.merge.config.ts is to the suite's: its testDir and file reporter.
    writeFileSync(join(dir, 'playwright.merge.config.ts'), `import { defineConfig } from '@playwright/test';
export default defineConfig({ testDir: '.', reporter: [['json', { outputFile: 'single/playwright.json' }], ['${resolve(REPO_ROOT, 'lib/allure-merged-reporter.ts')}', { resultsDir: 'merged-allure' }]] });
`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('same statuses, verdict and exit code; the set-up ran in each shard', () => {
    const single = playwright(['test', '-c', 'playwright.config.ts']);
    assert.equal(single.code, 1, single.out);
    // The merge configuration's json reporter writes where the suite's does (single/playwright.json): set the single run's aside.
    writeFileSync(join(dir, 'single.json'), readFileSync(join(dir, 'single', 'playwright.json')));
    for (const i of [1, 2]) {
      const shard = playwright(['test', '-c', 'playwright.config.ts', `--shard=${i}/2`, '--reporter=blob'], { PLAYWRIGHT_BLOB_OUTPUT_FILE: join(dir, 'blob', `report-${i}.zip`) });
      assert.ok(shard.code === 0 || shard.code === 1, shard.out);
    }
    const merged = playwright(['merge-reports', '-c', 'playwright.merge.config.ts', join(dir, 'blob')], {});
    assert.equal(merged.code, 0, `merge-reports fails only when it cannot merge:\n${merged.out}`);
    type Report = { stats: { unexpected: number }; errors: unknown[]; suites: Array<{ specs: Array<{ tests: Array<{ projectName: string }> }> }> };
    const mergedJson = JSON.parse(readFileSync(join(dir, 'single', 'playwright.json'), 'utf8')) as Report;
    const singleJson = JSON.parse(readFileSync(join(dir, 'single.json'), 'utf8')) as Report;
    // scripts/release-gate --merge fails the run as `playwright test` does: a failed test or an error.
    assert.deepEqual([mergedJson.stats.unexpected, mergedJson.errors.length], [singleJson.stats.unexpected, singleJson.errors.length]);
    assert.equal(mergedJson.stats.unexpected, 1);
    const setups = mergedJson.suites.flatMap((s) => s.specs.flatMap((sp) => sp.tests)).filter((t) => t.projectName === 'setup').length;
    assert.equal(setups, 2, 'the set-up project ran in both shards');
    assert.deepEqual(mergedJson.errors, [], 'no reporter error (allure-playwright alone fails on a merged configuration)');
    const allureResults = readdirSync(join(dir, 'merged-allure')).filter((f) => f.endsWith('-result.json'));
    assert.ok(allureResults.length > 0, 'the merged Allure results');
    // Each result starts when Playwright recorded it, not when the merge replayed it (Allure's quality gate and
    // timeline read these times).
    const starts = new Set(collectTests(mergedJson as unknown as JSONReport).map((t) => Date.parse(t.startTime ?? '')));
    for (const f of allureResults) {
      const { name, start } = JSON.parse(readFileSync(join(dir, 'merged-allure', f), 'utf8')) as { name: string; start: number };
      assert.ok(starts.has(start), `${name}: Allure start ${new Date(start).toISOString()} is no recorded start`);
    }
    writeFileSync(join(dir, 'merged.json'), JSON.stringify(mergedJson));

    const a = gate(join(dir, 'single.json'), join(dir, 'reports-single'));
    const b = gate(join(dir, 'merged.json'), join(dir, 'reports-merged'));
    assert.equal(b.code, a.code, `${a.out}\n${b.out}`);
    assert.equal(a.code, 1);
    const c = compareChecklists(a.checklist, b.checklist);
    assert.deepEqual(c.statuses, [], 'no line with another status');
    assert.equal(c.verdicts.a, c.verdicts.b);
    const status = (id: string) => b.checklist.items.find((i) => i.id === id)!.status;
    assert.deepEqual(['P2-HEALTH-1', 'P2-HEALTH-3', 'P2-HEALTH-5', 'P2-HEALTH-6'].map(status), ['passed', 'failed', 'not_verified', 'passed']);
  });

  test('scripts/release-gate --merge with RAG_RESULTS_DIR: every output of the run in that dir, the gate\'s exit code', () => {
    const results = join(dir, 'gate-results');
    // Relative, as the default `reports` is: the script resolves it against the repository.
    const env: NodeJS.ProcessEnv = { ...process.env, RAG_RESULTS_DIR: relative(REPO_ROOT, results) };
    delete env.RAG_BASELINE;
    const r = spawnSync('bash', [resolve(REPO_ROOT, 'scripts/release-gate'), '--merge', join(dir, 'blob')], { cwd: REPO_ROOT, encoding: 'utf8', env });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 1, out); // the fixture's failed line (P2-HEALTH-3)
    assert.doesNotMatch(out, /Cannot find module|No such file|could not build the Allure report|disagrees with the gate/);
    for (const f of ['playwright.json', 'checklist.json', 'checklist.md', 'checklist.html', 'allure-report/index.html']) {
      assert.ok(existsSync(join(results, f)), `${f} in RAG_RESULTS_DIR`);
    }
    assert.ok(readdirSync(join(results, 'baseline')).some((f) => /^\d{8}T\d{6}Z\.json$/.test(f)), 'the baseline record beside the results');
    assert.match(out, new RegExp(`\\[gate\\] Allure report: ${results.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/allure-report/index\\.html`));
    const checklist = JSON.parse(readFileSync(join(results, 'checklist.json'), 'utf8')) as ComparedChecklist;
    assert.equal(checklist.items.find((i) => i.id === 'P2-HEALTH-3')!.status, 'failed');
  });

  test('the comparison tells a merge that lost a shard: lines not run', () => {
    const one = join(dir, 'one-shard');
    mkdirSync(one, { recursive: true });
    rmSync(join(dir, 'single', 'playwright.json'), { force: true });
    const r = playwright(['test', '-c', 'playwright.config.ts', '--shard=2/2', '--reporter=blob'], { PLAYWRIGHT_BLOB_OUTPUT_FILE: join(one, 'report-2.zip') });
    assert.ok(r.code === 0 || r.code === 1, r.out);
    playwright(['merge-reports', '-c', 'playwright.merge.config.ts', one]);
    writeFileSync(join(dir, 'partial.json'), readFileSync(join(dir, 'single', 'playwright.json')));
    const partial = gate(join(dir, 'partial.json'), join(dir, 'reports-partial'));
    const full = JSON.parse(readFileSync(join(dir, 'reports-merged', 'checklist.json'), 'utf8')) as ComparedChecklist;
    assert.ok(compareChecklists(full, partial.checklist).statuses.length > 0, 'a lost shard shows as differing lines');
  });
});
