/**
 * Every auto item is shown able to fail: checklist/can-fail.yaml (prove/can-fail.ts) names for each one the planted
 * defect that must fail it, the bad-input unit test (canFail in selftest/) that turns its check red, or – for parents
 * and derived items – the parts that can. Fails naming each item with neither, each stale entry, and each defect or
 * marker that names no auto item.
 *
 *   node --import tsx --test selftest/can-fail.test.ts
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadChecklist } from '../checklist/load.ts';
import { REPO_ROOT } from '../checklist/source.ts';
import { scanSources } from '../checklist/tests-scan.ts';
import { buildTable, CAN_FAIL_MD, CAN_FAIL_YAML, gaps, generate, MARKER, renderYaml, staleness } from '../prove/can-fail.ts';

const checklist = loadChecklist();
const generated = generate(checklist);

test('checklist/can-fail.yaml and docs/can-fail.md are what prove/can-fail.ts generates (= npm run can-fail -- --check)', () => {
  const stale = staleness({ yaml: readFileSync(CAN_FAIL_YAML, 'utf8'), markdown: readFileSync(CAN_FAIL_MD, 'utf8') }, generated);
  assert.deepEqual(stale, [], `the can-fail table is stale:\n${stale.join('\n')}`);
});

test('every auto item has a planted defect, a bad-input unit test, or parts that can fail', () => {
  const s = generated.table.summary;
  console.log(`can-fail: ${s.auto_items} auto items; of ${s.leaves} leaves ${s.by_defect} with a planted defect, ${s.by_unit_test} with a bad-input unit test (${s.by_both} both); ${s.through_parts} through their parts; ${s.neither} with neither`);
  const missing = gaps(checklist, generated.table);
  assert.deepEqual(missing, [], `${missing.length} auto item(s) nothing shows able to fail:\n${missing.join('\n')}`);
});

test('planted defects and canFail markers name auto items, in a form the scan reads', () => {
  assert.deepEqual(generated.problems, [], generated.problems.join('\n'));
});

test('the table can fail: an item with no evidence, a marker naming no item or a parent or on a skipped test, an attestation in a defect', () => {
  const scan = scanSources([{
    path: join(REPO_ROOT, 'selftest', 'synthetic.test.ts'),
    text: [
      "import { test } from 'node:test';",
      "import { canFail } from './helpers.ts';",
      "test('an expired certificate fails', canFail('PRE-TLS-3'), () => {});",
      "for (const [id, what] of [['PRE-ENV-2.7', 'SSL_ENABLED'], ['PRE-ENV-2.8', 'LOG_LEVEL']]) test(`${what} wrong`, canFail(id), () => {});",
      "test('no such item', canFail('PRE-TLS-99'), () => {});",
      "test('a parent', canFail('PRE-TLS'), () => {});",
      "test.skip('not run', canFail('PRE-TLS-1'), () => {});",
    ].join('\n'),
  }], MARKER);
  const { table, problems } = buildTable(checklist, [{ id: 'planted', expect: ['PRE-TLS-4', 'DOC-TEAM-2'] }], scan);
  const entry = (id: string) => table.items.find((e) => e.id === id);
  assert.deepEqual(entry('PRE-TLS-3'), { id: 'PRE-TLS-3', unit_tests: [{ file: 'selftest/synthetic.test.ts', title: 'an expired certificate fails' }] });
  assert.deepEqual(entry('PRE-ENV-2.8')?.unit_tests, [{ file: 'selftest/synthetic.test.ts', title: 'LOG_LEVEL wrong' }]);
  assert.deepEqual(entry('PRE-TLS-4'), { id: 'PRE-TLS-4', defects: ['planted'] });
  assert.deepEqual(entry('PRE-TLS')?.through, ['PRE-TLS-3', 'PRE-TLS-4'], 'a parent fails through its children');
  assert.ok(entry('DOC-RECORDS-1')?.through?.includes('PRE-TLS'), 'a derived item fails through what it is derived from');
  assert.deepEqual(problems, [
    'planted defect planted: expect names DOC-TEAM-2, an attestation (only a person ticks it)',
    'selftest/synthetic.test.ts:5: test "no such item": canFail names PRE-TLS-99, which is no checklist item',
    'selftest/synthetic.test.ts:6: test "a parent": canFail names PRE-TLS, which the gate decides from its parts: mark the test with the item whose check it drives',
    'selftest/synthetic.test.ts:7: test "not run" is skipped, so it shows nothing: canFail(PRE-TLS-1) counts only on a test that runs',
  ]);
  const missing = gaps(checklist, table);
  assert.ok(missing.includes('PRE-TLS-1 ("Valid SSL certificates obtained (production) or self-signed generated (testing)") has neither a planted defect (prove/) nor a bad-input unit test (canFail in selftest/)'), missing.join('\n'));
  assert.ok(!missing.some((l) => l.startsWith('PRE-TLS ')), 'the parent has evidence through its children');
  const committed = renderYaml({ ...generated.table, items: generated.table.items.map((e) => (e.id === 'PRE-TLS-3' ? { id: e.id } : e)) });
  const stale = staleness({ yaml: committed, markdown: generated.markdown }, generated);
  assert.match(stale[0] ?? '', /^checklist\/can-fail\.yaml: PRE-TLS-3 is stale: (planted defect|unit test) added: /);
  assert.equal(stale.length, 2, stale.join('\n'));
  assert.equal(stale.at(-1), 'run: npm run can-fail');
});
