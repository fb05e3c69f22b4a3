/**
 * `npm run bench -- --repeat N`: how N runs of the gate are summed up – clean runs, flaky tests, broken tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeRun, flakiness, type RunOutcome } from '../scripts/bench.ts';

const run = (over: Partial<RunOutcome> = {}): RunOutcome => ({ seconds: 260, exit: 0, passed: 150, failed: [], retried: [], ...over });

test('three clean runs are three clean runs with no flaky test', () => {
  assert.equal(flakiness([run(), run(), run()]), '3 of 3 clean (exit 0, no failure, no retry); no flaky test');
});

test('a test that failed in one run is flaky, one that failed in all is broken, a retry is not clean', () => {
  const soak = 'stability › 60-stability/stability.spec.ts › no memory leak';
  const ui = 'integration › 30-integration/upload.spec.ts › appears in the dashboard';
  const runs = [run({ exit: 1, failed: [soak, ui] }), run({ exit: 1, failed: [ui] }), run({ retried: [ui] })];
  const text = flakiness(runs);
  assert.match(text, /^0 of 3 clean/);
  assert.match(text, new RegExp(`flaky: ${soak} \\(1 of 3\\)`));
  assert.match(text, new RegExp(`failed in every run: ${ui}`));
  assert.equal(describeRun(runs[0]!), `exit 1; 150 passed, 2 failed: ${soak}; ${ui}, 0 retries`);
});
