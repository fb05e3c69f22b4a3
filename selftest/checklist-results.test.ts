/**
 * Unit tests of the results model (checklist/results.ts), the attestation/waiver files
 * (checklist/records.ts), the renderers and the coverage rules, on synthetic Playwright JSON reports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { expect as baseExpect } from '@playwright/test';
import type { JSONReport, JSONReportTest } from '@playwright/test/reporter';
import { causeOf, linesWithoutCause, NO_CAUSE, statesCause } from '../checklist/cause.ts';
import { computeCoverage } from '../checklist/coverage.ts';
import { loadChecklist } from '../checklist/load.ts';
import type { AnnotationKind } from '../checklist/model.ts';
import { loadRecords, RecordError, type Records } from '../checklist/records.ts';
import { renderHtml, renderJson, renderMarkdown } from '../checklist/render.ts';
import { evaluate, type EvaluateOptions } from '../checklist/results.ts';
import { matchers } from '../fixtures/matchers.ts';
import { checkCauses } from '../scripts/gate.ts';
import { failureOf } from './helpers.ts';

const checklist = loadChecklist();
const tmp = mkdtempSync(join(tmpdir(), 'checklist-selftest-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Outcome = 'passed' | 'failed' | 'skipped' | 'not-verified' | 'flaky' | 'did-not-run';
interface T { title: string; ids: string[]; outcome: Outcome; reason?: string; start?: string; duration?: number; notes?: Array<{ type: AnnotationKind; description: string }> }

/** A minimal Playwright JSON report with one spec per test. */
function report(tests: T[], errors: string[] = []): JSONReport {
  const specs = tests.map((t, n) => {
    const annotations = [
      ...t.ids.map((id) => ({ type: 'checklist', description: id })),
      ...(t.outcome === 'not-verified' ? [{ type: 'not-verified', description: t.reason ?? 'why' }, { type: 'skip', description: `not verified: ${t.reason ?? 'why'}` }] : []),
      ...(t.outcome === 'skipped' ? [{ type: 'skip', description: t.reason ?? 'no reason' }] : []),
      ...(t.notes ?? []),
    ];
    const resultStatus = t.outcome === 'passed' || t.outcome === 'flaky' ? 'passed' : t.outcome === 'failed' ? 'failed' : 'skipped';
    const result = {
      workerIndex: 0, parallelIndex: 0, status: resultStatus, duration: t.duration ?? 100, errors: [], stdout: [], stderr: [], retry: 0,
      startTime: t.start ?? '2026-01-01T10:00:00.000Z', attachments: [{ name: 'trace', contentType: 'application/zip', path: '/repo/reports/test-results/x/trace.zip' }], annotations,
      error: t.outcome === 'failed' ? { message: `Error: ${t.reason ?? 'boom'}\n\nExpected: 200\nReceived: 410` } : undefined,
    };
    const test = {
      timeout: 1000, annotations, expectedStatus: t.outcome === 'skipped' || t.outcome === 'not-verified' ? 'skipped' : 'passed', projectName: 'deployment', projectId: 'deployment',
      results: t.outcome === 'did-not-run' ? [] : t.outcome === 'flaky' ? [{ ...result, status: 'failed' }, result] : [result],
      status: t.outcome === 'failed' ? 'unexpected' : t.outcome === 'flaky' ? 'flaky' : t.outcome === 'passed' ? 'expected' : 'skipped',
    } as unknown as JSONReportTest;
    return { tags: [], title: t.title, ok: t.outcome !== 'failed', tests: [test], id: String(n), file: 'x.spec.ts', line: n + 1, column: 1 };
  });
  return {
    config: { metadata: {}, version: '1.65.1' },
    suites: [{ title: 'x.spec.ts', file: 'x.spec.ts', line: 0, column: 0, specs }],
    errors: errors.map((message) => ({ message })),
    stats: { startTime: '2026-01-01T10:00:00.000Z', duration: 60_000, expected: 0, unexpected: 0, flaky: 0, skipped: 0 },
  } as unknown as JSONReport;
}

const none: Records = { attestations: [], waivers: [] };
const opts: EvaluateOptions = { mode: 'hermetic', target: 'test', strict: false, resultsFile: 'r.json', now: new Date('2026-03-01T00:00:00Z') };
const status = (r: ReturnType<typeof evaluate>, id: string) => r.items.find((i) => i.id === id)!;

describe('results model', () => {
  test('leaf statuses from tests: passed, failed, not verified (reason), skipped, did not run, flaky, none', () => {
    const r = evaluate(checklist, report([
      { title: 'a', ids: ['P2-HEALTH-1'], outcome: 'passed' },
      { title: 'b', ids: ['P2-HEALTH-2'], outcome: 'failed', reason: 'frontend down' },
      { title: 'c', ids: ['P2-HEALTH-3'], outcome: 'not-verified', reason: 'live: port 8002 not reachable' },
      { title: 'd', ids: ['P2-HEALTH-4'], outcome: 'skipped', reason: 'later' },
      { title: 'e', ids: ['P2-HEALTH-5'], outcome: 'did-not-run' },
      { title: 'f', ids: ['P2-HEALTH-6'], outcome: 'flaky' },
    ]), none, opts);
    assert.equal(status(r, 'P2-HEALTH-1').status, 'passed');
    assert.equal(status(r, 'P2-HEALTH-2').status, 'failed');
    assert.match(status(r, 'P2-HEALTH-2').reason!, /frontend down · Expected: 200 · Received: 410/);
    assert.deepEqual([status(r, 'P2-HEALTH-3').status, status(r, 'P2-HEALTH-3').reason], ['not_verified', 'live: port 8002 not reachable']);
    assert.deepEqual([status(r, 'P2-HEALTH-4').status, status(r, 'P2-HEALTH-4').reason], ['not_verified', 'skipped: later']);
    assert.match(status(r, 'P2-HEALTH-5').reason!, /did not run/);
    assert.equal(status(r, 'P2-HEALTH-6').status, 'passed');
    assert.match(status(r, 'P2-HEALTH-6').reason!, /flaky/);
    assert.deepEqual([status(r, 'P3-QUERY-1').status, status(r, 'P3-QUERY-1').decidedBy], ['not_run', 'none']);
    // A not-verified skip is never counted as passed.
    assert.equal(r.counts.passed, 2);
  });

  test('any failing test of an item fails it; a mixed pass/skip is not verified', () => {
    const r = evaluate(checklist, report([
      { title: 'a1', ids: ['P2-HEALTH-1', 'P2-HEALTH-4'], outcome: 'passed' },
      { title: 'a2', ids: ['P2-HEALTH-1'], outcome: 'failed' },
      { title: 'b2', ids: ['P2-HEALTH-4'], outcome: 'not-verified', reason: 'no port 80' },
    ]), none, opts);
    assert.equal(status(r, 'P2-HEALTH-1').status, 'failed');
    assert.equal(status(r, 'P2-HEALTH-4').status, 'not_verified');
    assert.equal(status(r, 'P2-HEALTH-1').tests.length, 2);
  });

  test('parents derive from children; derived items from their sources; failures propagate to the verdict', () => {
    const ids = checklist.children.get('P2-HEALTH')!.map((c) => c.id);
    const pass = evaluate(checklist, report(ids.map((id) => ({ title: id, ids: [id], outcome: 'passed' as const }))), none, opts);
    assert.equal(status(pass, 'P2-HEALTH').status, 'passed');
    assert.equal(status(pass, 'P2-HEALTH').durationMs, 600);
    assert.equal(pass.verdict.result, 'INCOMPLETE');
    assert.equal(pass.verdict.exitCode, 0);
    const fail = evaluate(checklist, report(ids.map((id, n) => ({ title: id, ids: [id], outcome: n === 2 ? ('failed' as const) : ('passed' as const) }))), none, opts);
    assert.equal(status(fail, 'P2-HEALTH').status, 'failed');
    assert.equal(status(fail, 'SIGN-FINAL-2').status, 'failed', 'Production system operational derives from P2');
    assert.equal(fail.verdict.exitCode, 1);
    assert.deepEqual(fail.verdict.blockingLeaves, ['P2-HEALTH-3']);
  });

  test('host-level items are not verified in hermetic mode (with the reason), not run in compose mode', () => {
    const r = evaluate(checklist, report([{ title: 'x', ids: ['P2-HEALTH-1'], outcome: 'passed' }]), none, opts);
    assert.equal(status(r, 'PRE-SERVER-1').status, 'not_verified');
    assert.match(status(r, 'PRE-SERVER-1').reason!, /not the deployment host/);
    const c = evaluate(checklist, report([{ title: 'x', ids: ['P2-HEALTH-1'], outcome: 'passed' }]), none, { ...opts, mode: 'compose' });
    assert.equal(status(c, 'PRE-SERVER-1').status, 'not_run');
  });

  test('an advisory item that fails is shown as failed (not met, advisory) but does not fail the verdict; a required one does', () => {
    assert.equal(checklist.item('PRE-SERVER-2').advisory, true);
    assert.equal(checklist.item('PRE-SERVER-2').required, false);
    const compose = { ...opts, mode: 'compose' as const };
    const host = (failing: string[]) => report(['PRE-SERVER-1', 'PRE-SERVER-2', 'PRE-SERVER-3', 'PRE-SERVER-4'].map((id) => ({
      title: id, ids: [id], outcome: failing.includes(id) ? ('failed' as const) : ('passed' as const), reason: `${id}: 2 CPU cores is below the recommended 8`,
    })));
    const adv = evaluate(checklist, host(['PRE-SERVER-2']), none, compose);
    const item = status(adv, 'PRE-SERVER-2');
    assert.deepEqual([item.status, item.advisory], ['failed', true], 'a recommendation not met is never passed');
    assert.match(item.reason!, /below the recommended 8/);
    assert.deepEqual([status(adv, 'PRE-SERVER').status, status(adv, 'PRE-SERVER').advisory], ['failed', true]);
    assert.match(status(adv, 'PRE-SERVER').reason!, /1 of 4 not met \(advisory\): PRE-SERVER-2/);
    assert.equal(adv.verdict.exitCode, 0);
    assert.equal(adv.verdict.result, 'INCOMPLETE', 'not PASSED: a recommendation is not met');
    assert.deepEqual(adv.verdict.blocking, []);
    assert.deepEqual(adv.verdict.advisory, ['PRE-SERVER-2']);
    const md = renderMarkdown(checklist, adv, '/repo/reports');
    assert.match(md, /^  - \[ \] ❌ .*`PRE-SERVER-2` .* — not met \(advisory\) – PRE-SERVER-2: 2 CPU cores is below the recommended 8/m);
    assert.match(md, /1 recommendation not met \(advisory: PRE-SERVER-2\)/);
    assert.equal((JSON.parse(renderJson(checklist, adv, '/repo/reports')) as { items: Array<{ id: string; advisory: boolean }> }).items.find((i) => i.id === 'PRE-SERVER-2')!.advisory, true);
    assert.match(renderHtml(checklist, adv, '/repo/reports'), /id="PRE-SERVER-2"(?:(?!<\/summary>).)*<span class="tag">advisory<\/span>/s);

    const req = evaluate(checklist, host(['PRE-SERVER-1', 'PRE-SERVER-2']), none, compose);
    assert.equal(req.verdict.exitCode, 1);
    assert.deepEqual(req.verdict.blockingLeaves, ['PRE-SERVER-1']);
    assert.equal(status(req, 'PRE-SERVER').advisory, undefined, 'a required failure beneath makes the parent\'s failure blocking');

    const strict = evaluate(checklist, host(['PRE-SERVER-2']), none, { ...compose, strict: true });
    assert.equal(strict.verdict.exitCode, 1, 'with --strict a recommendation not met blocks');
    assert.ok(strict.verdict.blocking.includes('PRE-SERVER-2'));
  });

  test('attestations tick attest items (and an attest parent hands down); strict mode requires them', () => {
    const records: Records = {
      attestations: [
        { id: 'DOC-TEAM', by: 'Ops Lead', date: '2026-02-01', file: 'attestations/team.yaml', line: 1 },
        { id: 'SIGN-BIZ-1', by: 'Kira Preston', date: '2026-02-02', note: 'UAT ok', file: 'attestations/biz.yaml', line: 3 },
      ],
      waivers: [],
    };
    const r = evaluate(checklist, report([{ title: 'x', ids: ['P2-HEALTH-1'], outcome: 'passed' }]), records, opts);
    assert.equal(status(r, 'DOC-TEAM-3').status, 'attested');
    assert.equal(status(r, 'DOC-TEAM').status, 'attested');
    assert.equal(status(r, 'SIGN-BIZ-1').attestation?.by, 'Kira Preston');
    assert.equal(status(r, 'SIGN-BIZ-2').status, 'not_verified');
    assert.match(status(r, 'SIGN-BIZ-2').reason!, /awaiting attestation/);
    assert.equal(r.verdict.exitCode, 0, 'unattested items do not block without --strict');
    const strict = evaluate(checklist, report([{ title: 'x', ids: ['P2-HEALTH-1'], outcome: 'passed' }]), records, { ...opts, strict: true });
    assert.equal(strict.verdict.exitCode, 1);
    assert.ok(strict.verdict.blocking.includes('SIGN-BIZ-2'));
    assert.ok(!strict.verdict.blocking.includes('SIGN-BIZ-1'));
  });

  test('waivers: valid → waived with expiry; expired → failed; a passing item stays passed', () => {
    const records: Records = {
      attestations: [],
      waivers: [
        { id: 'P2-HEALTH-2', reason: 'frontend fix in 1.0.1', expires: '2026-03-01', approved_by: 'CTO', file: 'waivers/w.yaml', line: 1 },
        { id: 'P2-HEALTH-3', reason: 'old', expires: '2026-02-28', approved_by: 'CTO', file: 'waivers/w.yaml', line: 5 },
        { id: 'P2-HEALTH-1', reason: 'unneeded', expires: '2026-12-31', approved_by: 'CTO', file: 'waivers/w.yaml', line: 9 },
      ],
    };
    const r = evaluate(checklist, report([
      { title: 'a', ids: ['P2-HEALTH-1'], outcome: 'passed' },
      { title: 'b', ids: ['P2-HEALTH-2'], outcome: 'failed' },
      { title: 'c', ids: ['P2-HEALTH-3'], outcome: 'not-verified', reason: 'x' },
    ]), records, opts);
    assert.equal(status(r, 'P2-HEALTH-2').status, 'waived');
    assert.equal(status(r, 'P2-HEALTH-2').underlying?.status, 'failed');
    assert.equal(status(r, 'P2-HEALTH-3').status, 'failed');
    assert.match(status(r, 'P2-HEALTH-3').reason!, /waiver expired on 2026-02-28/);
    assert.equal(status(r, 'P2-HEALTH-1').status, 'passed');
    assert.equal(status(r, 'P2-HEALTH-1').waiver?.applied, false);
    assert.deepEqual(r.verdict.blockingLeaves, ['P2-HEALTH-3']);
  });

  test('a failed test without a checklist ID, or a run error, fails the gate', () => {
    const r = evaluate(checklist, report([{ title: 'setup stack', ids: [], outcome: 'failed', reason: 'docker down' }, { title: 'a', ids: ['P2-HEALTH-1'], outcome: 'passed' }]), none, opts);
    assert.equal(r.verdict.result, 'FAILED');
    assert.match(r.verdict.runErrors[0]!, /setup stack/);
    const e = evaluate(checklist, report([{ title: 'a', ids: ['P2-HEALTH-1'], outcome: 'passed' }], ['worker crashed']), none, opts);
    assert.equal(e.verdict.exitCode, 1);
  });

  test('unknown IDs in the report are listed', () => {
    const r = evaluate(checklist, report([{ title: 'a', ids: ['P2-HEALTH-99'], outcome: 'passed' }]), none, opts);
    assert.deepEqual(r.unknownIds.map((u) => u.id), ['P2-HEALTH-99']);
  });
});

describe('attestation and waiver files', () => {
  const dirs = (name: string, files: Record<string, string>) => {
    const base = join(tmp, name);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(base, rel, '..'), { recursive: true });
      writeFileSync(join(base, rel), text);
    }
    return { attestations: join(base, 'attestations'), waivers: join(base, 'waivers') };
  };

  test('well-formed files load (single mapping or list)', () => {
    const d = dirs('ok', {
      'attestations/a.yaml': 'id: SIGN-BIZ-1\nby: Kira Preston\ndate: 2026-02-01\nnote: UAT passed\n',
      'attestations/b.yaml': '- id: DOC-USERS-1\n  by: PM\n  date: "2026-02-02"\n- id: DOC-USERS-2\n  by: PM\n  date: 2026-02-02\n',
      'waivers/w.yaml': 'id: P2-HEALTH-6\nreason: no Grafana image on this machine\nexpires: 2026-04-01\napproved_by: Kira Preston\n',
    });
    const r = loadRecords(checklist, d);
    assert.deepEqual(r.attestations.map((a) => [a.id, a.line]), [['SIGN-BIZ-1', 1], ['DOC-USERS-1', 1], ['DOC-USERS-2', 4]]);
    assert.equal(r.waivers[0]!.expires, '2026-04-01');
  });

  test('malformed files are reported with file and line', () => {
    const d = dirs('bad', {
      'attestations/a.yaml': 'id: SIGN-BIZ-1\nby: Kira\ndate: yesterday\n',
      'attestations/b.yaml': '- id: P2-HEALTH-1\n  by: me\n  date: 2026-01-01\n- id: NOPE-1\n  by: me\n  date: 2026-01-01\n',
      'attestations/c.yaml': 'id: DOC-OPS-1\nby: [unclosed\n',
      'waivers/w.yaml': 'id: P2-HEALTH-6\nreason: x\nexpires: 2026-02-30\nextra: 1\n',
    });
    let err: unknown;
    try {
      loadRecords(checklist, d);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof RecordError, 'expected a RecordError');
    const p = err.problems.join('\n');
    assert.match(p, /attestations\/a\.yaml:3: "date" must be a date YYYY-MM-DD, got "yesterday"/);
    assert.match(p, /attestations\/b\.yaml:1: P2-HEALTH-1 is an auto item/);
    assert.match(p, /attestations\/b\.yaml:4: unknown checklist ID "NOPE-1"/);
    assert.match(p, /attestations\/c\.yaml:\d+: /);
    assert.match(p, /waivers\/w\.yaml:3: "expires" must be a date/);
    assert.match(p, /waivers\/w\.yaml:4: unknown field "extra"/);
    assert.match(p, /waivers\/w\.yaml:1: missing "approved_by"/);
  });
});

describe('rendering', () => {
  const r = evaluate(checklist, report([
    { title: 'backend health', ids: ['P2-HEALTH-1'], outcome: 'passed', start: '2026-01-01T10:01:00.000Z' },
    { title: 'chroma heartbeat', ids: ['P2-HEALTH-3'], outcome: 'failed', reason: 'heartbeat 410', start: '2026-01-01T10:02:00.000Z' },
  ]), { attestations: [{ id: 'SIGN-BIZ-1', by: 'Kira Preston', date: '2026-01-02', file: 'attestations/a.yaml', line: 1 }], waivers: [] }, opts);

  test('checklist.md: every checkbox line with its mark, in the original order and nesting', () => {
    const md = renderMarkdown(checklist, r, '/repo/reports');
    const boxes = md.split('\n').filter((l) => /^\s*- \[[ x]\] /.test(l));
    assert.equal(boxes.length, 239);
    assert.match(md, /^  - \[ \] ❌ <a id="P2-HEALTH-3"><\/a>`P2-HEALTH-3` ChromaDB health: `curl http:\/\/localhost:8002\/api\/v1\/heartbeat` — FAILED – heartbeat 410 · Expected: 200 · Received: 410 · tests: “chroma heartbeat” \(failed/m);
    assert.match(md, /^  - \[x\] ✅ <a id="P2-HEALTH-1"><\/a>`P2-HEALTH-1` .*“backend health” \(passed, 100 ms, \[trace\]\(test-results\/x\/trace\.zip\)\)/m);
    assert.match(md, /^  - \[ \] ⚪ .*`PRE-SERVER-1` .* — not verified – hermetic: the Docker host is a test machine/m);
    assert.match(md, /^  - \[x\] ✍ .*`SIGN-BIZ-1` .* — attested by Kira Preston on 2026-01-02/m);
    assert.match(md, /^#### Step 1: Deploy Monitoring Stack$/m);
    assert.match(md, /^docker-compose -f docker-compose.monitoring.yml up -d$/m);
    assert.match(md, /^\| 2026-01-01 10:01:00Z \| Application stack deployed \| ❌ \| 1 passed, 1 failed \(P2-HEALTH-3\)/m);
    assert.match(md, /^\*\*Deployment Status\*\*: ❌ FAILED \(standard\): 1 item blocks the release/m);
    assert.match(md, /^\*\*Sign-off\*\*: .*business: signed by Kira Preston \(2026-01-02\)/m);
    assert.doesNotMatch(md, /\[TIME\]/);
    // Items appear in document order.
    const order = [...md.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);
    assert.deepEqual(order, checklist.items.map((i) => i.id));
  });

  test('checklist.json: every item with status, reason, tests and duration', () => {
    const json = JSON.parse(renderJson(checklist, r, '/repo/reports')) as { items: Array<{ id: string; status: string; reason: string | null; tests: Array<{ title: string; durationMs: number }> }>; verdict: { exitCode: number } };
    assert.equal(json.items.length, 239);
    const f = json.items.find((i) => i.id === 'P2-HEALTH-3')!;
    assert.equal(f.status, 'failed');
    assert.equal(f.tests[0]!.title, 'chroma heartbeat');
    assert.equal(json.verdict.exitCode, 1);
  });

  test('measured figures, warnings and info reach the test on the item\'s line (md, html, json)', () => {
    const notes: T['notes'] = [
      { type: 'measured', description: 'p95 412 ms at 10 clients' },
      { type: 'measured', description: 'p50 120 ms' },
      { type: 'warning', description: 'hermetic: measured on the stand-in model <service>' },
      { type: 'info', description: 'k6 results from the run made by "load"' },
    ];
    const m = evaluate(checklist, report([{ title: 'query latency', ids: ['P3-LOAD-1'], outcome: 'passed', notes }]), none, opts);
    assert.deepEqual(status(m, 'P3-LOAD-1').tests[0]!.measured, ['p95 412 ms at 10 clients', 'p50 120 ms']);
    const line = renderMarkdown(checklist, m, '/repo/reports').split('\n').find((l) => l.includes('`P3-LOAD-1`'))!;
    assert.match(line, /“query latency” \(passed, 100 ms, \[trace\]\([^)]*\)\) 📏 p95 412 ms at 10 clients; p50 120 ms ❗ hermetic: measured on the stand-in model <service> ℹ k6 results/);
    const html = renderHtml(checklist, m, '/repo/reports');
    assert.match(html, /<li class="n-measured"><span class="lbl">measured<\/span><span>p95 412 ms at 10 clients<\/span><\/li><li class="n-measured"><span class="lbl">measured<\/span><span>p50 120 ms<\/span><\/li>/);
    assert.match(html, /<li class="n-warning"><span class="lbl">warning<\/span><span>hermetic: measured on the stand-in model &lt;service&gt;<\/span><\/li>/);
    const json = JSON.parse(renderJson(checklist, m, '/repo/reports')) as { items: Array<{ id: string; tests: Array<{ measured: string[]; warnings: string[] }> }> };
    const t = json.items.find((i) => i.id === 'P3-LOAD-1')!.tests[0]!;
    assert.deepEqual([t.measured, t.warnings], [['p95 412 ms at 10 clients', 'p50 120 ms'], ['hermetic: measured on the stand-in model <service>']]);
    // Many figures stay compact on the Markdown line; all of them are in the HTML.
    const many = evaluate(checklist, report([{ title: 'soak', ids: ['P3-LOAD-1'], outcome: 'passed', notes: [1, 2, 3, 4, 5].map((n) => ({ type: 'measured' as const, description: `series ${n}` })) }]), none, opts);
    assert.match(renderMarkdown(checklist, many, '/repo/reports'), /📏 series 1; series 2; series 3 and 2 more/);
    assert.match(renderHtml(checklist, many, '/repo/reports'), /<span>series 5<\/span>/);
  });

  test('checklist.html: anchors for every item, escaped text', () => {
    const html = renderHtml(checklist, r, '/repo/reports');
    for (const i of checklist.items) assert.ok(html.includes(`id="${i.id}"`), i.id);
    assert.match(html, /<code>curl http:\/\/localhost:8002\/api\/v1\/heartbeat<\/code>/);
    assert.match(html, /<strong>Individual Service Health<\/strong>/);
    assert.doesNotMatch(html, /\[TIME\]/);
  });
});

describe('coverage rules', () => {
  const needs = checklist.items.filter((i) => checklist.needsTest(i)).map((i) => i.id);
  const all = needs.map((id) => ({ id, file: 'tests/x.spec.ts', line: 1 }));

  test('a test losing its ID fails naming the item; a baseline item gaining a test asks to shrink it', () => {
    const dropped = all.filter((r) => r.id !== 'P2-HEALTH-1');
    const c = computeCoverage(checklist, dropped, { uncovered: ['P3-LOAD-1'] });
    assert.deepEqual(c.regressions, ['P2-HEALTH-1']);
    assert.deepEqual(c.gained, ['P3-LOAD-1']);
  });

  test('an unknown ID is reported with file and line; derived and parent items need no test', () => {
    const c = computeCoverage(checklist, [...all, { id: 'P2-HEALTH-7', file: 'tests/y.spec.ts', line: 12 }], { uncovered: [] });
    assert.deepEqual(c.unknown, [{ id: 'P2-HEALTH-7', file: 'tests/y.spec.ts', line: 12 }]);
    assert.equal(c.uncovered.length, 0);
    assert.ok(!needs.includes('SIGN-FINAL-1') && !needs.includes('P2-HEALTH') && !needs.includes('DOC-TEAM-1'));
  });
});

describe('the cause on a failed line', () => {
  const expect = baseExpect.extend(matchers);
  /** A failed assertion's message as Playwright's JSON report carries it (`Error: ` + the error's message). */
  const thrown = (f: () => void): string => `Error: ${failureOf(f)}`;
  const ansi = (m: string): string => m.split('\n').map((l) => (l ? `\u001b[31m${l}\u001b[39m` : l)).join('\n');
  const headers = ['/', '/health', '/api/v1/documents?limit=1', '/api/v1/no-such-route'].flatMap((p) => ['Strict-Transport-Security', 'Content-Security-Policy'].map((h) => `route (${p}, 200): missing ${h}`));

  type Failure = { title: string; id: string; status?: 'failed' | 'timedOut'; errors: string[] };
  /** A report whose failed tests carry these Playwright errors. */
  function failing(cases: Failure[]): JSONReport {
    const r = report(cases.map((c) => ({ title: c.title, ids: [c.id], outcome: 'failed' as const })));
    r.suites[0]!.specs.forEach((spec, n) => {
      const res = spec.tests[0]!.results[0]!;
      res.status = cases[n]!.status ?? 'failed';
      res.error = { message: cases[n]!.errors[0]! };
      res.errors = cases[n]!.errors.map((message) => ({ message }));
    });
    return r;
  }
  const cases: Failure[] = [
    { title: 'security headers', id: 'P4-NETSEC-4', errors: [thrown(() => expect(headers).toHaveNoProblems('security headers', { evidence: 'security headers per route' }))] },
    { title: 'API access control', id: 'P4-ACCESS-2', errors: [ansi(thrown(() => expect(['GET /.env answered 200 (expected 404 or 403)', 'GET /.git/config answered 200 (expected 404 or 403)'], 'API access control problems').toEqual([])))] },
    { title: 'backend health', id: 'P2-HEALTH-1', errors: [thrown(() => expect('degraded', 'backend overall status').toBe('healthy'))] },
    {
      title: 'upload in the UI', id: 'P3-UPLOAD-1', status: 'timedOut', errors: [
        'Test timeout of 30000ms exceeded.',
        'Error: locator.click: Test timeout of 30000ms exceeded.\nCall log:\n  - waiting for getByRole(\'button\', { name: \'Upload\' })\n\n  10 |   await page.goto(url);\n> 11 |   await page.getByRole(\'button\').click();\n     |                                   ^\n    at /repo/tests/30-integration/upload.spec.ts:11:35',
      ],
    },
    { title: 'bare toEqual', id: 'P2-HEALTH-3', errors: [ansi(thrown(() => expect(['chroma down', 'redis down']).toEqual([])))] },
  ];
  const r = evaluate(checklist, failing(cases), none, opts);
  const reason = (id: string): string => status(r, id).reason!;

  test('the cause leads, within the first 200 characters: toHaveNoProblems, a message with figures, a timeout', () => {
    assert.match(reason('P4-NETSEC-4').slice(0, 200), /^security headers: 8 problems – missing Strict-Transport-Security, missing Content-Security-Policy on route \(\/, 200\), route \(\/health, 200\)/);
    assert.match(reason('P4-NETSEC-4'), /; evidence: “security headers per route”$/);
    assert.equal(reason('P4-ACCESS-2'), 'API access control problems – received 2: GET /.env answered 200 (expected 404 or 403); GET /.git/config answered 200 (expected 404 or 403)');
    assert.equal(reason('P2-HEALTH-1'), 'backend overall status (expected healthy, received degraded)');
    assert.match(reason('P3-UPLOAD-1').slice(0, 200), /^timed out: Test timeout of 30000ms exceeded\. · locator\.click: Test timeout of 30000ms exceeded\. · waiting for getByRole\('button', \{ name: 'Upload' \}\)$/);
    for (const id of ['P4-NETSEC-4', 'P4-ACCESS-2', 'P2-HEALTH-1', 'P3-UPLOAD-1']) {
      assert.ok(statesCause(reason(id)), id);
      assert.ok(reason(id).length <= 400, id);
      assert.doesNotMatch(reason(id), /\u001b|expect\(received\)|^Error: /, id);
    }
  });

  test('a message that is only the matcher\'s output is flagged, on the line and by --check-causes', () => {
    assert.equal(reason('P2-HEALTH-3'), `${NO_CAUSE}expect(received).toEqual(expected) – received 2: chroma down; redis down`);
    assert.ok(!statesCause(reason('P2-HEALTH-3')));
    for (const bare of ['', 'test failed', 'expect(received).toEqual(expected) // deep equality · - Expected - 1 · + Received + 55', 'timed out: test timedOut']) assert.ok(!statesCause(bare), bare);
    const json = JSON.parse(renderJson(checklist, r, '/repo/reports')) as { items: Parameters<typeof linesWithoutCause>[0] };
    assert.deepEqual(linesWithoutCause(json.items).map((l) => l.split(' ')[0]), ['P2-HEALTH-3']);
    const dir = join(tmp, 'causes');
    mkdirSync(dir, { recursive: true });
    assert.equal(checkCauses(dir), 2, 'no checklist.json');
    writeFileSync(join(dir, 'checklist.json'), renderJson(checklist, r, dir));
    assert.equal(checkCauses(dir), 1);
    const clean = evaluate(checklist, failing(cases.filter((c) => c.id !== 'P2-HEALTH-3')), none, opts);
    writeFileSync(join(dir, 'checklist.json'), renderJson(checklist, clean, dir));
    assert.equal(checkCauses(dir), 0);
  });

  test('a long message is cut between its parts, never inside the first, within 400 characters', () => {
    const problems = Array.from({ length: 12 }, (_, i) => `ssl/cert-${i}.pem expires on 2026-01-0${i % 9}, in 3 days; the checklist requires at least 90 days left (renew it)`);
    const long = evaluate(checklist, failing([{ title: 'tls', id: 'PRE-TLS-3', errors: [`Error: ssl/:\n${problems.map((p) => `  - ${p}`).join('\n')}`] }]), none, opts);
    const m = status(long, 'PRE-TLS-3').reason!;
    assert.ok(m.length <= 400, `${m.length} characters`);
    assert.ok(m.startsWith(`ssl/: ${problems[0]} · ${problems[1]}`), m);
    assert.match(m, / · …$/);
  });

  test('other shapes of Playwright errors: a poll, a locator assertion, an action\'s call log, a thrown error with a stack', () => {
    // expect.poll repeats its message; a locator assertion reports Expected/Error lines; call logs and stacks are no cause.
    assert.equal(causeOf('Error: the count should reach 2\n\nthe count should reach 2\n\nexpect(received).toBe(expected) // Object.is equality\n\nExpected: 2\nReceived: 1\n\nCall Log:\n- Timeout 500ms exceeded while waiting on the predicate'), 'the count should reach 2 (expected 2, received 1)');
    assert.equal(causeOf('Error: the dashboard should show its "Documents" heading\n\nexpect(locator).toBeVisible() failed\n\nLocator: getByRole(\'heading\', { name: \'Documents\' })\nExpected: visible\nTimeout: 5000ms\nError: element(s) not found\n\nCall log:\n  - Expect "toBeVisible" with timeout 5000ms\n  - waiting for getByRole(\'heading\', { name: \'Documents\' })\n'), 'the dashboard should show its "Documents" heading (expected visible, element(s) not found)');
    assert.equal(causeOf('Error: page.goto: net::ERR_CONNECTION_REFUSED at https://localhost:1/\nCall log:\n  - navigating to "https://localhost:1/", waiting until "load"\n'), 'page.goto: net::ERR_CONNECTION_REFUSED at https://localhost:1/');
    assert.equal(causeOf('DrillError: restore: backups/x/data/documents/a.txt does not match its checksum\n    at restoreStep (/repo/checks/rollback.ts:80:11)\n    at /repo/tests/70-rollback/rollback.spec.ts:318:7'), 'DrillError: restore: backups/x/data/documents/a.txt does not match its checksum');
  });

  test('checklist.md, .html and .json carry the same text', () => {
    const md = renderMarkdown(checklist, r, '/repo/reports');
    const html = renderHtml(checklist, r, '/repo/reports');
    const json = JSON.parse(renderJson(checklist, r, '/repo/reports')) as { items: Array<{ id: string; reason: string | null; tests: Array<{ reason: string | null }> }> };
    const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    for (const id of ['P4-NETSEC-4', 'P4-ACCESS-2', 'P3-UPLOAD-1', 'P2-HEALTH-3']) {
      const item = json.items.find((i) => i.id === id)!;
      assert.equal(item.reason, reason(id));
      assert.equal(item.tests[0]!.reason, reason(id));
      assert.ok(!reason(id).includes('\n'), id);
      assert.ok(md.split('\n').some((l) => l.includes(`\`${id}\``) && l.includes(`— FAILED – ${reason(id)}`)), `${id} in checklist.md`);
      assert.ok(html.includes(esc(reason(id))), `${id} in checklist.html`);
    }
  });
});
