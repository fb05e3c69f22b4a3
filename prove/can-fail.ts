/**
 * `npm run can-fail`: every auto item of the checklist shown able to fail. Writes checklist/can-fail.yaml (and the
 * short table docs/can-fail.md): per auto item, the evidence that the gate can turn it red –
 *
 *   defects     planted defects of prove/defects.ts and prove/defects-app.ts whose `expect` names the item (the
 *               matrix of `npm run prove` fails when one of them does not fail it)
 *   unit_tests  unit tests of selftest/*.test.ts marked `canFail('<ID>', …)` (selftest/helpers.ts): each gives the
 *               check that decides the item in its spec a bad input and asserts the problem naming the cause
 *   through     parents and derived items: the children / derived_from items with evidence of their own (the gate
 *               fails the whole when a part fails, checklist/results.ts)
 *
 * Nothing is run: the catalogues are imported, the unit tests are read with the same static scan that reads the
 * specs' verifies() (checklist/tests-scan.ts). The hostile targets (prove/hostile) are not evidence: their
 * expectation is "no line passes", which a line not verified meets as well, not a failure of a named item.
 *
 *   tsx prove/can-fail.ts           write checklist/can-fail.yaml and docs/can-fail.md
 *   tsx prove/can-fail.ts --check   exit 1 naming each item whose committed entry is stale, each item with no
 *                                   evidence, and each marker or defect that names no auto item
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Document, isMap, isSeq, parse, visit } from 'yaml';
import { loadChecklist, type Checklist } from '../checklist/load.ts';
import type { TestRef } from '../checklist/model.ts';
import { CHECKLIST_DIR, REPO_ROOT } from '../checklist/source.ts';
import { scanSources, type TestsScan } from '../checklist/tests-scan.ts';
import { CONFIG_DEFECTS, type Defect } from './defects.ts';
import { APP_DEFECTS } from './defects-app.ts';

export const CAN_FAIL_YAML = resolve(CHECKLIST_DIR, 'can-fail.yaml');
export const CAN_FAIL_MD = resolve(REPO_ROOT, 'docs', 'can-fail.md');
const SELFTEST_DIR = resolve(REPO_ROOT, 'selftest');
/** The name of the marker in the unit tests (selftest/helpers.ts). */
export const MARKER = 'canFail';

export interface CanFailEntry {
  id: string;
  defects?: string[];
  unit_tests?: TestRef[];
  through?: string[];
}

export interface CanFailTable {
  summary: { auto_items: number; leaves: number; by_defect: number; by_unit_test: number; by_both: number; through_parts: number; neither: number };
  items: CanFailEntry[];
}

/** The unit tests as the scan reads them: every `test(...)` of selftest/*.test.ts with the IDs of its canFail(...). */
export function scanUnitTests(dir = SELFTEST_DIR): TestsScan {
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => ({ path: join(dir, f) }));
  return scanSources(files, MARKER);
}

/** Whether an entry holds evidence that its item can fail. */
export function hasEvidence(e: CanFailEntry): boolean {
  return !!(e.defects?.length || e.unit_tests?.length || e.through?.length);
}

/**
 * The table, and the problems that make it untrustworthy: a defect or a marker naming an ID that is no auto item,
 * a marker on a parent or derived item (its check is its parts'), a marker the scan cannot read.
 */
export function buildTable(checklist: Checklist, defects: readonly Pick<Defect, 'id' | 'expect'>[], scan: TestsScan): { table: CanFailTable; problems: string[] } {
  const problems = scan.problems.map((p) => `canFail marker: ${p}`);
  const auto = checklist.items.filter((i) => i.kind === 'auto');
  const decidedByParts = (id: string): boolean => !checklist.isLeaf(id) || !!checklist.item(id).derived_from;
  /** Why `id` is no auto item, completing "<where> names <id>, …", or undefined. */
  const notAuto = (id: string): string | undefined => {
    const item = checklist.byId.get(id);
    if (!item) return 'which is no checklist item';
    if (item.kind !== 'auto') return 'an attestation (only a person ticks it)';
    return undefined;
  };

  const byDefect = new Map<string, string[]>();
  for (const d of defects) {
    for (const id of d.expect) {
      const bad = notAuto(id);
      if (bad) problems.push(`planted defect ${d.id}: expect names ${id}, ${bad}`);
      else byDefect.set(id, [...(byDefect.get(id) ?? []), d.id]);
    }
  }
  const byTest = new Map<string, TestRef[]>();
  for (const t of scan.tests) {
    if (t.skipped && t.ids.length) {
      problems.push(`${t.file}:${t.line}: test "${t.title}" is skipped, so it shows nothing: canFail(${t.ids.join(', ')}) counts only on a test that runs`);
      continue;
    }
    for (const id of t.ids) {
      const bad = notAuto(id) ?? (decidedByParts(id) ? 'which the gate decides from its parts: mark the test with the item whose check it drives' : undefined);
      if (bad) {
        problems.push(`${t.file}:${t.line}: test "${t.title}": canFail names ${id}, ${bad}`);
        continue;
      }
      const ref: TestRef = { file: t.file, title: t.title, ...(t.pattern ? { pattern: true as const } : {}) };
      const list = byTest.get(id) ?? [];
      if (!list.some((r) => r.file === ref.file && r.title === ref.title)) byTest.set(id, [...list, ref]);
    }
  }

  const entries = new Map<string, CanFailEntry>();
  const entry = (id: string): CanFailEntry => {
    const done = entries.get(id);
    if (done) return done;
    const item = checklist.item(id);
    const e: CanFailEntry = { id };
    entries.set(id, e); // derivations are acyclic (checklist/load.ts); set early all the same
    const d = byDefect.get(id);
    if (d) e.defects = d;
    const t = byTest.get(id);
    if (t) e.unit_tests = t;
    const parts = [...(checklist.children.get(id) ?? []).filter((k) => k.kind === 'auto').map((k) => k.id), ...(item.derived_from ?? [])];
    const through = parts.filter((p) => hasEvidence(entry(p)));
    if (through.length) e.through = through;
    return e;
  };
  const items = auto.map((i) => entry(i.id));
  const leaves = items.filter((e) => !decidedByParts(e.id));
  const summary = {
    auto_items: items.length,
    leaves: leaves.length,
    by_defect: leaves.filter((e) => e.defects).length,
    by_unit_test: leaves.filter((e) => e.unit_tests).length,
    by_both: leaves.filter((e) => e.defects && e.unit_tests).length,
    through_parts: items.filter((e) => !e.defects && !e.unit_tests && e.through).length,
    neither: items.filter((e) => !hasEvidence(e)).length,
  };
  return { table: { summary, items }, problems };
}

export function renderYaml(table: CanFailTable): string {
  const header = [
    '# GENERATED by prove/can-fail.ts from prove/defects.ts, prove/defects-app.ts and the canFail(...) markers of',
    '# selftest/*.test.ts - do not edit by hand. Run: npm run can-fail',
    '# Per auto item of checklist/checklist.yaml, what shows it can fail: the planted defects that must fail it',
    '# (npm run prove), the bad-input unit tests that turn its check red (npm run test:unit), or for parents and',
    '# derived items the parts with evidence of their own (a failed part fails the whole).',
    '',
  ].join('\n');
  const doc = new Document(table);
  visit(doc, {
    Pair(_, pair) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
      if (!isSeq(pair.value)) return;
      if (key === 'defects' || key === 'through') pair.value.flow = true;
      if (key === 'unit_tests') for (const t of pair.value.items) if (isMap(t)) t.flow = true;
    },
  });
  return header + doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The short table for people: the figures, then one row per auto leaf. */
export function renderMarkdown(checklist: Checklist, table: CanFailTable): string {
  const s = table.summary;
  const rows = table.items.filter((e) => checklist.isLeaf(e.id) && !checklist.item(e.id).derived_from).map((e) => {
    const text = checklist.item(e.id).text;
    const tests = (e.unit_tests ?? []).map((t) => `${t.file.replace(/^selftest\//, '')}: ${t.title}`);
    return `| ${e.id} | ${cell(text.length > 60 ? `${text.slice(0, 57)}…` : text)} | ${(e.defects ?? []).join(', ') || '–'} | ${cell(tests.join('<br>')) || '–'} |`;
  });
  return [
    '# Every auto item can fail',
    '',
    '<!-- GENERATED by prove/can-fail.ts (npm run can-fail) with checklist/can-fail.yaml - do not edit by hand. -->',
    '',
    'What shows that the gate can turn each automated checklist line red: a planted defect of `prove/` that must fail',
    'it (`npm run prove`), or a unit test in `selftest/` marked `canFail(…)` that gives the check deciding the line a',
    'bad input and asserts the problem naming the cause (`npm run test:unit`). Parents and derived items fail when one',
    'of their parts fails. `selftest/can-fail.test.ts` fails when an auto item has neither or this table is stale.',
    '',
    `${s.auto_items} auto items (${s.leaves} decided by their own tests or the baseline record, ${s.auto_items - s.leaves} from their parts): ` +
      `${s.by_defect} leaves with a planted defect, ${s.by_unit_test} with a bad-input unit test (${s.by_both} with both), ` +
      `${s.through_parts} items only through their parts, ${s.neither} with neither.`,
    '',
    ...(s.neither ? [`With neither (the self-test fails until each has one): ${table.items.filter((e) => !hasEvidence(e)).map((e) => e.id).join(', ')}.`, ''] : []),
    '| item | line | planted defects | bad-input unit tests |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export const DEFECTS: readonly Defect[] = [...CONFIG_DEFECTS, ...APP_DEFECTS];

/** What the generator writes, from the committed checklist, the catalogues and the unit tests. */
export function generate(checklist = loadChecklist(), defects: readonly Pick<Defect, 'id' | 'expect'>[] = DEFECTS, scan = scanUnitTests()): { table: CanFailTable; yaml: string; markdown: string; problems: string[] } {
  const { table, problems } = buildTable(checklist, defects, scan);
  return { table, yaml: renderYaml(table), markdown: renderMarkdown(checklist, table), problems };
}

/** Items with no evidence, one line each naming the item and its line. */
export function gaps(checklist: Checklist, table: CanFailTable): string[] {
  return table.items.filter((e) => !hasEvidence(e)).map((e) => `${e.id} ("${checklist.item(e.id).text}") has neither a planted defect (prove/) nor a bad-input unit test (canFail in selftest/)`);
}

/** What differs between an item's recorded entry and its generated one, in words. */
function entryChanges(before: CanFailEntry, after: CanFailEntry): string {
  const words: string[] = [];
  const diff = (what: string, was: string[], now: string[]): void => {
    for (const x of now.filter((n) => !was.includes(n))) words.push(`${what} added: ${x}`);
    for (const x of was.filter((w) => !now.includes(w))) words.push(`${what} gone: ${x}`);
  };
  const tests = (e: CanFailEntry) => (e.unit_tests ?? []).map((t) => `${t.file} "${t.title}"`);
  diff('planted defect', before.defects ?? [], after.defects ?? []);
  diff('unit test', tests(before), tests(after));
  diff('part', before.through ?? [], after.through ?? []);
  return words.join('; ') || 'order or formatting';
}

/** Why the committed files are not what the generator writes, one line per stale item. [] when current. */
export function staleness(committed: { yaml: string; markdown: string }, generated: { table: CanFailTable; yaml: string; markdown: string }): string[] {
  const lines: string[] = [];
  const rel = relative(REPO_ROOT, CAN_FAIL_YAML);
  if (committed.yaml !== generated.yaml) {
    let recorded: CanFailEntry[] = [];
    try {
      const doc = parse(committed.yaml) as Partial<CanFailTable> | null;
      if (Array.isArray(doc?.items)) recorded = doc.items;
    } catch {
      /* unreadable: every item is stale */
    }
    const before = new Map(recorded.map((e) => [e.id, e]));
    for (const now of generated.table.items) {
      const was = before.get(now.id);
      if (!was) lines.push(`${rel}: ${now.id} is missing`);
      else if (JSON.stringify(was) !== JSON.stringify(now)) lines.push(`${rel}: ${now.id} is stale: ${entryChanges(was, now)}`);
    }
    const after = new Set(generated.table.items.map((e) => e.id));
    for (const id of before.keys()) if (!after.has(id)) lines.push(`${rel}: ${id} is recorded but is no auto item`);
    if (lines.length === 0) lines.push(`${rel} differs from what the generator writes (summary or formatting)`);
  }
  if (committed.markdown !== generated.markdown) lines.push(`${relative(REPO_ROOT, CAN_FAIL_MD)} differs from what the generator writes`);
  if (lines.length) lines.push('run: npm run can-fail');
  return lines;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function main(argv: string[]): number {
  const checklist = loadChecklist();
  const generated = generate(checklist);
  const missing = gaps(checklist, generated.table);
  const s = generated.table.summary;
  const figures = `${s.auto_items} auto items: ${s.by_defect} leaves with a planted defect, ${s.by_unit_test} with a bad-input unit test, ${s.through_parts} through their parts, ${s.neither} with neither`;
  if (argv.includes('--check')) {
    const wrong = [...staleness({ yaml: read(CAN_FAIL_YAML), markdown: read(CAN_FAIL_MD) }, generated), ...generated.problems, ...missing];
    for (const l of wrong) console.error(l);
    if (wrong.length) return 1;
    console.log(`${relative(REPO_ROOT, CAN_FAIL_YAML)} is up to date (${figures})`);
    return 0;
  }
  writeFileSync(CAN_FAIL_YAML, generated.yaml);
  writeFileSync(CAN_FAIL_MD, generated.markdown);
  for (const l of [...generated.problems, ...missing]) console.error(`warning: ${l}`);
  console.log(`wrote ${relative(REPO_ROOT, CAN_FAIL_YAML)} and ${relative(REPO_ROOT, CAN_FAIL_MD)}: ${figures}`);
  return 0;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) process.exit(main(process.argv.slice(2)));
