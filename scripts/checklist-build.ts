/**
 * Generates checklist/checklist.yaml from CHECKLIST.md (structure, IDs, verbatim text, line numbers) and
 * checklist/overlay.yaml (hand-curated kind, modes, derivations). IDs come from the document's structure,
 * so regenerating keeps them stable; curation lives in the overlay and survives regeneration.
 *
 *   npx tsx scripts/checklist-build.ts           write checklist/checklist.yaml
 *   npx tsx scripts/checklist-build.ts --check   exit 1 when the committed file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Document, isSeq, parse, visit } from 'yaml';
import { CHECKLIST_YAML, validateDoc } from '../checklist/load.ts';
import { MODES, type ChecklistDoc, type ChecklistItem, type Kind, type Mode } from '../checklist/model.ts';
import { CHECKLIST_DIR, parseChecklist, readChecklistMd, REPO_ROOT, type RawItem } from '../checklist/source.ts';

export const OVERLAY_YAML = resolve(CHECKLIST_DIR, 'overlay.yaml');

interface Rule {
  kind?: Kind;
  modes?: Mode[];
  not_verifiable?: Partial<Record<Mode, string>>;
  derived_from?: string[];
  note?: string;
}

function loadOverlay(path = OVERLAY_YAML): Array<[string, Rule]> {
  const doc = parse(readFileSync(path, 'utf8')) as { rules?: Record<string, Rule> };
  if (!doc || typeof doc.rules !== 'object' || doc.rules === null) throw new Error(`${path}: no "rules" mapping`);
  return Object.entries(doc.rules);
}

function matches(key: string, id: string): boolean {
  return key.endsWith('*') ? id.startsWith(key.slice(0, -1)) : key === id;
}

export function buildDoc(markdown: string, sourceName: string, rules: Array<[string, Rule]>): ChecklistDoc {
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
    if (rule.note) item.note = rule.note;
    item.required = item.kind === 'auto';
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
  if (i.modes) o.modes = i.modes;
  if (i.not_verifiable) o.not_verifiable = i.not_verifiable;
  if (i.derived_from) o.derived_from = i.derived_from;
  if (i.note) o.note = i.note;
  return o;
}

export function renderYaml(doc: ChecklistDoc): string {
  const header = [
    '# GENERATED by scripts/checklist-build.ts from CHECKLIST.md and checklist/overlay.yaml - do not edit by hand.',
    '# Change kind/modes in overlay.yaml, then run: npx tsx scripts/checklist-build.ts',
    '',
  ].join('\n');
  const yaml = new Document(doc);
  // Short lists (modes, derived_from) on one line keep the file readable.
  visit(yaml, { Pair(_, pair) { if (isSeq(pair.value) && pair.value.items.every((n) => !(n && typeof n === 'object' && 'items' in n))) { const key = String((pair.key as { value?: unknown })?.value ?? pair.key); if (key === 'modes' || key === 'derived_from') pair.value.flow = true; } } });
  return header + yaml.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const md = readChecklistMd();
  const doc = buildDoc(md.text, md.path, loadOverlay());
  validateDoc(doc, 'generated checklist');
  const text = renderYaml(doc);
  const rel = relative(REPO_ROOT, CHECKLIST_YAML);
  if (check) {
    let current = '';
    try { current = readFileSync(CHECKLIST_YAML, 'utf8'); } catch { /* missing counts as stale */ }
    if (current !== text) {
      console.error(`${rel} is out of date with ${md.path} / overlay.yaml: run npx tsx scripts/checklist-build.ts`);
      return 1;
    }
    console.log(`${rel} is up to date (${doc.items.length} items)`);
    return 0;
  }
  writeFileSync(CHECKLIST_YAML, text);
  const counts = { auto: doc.items.filter((i) => i.kind === 'auto').length, attest: doc.items.filter((i) => i.kind === 'attest').length };
  console.log(`wrote ${rel}: ${doc.items.length} items (${counts.auto} auto, ${counts.attest} attest) from ${md.path}`);
  return 0;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) process.exit(main(process.argv.slice(2)));
