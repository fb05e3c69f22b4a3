/**
 * Traceability: the static scan of the specs (checklist/tests-scan.ts) finds each test's full title, file:line and
 * checklist IDs the way Playwright would collect them, and checklist-build's check fails, naming the item and the
 * spec file, when checklist.yaml records tests that were renamed, gained or lost an item.
 *
 *   node --import tsx --test selftest/traceability.test.ts
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import type { ChecklistDoc } from '../checklist/model.ts';
import { readChecklistMd, REPO_ROOT } from '../checklist/source.ts';
import { scanSources, testDifferences, testsByItem, type TestsScan } from '../checklist/tests-scan.ts';
import { buildDoc, loadOverlay, renderYaml, staleness } from '../scripts/checklist-build.ts';

const DIR = resolve(REPO_ROOT, 'tests', '99-synthetic');
const ROWS_FILE = resolve(DIR, 'rows.ts');
const SPEC_FILE = resolve(DIR, 'health.spec.ts');

/** A table module the spec imports, as a helper module under tests/ would be. */
const ROWS = `
export const APPS = [
  { id: 'P2-HEALTH-5', name: 'Prometheus' },
  { id: 'P2-HEALTH-6', name: 'Grafana' },
] as const;
`;

const SPEC = `import { test, verifies } from '../../fixtures/index.ts';
import { APPS } from './rows.ts';

const STEP = 3;
const ROWS: Array<[string, string]> = [
  ['P2-HEALTH-1', 'backend'],
  ['P2-HEALTH-2', 'frontend'],
];
const IDS: Record<string, string> = { chroma: 'P2-HEALTH-3', nginx: 'P2-HEALTH-4' };

test.describe(\`Step \${STEP}: individual service health\`, () => {
  test.describe('inner', verifies('P2-HEALTH'), () => {
    test('plain title', verifies('P2-HEALTH-3'), async () => {});
  });
  for (const [id, name] of ROWS) {
    test(\`\${name} answers \${id === 'P2-HEALTH-1' ? 'with components' : '200'}\`, verifies(id), async () => {});
  }
  for (const app of APPS) {
    const label = app.name.toUpperCase();
    test(\`\${label} health\`, verifies(app.id), async () => {});
  }
  for (const key of Object.keys(probes())) {
    test(\`\${key} answers\`, verifies(IDS[key]!), async () => {});
  }
  test.skip(true, 'a run-time skip, not a declaration');
});

test('outside any describe', verifies('P2-HEALTH-3', 'P2-HEALTH-4'), async () => {});
`;

function scan(spec = SPEC): TestsScan {
  return scanSources([{ path: ROWS_FILE, text: ROWS }, { path: SPEC_FILE, text: spec }]);
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe('the static scan of the specs', () => {
  const s = scan();
  const file = 'tests/99-synthetic/health.spec.ts';
  const outer = 'Step 3: individual service health';

  test('nested describes (with their own IDs), template-literal titles and ID tables (local, imported, not enumerable) resolve', () => {
    assert.deepEqual(s.tests, [
      { file, line: lineOf(SPEC, "test('plain"), title: `${outer} › inner › plain title`, ids: ['P2-HEALTH', 'P2-HEALTH-3'] },
      { file, line: lineOf(SPEC, 'test(`${name}'), title: `${outer} › backend answers with components`, ids: ['P2-HEALTH-1'] },
      { file, line: lineOf(SPEC, 'test(`${name}'), title: `${outer} › frontend answers 200`, ids: ['P2-HEALTH-2'] },
      { file, line: lineOf(SPEC, 'test(`${label}'), title: `${outer} › PROMETHEUS health`, ids: ['P2-HEALTH-5'] },
      { file, line: lineOf(SPEC, 'test(`${label}'), title: `${outer} › GRAFANA health`, ids: ['P2-HEALTH-6'] },
      // probes() is not a value the scan can compute: the test stands for every row of IDS, its title is the template.
      { file, line: lineOf(SPEC, 'test(`${key}'), title: `${outer} › \${key} answers`, ids: ['P2-HEALTH-3', 'P2-HEALTH-4'], pattern: true },
      { file, line: lineOf(SPEC, "test('outside"), title: 'outside any describe', ids: ['P2-HEALTH-3', 'P2-HEALTH-4'] },
    ]);
    assert.deepEqual(s.problems, []);
  });

  test('every ID-shaped literal is listed (for the unknown-ID check), tables included', () => {
    assert.deepEqual([...new Set(s.literals.map((l) => l.id))].sort(), ['P2-HEALTH', 'P2-HEALTH-1', 'P2-HEALTH-2', 'P2-HEALTH-3', 'P2-HEALTH-4', 'P2-HEALTH-5', 'P2-HEALTH-6']);
    assert.ok(s.literals.some((l) => l.file === 'tests/99-synthetic/rows.ts' && l.id === 'P2-HEALTH-5'));
  });

  test('a verifies(...) argument the scan cannot read is a problem naming file, line and expression', () => {
    const bad = `import { test, verifies } from '../../fixtures/index.ts';\n\ntest('dynamic', verifies(pick()), async () => {});\n`;
    const r = scan(bad);
    assert.deepEqual(r.problems, [`${file}:3: test "dynamic": the scan cannot read the checklist IDs of pick(); name them with literals or a const table the spec loops over`]);
    const missing = `import { test, verifies } from '../../fixtures/index.ts';\nconst IDS: Record<string, string> = { a: 'P2-HEALTH-1' };\n`
      + `for (const k of ['a', 'b']) test(\`\${k}\`, verifies(IDS[k]!), async () => {});\n`;
    assert.deepEqual(scan(missing).problems, [`${file}:3: test "b": the scan cannot read the checklist IDs of IDS[k]! (= undefined); name them with literals or a const table the spec loops over`]);
  });

  test('per item, the tests in file order, as checklist.yaml records them (file and title, no line)', () => {
    const byItem = testsByItem(s);
    assert.deepEqual(byItem.get('P2-HEALTH-4'), [
      { file, title: `${outer} › \${key} answers`, pattern: true },
      { file, title: 'outside any describe' },
    ]);
  });
});

describe('the build check fails when checklist.yaml records tests that were renamed, gained or lost an item', () => {
  const md = readChecklistMd();
  const rules = loadOverlay();
  const generated = (spec: string): { doc: ChecklistDoc; text: string; source: string } => {
    const doc = buildDoc(md.text, md.path, rules, testsByItem(scan(spec)));
    return { doc, text: renderYaml(doc), source: md.path };
  };
  const committed = generated(SPEC).text;

  test('the YAML round-trips the recorded tests; an unchanged spec is up to date', () => {
    const recorded = parse(committed) as ChecklistDoc;
    assert.deepEqual(recorded.items.find((i) => i.id === 'P2-HEALTH-4')?.tests, generated(SPEC).doc.items.find((i) => i.id === 'P2-HEALTH-4')?.tests);
    assert.deepEqual(staleness(committed, generated(SPEC)), []);
  });

  test('a renamed test: the check names the item, the file and both titles', () => {
    const renamed = SPEC.replace("test('plain title'", "test('renamed title'");
    const lines = staleness(committed, generated(renamed));
    const renamedLine = (id: string): string => `checklist/checklist.yaml: ${id} (tests/99-synthetic/health.spec.ts): test renamed from `
      + '"Step 3: individual service health › inner › plain title" to "Step 3: individual service health › inner › renamed title"';
    assert.deepEqual(lines, [renamedLine('P2-HEALTH'), renamedLine('P2-HEALTH-3'), 'run: npm run checklist:build']);
  });

  test('a moved test is still up to date; a test that lost its ID and one that gained it are each named', () => {
    const moved = SPEC.replace("test('outside any describe', verifies('P2-HEALTH-3', 'P2-HEALTH-4')", "\n\ntest('outside any describe', verifies('P2-HEALTH-3', 'P2-HEALTH-4')");
    assert.deepEqual(staleness(committed, generated(moved)), []);
    const retagged = SPEC.replace("test('outside any describe', verifies('P2-HEALTH-3', 'P2-HEALTH-4')", "test('outside any describe', verifies('P2-HEALTH-3', 'P2-HEALTH-1')");
    const lines = staleness(committed, generated(retagged));
    assert.ok(lines.includes('checklist/checklist.yaml: P2-HEALTH-1 (tests/99-synthetic/health.spec.ts): test "outside any describe" verifies it but checklist.yaml does not record it'), lines.join('\n'));
    assert.ok(lines.includes('checklist/checklist.yaml: P2-HEALTH-4 (tests/99-synthetic/health.spec.ts): checklist.yaml records test "outside any describe", which the scan no longer finds there'), lines.join('\n'));
  });

  test('a change outside the tests is reported as such', () => {
    const lines = staleness(committed.replace('text: "RAG Backend health', 'text: "RAG backend health'), generated(SPEC));
    assert.deepEqual(lines, [`checklist/checklist.yaml is out of date with ${md.path} / overlay.yaml`, 'run: npm run checklist:build']);
  });

  test('testDifferences compares per item', () => {
    const t = { file: 'tests/a.spec.ts', title: 'x' };
    assert.deepEqual(testDifferences([{ id: 'P2-HEALTH-1', tests: [t] }], [{ id: 'P2-HEALTH-1', tests: [t] }]), []);
    assert.deepEqual(testDifferences([{ id: 'P2-HEALTH-1', tests: [t] }], [{ id: 'P2-HEALTH-1' }]), [
      'P2-HEALTH-1 (tests/a.spec.ts): checklist.yaml records test "x", which the scan no longer finds there',
    ]);
  });
});
