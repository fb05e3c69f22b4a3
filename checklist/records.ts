/**
 * Attestations and waivers: YAML files a team commits next to the suite.
 *
 *   attestations/<anything>.yaml   { id, by, date, note? }            (one mapping, or a list of them)
 *   waivers/<anything>.yaml        { id, reason, expires, approved_by }
 *
 * An attestation ticks an `attest` item (or every attest item under an attest parent). A waiver accepts an
 * item that did not pass until `expires` (inclusive); after that the item counts as failed (InSpec-style).
 * Malformed files raise RecordError naming the file and line of every problem.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Checklist } from './load.ts';
import { REPO_ROOT } from './source.ts';

export interface Attestation {
  id: string;
  by: string;
  date: string;
  note?: string;
  file: string;
  line: number;
}

export interface Waiver {
  id: string;
  reason: string;
  expires: string;
  approved_by: string;
  file: string;
  line: number;
}

export class RecordError extends Error {
  constructor(readonly problems: string[]) {
    super(`malformed attestation/waiver file(s):\n  ${problems.join('\n  ')}`);
    this.name = 'RecordError';
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isValidDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

type FieldSpec = Record<string, { required: boolean; date?: boolean }>;

const ATTESTATION_FIELDS: FieldSpec = { id: { required: true }, by: { required: true }, date: { required: true, date: true }, note: { required: false } };
const WAIVER_FIELDS: FieldSpec = { id: { required: true }, reason: { required: true }, expires: { required: true, date: true }, approved_by: { required: true } };

/** Parses one file's text into records; problems are pushed as `file:line: message`. */
function parseRecords(text: string, file: string, spec: FieldSpec, problems: string[]): Array<{ f: Record<string, string>; line: number }> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const lineOf = (node: Node | null | undefined, fallback = 1): number => (node?.range ? lc.linePos(node.range[0]).line : fallback);
  for (const e of [...doc.errors, ...doc.warnings]) {
    problems.push(`${file}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split('\n')[0]}`);
  }
  if (doc.errors.length > 0) return [];
  const root = doc.contents;
  if (root === null) return [];
  const entries: Node[] = isSeq(root) ? (root.items as Node[]) : [root as Node];
  const out: Array<{ f: Record<string, string>; line: number }> = [];
  for (const entry of entries) {
    const line = lineOf(entry);
    if (!isMap(entry)) {
      problems.push(`${file}:${line}: expected a mapping with ${Object.keys(spec).join(', ')}`);
      continue;
    }
    const rec: Record<string, string> = {};
    let ok = true;
    for (const pair of entry.items) {
      const key = String((pair.key as { value?: unknown } | null)?.value ?? '');
      const valueNode = pair.value as (Node & { value?: unknown }) | null;
      const at = lineOf(valueNode ?? (pair.key as Node), line);
      if (!(key in spec)) {
        problems.push(`${file}:${at}: unknown field "${key}" (allowed: ${Object.keys(spec).join(', ')})`);
        ok = false;
        continue;
      }
      const v = valueNode?.value;
      if (typeof v !== 'string' || v.trim() === '') {
        problems.push(`${file}:${at}: "${key}" must be a non-empty string${spec[key]!.date ? ' (YYYY-MM-DD)' : ''}`);
        ok = false;
        continue;
      }
      if (spec[key]!.date && !isValidDate(v.trim())) {
        problems.push(`${file}:${at}: "${key}" must be a date YYYY-MM-DD, got "${v}"`);
        ok = false;
        continue;
      }
      rec[key] = v.trim();
    }
    for (const [key, f] of Object.entries(spec)) {
      if (f.required && !(key in rec) && !entry.items.some((p) => String((p.key as { value?: unknown } | null)?.value) === key)) {
        problems.push(`${file}:${line}: missing "${key}"`);
        ok = false;
      }
    }
    if (ok) out.push({ f: rec, line });
  }
  return out;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface Records {
  attestations: Attestation[];
  waivers: Waiver[];
}

/** Reads every `*.yaml` in the two directories; throws RecordError listing every problem. */
export function loadRecords(checklist: Checklist, dirs = { attestations: join(REPO_ROOT, 'attestations'), waivers: join(REPO_ROOT, 'waivers') }): Records {
  const problems: string[] = [];
  const attestations: Attestation[] = [];
  const waivers: Waiver[] = [];
  const name = (p: string): string => relative(process.cwd(), p) || p;

  for (const path of yamlFiles(dirs.attestations)) {
    const file = name(path);
    for (const { f: r, line } of parseRecords(readFileSync(path, 'utf8'), file, ATTESTATION_FIELDS, problems)) {
      const item = checklist.byId.get(r.id!);
      if (!item) {
        problems.push(`${file}:${line}: unknown checklist ID "${r.id}"`);
        continue;
      }
      if (item.kind !== 'attest') {
        problems.push(`${file}:${line}: ${r.id} is an auto item (a test decides it); attestations are for attest items only - use a waiver in waivers/ to accept it unverified`);
        continue;
      }
      const dupe = attestations.find((a) => a.id === r.id);
      if (dupe) {
        problems.push(`${file}:${line}: ${r.id} is already attested in ${dupe.file}:${dupe.line}`);
        continue;
      }
      attestations.push({ id: r.id!, by: r.by!, date: r.date!, ...(r.note ? { note: r.note } : {}), file, line: line });
    }
  }
  for (const path of yamlFiles(dirs.waivers)) {
    const file = name(path);
    for (const { f: r, line } of parseRecords(readFileSync(path, 'utf8'), file, WAIVER_FIELDS, problems)) {
      if (!checklist.byId.has(r.id!)) {
        problems.push(`${file}:${line}: unknown checklist ID "${r.id}"`);
        continue;
      }
      const dupe = waivers.find((w) => w.id === r.id);
      if (dupe) {
        problems.push(`${file}:${line}: ${r.id} is already waived in ${dupe.file}:${dupe.line}`);
        continue;
      }
      waivers.push({ id: r.id!, reason: r.reason!, expires: r.expires!, approved_by: r.approved_by!, file, line: line });
    }
  }
  if (problems.length > 0) throw new RecordError(problems);
  return { attestations, waivers };
}
