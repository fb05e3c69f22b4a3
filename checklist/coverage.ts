/**
 * Which checklist items have a test: the static scan of the specs (tests-scan.ts, the same scan that writes
 * checklist.yaml's `tests:`) gives the IDs each test verifies, compared with the committed baseline of items
 * known to have no test yet (checklist/coverage-baseline.json).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Checklist } from './load.ts';
import { CHECKLIST_DIR, REPO_ROOT } from './source.ts';
import type { Reference, TestsScan } from './tests-scan.ts';

export const BASELINE_FILE = resolve(CHECKLIST_DIR, 'coverage-baseline.json');

/** One reference per test and ID it verifies, at the test's file and line. */
export function testReferences(scan: TestsScan): Reference[] {
  return scan.tests.flatMap((t) => t.ids.map((id) => ({ id, file: t.file, line: t.line })));
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
  /** IDs that name no checklist item: in a test's verifies(...), or any ID-shaped literal in tests/ (a table row). */
  unknown: Reference[];
  /** Tests whose IDs the scan cannot read (file:line, title, expression). */
  unreadable: string[];
  /** Uncovered items missing from the baseline: a test lost its ID, or a new item appeared. */
  regressions: string[];
  /** Baseline items that now have a test: shrink the baseline. */
  gained: string[];
  /** Baseline entries that are not (or no longer) items needing a test. */
  stale: string[];
  references: Reference[];
}

/** `extra`: the scan's ID-shaped literals (checked for unknown IDs only) and its unreadable tests. */
export function computeCoverage(checklist: Checklist, references: Reference[], baseline: Baseline, extra: { literals?: Reference[]; unreadable?: string[] } = {}): Coverage {
  const named = new Set(references.map((r) => r.id));
  const seen = new Set<string>();
  const unknown = [...references, ...(extra.literals ?? [])].filter((r) => {
    const key = `${r.id}\0${r.file}\0${r.line}`;
    if (checklist.byId.has(r.id) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const needed = checklist.items.filter((i) => checklist.needsTest(i)).map((i) => i.id);
  const covered = needed.filter((id) => named.has(id));
  const uncovered = needed.filter((id) => !named.has(id));
  const base = new Set(baseline.uncovered);
  return {
    needed,
    covered,
    uncovered,
    unknown,
    unreadable: extra.unreadable ?? [],
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
  for (const u of c.unreadable) lines.push(`UNREADABLE ${u}`);
  for (const id of c.regressions) lines.push(`NO TEST for ${id} "${checklist.item(id).text}" (not in ${relative(REPO_ROOT, BASELINE_FILE)}): a test lost its ID, or add the test`);
  if (c.gained.length) lines.push(`now covered, remove from the baseline (npm run checklist:coverage -- --update-baseline): ${c.gained.join(', ')}`);
  if (c.stale.length) lines.push(`baseline names items that need no test: ${c.stale.join(', ')}`);
  return lines.join('\n');
}

/** Coverage of a scan: its tests' IDs, with its literals checked for unknown IDs and its unreadable tests reported. */
export function scanCoverage(checklist: Checklist, scan: TestsScan, baseline: Baseline): Coverage {
  return computeCoverage(checklist, testReferences(scan), baseline, { literals: scan.literals, unreadable: scan.problems });
}
