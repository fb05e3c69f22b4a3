/**
 * The CI job summary (scripts/job-summary.ts): from a checklist.json the gate renders (checklist/render.ts, on a
 * synthetic Playwright report) and from hand-made ones – the verdict, a row per phase that adds up to the leaf counts,
 * the blocking lines first with their reasons, the cap on listed lines, Markdown that cannot break out of its line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { JSONReport } from '@playwright/test/reporter';
import { loadChecklist } from '../checklist/load.ts';
import { renderJson } from '../checklist/render.ts';
import { evaluate } from '../checklist/results.ts';
import { REPO_ROOT } from '../core/paths.ts';
import { MAX_FAILED_LINES, parseArgs, phaseTitle, phaseTitles, summaryMarkdown, type ChecklistJson } from '../scripts/job-summary.ts';

const tmp = mkdtempSync(join(tmpdir(), 'job-summary-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A Playwright JSON report of two tests: P2-HEALTH-1 passed, P2-HEALTH-3 failed. */
function report(): JSONReport {
  const spec = (n: number, id: string, ok: boolean) => {
    const annotations = [{ type: 'checklist', description: id }];
    const result = {
      workerIndex: 0, parallelIndex: 0, status: ok ? 'passed' : 'failed', duration: 100, errors: [], stdout: [], stderr: [], retry: 0,
      startTime: '2026-01-01T10:00:00.000Z', attachments: [], annotations,
      error: ok ? undefined : { message: 'Error: ChromaDB heartbeat: GET /api/v1/heartbeat answered 410 Gone\n\nExpected: 200\nReceived: 410' },
    };
    const t = { timeout: 1000, annotations, expectedStatus: 'passed', projectName: 'deployment', projectId: 'deployment', results: [result], status: ok ? 'expected' : 'unexpected' };
    return { tags: [], title: id, ok, tests: [t], id: String(n), file: 'health.spec.ts', line: n + 1, column: 1 };
  };
  return {
    config: { metadata: {}, version: '1.65.1' },
    suites: [{ title: 'health.spec.ts', file: 'health.spec.ts', line: 0, column: 0, specs: [spec(0, 'P2-HEALTH-1', true), spec(1, 'P2-HEALTH-3', false)] }],
    errors: [],
    stats: { startTime: '2026-01-01T10:00:00.000Z', duration: 60_000, expected: 1, unexpected: 1, flaky: 0, skipped: 0 },
  } as unknown as JSONReport;
}

function rendered(): ChecklistJson & { leafCounts: Record<string, number> } {
  const checklist = loadChecklist();
  const result = evaluate(checklist, report(), { attestations: [], waivers: [] }, {
    mode: 'live', target: 'https://rag.example.com', strict: false, resultsFile: 'r.json', now: new Date('2026-03-01T00:00:00Z'),
  });
  return JSON.parse(renderJson(checklist, result, tmp)) as ChecklistJson & { leafCounts: Record<string, number> };
}

test('from the gate\'s own checklist.json: verdict, one row per phase adding up to the leaf counts, the blocking line first', () => {
  const json = rendered();
  const md = summaryMarkdown(json, phaseTitles());
  assert.match(md, /^## rag-gate: ❌ FAILED \(exit 1\)$/m);
  assert.match(md, /· mode live · target https:\/\/rag\.example\.com · /);
  const rows = md.split('\n').filter((l) => /^\| (PRE|P1|P2|P3|P4|MON|STAB|RB|DOC|SIGN) /.test(l));
  assert.deepEqual(rows.map((r) => r.split(' ')[1]), ['PRE', 'P1', 'P2', 'P3', 'P4', 'MON', 'STAB', 'RB', 'DOC', 'SIGN']);
  assert.match(md, /^\| P2 Phase 2: Service Deployment \| 1 \| \*\*1\*\* \| /m);
  const all = md.split('\n').find((l) => l.startsWith('| **all** |'))!;
  const counts = all.split('|').slice(2, -1).map((c) => Number(c.trim()));
  assert.deepEqual(counts, ['passed', 'failed', 'not_verified', 'attested', 'waived', 'not_run'].map((s) => json.leafCounts[s]));
  const failed = md.split('\n').filter((l) => l.startsWith('- ❌'));
  assert.match(failed[0]!, /^- ❌ `P2-HEALTH-3` \*\*blocking\*\* ChromaDB health: .* – .*410 Gone/);
  assert.ok(failed.length > 1, 'the lines that follow from it (sign-off) are listed after it');
  assert.ok(failed.slice(1).every((l) => !l.includes('**blocking**')));
});

function item(id: string, status: ChecklistJson['items'][number]['status'], more: Partial<ChecklistJson['items'][number]> = {}): ChecklistJson['items'][number] {
  return { id, text: `text of ${id}`, phase: id.split('-')[0]!, parent: null, required: true, status, reason: null, ...more };
}

function made(items: ChecklistJson['items'], verdict: Partial<ChecklistJson['verdict']> = {}): ChecklistJson {
  return {
    checklist: { title: 'Production Deployment Checklist - RAG System v1.0' },
    run: { mode: 'hermetic', strict: true, durationMs: 61_400 },
    verdict: { result: 'FAILED', exitCode: 1, blockingLeaves: [], runErrors: [], ...verdict },
    items,
  };
}

test('passed: no failed section; parents are not counted; strict and the duration are said', () => {
  const items = [item('P1-X', 'passed'), item('P1-X-1', 'passed', { parent: 'P1-X' }), item('P1-X-2', 'attested', { parent: 'P1-X' })];
  const md = summaryMarkdown(made(items, { result: 'PASSED', exitCode: 0 }), new Map([['P1', 'Phase 1']]));
  assert.match(md, /^## rag-gate: ✅ PASSED \(exit 0\)$/m);
  assert.match(md, /· mode hermetic · strict · 61 s · 2 checkboxes/);
  assert.match(md, /^\| P1 Phase 1 \| 1 \| 0 \| 0 \| 1 \| 0 \| 0 \|$/m);
  assert.doesNotMatch(md, /Failed lines/);
});

test('failed lines: blocking first, advisory and not-required tagged, Markdown and HTML kept on their line, capped', () => {
  const items = [
    item('P4-A-1', 'failed', { reason: 'line one\nline two <script>x</script>', text: '**bold** | piped' }),
    item('P4-A-2', 'failed', { required: false }),
    item('P4-A-3', 'failed'),
    item('P4-A-4', 'failed', { reason: 'x'.repeat(1000) }),
  ];
  const md = summaryMarkdown(made(items, { blockingLeaves: ['P4-A-4'], advisory: ['P4-A-3'], runErrors: ['Error: ENOENT reports/x'] }), new Map());
  const failed = md.split('\n').filter((l) => l.startsWith('- ❌'));
  assert.deepEqual(failed.map((l) => l.split('`')[1]), ['P4-A-4', 'P4-A-1', 'P4-A-2', 'P4-A-3']);
  assert.match(md, /### Failed lines \(1 blocking, 3 other\)/);
  assert.match(failed[0]!, /\*\*blocking\*\*.*x…$/);
  assert.ok(failed[0]!.length < 600, 'a long reason is cut');
  assert.equal(failed[1], '- ❌ `P4-A-1` bold | piped – line one line two &lt;script&gt;x&lt;/script&gt;');
  assert.match(failed[2]!, /\(not required\)/);
  assert.match(failed[3]!, /\(advisory\)/);
  assert.match(md, /### The run itself broke \(1\)\n\n- Error: ENOENT reports\/x/);
  const many = summaryMarkdown(made(Array.from({ length: MAX_FAILED_LINES + 5 }, (_, n) => item(`P3-B-${n + 1}`, 'failed'))), new Map());
  assert.equal(many.split('\n').filter((l) => l.startsWith('- ❌')).length, MAX_FAILED_LINES);
  assert.match(many, /^- … and 5 more: see checklist\.md$/m);
});

test('phase titles without their emoji; arguments', () => {
  assert.equal(phaseTitle('📋 Pre-Deployment Requirements'), 'Pre-Deployment Requirements');
  assert.equal(phaseTitle('"Phase 1: Pre-Deployment Validation ✅"'), 'Phase 1: Pre-Deployment Validation');
  assert.equal(phaseTitle('Stability Assessment (First Week) ✅'), 'Stability Assessment (First Week)');
  assert.equal(phaseTitles().get('RB'), 'Rollback Procedures');
  assert.deepEqual(parseArgs(['--note', 'n', 'x.json']), { file: join(process.cwd(), 'x.json'), note: 'n' });
});

test('the CLI: a rendered checklist.json, and a missing one said (exit 0: the gate\'s exit code fails the job)', () => {
  const file = join(tmp, 'checklist.json');
  writeFileSync(file, JSON.stringify(rendered()));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'job-summary.ts'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  const ok = cli(file, '--note', 'Artifacts: rag-gate-checklist');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^## rag-gate: ❌ FAILED/);
  assert.match(ok.stdout, /Artifacts: rag-gate-checklist\n/);
  const missing = cli(join(tmp, 'none.json'));
  assert.equal(missing.status, 0);
  assert.match(missing.stdout, /^## rag-gate: no checklist\n\nThe gate did not get as far as writing .*none\.json/);
});
