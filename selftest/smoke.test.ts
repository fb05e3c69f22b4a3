/**
 * The smoke profile (`npm run smoke`): `verifies.smoke(...)` tags a test `@smoke` and is read by the static scan like
 * `verifies(...)`; the specs tag exactly the fast lines; the gate's `--smoke` evaluation makes every line the smoke
 * did not reach "not run (smoke profile)" (not failed), says which tests of a passed line did not run, writes no
 * baseline record, and exits 0 when the smoke lines pass – 1 when one fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import type { JSONReport, JSONReportTest } from '@playwright/test/reporter';
import { loadChecklist } from '../checklist/load.ts';
import { evaluate, NOT_IN_PROFILE, partOfItem } from '../checklist/results.ts';
import { REPO_ROOT } from '../checklist/source.ts';
import { scanSources, scanTests } from '../checklist/tests-scan.ts';
import { SMOKE_TAG, verifies } from '../fixtures/checklist.ts';
import { parseArgs } from '../scripts/gate.ts';

const checklist = loadChecklist();
const none = { attestations: [], waivers: [] };
const tmp = mkdtempSync(join(tmpdir(), 'smoke-selftest-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The smoke's lines (issue 20): health, upload → searchable, query with attribution, headers/TLS grade, auth, alert rules via promtool. */
const SMOKE_IDS = ['P2-HEALTH-1', 'P2-HEALTH-2', 'P2-HEALTH-3', 'P2-HEALTH-4', 'P2-HEALTH-5', 'P2-HEALTH-6', 'P3-UPLOAD-2', 'P3-UPLOAD-5', 'P3-QUERY-3', 'P4-NETSEC-3', 'P4-NETSEC-4', 'P4-ACCESS-2', 'PRE-MONSTACK-3'];

/** A Playwright JSON report of tests that each name one item, with the given outcome. */
function report(tests: Array<{ id: string; title: string; failed?: boolean }>): JSONReport {
  const specs = tests.map((t, n) => {
    const annotations = [{ type: 'checklist', description: t.id }];
    const result = { status: t.failed ? 'failed' : 'passed', duration: 100, errors: [], retry: 0, startTime: '2026-01-01T10:00:00.000Z', attachments: [], annotations, error: t.failed ? { message: 'Error: health answered 502' } : undefined };
    const test = { annotations, expectedStatus: 'passed', projectName: 'deployment', results: [result], status: t.failed ? 'unexpected' : 'expected' } as unknown as JSONReportTest;
    return { tags: [], title: t.title, ok: !t.failed, tests: [test], id: String(n), file: 'x.spec.ts', line: n + 1, column: 1 };
  });
  return {
    config: { metadata: {}, version: '1.65.1' },
    suites: [{ title: 'x.spec.ts', file: 'x.spec.ts', line: 0, column: 0, specs }],
    errors: [],
    stats: { startTime: '2026-01-01T10:00:00.000Z', duration: 1000, expected: 0, unexpected: 0, flaky: 0, skipped: 0 },
  } as unknown as JSONReport;
}

describe('verifies.smoke', () => {
  test('tags the test @smoke besides its IDs, with the same checklist annotations; verifies() alone does not', () => {
    assert.deepEqual(verifies.smoke('P2-HEALTH-1', 'P2-HEALTH-2'), {
      tag: ['@P2-HEALTH-1', '@P2-HEALTH-2', SMOKE_TAG],
      annotation: [{ type: 'checklist', description: 'P2-HEALTH-1' }, { type: 'checklist', description: 'P2-HEALTH-2' }],
    });
    assert.ok(!(verifies('P2-HEALTH-1').tag as string[]).includes(SMOKE_TAG));
    assert.throws(() => verifies.smoke('P2-NOPE-9'), /unknown checklist ID P2-NOPE-9/);
  });

  test('the static scan reads verifies.smoke(...) as it reads verifies(...); another member is unreadable', () => {
    const spec = (details: string): string => `import { test, verifies } from '../../fixtures/index.ts';\ntest('t', ${details}, async () => {});\n`;
    const ok = scanSources([{ path: 'tests/99-synthetic/a.spec.ts', text: spec("verifies.smoke('P2-HEALTH-1')") }]);
    assert.deepEqual(ok.tests.map((t) => t.ids), [['P2-HEALTH-1']]);
    assert.deepEqual(ok.problems, []);
    const other = scanSources([{ path: 'tests/99-synthetic/a.spec.ts', text: spec("verifies.fast('P2-HEALTH-1')") }]);
    assert.deepEqual(other.tests.flatMap((t) => t.ids), [], 'verifies.fast is not a way to declare IDs');
  });

  test('the specs tag exactly the smoke lines', () => {
    const tagged = scanTests().tests.filter((t) => /verifies\.smoke\(/.test(lineText(t.file, t.line)));
    assert.deepEqual([...new Set(tagged.flatMap((t) => t.ids))].sort(), [...SMOKE_IDS].sort());
    assert.ok(!tagged.some((t) => /testssl|stopped ChromaDB/.test(t.title)), 'the slow tests of a smoke line stay out of the smoke (testssl.sh, the ChromaDB stop)');
  });
});

const texts = new Map<string, string[]>();
function lineText(file: string, line: number): string {
  if (!texts.has(file)) texts.set(file, readFileSync(resolve(REPO_ROOT, file), 'utf8').split('\n'));
  return texts.get(file)![line - 1] ?? '';
}

describe('the gate under the smoke profile', () => {
  const health = checklist.item('P2-HEALTH-1').tests!;
  const fast = health.find((t) => !/stopped ChromaDB/.test(t.title))!.title;

  test('a line no test reached is not run (smoke profile), not failed; the verdict is INCOMPLETE with exit 0', () => {
    const r = evaluate(checklist, report([{ id: 'P2-HEALTH-1', title: fast }]), none, { mode: 'hermetic', target: 't', strict: false, resultsFile: 'x', profile: 'smoke' });
    const item = (id: string) => r.items.find((i) => i.id === id)!;
    assert.equal(item('P2-HEALTH-1').status, 'passed');
    assert.equal(item('P3-LOAD-1').status, 'not_run');
    assert.equal(item('P3-LOAD-1').reason, NOT_IN_PROFILE.smoke);
    assert.equal(item('RB-CRIT-4').reason, NOT_IN_PROFILE.smoke, 'a baseline line too');
    assert.equal(r.counts.failed, 0);
    assert.equal(r.verdict.result, 'INCOMPLETE');
    assert.equal(r.verdict.exitCode, 0);
    assert.equal(r.run.profile, 'smoke');
  });

  test('a failed smoke line fails the gate as in the full run', () => {
    const r = evaluate(checklist, report([{ id: 'P2-HEALTH-1', title: fast, failed: true }]), none, { mode: 'hermetic', target: 't', strict: false, resultsFile: 'x', profile: 'smoke' });
    assert.equal(r.items.find((i) => i.id === 'P2-HEALTH-1')!.status, 'failed');
    assert.equal(r.verdict.exitCode, 1);
  });

  test('without the profile the same report says "no test result names this item"', () => {
    const r = evaluate(checklist, report([{ id: 'P2-HEALTH-1', title: fast }]), none, { mode: 'hermetic', target: 't', strict: false, resultsFile: 'x' });
    assert.equal(r.items.find((i) => i.id === 'P3-LOAD-1')!.reason, 'no test result names this item');
    assert.equal(r.run.profile, undefined);
  });

  test('a passed line names the tests of the full gate that did not run; none when all ran', () => {
    const slow = health.find((t) => /stopped ChromaDB/.test(t.title))!.title;
    assert.match(partOfItem(checklist.item('P2-HEALTH-1'), [{ fullTitle: fast }], 'smoke')!, new RegExp(`^smoke profile: 1 of 2 tests ran; the full gate also runs “${slow.replace(/[()]/g, '\\$&')}”$`));
    assert.equal(partOfItem(checklist.item('P2-HEALTH-1'), [{ fullTitle: fast }, { fullTitle: slow }], 'smoke'), undefined);
  });

  test('gate --smoke: refuses --strict; writes the checklist and no baseline record; exit 0 when the smoke lines pass', () => {
    assert.equal(parseArgs(['--smoke']).smoke, true);
    assert.throws(() => parseArgs(['--smoke', '--strict']), /--strict and --smoke exclude each other/);
    const results = join(tmp, 'playwright.json');
    writeFileSync(results, JSON.stringify(report([{ id: 'P2-HEALTH-1', title: fast }])));
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const run = (...extra: string[]) => spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'scripts/gate.ts'), '--results', results, '--reports', join(tmp, 'reports'), '--attestations', empty, '--waivers', empty, '--mode', 'hermetic', '--target', 't', ...extra], { cwd: REPO_ROOT, encoding: 'utf8' });
    const ok = run('--smoke');
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /SMOKE PASSED: no required item failed among the 1 the smoke profile decides; \d+ not run \(smoke profile\)/);
    assert.ok(existsSync(join(tmp, 'reports', 'checklist.json')));
    assert.ok(!existsSync(join(tmp, 'reports', 'baseline')), 'a smoke run writes no baseline record');
    writeFileSync(results, JSON.stringify(report([{ id: 'P2-HEALTH-1', title: fast, failed: true }])));
    assert.equal(run('--smoke').status, 1);
  });
});
