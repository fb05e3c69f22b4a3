/**
 * Loads checklist/checklist.yaml, validates it against checklist.schema.json (ajv) plus the rules a schema
 * cannot express (unique IDs, parents exist, every mode accounted for, derivations acyclic), and indexes it.
 */
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { MODES, type ChecklistDoc, type ChecklistItem, type Mode } from './model.ts';
import { CHECKLIST_DIR } from './source.ts';

export const CHECKLIST_YAML = resolve(CHECKLIST_DIR, 'checklist.yaml');
export const CHECKLIST_SCHEMA = resolve(CHECKLIST_DIR, 'checklist.schema.json');

let validator: ReturnType<InstanceType<typeof Ajv.default>['compile']> | undefined;
let ajvInstance: InstanceType<typeof Ajv.default> | undefined;

/** Schema errors plus semantic errors; throws one Error listing them all, naming `what`. */
export function validateDoc(doc: unknown, what = CHECKLIST_YAML): asserts doc is ChecklistDoc {
  if (!validator || !ajvInstance) {
    ajvInstance = new Ajv.default({ allErrors: true, strict: true, strictRequired: false });
    validator = ajvInstance.compile(JSON.parse(readFileSync(CHECKLIST_SCHEMA, 'utf8')) as object);
  }
  if (!validator(doc)) {
    throw new Error(`${what} does not match checklist.schema.json: ${ajvInstance.errorsText(validator.errors, { dataVar: 'checklist', separator: '\n  ' })}`);
  }
  const errors = semanticErrors(doc as ChecklistDoc);
  if (errors.length > 0) throw new Error(`${what} is inconsistent:\n  ${errors.join('\n  ')}`);
}

export function semanticErrors(doc: ChecklistDoc): string[] {
  const errors: string[] = [];
  const ids = new Map<string, ChecklistItem>();
  for (const item of doc.items) {
    if (ids.has(item.id)) errors.push(`duplicate id ${item.id} (lines ${ids.get(item.id)!.line} and ${item.line})`);
    ids.set(item.id, item);
  }
  if (doc.source.checkboxes !== doc.items.length) errors.push(`source.checkboxes is ${doc.source.checkboxes} but there are ${doc.items.length} items`);
  const hasChildren = new Set(doc.items.map((i) => i.parent).filter((p): p is string => p !== null));
  for (const item of doc.items) {
    const where = `${item.id} (line ${item.line})`;
    if (item.parent !== null) {
      const parent = ids.get(item.parent);
      if (!parent) errors.push(`${where}: parent ${item.parent} does not exist`);
      else if (parent.depth !== item.depth - 1) errors.push(`${where}: depth ${item.depth} under ${parent.id} at depth ${parent.depth}`);
    } else if (item.depth !== 0) errors.push(`${where}: depth ${item.depth} without a parent`);
    if (item.kind === 'auto') {
      for (const m of MODES) {
        const can = item.modes?.includes(m) ?? false;
        const why = item.not_verifiable?.[m];
        if (can && why) errors.push(`${where}: mode ${m} is both in modes and not_verifiable`);
        if (!can && !why) errors.push(`${where}: mode ${m} is neither in modes nor explained in not_verifiable`);
      }
    }
    for (const d of item.derived_from ?? []) {
      if (!ids.has(d)) errors.push(`${where}: derived_from names unknown item ${d}`);
    }
    if (item.derived_from && hasChildren.has(item.id)) errors.push(`${where}: a parent cannot also be derived_from other items`);
  }
  // Derivations (children and derived_from) must be acyclic.
  const deps = (i: ChecklistItem): string[] => [...doc.items.filter((c) => c.parent === i.id).map((c) => c.id), ...(i.derived_from ?? [])];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      errors.push(`derivation cycle: ${[...path, id].join(' -> ')}`);
      return;
    }
    state.set(id, 'visiting');
    const item = ids.get(id);
    if (item) for (const d of deps(item)) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const item of doc.items) visit(item.id, []);
  return errors;
}

/** The validated checklist with the look-ups everyone needs. */
export class Checklist {
  readonly byId: ReadonlyMap<string, ChecklistItem>;
  readonly children: ReadonlyMap<string, readonly ChecklistItem[]>;

  constructor(readonly doc: ChecklistDoc) {
    this.byId = new Map(doc.items.map((i) => [i.id, i]));
    const children = new Map<string, ChecklistItem[]>();
    for (const i of doc.items) if (i.parent) children.set(i.parent, [...(children.get(i.parent) ?? []), i]);
    this.children = children;
  }

  get items(): readonly ChecklistItem[] {
    return this.doc.items;
  }

  item(id: string): ChecklistItem {
    const i = this.byId.get(id);
    if (!i) throw new Error(`unknown checklist ID ${id}`);
    return i;
  }

  isLeaf(id: string): boolean {
    return !this.children.has(id);
  }

  /** Items a test must decide: auto leaves that the gate does not derive from other items or the baseline record. */
  needsTest(item: ChecklistItem): boolean {
    return item.kind === 'auto' && this.isLeaf(item.id) && !item.derived_from && !item.from_baseline;
  }

  /** Why `item` cannot be verified in `mode`, or undefined when it can. */
  notVerifiableIn(item: ChecklistItem, mode: Mode): string | undefined {
    return item.kind === 'auto' && !item.modes?.includes(mode) ? item.not_verifiable?.[mode] ?? `not verifiable in ${mode} mode` : undefined;
  }
}

export function parseChecklistYaml(text: string, what = CHECKLIST_YAML): Checklist {
  const doc: unknown = parse(text);
  validateDoc(doc, what);
  return new Checklist(doc);
}

let cached: Checklist | undefined;

/** checklist/checklist.yaml, validated; read once per process. */
export function loadChecklist(): Checklist {
  cached ??= parseChecklistYaml(readFileSync(CHECKLIST_YAML, 'utf8'));
  return cached;
}
