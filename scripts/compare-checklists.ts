/**
 * Two runs' checklists side by side, item by item: the lines whose status differs, with both reasons, and the
 * verdicts. For checking that two ways of running the gate (the repository, the runner image) decide alike.
 *
 *   tsx scripts/compare-checklists.ts <a/checklist.json> <b/checklist.json> [--reasons]
 *
 * --reasons also lists the lines whose status agrees but whose reason differs. Exits 0 when every status and the
 * verdict agree, 1 when not, 2 when a file is missing or is no checklist.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The parts of checklist.json (checklist/render.ts renderJson) the comparison reads. */
export interface ComparedChecklist {
  verdict: { result: string; exitCode: number };
  items: Array<{ id: string; status: string; reason?: string | null }>;
}

export interface ItemDifference {
  id: string;
  a?: { status: string; reason?: string | null };
  b?: { status: string; reason?: string | null };
}

export interface Comparison {
  /** Items whose status differs, or that only one side has. */
  statuses: ItemDifference[];
  /** Items with the same status and another reason. */
  reasons: ItemDifference[];
  verdicts: { a: string; b: string };
  compared: number;
}

export function compareChecklists(a: ComparedChecklist, b: ComparedChecklist): Comparison {
  const byId = (c: ComparedChecklist): Map<string, ComparedChecklist['items'][number]> => new Map(c.items.map((i) => [i.id, i]));
  const left = byId(a);
  const right = byId(b);
  const ids = [...new Set([...left.keys(), ...right.keys()])];
  const statuses: ItemDifference[] = [];
  const reasons: ItemDifference[] = [];
  for (const id of ids) {
    const x = left.get(id);
    const y = right.get(id);
    const d: ItemDifference = { id, a: x && { status: x.status, reason: x.reason }, b: y && { status: y.status, reason: y.reason } };
    if (!x || !y || x.status !== y.status) statuses.push(d);
    else if ((x.reason ?? '') !== (y.reason ?? '')) reasons.push(d);
  }
  return { statuses, reasons, verdicts: { a: a.verdict.result, b: b.verdict.result }, compared: ids.length };
}

function side(s: ItemDifference['a']): string {
  return s ? `${s.status}${s.reason ? ` – ${s.reason.replace(/\s+/g, ' ').slice(0, 200)}` : ''}` : '(absent)';
}

export function describeComparison(c: Comparison, names: [string, string], withReasons: boolean): string {
  const lines = [`verdict: ${names[0]} ${c.verdicts.a}, ${names[1]} ${c.verdicts.b}${c.verdicts.a === c.verdicts.b ? ' (same)' : ' (DIFFERENT)'}`];
  lines.push(`${c.compared} items compared: ${c.statuses.length} with another status${withReasons ? `, ${c.reasons.length} with the same status and another reason` : ''}`);
  const list = (title: string, ds: ItemDifference[]): void => {
    if (!ds.length) return;
    lines.push('', title);
    for (const d of ds) lines.push(`  ${d.id}`, `    ${names[0]}: ${side(d.a)}`, `    ${names[1]}: ${side(d.b)}`);
  };
  list('another status:', c.statuses);
  if (withReasons) list('same status, another reason:', c.reasons);
  return lines.join('\n');
}

function load(file: string): ComparedChecklist {
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<ComparedChecklist>;
  if (!Array.isArray(data.items) || !data.verdict) throw new Error(`${file} is no checklist.json (no items or verdict)`);
  return data as ComparedChecklist;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const args = process.argv.slice(2);
  const files = args.filter((a) => !a.startsWith('--'));
  if (files.length !== 2) {
    process.stderr.write('usage: tsx scripts/compare-checklists.ts <a/checklist.json> <b/checklist.json> [--reasons]\n');
    process.exit(2);
  }
  let c: Comparison;
  try {
    c = compareChecklists(load(files[0]!), load(files[1]!));
  } catch (e) {
    process.stderr.write(`compare-checklists: ${(e as Error).message}\n`);
    process.exit(2);
  }
  console.log(describeComparison(c, [files[0]!, files[1]!], args.includes('--reasons')));
  process.exit(c.statuses.length === 0 && c.verdicts.a === c.verdicts.b ? 0 : 1);
}
