/**
 * The checklist as data still matches the customer's CHECKLIST.md and the specs (the tests it records per item are
 * where the specs declare them: moving or renaming a test without `npm run checklist:build` fails here, naming the
 * item and the file), and the suite's tests name only real items and cover every auto item that is not in the
 * committed baseline. Prints the coverage.
 *
 *   node --import tsx --test selftest/checklist.test.ts
 *   CHECKLIST_REQUIRE_FULL_COVERAGE=1 ...   every auto item must have a test
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { coverageReport, readBaseline, scanCoverage } from '../checklist/coverage.ts';
import { CHECKLIST_YAML, loadChecklist, parseChecklistYaml } from '../checklist/load.ts';
import { MODES } from '../checklist/model.ts';
import { readChecklistMd } from '../checklist/source.ts';
import { requireFullCoverage } from '../core/config.ts';
import { scanTests } from '../checklist/tests-scan.ts';
import { generate, staleness } from '../scripts/checklist-build.ts';

const md = readChecklistMd();
const mdLines = md.text.split('\n');
const checklist = loadChecklist();
const scan = scanTests();

test('checklist.yaml validates against checklist.schema.json (ajv) and is consistent', () => {
  // loadChecklist validated it; a broken copy must be rejected with the offending item named.
  const broken = readFileSync(CHECKLIST_YAML, 'utf8').replace('kind: auto', 'kind: maybe');
  assert.throws(() => parseChecklistYaml(broken, 'broken.yaml'), /broken\.yaml does not match checklist\.schema\.json: .*kind/s);
});

test('all 239 checkboxes of CHECKLIST.md are items, with unique IDs', () => {
  const boxes = mdLines.filter((l) => /^\s*- \[ \] /.test(l)).length;
  assert.equal(boxes, 239, 'CHECKLIST.md should have 239 checkboxes');
  assert.equal(checklist.items.length, boxes);
  const ids = checklist.items.map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length, 'IDs must be unique');
});

test('every item text occurs verbatim at its line in CHECKLIST.md', () => {
  const wrong = checklist.items.filter((i) => mdLines[i.line - 1]?.replace(/^\s*- \[ \] /, '') !== i.text);
  assert.deepEqual(wrong.map((i) => `${i.id} line ${i.line}: yaml "${i.text}" vs md "${mdLines[i.line - 1] ?? ''}"`), []);
  const outlineWrong = checklist.doc.outline.filter((o) => mdLines[o.line - 1] !== o.text);
  assert.deepEqual(outlineWrong.map((o) => `line ${o.line}`), [], 'outline lines must match CHECKLIST.md');
});

test('checklist.yaml is what checklist-build generates from CHECKLIST.md, overlay.yaml and the specs (= build --check)', () => {
  assert.deepEqual(staleness(readFileSync(CHECKLIST_YAML, 'utf8'), generate(scan)), [], 'checklist/checklist.yaml is stale');
});

test('the fixed ID scheme: spot checks', () => {
  const text = (id: string): string => checklist.item(id).text;
  assert.equal(text('PRE-DIRS-1'), '`data/` directory created with subdirectories');
  assert.match(text('PRE-DIRS-1.1'), /^`data\/chroma\/`/);
  assert.equal(text('PRE-ENV-2'), 'All environment variables configured:');
  assert.match(text('PRE-ENV-2.1'), /^`SECRET_KEY`/);
  assert.match(text('PRE-ENV-2.8'), /^`LOG_LEVEL=INFO`/);
  assert.equal(text('P2-HEALTH-1'), 'RAG Backend health: `curl http://localhost:8000/health`');
  assert.match(text('P2-HEALTH-6'), /^Grafana health/);
  assert.deepEqual(checklist.items.filter((i) => i.id.startsWith('RB-CRIT-')).map((i) => [i.id, i.parent]), [1, 2, 3, 4, 5].map((n) => [`RB-CRIT-${n}`, null]));
  assert.equal(checklist.item('P1-BACKUP').text, '**Data Backup** (if upgrading)');
});

test('kinds: people-only items are attestations, required only in strict mode', () => {
  for (const id of ['DOC-TEAM-2', 'SIGN-BIZ-1', 'DOC-USERS-1', 'DOC-OPS-1', 'DOC-OPS-2', 'STAB-ISSUES-3', 'RB-IMMEDIATE-3']) {
    assert.equal(checklist.item(id).kind, 'attest', id);
    assert.equal(checklist.item(id).required, false, id);
  }
  for (const i of checklist.items.filter((x) => x.kind === 'auto')) {
    assert.equal(i.required, !i.advisory, i.id); // an advisory (recommendation) blocks only in strict mode
    for (const m of MODES) assert.ok(i.modes?.includes(m) !== !!i.not_verifiable?.[m], `${i.id}: mode ${m} must be in modes xor not_verifiable`);
  }
});

test('tests name only known checklist IDs, and cover every auto item outside the baseline', () => {
  const c = scanCoverage(checklist, scan, readBaseline());
  console.log(coverageReport(checklist, c));
  assert.deepEqual(c.unknown.map((u) => `${u.file}:${u.line}: unknown checklist ID ${u.id}`), [], 'tests name unknown checklist IDs');
  assert.deepEqual(c.unreadable, [], 'tests whose checklist IDs the static scan cannot read');
  assert.deepEqual(
    c.regressions.map((id) => `${id} "${checklist.item(id).text}" has no test`),
    [],
    'auto items without a test that are not in checklist/coverage-baseline.json (did a test lose its ID?)',
  );
  if (c.gained.length) console.log(`note: shrink the baseline, these now have tests: ${c.gained.join(', ')} (npm run checklist:coverage -- --update-baseline)`);
  if (requireFullCoverage()) {
    assert.deepEqual(c.uncovered, [], 'CHECKLIST_REQUIRE_FULL_COVERAGE=1: every auto item needs a test');
  }
});
