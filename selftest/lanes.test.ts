/**
 * scripts/lanes.ts: the lanes cover the suite – every test in exactly one lane, as Playwright itself selects them
 * with each lane's arguments – and the pure parts (arguments, environment, the stack-up record, the outcome line).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { JSONReport, JSONReportSuite } from '@playwright/test/reporter';
import { REPO_ROOT } from '../checklist/source.ts';
import { inLane, laneArgs, laneEnv, LANES, outcomeOf, parseArgs, stackUp, UsageError, type Lane } from '../scripts/lanes.ts';
import { UNSHARDED } from '../scripts/shards.ts';

const CLI = join(REPO_ROOT, 'node_modules/@playwright/test/cli.js');

/** project › tests/<file> › title of every test Playwright lists for `args` (setup and teardown left out). */
function listed(args: string[]): string[] {
  const r = spawnSync(process.execPath, [CLI, 'test', '--list', '--reporter=json', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_FILE: '' }, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as JSONReport;
  const out: string[] = [];
  const walk = (s: JSONReportSuite): void => {
    for (const spec of s.specs) for (const t of spec.tests) if (!UNSHARDED.has(t.projectName)) out.push(`${t.projectName} › tests/${spec.file} › ${spec.title}`);
    for (const c of s.suites ?? []) walk(c);
  };
  for (const s of report.suites) walk(s);
  return out.sort();
}

describe('the lanes cover the suite', () => {
  const all = listed([]);

  test('every test of the suite is in exactly one lane', () => {
    assert.ok(all.length > 150, `the suite lists ${all.length} tests`);
    const outside: string[] = [];
    const twice: string[] = [];
    for (const t of all) {
      const [project, file] = t.split(' › ') as [string, string];
      const lanes = LANES.filter((l) => inLane(l, project, file));
      if (lanes.length === 0) outside.push(t);
      if (lanes.length > 1) twice.push(`${t} (${lanes.map((l) => l.name).join(', ')})`);
    }
    assert.deepEqual(outside, [], 'tests in no lane would not run in a lanes run');
    assert.deepEqual(twice, [], 'tests in two lanes would run twice');
  });

  test('each lane\'s playwright arguments select exactly its tests', () => {
    for (const lane of LANES) {
      const args = laneArgs(lane, []).slice(2).filter((a) => !a.startsWith('--reporter'));
      const expected = all.filter((t) => {
        const [project, file] = t.split(' › ') as [string, string];
        return inLane(lane, project, file);
      });
      assert.deepEqual(listed(args), expected, `lane ${lane.name}: ${args.join(' ')}`);
    }
  });

  test('a lane plan that leaves a file out is caught', () => {
    const partial: Lane = { ...LANES.find((l) => l.name === 'checks')!, files: ['tests/(01|10|20|30)-'] };
    const lost = all.filter((t) => {
      const [project, file] = t.split(' › ') as [string, string];
      return ![...LANES.filter((l) => l.name !== 'checks'), partial].some((l) => inLane(l, project, file));
    });
    assert.ok(lost.some((t) => t.startsWith('security › ')), 'the security phase would be lost');
  });
});

describe('lanes: arguments, environment, records', () => {
  test('--only picks lanes by name; a wrong name or argument is a usage error that names it', () => {
    assert.deepEqual(parseArgs(['--only', 'checks,drill']).lanes.map((l) => l.name), ['drill', 'checks'], 'in start order');
    assert.deepEqual(parseArgs(['--', '--retries=1']).extra, ['--retries=1']);
    assert.throws(() => parseArgs(['--only', 'soak,nope']), (e: Error) => e instanceof UsageError && /no lane nope/.test(e.message));
    assert.throws(() => parseArgs(['--only']), UsageError);
    assert.throws(() => parseArgs(['--shards', '2']), /unknown argument --shards/);
  });

  test('each lane has its own stack, results and blob report', () => {
    const lane = LANES[0]!;
    const env = laneEnv({ RAG_PROJECT: 'bench' }, lane, '/r/lanes');
    assert.equal(env.RAG_PROJECT, `bench-${lane.name}`);
    assert.equal(env.RAG_RESULTS_DIR, `/r/lanes/${lane.name}`);
    assert.equal(env.PLAYWRIGHT_BLOB_OUTPUT_FILE, `/r/lanes/blob/report-${lane.name}.zip`);
    assert.equal(laneEnv({}, lane, '/r').RAG_PROJECT, `raggate-hermetic-${lane.name}`);
    assert.deepEqual(new Set(LANES.map((l) => laneEnv({}, l, '/r').RAG_PROJECT)).size, LANES.length);
  });

  test('a stack counts as up only once the setup project recorded its URLs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-state-'));
    try {
      assert.equal(stackUp('p', dir), false, 'no record');
      writeFileSync(join(dir, 'target-p.json'), JSON.stringify({ urls: {}, owned: true }));
      assert.equal(stackUp('p', dir), false, 'the record written before start-up');
      writeFileSync(join(dir, 'target-p.json'), '{"urls": {"nginxHttps"');
      assert.equal(stackUp('p', dir), false, 'half written');
      writeFileSync(join(dir, 'target-p.json'), JSON.stringify({ urls: { nginxHttps: 'https://127.0.0.1:1' } }));
      assert.equal(stackUp('p', dir), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the outcome line is the dot reporter\'s summary, or says that there was none', () => {
    assert.equal(outcomeOf('···F·\n  1 failed\n    [x] › a.spec.ts:1:1 › t\n  1 skipped\n  26 passed (4.7m)\n', 1), '1 failed, 1 skipped, 26 passed');
    assert.equal(outcomeOf('Error: Project(s) "x" not found\n', 1), 'no test summary (playwright exit 1)');
  });
});
