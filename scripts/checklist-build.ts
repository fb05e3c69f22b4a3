/**
 * Generates checklist/checklist.yaml from CHECKLIST.md (structure, IDs, verbatim text, line numbers),
 * checklist/overlay.yaml (hand-curated kind, modes, derivations) and the specs (per item, the tests that verify
 * it: file, line, title – the static scan of checklist/tests-scan.ts, nothing is run). IDs come from the
 * document's structure, so regenerating keeps them stable; curation lives in the overlay and survives regeneration.
 *
 *   npx tsx scripts/checklist-build.ts           write checklist/checklist.yaml
 *   npx tsx scripts/checklist-build.ts --check   exit 1 when the committed file is out of date, naming each item
 *                                                whose recorded tests differ from the specs (and the spec file)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Document, isMap, isSeq, parse, visit } from 'yaml';
import { CHECKLIST_YAML, validateDoc } from '../checklist/load.ts';
import { MODES, type ChecklistDoc, type ChecklistItem, type Kind, type Mode, type TestRef } from '../checklist/model.ts';
import { CHECKLIST_DIR, parseChecklist, readChecklistMd, REPO_ROOT, type RawItem } from '../checklist/source.ts';
import { scanTests, testDifferences, testsByItem, type TestsScan } from '../checklist/tests-scan.ts';

export const OVERLAY_YAML = resolve(CHECKLIST_DIR, 'overlay.yaml');

export interface Rule {
  kind?: Kind;
  modes?: Mode[];
  not_verifiable?: Partial<Record<Mode, string>>;
  derived_from?: string[];
  from_baseline?: true;
  advisory?: true;
  note?: string;
}

export function loadOverlay(path = OVERLAY_YAML): Array<[string, Rule]> {
  const doc = parse(readFileSync(path, 'utf8')) as { rules?: Record<string, Rule> };
  if (!doc || typeof doc.rules !== 'object' || doc.rules === null) throw new Error(`${path}: no "rules" mapping`);
  return Object.entries(doc.rules);
}

function matches(key: string, id: string): boolean {
  return key.endsWith('*') ? id.startsWith(key.slice(0, -1)) : key === id;
}

/** `tests`: per item ID, the tests that verify it (testsByItem of the scan); items no test names get no `tests`. */
export function buildDoc(markdown: string, sourceName: string, rules: Array<[string, Rule]>, tests?: ReadonlyMap<string, TestRef[]>): ChecklistDoc {
  const parsed = parseChecklist(markdown, sourceName);
  const raw = parsed.items;
  const ids = new Set(raw.map((i) => i.id));
  const children = new Map<string, RawItem[]>();
  for (const i of raw) if (i.parent) children.set(i.parent, [...(children.get(i.parent) ?? []), i]);

  for (const [key] of rules) {
    if (!raw.some((i) => matches(key, i.id))) throw new Error(`overlay.yaml: rule "${key}" matches no checklist item`);
  }
  const expand = (ref: string): string[] => {
    const phase = /^phase:(.+)$/.exec(ref)?.[1];
    if (phase !== undefined) {
      const tops = raw.filter((i) => i.phase === phase && i.parent === null).map((i) => i.id);
      if (tops.length === 0) throw new Error(`overlay.yaml: "${ref}" names no phase with items`);
      return tops;
    }
    if (!ids.has(ref)) throw new Error(`overlay.yaml: derived_from names unknown item ${ref}`);
    return [ref];
  };

  const built = new Map<string, ChecklistItem>();
  const leafOrDerived = (r: RawItem): ChecklistItem => {
    const rule: Rule = {};
    for (const [key, value] of rules) if (matches(key, r.id)) Object.assign(rule, value);
    const isParent = children.has(r.id);
    const item: ChecklistItem = { ...r, kind: 'auto', required: true };
    if (isParent) {
      if (rule.kind || rule.modes || rule.not_verifiable) {
        // Wildcard rules for a group also reach nested parents: only an exact rule is a mistake.
        if (rules.some(([k, v]) => k === r.id && (v.kind || v.modes || v.not_verifiable))) {
          throw new Error(`overlay.yaml: ${r.id} has children; its kind and modes derive from them`);
        }
      }
    } else {
      item.kind = rule.kind ?? 'auto';
      if (item.kind === 'auto') {
        item.modes = rule.modes ?? [...MODES];
        if (rule.not_verifiable) item.not_verifiable = rule.not_verifiable;
      }
    }
    if (rule.derived_from) {
      if (isParent) throw new Error(`overlay.yaml: ${r.id} has children; it cannot also be derived_from other items`);
      if (item.kind !== 'auto') throw new Error(`overlay.yaml: ${r.id} is derived by the gate, so it must be auto`);
      item.derived_from = rule.derived_from.flatMap(expand).filter((id) => id !== r.id);
    }
    if (rule.from_baseline) {
      if (isParent || item.kind !== 'auto' || item.derived_from) {
        throw new Error(`overlay.yaml: ${r.id}: only an auto leaf that is not derived can be decided from the baseline record`);
      }
      item.from_baseline = true;
    }
    if (rule.advisory) {
      if (isParent || item.kind !== 'auto' || item.derived_from || item.from_baseline) {
        throw new Error(`overlay.yaml: ${r.id}: only an auto leaf that the gate does not derive can be advisory (a recommendation its own tests judge)`);
      }
      item.advisory = true;
    }
    if (rule.note) item.note = rule.note;
    // An advisory item's failure is shown, but blocks the gate only with --strict.
    item.required = item.kind === 'auto' && !item.advisory;
    return item;
  };
  for (const r of raw) built.set(r.id, leafOrDerived(r));

  // Parents, deepest first: kind/modes from the children.
  for (const r of [...raw].sort((a, b) => b.depth - a.depth)) {
    const kids = children.get(r.id);
    if (!kids) continue;
    const item = built.get(r.id)!;
    const kidItems = kids.map((k) => built.get(k.id)!);
    const autoKids = kidItems.filter((k) => k.kind === 'auto');
    item.kind = autoKids.length > 0 ? 'auto' : 'attest';
    item.required = item.kind === 'auto';
    if (item.kind === 'auto') {
      item.modes = MODES.filter((m) => autoKids.some((k) => k.modes?.includes(m)));
      const nv: Partial<Record<Mode, string>> = {};
      for (const m of MODES) {
        if (item.modes.includes(m)) continue;
        const reasons = [...new Set(autoKids.map((k) => k.not_verifiable?.[m]).filter((x): x is string => !!x))];
        nv[m] = reasons.join('; ') || `${m}: no child can be verified`;
      }
      if (Object.keys(nv).length > 0) item.not_verifiable = nv;
      else delete item.not_verifiable;
    } else {
      delete item.modes;
      delete item.not_verifiable;
    }
  }

  for (const [id, refs] of tests ?? []) {
    const item = built.get(id);
    if (item && refs.length > 0) item.tests = refs;
  }
  const items = raw.map((r) => orderKeys(built.get(r.id)!));
  return {
    version: 1,
    source: { file: basename(sourceName), title: parsed.title, sha256: parsed.sha256, lines: parsed.lines, checkboxes: items.length },
    outline: parsed.outline,
    items,
  };
}

/** Stable key order, so the YAML diff of a change is small. */
function orderKeys(i: ChecklistItem): ChecklistItem {
  const o: ChecklistItem = {
    id: i.id, phase: i.phase, phase_title: i.phase_title, section: i.section, group: i.group, parent: i.parent,
    depth: i.depth, line: i.line, text: i.text, kind: i.kind, required: i.required,
  };
  if (i.advisory) o.advisory = true;
  if (i.modes) o.modes = i.modes;
  if (i.not_verifiable) o.not_verifiable = i.not_verifiable;
  if (i.derived_from) o.derived_from = i.derived_from;
  if (i.from_baseline) o.from_baseline = true;
  if (i.note) o.note = i.note;
  if (i.tests) o.tests = i.tests.map((t) => ({ file: t.file, title: t.title, ...(t.pattern ? { pattern: true as const } : {}) }));
  return o;
}

export function renderYaml(doc: ChecklistDoc): string {
  const header = [
    '# GENERATED by scripts/checklist-build.ts from CHECKLIST.md, checklist/overlay.yaml and the specs in tests/ - do not edit by hand.',
    '# Change kind/modes in overlay.yaml (or a test), then run: npm run checklist:build',
    '',
  ].join('\n');
  const yaml = new Document(doc);
  // Short lists (modes, derived_from) on one line keep the file readable; so does one line per recorded test.
  visit(yaml, { Pair(_, pair) { if (isSeq(pair.value) && pair.value.items.every((n) => !(n && typeof n === 'object' && 'items' in n))) { const key = String((pair.key as { value?: unknown })?.value ?? pair.key); if (key === 'modes' || key === 'derived_from') pair.value.flow = true; } } });
  visit(yaml, { Pair(_, pair) { if (isSeq(pair.value) && String((pair.key as { value?: unknown })?.value ?? pair.key) === 'tests') for (const t of pair.value.items) if (isMap(t)) t.flow = true; } });
  return header + yaml.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** What the build writes: the document, its YAML text, and the scan of the specs it took the tests from. */
export function generate(scan: TestsScan = scanTests()): { doc: ChecklistDoc; text: string; scan: TestsScan; source: string } {
  const md = readChecklistMd();
  const doc = buildDoc(md.text, md.path, loadOverlay(), testsByItem(scan));
  validateDoc(doc, 'generated checklist');
  return { doc, text: renderYaml(doc), scan, source: md.path };
}

/**
 * Why `committed` (checklist.yaml's text) is not what the build generates, one line per problem: each item whose
 * recorded tests differ from the specs, naming the item and the spec file, then whether the rest (CHECKLIST.md,
 * overlay.yaml) differs too. [] when it is up to date.
 */
export function staleness(committed: string, generated: { doc: ChecklistDoc; text: string; source: string }): string[] {
  if (committed === generated.text) return [];
  const rel = relative(REPO_ROOT, CHECKLIST_YAML);
  let recorded: ChecklistDoc | undefined;
  try { recorded = parse(committed) as ChecklistDoc; } catch { /* unreadable: reported as out of date below */ }
  const items = Array.isArray(recorded?.items) ? recorded.items : [];
  const lines = testDifferences(items, generated.doc.items).map((l) => `${rel}: ${l}`);
  const withoutTests = (d: ChecklistDoc): string => renderYaml({ ...d, items: d.items.map(({ tests: _, ...i }) => i) });
  const restDiffers = !recorded || !Array.isArray(recorded.items) || withoutTests(recorded) !== withoutTests(generated.doc);
  if (restDiffers) lines.push(`${rel} is out of date with ${generated.source} / overlay.yaml`);
  else if (lines.length === 0) lines.push(`${rel} differs from what the build writes (formatting)`);
  lines.push('run: npm run checklist:build');
  return lines;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const { doc, text, scan, source } = generate();
  const rel = relative(REPO_ROOT, CHECKLIST_YAML);
  // The coverage self-test fails on these; the build still writes what it can read.
  for (const p of scan.problems) console.error(`warning: ${p}`);
  if (check) {
    let current = '';
    try { current = readFileSync(CHECKLIST_YAML, 'utf8'); } catch { /* missing counts as stale */ }
    const stale = staleness(current, { doc, text, source });
    if (stale.length > 0) {
      for (const l of stale) console.error(l);
      return 1;
    }
    const recorded = doc.items.reduce((n, i) => n + (i.tests?.length ?? 0), 0);
    console.log(`${rel} is up to date (${doc.items.length} items, ${recorded} test records from ${scan.tests.length} tests)`);
    return 0;
  }
  writeFileSync(CHECKLIST_YAML, text);
  const counts = { auto: doc.items.filter((i) => i.kind === 'auto').length, attest: doc.items.filter((i) => i.kind === 'attest').length };
  const traced = doc.items.filter((i) => i.tests).length;
  console.log(`wrote ${rel}: ${doc.items.length} items (${counts.auto} auto, ${counts.attest} attest) from ${source}; ${traced} items name their tests (${scan.tests.length} tests scanned)`);
  return 0;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) process.exit(main(process.argv.slice(2)));
