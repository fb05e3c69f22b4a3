/**
 * Baselines between releases (checklist/baseline.ts, scripts/gate.ts): figures from the tests' annotations into the
 * run's record, the record written and the previous one picked, the comparison, and the decisions of DOC-RECORDS-3,
 * RB-CRIT-4, STAB-DAILY-5 and STAB-UX-3 – including the first release and a degradation beyond 50 % – down to the
 * lines of checklist.md/json. Synthetic Playwright JSON reports; nothing is run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { JSONReport, JSONReportTest } from '@playwright/test/reporter';
import {
  BASELINE_ITEMS, buildRecord, change, KNOWN_FIGURES, QUALITY_ROWS, compareRecords, decideAccuracy, decideAll, decidePerformance, decideRecord, figureText, formatFigure, parseFigure,
  pickPrevious, readRecord, recordFileName, recordRun, REQUIRED_FIGURES, writeRecord, type BaselineRecord, type BaselineRun, type Figure,
} from '../checklist/baseline.ts';
import { loadChecklist } from '../checklist/load.ts';
import type { Records } from '../checklist/records.ts';
import { renderJson, renderMarkdown } from '../checklist/render.ts';
import { collectTests, evaluate, type EvaluateOptions } from '../checklist/results.ts';
import { ROLLBACK_DEGRADATION_PERCENT } from '../core/thresholds.ts';
import { QUESTION_TYPES } from '../lib/golden.ts';
import { baselineStep, main } from '../scripts/gate.ts';
import { canFail } from './helpers.ts';

const checklist = loadChecklist();
const tmp = mkdtempSync(join(tmpdir(), 'baseline-selftest-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => {
  const d = join(tmp, `d${dirs++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

interface T { title: string; ids: string[]; outcome?: 'passed' | 'failed' | 'not-verified'; figures?: Figure[]; notes?: Array<{ type: string; description: string }> }

/** A minimal Playwright JSON report: one spec per test, its figures as `figure` annotations. */
function report(tests: T[], startTime = '2026-01-01T10:00:00.000Z', metadata: Record<string, unknown> = { mode: 'hermetic', target: 'reference' }): JSONReport {
  const specs = tests.map((t, n) => {
    const outcome = t.outcome ?? 'passed';
    const annotations = [
      ...t.ids.map((id) => ({ type: 'checklist', description: id })),
      ...(outcome === 'not-verified' ? [{ type: 'not-verified', description: 'live: not reachable' }, { type: 'skip', description: 'not verified' }] : []),
      ...(t.figures ?? []).map((f) => ({ type: 'figure', description: figureText(f) })),
      ...(t.notes ?? []),
    ];
    const result = {
      workerIndex: 0, parallelIndex: 0, status: outcome === 'passed' ? 'passed' : outcome === 'failed' ? 'failed' : 'skipped', duration: 100, errors: [], stdout: [], stderr: [],
      retry: 0, startTime, attachments: [], annotations, error: outcome === 'failed' ? { message: 'Error: boom' } : undefined,
    };
    const test = {
      timeout: 1000, annotations, expectedStatus: outcome === 'not-verified' ? 'skipped' : 'passed', projectName: 'p', projectId: 'p', results: [result],
      status: outcome === 'failed' ? 'unexpected' : outcome === 'passed' ? 'expected' : 'skipped',
    } as unknown as JSONReportTest;
    return { tags: [], title: t.title, ok: outcome !== 'failed', tests: [test], id: String(n), file: 'x.spec.ts', line: n + 1, column: 1 };
  });
  return {
    config: { metadata, version: '1.65.1' },
    suites: [{ title: 'x.spec.ts', file: 'x.spec.ts', line: 0, column: 0, specs }],
    errors: [],
    stats: { startTime, duration: 60_000, expected: 0, unexpected: 0, flaky: 0, skipped: 0 },
  } as unknown as JSONReport;
}

const ms = (key: string, value: number): Figure => ({ key, value, unit: 'ms', better: 'lower' });

/** The tests of a healthy run: every required figure, the soak's accuracy, image tags; some figures can be set. */
function healthyTests(opts: { queryP50?: number; queryP95?: number; accuracy?: number; uiMax?: number } = {}): T[] {
  return [
    { title: 'ab', ids: ['P3-LOAD-1'], figures: [ms('health.p95_ms', 4)] },
    { title: 'queries', ids: ['P3-LOAD-3'], figures: [ms('query.p50_ms', opts.queryP50 ?? 200), ms('query.p95_ms', opts.queryP95 ?? 380)] },
    { title: 'uploads', ids: ['P3-BENCH-1'], figures: [ms('upload.searchable_p50_ms', 3000), ms('upload.searchable_max_ms', 4000)] },
    { title: 'ui', ids: ['P3-BENCH-3'], figures: [ms('ui.interaction_max_ms', opts.uiMax ?? 40)] },
    { title: 'memory', ids: ['P3-BENCH-4'], figures: [{ key: 'load.memory_peak_pct', value: 20, unit: '%', better: 'lower' }] },
    { title: 'cpu', ids: ['P3-LOAD-4'], figures: [{ key: 'load.cpu_peak_pct', value: 90, unit: '%', better: 'lower' }] },
    { title: 'golden', ids: ['STAB-UX-3'], figures: [{ key: 'soak.golden_accuracy', value: opts.accuracy ?? 1, unit: 'fraction', better: 'higher', of: 2 }] },
    { title: 'soak perf', ids: ['STAB-DAILY-5'] },
    { title: 'drill', ids: ['RB-CRIT-4'] },
    { title: 'containers', ids: ['P2-APPSVC-5'], figures: [{ key: 'image.rag-backend', value: 'rag-system/rag-backend:1.0.0', unit: '', better: 'info' }] },
  ];
}

const facts = { mode: 'hermetic', target: 'reference', resultsFile: 'r.json' };
const recordOf = (tests: T[], startTime: string): BaselineRecord => buildRecord(collectTests(report(tests, startTime)), { ...facts, startTime });

/** A run as the gate makes it, without files: this record, the previous one (or none), compared. */
function runOf(current: BaselineRecord, previous?: BaselineRecord): BaselineRun {
  const p = previous ? { file: '/x/reports/baseline/prev.json', record: previous } : undefined;
  return {
    record: current,
    written: 'reports/baseline/now.json',
    ...(p ? { previous: p } : { none: 'first release: no baseline to compare with (RAG_BASELINE or an earlier run in reports/baseline/)' }),
    skipped: [],
    compared: p ? compareRecords(current, p) : new Map(),
  };
}

describe('figures', () => {
  test('a figure annotation round-trips; a malformed one is refused, and becomes a warning on the test', () => {
    const f: Figure = { key: 'soak.golden_accuracy', value: 0.5, unit: 'fraction', better: 'higher', of: 2 };
    assert.deepEqual(parseFigure(figureText(f)), f);
    assert.match((parseFigure('{"key":"q","value":"fast","unit":"ms","better":"lower"}') as { problem: string }).problem, /not a finite number/);
    assert.match((parseFigure('{"key":"a b","value":1,"unit":"ms","better":"lower"}') as { problem: string }).problem, /not a dotted name/);
    assert.match((parseFigure('{"key":"q","value":1,"unit":"ms","better":"up"}') as { problem: string }).problem, /better must be one of/);
    const [t] = collectTests(report([{ title: 'q', ids: ['P3-LOAD-3'], figures: [ms('query.p95_ms', 412)], notes: [{ type: 'figure', description: 'p95 412' }] }]));
    assert.deepEqual(t!.figures, [ms('query.p95_ms', 412)]);
    assert.deepEqual(t!.warnings, ['malformed figure annotation: not JSON: p95 412']);
  });

  test('change: in the worse direction, beyond 50 % and beyond the noise floor', () => {
    assert.deepEqual(change(380, 412, 'lower', 'ms'), { changePct: (32 / 380) * 100, worsePct: (32 / 380) * 100, degraded: false });
    assert.equal(change(380, 900, 'lower', 'ms').degraded, true);
    assert.equal(change(380, 380 * (1 + ROLLBACK_DEGRADATION_PERCENT / 100), 'lower', 'ms').degraded, false, 'exactly 50 % is not more than 50 %');
    assert.equal(change(4, 9, 'lower', 'ms').degraded, false, '+125 % but 5 ms: scheduler noise');
    assert.equal(change(6, 38, 'lower', 'ms').degraded, false, '+533 % but 32 ms: seen between two runs of the unchanged reference');
    assert.equal(change(900, 380, 'lower', 'ms').degraded, false, 'faster is not worse');
    assert.equal(change(1, 0.4, 'higher', 'fraction').degraded, true, 'a higher-is-better figure degrades downwards');
    assert.deepEqual(change(0, 60, 'lower', 'ms'), { changePct: null, worsePct: null, degraded: true });
    // A figure's own resolution: upload-to-searchable is measured in steps of the script's one-second /query retries.
    const rec = (v: number) => recordOf([{ title: 'u', ids: ['P3-BENCH-1'], figures: [ms('upload.searchable_p50_ms', v)] }], '2026-01-01T00:00:00.000Z');
    const prev = { file: '/p.json', record: rec(1500) };
    assert.equal(compareRecords(rec(2400), prev).get('upload.searchable_p50_ms')!.degraded, false, '+60 % but within one retry');
    assert.equal(compareRecords(rec(2600), prev).get('upload.searchable_p50_ms')!.degraded, true);
    // Query latency against a tenth of the checklist's 2 s budget: the reference's stand-in answers in ~150 ms.
    const q = (v: number) => recordOf([{ title: 'q', ids: ['P3-LOAD-3'], figures: [ms('query.p50_ms', v)] }], '2026-01-01T00:00:00.000Z');
    assert.equal(compareRecords(q(275), { file: '/p.json', record: q(138) }).get('query.p50_ms')!.degraded, false, '+99 % but 137 ms of a 2 s budget');
    assert.equal(compareRecords(q(1900), { file: '/p.json', record: q(1200) }).get('query.p50_ms')!.degraded, true, '+58 % and 700 ms');
    assert.equal(formatFigure({ ...ms('query.p95_ms', 412), baseline: { value: 380, ...change(380, 412, 'lower', 'ms'), record: 'r', run: 's' } }), 'query p95 (10 clients) 412 ms (baseline 380 ms, +8 %)');
  });
});

describe('the record', () => {
  test('built from the tests\' figures: by key with unit and direction, info apart, version from the backend image', () => {
    const r = recordOf(healthyTests(), '2026-01-01T10:00:00.000Z');
    assert.deepEqual(r.run, { startTime: '2026-01-01T10:00:00.000Z', mode: 'hermetic', target: 'reference', version: '1.0.0', resultsFile: 'r.json' });
    assert.deepEqual(r.figures['query.p95_ms'], { value: 380, unit: 'ms', better: 'lower', test: 'queries' });
    assert.deepEqual(r.figures['soak.golden_accuracy'], { value: 1, unit: 'fraction', better: 'higher', of: 2, test: 'golden' });
    assert.deepEqual(r.info, { 'image.rag-backend': 'rag-system/rag-backend:1.0.0' });
    assert.equal(r.figures['image.rag-backend'], undefined);
  });

  test('written as <UTC start>.json and latest.json, read back; re-evaluating the same run overwrites its own file', () => {
    const dir = freshDir();
    const r = recordOf(healthyTests(), '2026-01-01T10:00:00.000Z');
    const file = writeRecord(dir, r);
    assert.equal(file, join(dir, '20260101T100000Z.json'));
    assert.equal(recordFileName('2026-03-04T05:06:07.890Z'), '20260304T050607Z.json');
    assert.deepEqual(readRecord(file), r);
    assert.deepEqual(readRecord(join(dir, 'latest.json')), r);
    assert.equal(writeRecord(dir, { ...r, writtenAt: 'later' }), file);
    writeFileSync(join(dir, 'bad.json'), '{"format": 2}');
    assert.throws(() => readRecord(join(dir, 'bad.json')), /not a baseline record/);
  });

  test('the previous record: the newest earlier one of the same mode and target; RAG_BASELINE wins; none is the first release', () => {
    const dir = freshDir();
    const at = (startTime: string, over: Partial<BaselineRecord['run']> = {}): BaselineRecord => {
      const r = recordOf(healthyTests(), startTime);
      return { ...r, run: { ...r.run, ...over } };
    };
    const current = at('2026-01-05T00:00:00.000Z');
    assert.match(pickPrevious(dir, current).none!, /^first release: no baseline to compare with \(RAG_BASELINE or an earlier run in .*\/\)$/);
    const older = writeRecord(dir, at('2026-01-01T00:00:00.000Z'));
    const newer = writeRecord(dir, at('2026-01-03T00:00:00.000Z'));
    writeRecord(dir, at('2026-01-04T00:00:00.000Z', { mode: 'compose' }));
    writeRecord(dir, at('2026-01-04T12:00:00.000Z', { target: 'elsewhere' }));
    writeRecord(dir, at('2026-01-06T00:00:00.000Z')); // later than this run (and latest.json is that one)
    writeRecord(dir, current); // this run's own record
    writeFileSync(join(dir, 'broken.json'), 'not json');
    const picked = pickPrevious(dir, current);
    assert.equal(picked.previous?.file, newer);
    assert.equal(picked.skipped.length, 1);
    assert.match(picked.skipped[0]!, /broken\.json: cannot read it as JSON/);
    assert.equal(pickPrevious(dir, current, older).previous?.file, older);
    assert.match(pickPrevious(dir, current, join(dir, recordFileName(current.run.startTime))).none!, /this run's own record/);
  });
});

describe('decisions', () => {
  const before = recordOf(healthyTests(), '2026-01-01T10:00:00.000Z');

  test('the items checklist.yaml marks from_baseline are the ones the gate decides', () => {
    const marked = checklist.items.filter((i) => i.from_baseline).map((i) => i.id).sort();
    assert.deepEqual(marked, [...BASELINE_ITEMS].sort());
    assert.deepEqual([...decideAll(runOf(before), []).keys()].sort(), marked);
    assert.ok(marked.every((id) => !checklist.needsTest(checklist.item(id))), 'coverage does not ask for a test of theirs');
  });

  test('first release: DOC-RECORDS-3 passes (record written, figures complete); the comparisons are not verified, never passed', () => {
    const run = runOf(recordOf(healthyTests(), '2026-01-02T10:00:00.000Z'));
    const d = decideAll(run, collectTests(report(healthyTests())));
    assert.equal(d.get('DOC-RECORDS-3')!.status, 'passed');
    assert.match(d.get('DOC-RECORDS-3')!.reason, /^baseline record reports\/baseline\/now\.json: 9 figures and 1 recorded facts/);
    for (const id of ['RB-CRIT-4', 'STAB-DAILY-5', 'STAB-UX-3']) {
      assert.deepEqual([d.get(id)!.status, d.get(id)!.reason], ['not_verified', 'first release: no baseline to compare with (RAG_BASELINE or an earlier run in reports/baseline/)'], id);
    }
  });

  test('RB-CRIT-4 fails when a figure degraded by more than 50 %, naming figure, before, now and change; within 50 % it passes', canFail('RB-CRIT-4'), () => {
    const slow = decidePerformance(runOf(recordOf(healthyTests({ queryP50: 900 }), '2026-01-02T10:00:00.000Z'), before));
    assert.equal(slow.status, 'failed');
    assert.match(slow.reason, /degraded by more than 50 % against the baseline \/x\/reports\/baseline\/prev\.json \(run 2026-01-01 10:00:00Z, version 1\.0\.0\): query p50 \(10 clients\) 200 ms → 900 ms \(\+350 %\)$/);
    const ok = decidePerformance(runOf(recordOf(healthyTests({ queryP50: 230, queryP95: 412 }), '2026-01-02T10:00:00.000Z'), before));
    assert.equal(ok.status, 'passed');
    assert.match(ok.reason, /^4 performance figures within 50 % of the baseline [^;]*$/);
    assert.equal(ok.figures.find((f) => f.key === 'query.p95_ms')!.baseline!.value, 380);
    assert.deepEqual(ok.figures.map((f) => f.key).slice(4), ['query.p95_ms', 'upload.searchable_max_ms', 'ui.interaction_max_ms', 'load.cpu_peak_pct'], 'the extremes are shown after them');
  });

  test('an extreme of a few samples beyond 50 % is named on the line but decides nothing', () => {
    const d = decidePerformance(runOf(recordOf(healthyTests({ uiMax: 95 }), '2026-01-02T10:00:00.000Z'), before));
    assert.equal(d.status, 'passed');
    assert.match(d.reason, /; beyond 50 % but not decided on \(the extreme of a few samples\): slowest UI interaction 40 ms → 95 ms \(\+138 %\)$/);
    assert.equal(d.figures.find((f) => f.key === 'ui.interaction_max_ms')!.baseline!.degraded, true);
  });

  test('the queries\' p95 (their third-slowest of 50) beyond 50 % is named but decides nothing; the median decides', () => {
    // As measured on the unchanged reference from one full run to the next: p95 268 → 514 ms, p50 184 → 203 ms.
    const noisy = decidePerformance(runOf(recordOf(healthyTests({ queryP50: 203, queryP95: 900 }), '2026-01-02T10:00:00.000Z'), before));
    assert.equal(noisy.status, 'passed');
    assert.match(noisy.reason, /; beyond 50 % but not decided on \(the extreme of a few samples\): query p95 \(10 clients\) 380 ms → 900 ms \(\+137 %\)$/);
    const slower = decidePerformance(runOf(recordOf(healthyTests({ queryP50: 450, queryP95: 900 }), '2026-01-02T10:00:00.000Z'), before));
    assert.equal(slower.status, 'failed');
    assert.match(slower.reason, /: query p50 \(10 clients\) 200 ms → 450 ms \(\+125 %\); beyond 50 % but not decided on .*query p95/);
  });

  test('STAB-DAILY-5 says it compared with the previous release, not over a week, and fails on a degraded figure; a figure not measured now leaves it not verified', canFail('STAB-DAILY-5'), () => {
    const now = recordOf(healthyTests(), '2026-01-02T10:00:00.000Z');
    const d = decideAll(runOf(now, before), []);
    assert.equal(d.get('STAB-DAILY-5')!.status, 'passed');
    assert.match(d.get('STAB-DAILY-5')!.reason, /^compared with the previous release's run, not over a week: 4 performance figures within 50 %/);
    const slow = decideAll(runOf(recordOf(healthyTests({ queryP50: 900 }), '2026-01-02T10:00:00.000Z'), before), []).get('STAB-DAILY-5')!;
    assert.equal(slow.status, 'failed');
    assert.match(slow.reason, /^compared with the previous release's run, not over a week: .*query p50 \(10 clients\) 200 ms → 900 ms \(\+350 %\)$/);
    const partial = recordOf(healthyTests().filter((t) => t.title !== 'ab'), '2026-01-02T10:00:00.000Z');
    const nv = decidePerformance(runOf(partial, before));
    assert.equal(nv.status, 'not_verified');
    assert.match(nv.reason, /not measured in this run, so not compared with the baseline .*: \/health p95 \(100 requests at 10\)$/);
  });

  test('STAB-UX-3: accuracy may be lower by one golden question, not by more', canFail('STAB-UX-3'), () => {
    const d = (accuracy: number) => decideAccuracy(runOf(recordOf(healthyTests({ accuracy }), '2026-01-02T10:00:00.000Z'), before), 'lead: ');
    assert.equal(d(1).status, 'passed');
    assert.equal(d(0.5).status, 'passed');
    assert.match(d(0.5).reason, /^lead: golden answers correct after the soak 1\/2 \(50 %\) \(baseline 2\/2 \(100 %\)\) not lower than the baseline .* by more than one question$/);
    assert.equal(d(0).status, 'failed');
    assert.match(d(0).reason, /^lead: lower than the baseline .* by more than one question: golden answers correct after the soak 0\/2 \(0 %\) \(baseline 2\/2 \(100 %\)\)$/);
    const noSoak = recordOf(healthyTests().filter((t) => t.title !== 'golden'), '2026-01-02T10:00:00.000Z');
    assert.equal(decideAccuracy(runOf(noSoak, before)).status, 'not_verified');
  });

  test('STAB-UX-3 compares the evaluation corpus\'s quality figures too: fact recall lower by more than one question fails, naming the figure', canFail('STAB-UX-3'), () => {
    const fraction = (key: string, value: number, of: number): Figure => ({ key, value, unit: 'fraction', better: 'higher', of });
    const evalTests = (factual: number): T[] => [
      ...healthyTests(),
      {
        title: 'answer quality',
        ids: ['P3-QUERY-4'],
        figures: [fraction('quality.factual.fact_recall', factual, 7), fraction('quality.unanswerable.refusals', 1, 5), { key: 'quality.factual.max_ms', value: 120, unit: 'ms', better: 'lower' }],
      },
    ];
    const base = recordOf(evalTests(1), '2026-01-01T10:00:00.000Z');
    const d = (factual: number) => decideAll(runOf(recordOf(evalTests(factual), '2026-01-02T10:00:00.000Z'), base), []).get('STAB-UX-3')!;
    assert.equal(d(1).status, 'passed');
    assert.match(d(1).reason, /: 3 accuracy figures \(golden answers correct after the soak, 2 figures of the evaluation corpus \(answer-quality spec\)\) not lower than the baseline/);
    assert.equal(d(6 / 7).status, 'passed', 'one question of seven');
    const dropped = d(4 / 7);
    assert.equal(dropped.status, 'failed');
    assert.match(dropped.reason, /lower than the baseline .* by more than one question: evaluation corpus, factual questions: fact recall 4\/7 \(57 %\) \(baseline 7\/7 \(100 %\)\)$/);
    assert.deepEqual(dropped.figures.map((f) => f.key), ['soak.golden_accuracy', 'quality.factual.fact_recall', 'quality.unanswerable.refusals'], 'the slowest answer is recorded, not an accuracy figure');
    // A baseline from before the evaluation corpus: the soak decides, the new figures are named for the next release.
    const old = decideAccuracy(runOf(recordOf(evalTests(4 / 7), '2026-01-02T10:00:00.000Z'), before));
    assert.equal(old.status, 'passed');
    assert.match(old.reason, /; not in the baseline, so compared from the next release on: 2 figures of the evaluation corpus \(answer-quality spec\)$/);
    // The soak did not run this time: no drop in what was measured, the rest not verified.
    const noSoak = decideAccuracy(runOf(recordOf(evalTests(1).filter((t) => t.title !== 'golden'), '2026-01-02T10:00:00.000Z'), base));
    assert.equal(noSoak.status, 'not_verified');
    assert.match(noSoak.reason, /2 accuracy figures not lower than the baseline .*, but not measured in this run: golden answers correct after the soak$/);
  });

  test('every figure the answer-quality spec writes is known: its shares decide STAB-UX-3, its slowest answer is recorded', () => {
    assert.deepEqual([...QUALITY_ROWS], [...QUESTION_TYPES, 'answerable'], 'the rows are lib/golden.ts\'s question types and "answerable"');
    for (const row of QUALITY_ROWS) {
      for (const metric of ['hit_at_k', 'mrr', 'citation_precision', 'fact_recall', 'grounded', 'refusals']) assert.equal(KNOWN_FIGURES[`quality.${row}.${metric}`]?.role, 'accuracy', `quality.${row}.${metric}`);
      assert.equal(KNOWN_FIGURES[`quality.${row}.max_ms`]?.role, undefined);
    }
  });

  test('DOC-RECORDS-3 names the missing figures: failed when their test failed or recorded none, not verified when it could not run here', canFail('DOC-RECORDS-3'), () => {
    const without = (title: string) => healthyTests().filter((t) => t.title !== title);
    const decide = (tests: T[]) => decideRecord(runOf(recordOf(tests, '2026-01-02T10:00:00.000Z')), collectTests(report(tests)));
    const failedQueries = decide([...without('queries'), { title: 'queries', ids: ['P3-LOAD-3'], outcome: 'failed' }]);
    assert.equal(failedQueries.status, 'failed');
    assert.match(failedQueries.reason, /lacks 2 required figure\(s\): query\.p50_ms \(P3-LOAD-3 failed, so it was not measured over correct answers\); query\.p95_ms/);
    const silent = decide([...without('ui'), { title: 'ui', ids: ['P3-BENCH-3'] }]);
    assert.equal(silent.status, 'failed');
    assert.match(silent.reason, /ui\.interaction_max_ms \(P3-BENCH-3 passed but recorded no figure: its test records one only when measured over correct answers\)$/);
    const live = decide([...without('memory'), { title: 'memory', ids: ['P3-BENCH-4'], outcome: 'not-verified' }]);
    assert.equal(live.status, 'not_verified');
    assert.match(live.reason, /load\.memory_peak_pct \(P3-BENCH-4 not verified: live: not reachable\)/);
    assert.equal(decide(without('cpu')).status, 'not_run');
    const unwritten = decideRecord({ ...runOf(recordOf(healthyTests(), '2026-01-02T10:00:00.000Z')), written: undefined, writeError: 'EACCES' }, []);
    assert.deepEqual([unwritten.status, unwritten.reason], ['failed', 'the baseline record could not be written: EACCES']);
    assert.ok(REQUIRED_FIGURES.includes('query.p95_ms') && !REQUIRED_FIGURES.includes('soak.golden_accuracy'));
  });
});

describe('in the results and on the checklist\'s lines', () => {
  const none: Records = { attestations: [], waivers: [] };
  const opts: EvaluateOptions = { mode: 'hermetic', target: 'reference', strict: false, resultsFile: 'r.json', now: new Date('2026-03-01T00:00:00Z') };

  function gateRun(dir: string, tests: T[], startTime: string) {
    const rep = report(tests, startTime);
    const baseline = baselineStep(dir, rep, { mode: 'hermetic', target: 'reference', resultsFile: 'r.json' });
    return evaluate(checklist, rep, none, { ...opts, baseline });
  }
  const item = (r: ReturnType<typeof evaluate>, id: string) => r.items.find((i) => i.id === id)!;

  test('first release, then a comparison: statuses, the item\'s own tests joined, figures with their baseline in md and json', () => {
    const dir = freshDir();
    const first = gateRun(dir, healthyTests(), '2026-01-01T10:00:00.000Z');
    assert.ok(existsSync(join(dir, 'baseline', '20260101T100000Z.json')) && existsSync(join(dir, 'baseline', 'latest.json')));
    assert.deepEqual([item(first, 'DOC-RECORDS-3').status, item(first, 'DOC-RECORDS-3').decidedBy], ['passed', 'baseline']);
    for (const id of ['RB-CRIT-4', 'STAB-DAILY-5', 'STAB-UX-3']) assert.equal(item(first, id).status, 'not_verified', id);
    assert.match(item(first, 'RB-CRIT-4').reason!, /^first release: no baseline to compare with/);
    assert.equal(first.baseline?.previous, null);

    const second = gateRun(dir, healthyTests({ queryP95: 412 }), '2026-01-02T10:00:00.000Z');
    assert.equal(item(second, 'RB-CRIT-4').status, 'passed');
    assert.equal(second.baseline?.previous?.startTime, '2026-01-01T10:00:00.000Z');
    const md = renderMarkdown(checklist, second, dir);
    const line = md.split('\n').find((l) => l.includes('`RB-CRIT-4`'))!;
    assert.match(line, /✅ .* — passed – 4 performance figures within 50 % of the baseline .* · 📊 .*query p95 \(10 clients\) 412 ms \(baseline 380 ms, \+8 %\)/);
    assert.match(md, /^> Baseline: wrote `.*20260102T100000Z\.json` · compared with `.*20260101T100000Z\.json` \(run 2026-01-01 10:00:00Z, version 1\.0\.0\)/m);
    const json = JSON.parse(renderJson(checklist, second, dir)) as { baseline: { written: string }; items: Array<{ id: string; figures: Array<{ key: string; test: string; baseline?: { value: number; changePct: number } }> }> };
    const p95 = json.items.find((i) => i.id === 'P3-LOAD-3')!.figures.find((f) => f.key === 'query.p95_ms')!;
    assert.deepEqual([p95.test, p95.baseline?.value, Math.round(p95.baseline!.changePct)], ['queries', 380, 8]);
    assert.match(json.baseline.written, /20260102T100000Z\.json$/);

    const third = gateRun(dir, [...healthyTests({ queryP50: 900 }).filter((t) => t.title !== 'drill'), { title: 'drill', ids: ['RB-CRIT-4'], outcome: 'failed' }], '2026-01-03T10:00:00.000Z');
    assert.equal(item(third, 'RB-CRIT-4').status, 'failed');
    assert.match(item(third, 'RB-CRIT-4').reason!, /query p50 \(10 clients\) 200 ms → 900 ms \(\+350 %\).* \| tests: .*boom$/);
    assert.ok(third.verdict.blockingLeaves.includes('RB-CRIT-4'));
  });

  test('an evaluation without the gate\'s baseline step says so (not run), and a degraded figure fails the gate\'s exit code', async () => {
    const plain = evaluate(checklist, report(healthyTests()), none, opts);
    assert.deepEqual([item(plain, 'DOC-RECORDS-3').status, item(plain, 'DOC-RECORDS-3').decidedBy], ['not_run', 'none']);
    assert.equal(item(plain, 'RB-CRIT-4').decidedBy, 'tests');

    const dir = freshDir();
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const gate = (tests: T[], startTime: string): Promise<number> => {
      const file = join(dir, `${startTime.slice(0, 10)}.json`);
      writeFileSync(file, JSON.stringify(report(tests, startTime)));
      return main(['--results', file, '--reports', join(dir, 'reports'), '--attestations', empty, '--waivers', empty]);
    };
    assert.equal(await gate(healthyTests(), '2026-01-01T10:00:00.000Z'), 0);
    assert.equal(await gate(healthyTests({ queryP50: 900 }), '2026-01-02T10:00:00.000Z'), 1);
    const md = readFileSync(join(dir, 'reports', 'checklist.md'), 'utf8');
    assert.match(md, /^- \[ \] ❌ <a id="RB-CRIT-4"><\/a>`RB-CRIT-4` Performance degradation >50% — FAILED – degraded by more than 50 %/m);
    assert.match(md, /^  - \[ \] ❌ <a id="STAB-DAILY-5"><\/a>.*FAILED – compared with the previous release's run, not over a week: degraded/m);
  });

  test('the gate\'s baseline step picks its own earlier runs only (recordRun), and reads RAG_BASELINE\'s file when given', () => {
    const dir = freshDir();
    const tests = collectTests(report(healthyTests()));
    const first = recordRun(dir, tests, { ...facts, startTime: '2026-01-01T10:00:00.000Z' });
    assert.equal(first.previous, undefined);
    const again = recordRun(dir, tests, { ...facts, startTime: '2026-01-01T10:00:00.000Z' });
    assert.equal(again.previous, undefined, 're-evaluating the same run does not compare it with itself');
    const other = freshDir();
    const explicit = recordRun(other, tests, { ...facts, startTime: '2026-02-01T10:00:00.000Z' }, join(dir, 'latest.json'));
    assert.equal(explicit.previous?.record.run.startTime, '2026-01-01T10:00:00.000Z');
    assert.equal(explicit.compared.get('query.p95_ms')?.changePct, 0);
  });
});
