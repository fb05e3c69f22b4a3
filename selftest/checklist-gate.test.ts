/**
 * End to end: a real Playwright run (a generated spec using fixtures/checklist.ts, no target needed) whose
 * JSON report goes through `npm run gate`: one item fails → that line is failed in checklist.md and the JSON,
 * and the exit code is 1; a missing results file → 2; a malformed waiver → 2 naming file and line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../checklist/source.ts';

// Inside the repository (git-ignored .cache/) so the generated spec resolves @playwright/test and fixtures/.
const dir = resolve(REPO_ROOT, '.cache', `selftest-gate-${process.pid}`);
const CHECKLIST_FIXTURES = resolve(REPO_ROOT, 'fixtures', 'checklist.ts');
const results = join(dir, 'playwright.json');
const empty = join(dir, 'empty');

function gate(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'scripts/gate.ts'), '--reports', join(dir, 'reports'), '--attestations', empty, '--waivers', empty, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

before(() => {
  mkdirSync(empty, { recursive: true });
  writeFileSync(join(dir, 'playwright.config.ts'), `import { defineConfig } from '@playwright/test';
export default defineConfig({ testDir: '.', workers: 1, reporter: [['json', { outputFile: 'playwright.json' }]], metadata: { mode: 'hermetic', target: 'selftest' } });
`);
  writeFileSync(join(dir, 'sample.spec.ts'), `import { test as base, expect } from '@playwright/test';
import { checklistFixtures, notVerified, verifies } from '${CHECKLIST_FIXTURES}';
const test = base.extend(checklistFixtures);
test('backend health answers 200', verifies('P2-HEALTH-1'), async () => { expect(200).toBe(200); });
test('chroma heartbeat answers 200', verifies('P2-HEALTH-3'), async () => { expect(410, 'heartbeat status').toBe(200); });
test('prometheus is healthy', verifies('P2-HEALTH-5'), async ({}, testInfo) => notVerified(testInfo, 'live: port 9090 is not reachable from here'));
`);
  const run = spawnSync(process.execPath, [resolve(REPO_ROOT, 'node_modules/@playwright/test/cli.js'), 'test', '-c', 'playwright.config.ts'], { cwd: dir, encoding: 'utf8' });
  assert.equal(run.status, 1, `the sample run should have one failing test:\n${run.stdout}\n${run.stderr}`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('one failing item: failed in checklist.md, checklist.json and the exit code; the summary names it', () => {
  const { code, out } = gate('--results', results);
  assert.equal(code, 1, out);
  assert.match(out, /GATE FAILED: P2-HEALTH-3 ChromaDB health: `curl http:\/\/localhost:8002\/api\/v1\/heartbeat`/);
  const md = readFileSync(join(dir, 'reports', 'checklist.md'), 'utf8');
  assert.match(md, /^  - \[ \] ❌ <a id="P2-HEALTH-3"><\/a>`P2-HEALTH-3` .* — FAILED – heartbeat status \(expected 200, received 410\)/m);
  assert.equal(gate('--check-causes').code, 0, 'the failed line states its cause');
  assert.match(md, /^  - \[x\] ✅ <a id="P2-HEALTH-1"><\/a>/m);
  assert.match(md, /^  - \[ \] ⚪ <a id="P2-HEALTH-5"><\/a>.* — not verified – live: port 9090 is not reachable from here/m);
  const json = JSON.parse(readFileSync(join(dir, 'reports', 'checklist.json'), 'utf8')) as { run: { mode: string }; items: Array<{ id: string; status: string; tests: Array<{ durationMs: number }> }> };
  assert.equal(json.run.mode, 'hermetic');
  const item = (id: string) => json.items.find((i) => i.id === id)!;
  assert.equal(item('P2-HEALTH-3').status, 'failed');
  assert.equal(item('P2-HEALTH-1').status, 'passed');
  assert.equal(item('P2-HEALTH-5').status, 'not_verified');
  assert.ok(item('P2-HEALTH-3').tests[0]!.durationMs >= 0);
  assert.match(readFileSync(join(dir, 'reports', 'checklist.html'), 'utf8'), /id="P2-HEALTH-3" class="item s-failed"/);
});

test('a valid waiver turns the failure into waived and the gate passes (incomplete); --strict still fails', () => {
  const waivers = join(dir, 'waivers');
  mkdirSync(waivers, { recursive: true });
  writeFileSync(join(waivers, 'chroma.yaml'), 'id: P2-HEALTH-3\nreason: ChromaDB 1.x retired /api/v1\nexpires: 2999-01-01\napproved_by: Kira Preston\n');
  const ok = gate('--results', results, '--waivers', waivers);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /INCOMPLETE/);
  const strict = gate('--results', results, '--waivers', waivers, '--strict');
  assert.equal(strict.code, 1, strict.out);
  assert.match(strict.out, /GATE FAILED \(strict\): \d+ not verified, \d+ not run item\(s\) not passed\/attested\/waived/);
});

test('missing results file: exit 2 telling to run playwright first', () => {
  const { code, out } = gate('--results', join(dir, 'nope.json'));
  assert.equal(code, 2);
  assert.match(out, /npx playwright test/);
});

test('malformed waiver: exit 2 naming file and line', () => {
  const bad = join(dir, 'bad-waivers');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'w.yaml'), 'id: P2-HEALTH-3\nreason: x\nexpires: soon\napproved_by: me\n');
  const { code, out } = gate('--results', results, '--waivers', bad);
  assert.equal(code, 2);
  assert.match(out, /w\.yaml:3: "expires" must be a date YYYY-MM-DD/);
});
