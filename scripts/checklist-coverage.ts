/**
 * Prints which auto checklist items have a test (static scan of tests/, checklist/tests-scan.ts), and fails on
 * unknown IDs, on a test whose IDs the scan cannot read, or on an item without a test that is not in
 * checklist/coverage-baseline.json.
 *
 *   npm run checklist:coverage                      report; exit 1 on unknown IDs / unreadable IDs / regressions
 *   npm run checklist:coverage -- --update-baseline write the current uncovered items as the baseline
 *                                                   (references in files git does not track are ignored)
 *   CHECKLIST_REQUIRE_FULL_COVERAGE=1 ...           every auto item must have a test
 */
import { execFileSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BASELINE_FILE, computeCoverage, coverageReport, readBaseline, scanCoverage, testReferences, writeBaseline } from '../checklist/coverage.ts';
import { loadChecklist } from '../checklist/load.ts';
import { requireFullCoverage } from '../core/config.ts';
import { REPO_ROOT } from '../checklist/source.ts';
import { scanTests } from '../checklist/tests-scan.ts';

function trackedFiles(): Set<string> | undefined {
  try {
    return new Set(execFileSync('git', ['ls-files', 'tests'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean));
  } catch {
    return undefined;
  }
}

export function main(argv: string[]): number {
  const checklist = loadChecklist();
  const scan = scanTests();
  if (argv.includes('--update-baseline')) {
    // Only committed specs count: a baseline that relies on someone's uncommitted file breaks CI.
    const tracked = trackedFiles();
    const committed = <T extends { file: string }>(xs: T[]): T[] => (tracked ? xs.filter((r) => tracked.has(r.file)) : xs);
    const refs = testReferences(scan);
    const base = committed(refs);
    if (tracked && base.length < refs.length) console.log(`ignoring ${refs.length - base.length} references in files git does not track`);
    const c = computeCoverage(checklist, base, { uncovered: [] }, { literals: committed(scan.literals) });
    if (c.unknown.length) {
      console.error(coverageReport(checklist, c));
      console.error('fix the unknown IDs before updating the baseline');
      return 1;
    }
    writeBaseline(c.uncovered);
    console.log(`wrote ${relative(REPO_ROOT, BASELINE_FILE)}: ${c.uncovered.length} uncovered of ${c.needed.length} auto items`);
    return 0;
  }
  const c = scanCoverage(checklist, scan, readBaseline());
  console.log(coverageReport(checklist, c));
  const full = requireFullCoverage();
  if (c.unknown.length || c.unreadable.length || c.regressions.length || (full && c.uncovered.length)) return 1;
  return 0;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) process.exit(main(process.argv.slice(2)));
