/**
 * Which checklist items have a test: a static scan of the specs for checklist IDs in string literals
 * (`verifies('P2-HEALTH-1')`, or ID tables a spec loops over), compared with the committed baseline of
 * items known to have no test yet (checklist/coverage-baseline.json).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Checklist } from './load.ts';
import { CHECKLIST_DIR, REPO_ROOT } from './source.ts';

export const BASELINE_FILE = resolve(CHECKLIST_DIR, 'coverage-baseline.json');
export const TESTS_DIR = resolve(REPO_ROOT, 'tests');

/** A quoted string that looks like a checklist ID. */
const ID_LITERAL = /(['"`])((?:PRE|P1|P2|P3|P4|MON|STAB|RB|DOC|SIGN)-[A-Z]+(?:-\d+(?:\.\d+)?)?)\1/g;

export interface Reference {
  id: string;
  file: string;
  line: number;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : tsFiles(p);
      return name.endsWith('.ts') ? [p] : [];
    });
}

/** Every ID-shaped string literal in `tests/**.ts`, with file and line. */
export function scanReferences(testsDir = TESTS_DIR): Reference[] {
  const refs: Reference[] = [];
  for (const file of tsFiles(testsDir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(ID_LITERAL)) {
      const line = text.slice(0, m.index).split('\n').length;
      refs.push({ id: m[2]!, file: relative(REPO_ROOT, file), line });
    }
  }
  return refs;
}

export interface Baseline {
  uncovered: string[];
}

export function readBaseline(path = BASELINE_FILE): Baseline {
  if (!existsSync(path)) return { uncovered: [] };
  const data = JSON.parse(readFileSync(path, 'utf8')) as { uncovered?: unknown };
  if (!Array.isArray(data.uncovered) || !data.uncovered.every((x) => typeof x === 'string')) {
    throw new Error(`${path}: "uncovered" must be a list of checklist IDs`);
  }
  return { uncovered: data.uncovered as string[] };
}

export function writeBaseline(uncovered: string[], path = BASELINE_FILE): void {
  const body = {
    $comment: 'auto checklist items that have no test yet. The self-test fails when an item NOT listed here has no test. Shrink it with: npm run checklist:coverage -- --update-baseline',
    uncovered: [...uncovered],
  };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
}

export interface Coverage {
  /** auto items a test must decide (leaves that the gate does not derive). */
  needed: string[];
  covered: string[];
  uncovered: string[];
  /** ID-shaped literals that name no checklist item. */
  unknown: Reference[];
  /** Uncovered items missing from the baseline: a test lost its ID, or a new item appeared. */
  regressions: string[];
  /** Baseline items that now have a test: shrink the baseline. */
  gained: string[];
  /** Baseline entries that are not (or no longer) items needing a test. */
  stale: string[];
  references: Reference[];
}

export function computeCoverage(checklist: Checklist, references: Reference[], baseline: Baseline): Coverage {
  const named = new Set(references.map((r) => r.id));
  const needed = checklist.items.filter((i) => checklist.needsTest(i)).map((i) => i.id);
  const covered = needed.filter((id) => named.has(id));
  const uncovered = needed.filter((id) => !named.has(id));
  const base = new Set(baseline.uncovered);
  return {
    needed,
    covered,
    uncovered,
    unknown: references.filter((r) => !checklist.byId.has(r.id)),
    regressions: uncovered.filter((id) => !base.has(id)),
    gained: baseline.uncovered.filter((id) => named.has(id) && needed.includes(id)),
    stale: baseline.uncovered.filter((id) => !needed.includes(id)),
    references,
  };
}

export function coverageReport(checklist: Checklist, c: Coverage): string {
  const pct = c.needed.length ? ((100 * c.covered.length) / c.needed.length).toFixed(1) : '100';
  const lines = [`checklist coverage: ${c.covered.length} of ${c.needed.length} auto items have a test (${pct}%)`];
  if (c.uncovered.length) {
    lines.push(`uncovered (${c.uncovered.length}):`);
    for (const id of c.uncovered) lines.push(`  ${id}  ${checklist.item(id).text}`);
  }
  for (const u of c.unknown) lines.push(`UNKNOWN ID ${u.id} in ${u.file}:${u.line}`);
  for (const id of c.regressions) lines.push(`NO TEST for ${id} "${checklist.item(id).text}" (not in ${relative(REPO_ROOT, BASELINE_FILE)}): a test lost its ID, or add the test`);
  if (c.gained.length) lines.push(`now covered, remove from the baseline (npm run checklist:coverage -- --update-baseline): ${c.gained.join(', ')}`);
  if (c.stale.length) lines.push(`baseline names items that need no test: ${c.stale.join(', ')}`);
  return lines.join('\n');
}
