/**
 * The counting of `npm run prove:hostile` (prove/hostile/verdict.ts) on synthetic results: a passed service line is
 * a false green, a TypeError is the gate crashing, a failure or skip that says nothing is a line without a reason;
 * and a failed set-up hands its cause to every test it blocked (checklist/results.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JSONReport } from '@playwright/test/reporter';
import { loadChecklist } from '../checklist/load.ts';
import { collectTests, type ItemResult, type TestOutcome } from '../checklist/results.ts';
import { EXEMPT, crashes, givesReason, isCrash, judge, unexplained } from '../prove/hostile/verdict.ts';

function outcome(o: Partial<TestOutcome> & Pick<TestOutcome, 'outcome'>): TestOutcome {
  return { title: 't', fullTitle: 't', file: 'x.spec.ts', line: 1, project: 'deployment', notVerified: false, flaky: false, durationMs: 1, ids: [], attachments: [], info: [], warnings: [], measured: [], figures: [], ...o };
}

function item(id: string, status: ItemResult['status'], reason?: string, tests: TestOutcome[] = []): ItemResult {
  return { id, phase: 'P2', section: 's', parent: null, depth: 0, line: 1, text: `text of ${id}`, kind: 'auto', required: true, status, ...(reason !== undefined ? { reason } : {}), tests, durationMs: 0, decidedBy: 'tests', figures: [] };
}

function result(items: ItemResult[], runErrors: string[] = []): Parameters<typeof judge>[0] {
  const counts = { passed: 0, failed: 0, not_verified: 0, attested: 0, waived: 0, not_run: 0 };
  for (const i of items) counts[i.status]++;
  return { items, counts, verdict: { runErrors } };
}

test('a clean hostile run: every service line failed with its cause or is not verified with a reason', () => {
  const failed = outcome({ outcome: 'failed', ids: ['P2-HEALTH-1'], reason: 'backend /health should answer 200, got 500' });
  const v = judge(
    result([
      item('P2-HEALTH-1', 'failed', failed.reason, [failed]),
      item('P2-HEALTH-3', 'not_verified', 'live: ChromaDB\'s port 8002 is not reachable from here; set RAG_CHROMA_URL'),
      item('PRE-SECCONF-4', 'passed'),
    ]),
    [failed],
  );
  assert.deepEqual(v.passed, []);
  assert.deepEqual(v.exempted.map((e) => e.id), ['PRE-SECCONF-4']);
  assert.deepEqual(v.crashed, []);
  assert.deepEqual(v.noReason, []);
  assert.equal(v.clean, true);
});

test('a passed service line is a false green: the run is not clean', () => {
  const v = judge(result([item('P2-HEALTH-4', 'passed', undefined, [outcome({ outcome: 'passed', ids: ['P2-HEALTH-4'] })])]), []);
  assert.deepEqual(v.passed, [{ id: 'P2-HEALTH-4', text: 'text of P2-HEALTH-4' }]);
  assert.equal(v.clean, false);
});

test('an exemption applies only to its own line', () => {
  const v = judge(result([item('P2-HEALTH-4', 'passed'), item('PRE-SECCONF-4', 'passed')]), [], { 'PRE-SECCONF-4': 'why' });
  assert.deepEqual(v.passed.map((p) => p.id), ['P2-HEALTH-4']);
});

test('every exempt line exists in the checklist and says why', () => {
  const checklist = loadChecklist();
  for (const [id, why] of Object.entries(EXEMPT)) {
    assert.ok(checklist.byId.has(id), `${id} is not a checklist ID`);
    assert.ok(why.length > 40, `${id}: the exemption must say why its pass is true against any target`);
  }
});

test('crashes: errors of the gate\'s own code, timeouts instead of decisions, errors outside tests', () => {
  assert.equal(isCrash('TypeError: Cannot read properties of undefined (reading \'filter\')'), true);
  assert.equal(isCrash('ReferenceError: x is not defined'), true);
  assert.equal(isCrash('timed out: Test timeout of 60000ms exceeded.'), true);
  assert.equal(isCrash('ENOENT: no such file or directory, open \'fixtures/documents/a.txt\''), true);
  assert.equal(isCrash('Unhandled promise rejection'), true);
  // The deployment's fault in words is not a crash.
  assert.equal(isCrash('backend /health should answer 200, got 500: hostile target: internal error'), false);
  assert.equal(isCrash('GET http://127.0.0.1:1/health failed before any answer: no answer within 30 s'), false);
  const tests = [
    outcome({ outcome: 'failed', ids: ['RB-CRIT-2'], title: 'integrity', fullTitle: 'Rollback › integrity', project: 'rollback', reason: 'TypeError: Cannot read properties of undefined (reading \'filter\')' }),
    outcome({ outcome: 'failed', ids: ['P2-HEALTH-1'], reason: 'backend /health should answer 200, got 500' }),
    outcome({ outcome: 'skipped', ids: ['P2-HEALTH-2'], reason: 'TypeError in a skip reason is not a failure' }),
  ];
  const c = crashes(tests, ['test without checklist ID failed: setup › start: RAG_BASE_URL is not reachable', 'run error: Error: worker teardown failed']);
  assert.deepEqual(c.map((x) => x.where), ['rollback › Rollback › integrity', 'run error']);
  const v = judge(result([item('RB-CRIT-2', 'failed', tests[0]!.reason, [tests[0]!])]), tests);
  assert.equal(v.crashed.length, 1);
  assert.equal(v.clean, false);
});

test('lines without a reason: a failure with only the matcher\'s output, a skip that says nothing, an empty reason', () => {
  const matcherOnly = outcome({ outcome: 'failed', ids: ['P2-HEALTH-5'], title: 'prom', reason: 'no cause given by the test: expect(received).toBe(expected) (expected 200, received 500)' });
  assert.ok(unexplained(item('P2-HEALTH-5', 'failed', matcherOnly.reason, [matcherOnly])));
  assert.ok(unexplained(item('P3-QUERY-3', 'not_verified', 'skipped: no reason given')));
  assert.ok(unexplained(item('P3-QUERY-4', 'not_verified', 'live: no HTTPS URL for Nginx | skipped: no reason given')));
  assert.ok(unexplained(item('P3-QUERY-1', 'not_verified', '')));
  assert.ok(unexplained(item('P3-QUERY-1', 'not_run')));
  assert.equal(unexplained(item('P3-QUERY-1', 'not_verified', 'blocked: the set-up failed – RAG_BASE_URL=http://127.0.0.1:1/ is not reachable (no answer to GET /health within 5 s)')), undefined);
  assert.equal(unexplained(item('P3-QUERY-1', 'not_run', 'no test result names this item')), undefined);
  assert.equal(givesReason('live: the soak needs the backend URL'), true);
  assert.equal(givesReason('skipped'), false);
  const v = judge(result([item('P3-QUERY-3', 'not_verified', 'skipped: no reason given')]), []);
  assert.deepEqual(v.noReason.map((u) => u.id), ['P3-QUERY-3']);
  assert.equal(v.clean, false);
});

test('a failed set-up hands its cause to every test it blocked', () => {
  const spec = (title: string, projectName: string, results: unknown[], status: string, annotations: unknown[] = []) => ({
    title,
    file: 'x.ts',
    line: 1,
    column: 1,
    ok: status !== 'unexpected',
    tags: [],
    id: title,
    specs: [],
    tests: [{ timeout: 1, annotations, expectedStatus: 'passed', projectName, projectId: projectName, results, status }],
  });
  const report = {
    config: {},
    errors: [],
    stats: { startTime: new Date(0).toISOString(), duration: 1, expected: 0, unexpected: 1, flaky: 0, skipped: 1 },
    suites: [
      {
        title: 'x.ts',
        file: 'x.ts',
        line: 0,
        column: 0,
        specs: [
          spec('start or attach', 'setup', [{ status: 'failed', duration: 5000, errors: [], error: { message: 'Error: RAG_BASE_URL=http://127.0.0.1:1/ is not reachable (no answer to GET /health within 5 s).' }, attachments: [], annotations: [] }], 'unexpected'),
          spec('health', 'deployment', [], 'skipped', [{ type: 'checklist', description: 'P2-HEALTH-1' }]),
        ],
      },
    ],
  } as unknown as JSONReport;
  const blocked = collectTests(report).find((t) => t.project === 'deployment')!;
  assert.equal(blocked.outcome, 'skipped');
  assert.match(blocked.reason!, /^blocked: the set-up failed – RAG_BASE_URL=http:\/\/127\.0\.0\.1:1\/ is not reachable \(no answer to GET \/health within 5 s\)/);
});
