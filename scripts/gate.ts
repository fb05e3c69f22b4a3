/**
 * The release gate: evaluates a Playwright JSON report against the checklist, writes
 * reports/checklist.{json,md,html} and the run's baseline record reports/baseline/<UTC start>.json (compared with
 * RAG_BASELINE or the newest earlier record of the same mode and target: checklist/baseline.ts), prints a summary and exits
 *   0  no required item failed (with --strict: every item passed, attested or validly waived)
 *   1  a required item failed (with --strict: some item is not passed/attested/waived), or the run broke
 *   2  the results file is missing or unreadable, the checklist/attestations/waivers are malformed, or RAG_BASELINE
 *      is not a baseline record
 *
 *   npm run gate -- [--results reports/playwright.json] [--strict | --smoke] [--no-run | --run] [--mode M] [--target T]
 *                   [--reports DIR] [--attestations DIR] [--waivers DIR]
 *     --smoke: the results are the smoke profile's (`--grep @smoke`, npm run smoke): the lines it did not run are
 *     "not run (smoke profile)", and no baseline record is written (the next release compares with full runs only).
 *   npm run gate -- --check-causes [--reports DIR]
 *     exits 1 when a failed line of <reports>/checklist.json states no cause (only a matcher's output, empty,
 *     "test failed"), 2 when there is no checklist.json; it evaluates nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JSONReport } from '@playwright/test/reporter';
import { BaselineError, decideAll, recordRun, summary } from '../checklist/baseline.ts';
import { loadChecklist, type Checklist } from '../checklist/load.ts';
import { MODES, PHASES, type Mode } from '../checklist/model.ts';
import { loadRecords, RecordError } from '../checklist/records.ts';
import { MARKS, writeReports } from '../checklist/render.ts';
import { collectTests, evaluate, STATUSES, type EvaluateOptions, type GateResult, type Status } from '../checklist/results.ts';
import { linesWithoutCause } from '../checklist/cause.ts';
import { REPO_ROOT } from '../checklist/source.ts';
import { baselineFile, ConfigError } from '../core/config.ts';

interface Args {
  results: string;
  reports: string;
  strict: boolean;
  smoke: boolean;
  run: boolean;
  mode?: Mode;
  target?: string;
  attestations: string;
  waivers: string;
  checkCauses: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
  const args: Args = { results: resolve(REPO_ROOT, 'reports/playwright.json'), reports: resolve(REPO_ROOT, 'reports'), strict: false, smoke: false, run: false, attestations: resolve(REPO_ROOT, 'attestations'), waivers: resolve(REPO_ROOT, 'waivers'), checkCauses: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const [flag, inlineValue] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const v = (): string => inlineValue ?? value();
    switch (flag) {
      case '--results': args.results = resolve(v()); break;
      case '--reports': args.reports = resolve(v()); break;
      case '--strict': args.strict = true; break;
      case '--smoke': args.smoke = true; break;
      case '--no-run': args.run = false; break;
      case '--run': args.run = true; break;
      case '--target': args.target = v(); break;
      case '--attestations': args.attestations = resolve(v()); break;
      case '--waivers': args.waivers = resolve(v()); break;
      case '--check-causes': args.checkCauses = true; break;
      case '--mode': {
        const m = v();
        if (!(MODES as readonly string[]).includes(m)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}, got "${m}"`);
        args.mode = m as Mode;
        break;
      }
      case '--help': case '-h':
        throw new UsageError('usage: npm run gate -- [--results reports/playwright.json] [--strict | --smoke] [--no-run|--run] [--mode hermetic|compose|live] [--target URL] [--reports DIR] [--attestations DIR] [--waivers DIR] | --check-causes [--reports DIR]');
      default: throw new UsageError(`unknown argument ${a} (try --help)`);
    }
  }
  if (args.strict && args.smoke) throw new UsageError('--strict and --smoke exclude each other: the smoke profile runs a few lines, and --strict needs every line decided (run the full gate with --strict)');
  return args;
}

/** Mode and target: flags, else the report's metadata, else the state file the setup project wrote. */
async function resolveTarget(args: Args, report: JSONReport): Promise<{ mode: Mode | 'unknown'; target: string }> {
  const meta = (report.config?.metadata ?? {}) as Record<string, unknown>;
  let mode: Mode | 'unknown' = args.mode ?? ((MODES as readonly unknown[]).includes(meta.mode) ? (meta.mode as Mode) : 'unknown');
  let target = args.target ?? (typeof meta.target === 'string' ? meta.target : '');
  if (mode === 'unknown' || target === '') {
    try {
      const { readTarget } = await import('../testcontainers/target.ts');
      const t = readTarget();
      if (mode === 'unknown') mode = t.mode;
      if (target === '') target = t.urls.nginxHttps ?? t.urls.nginxHttp ?? t.deployDir ?? '';
    } catch {
      /* no state file: the run's mode stays unknown */
    }
  }
  return { mode, target: target || 'unknown' };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function summaryTable(checklist: Checklist, result: GateResult): string {
  const cols: Status[] = [...STATUSES];
  const head = `${pad('phase', 6)} ${cols.map((c) => pad(`${MARKS[c]} ${c}`, 14)).join(' ')} total`;
  const rows = [head, '-'.repeat(head.length + 4)];
  for (const p of PHASES) {
    const items = result.items.filter((r) => r.phase === p);
    rows.push(`${pad(p, 6)} ${cols.map((c) => pad(String(items.filter((r) => r.status === c).length), 14)).join(' ')} ${items.length}`);
  }
  rows.push('-'.repeat(head.length + 4));
  rows.push(`${pad('all', 6)} ${cols.map((c) => pad(String(result.counts[c]), 14)).join(' ')} ${result.items.length}`);
  rows.push(`${pad('leaves', 6)} ${cols.map((c) => pad(String(result.leafCounts[c]), 14)).join(' ')} ${result.items.filter((r) => checklist.isLeaf(r.id)).length}`);
  return rows.join('\n');
}

export function finalLine(result: GateResult): string {
  const v = result.verdict;
  if (v.result === 'FAILED') {
    const leaves = v.blockingLeaves.map((id) => result.items.find((x) => x.id === id)!);
    // Every failed item by ID and text; under --strict the undecided ones are counted (checklist.md lists them).
    const named = leaves.filter((r) => r.status === 'failed').map((r) => `${r.id} ${r.text}`);
    const undecided = leaves.filter((r) => r.status !== 'failed');
    const byStatus = (['not_verified', 'not_run'] as const).map((s) => [s, undecided.filter((r) => r.status === s).length] as const).filter(([, n]) => n > 0);
    const tail = [
      undecided.length ? `${byStatus.map(([s, n]) => `${n} ${s.replace('_', ' ')}`).join(', ')} item(s) not passed/attested/waived (see reports/checklist.md)` : '',
      v.blocking.length > v.blockingLeaves.length ? `+${v.blocking.length - v.blockingLeaves.length} parent/derived items` : '',
    ].filter(Boolean);
    const head = [...named, ...v.runErrors].join('; ');
    return `GATE FAILED${result.run.strict ? ' (strict)' : ''}: ${head ? `${head}${tail.length ? ` (${tail.join('; ')})` : ''}` : tail.join('; ')}`;
  }
  if (v.result === 'INCOMPLETE' && result.run.profile) {
    const decided = result.items.filter((r) => r.tests.length > 0).length;
    return `SMOKE PASSED: no required item failed among the ${decided} the ${result.run.profile} profile decides; ${result.counts.not_run} not run (${result.run.profile} profile) – a release needs the full gate (npm run release-gate)`;
  }
  if (v.result === 'INCOMPLETE') {
    return `GATE PASSED (no required item failed) but INCOMPLETE: ${result.counts.not_verified} not verified, ${result.counts.not_run} not run – a production release needs --strict`;
  }
  return `GATE PASSED${result.run.strict ? ' (strict)' : ''}: all ${result.items.length} items passed, attested or validly waived`;
}

/** --check-causes: every failed line of <reportsDir>/checklist.json states its cause (0), or not (1); no file: 2. */
export function checkCauses(reportsDir: string): number {
  const file = join(reportsDir, 'checklist.json');
  const rel = relative(process.cwd(), file) || file;
  let items: Parameters<typeof linesWithoutCause>[0];
  try {
    items = (JSON.parse(readFileSync(file, 'utf8')) as { items: typeof items }).items;
    if (!Array.isArray(items)) throw new Error('no "items" list');
  } catch (e) {
    console.error(`gate --check-causes: cannot read ${rel}: ${(e as Error).message}. Run the gate first (npm run gate).`);
    return 2;
  }
  const bad = linesWithoutCause(items);
  if (bad.length === 0) {
    console.log(`gate --check-causes: every failed line of ${rel} states its cause`);
    return 0;
  }
  console.error(`gate --check-causes: ${bad.length} failed line(s) of ${rel} state no cause (give the assertion a message, or use toHaveNoProblems):`);
  for (const b of bad) console.error(`  ${b}`);
  return 1;
}

/**
 * The run's baseline record: written to <reports>/baseline/, compared with RAG_BASELINE or the newest earlier record
 * of the same mode and target, and the decisions of the items that rest on it. Prints what it did.
 */
export function baselineStep(
  reportsDir: string,
  report: JSONReport,
  facts: { mode: string; target: string; resultsFile: string },
): NonNullable<EvaluateOptions['baseline']> {
  const tests = collectTests(report);
  const run = recordRun(join(reportsDir, 'baseline'), tests, { ...facts, startTime: report.stats.startTime }, baselineFile());
  for (const s of run.skipped) console.log(`warning: baseline folder: skipped ${s}`);
  const written = run.written ? `wrote ${run.written}` : `could not write the record: ${run.writeError}`;
  console.log(`\nbaseline: ${written}; ${run.previous ? `compared ${run.compared.size} figures with ${relative(process.cwd(), run.previous.file)}` : run.none}`);
  return { decisions: decideAll(run, tests), compared: run.compared, summary: summary(run) };
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args.checkCauses) return checkCauses(args.reports);
  if (args.run) {
    console.log('gate: running npx playwright test ...');
    spawnSync('npx', ['playwright', 'test'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  const rel = relative(process.cwd(), args.results) || args.results;
  if (!existsSync(args.results)) {
    console.error(`gate: no test results at ${rel}. Run the suite first (npx playwright test – the config writes ${rel} with its json reporter), or pass --results <file>.`);
    return 2;
  }
  let report: JSONReport;
  try {
    report = JSON.parse(readFileSync(args.results, 'utf8')) as JSONReport;
    if (!Array.isArray(report.suites) || typeof report.stats !== 'object') throw new Error('not a Playwright JSON report (no suites/stats)');
  } catch (e) {
    console.error(`gate: cannot read ${rel}: ${(e as Error).message}. Re-run npx playwright test to produce it.`);
    return 2;
  }
  let checklist: Checklist;
  let records;
  try {
    checklist = loadChecklist();
    records = loadRecords(checklist, { attestations: args.attestations, waivers: args.waivers });
  } catch (e) {
    console.error(`gate: ${e instanceof RecordError ? e.message : (e as Error).message}`);
    return 2;
  }
  const { mode, target } = await resolveTarget(args, report);
  const options: EvaluateOptions = { mode, target, strict: args.strict, resultsFile: rel, ...(args.smoke ? { profile: 'smoke' as const } : {}) };
  let result = evaluate(checklist, report, records, options);
  if (!result.items.some((r) => r.tests.length > 0) && result.verdict.runErrors.length === 0) {
    console.error(`gate: ${rel} contains no test that names a checklist item (verifies(...)); is it the right file?`);
    return 2;
  }
  // The baseline items (DOC-RECORDS-3, RB-CRIT-4, STAB-DAILY-5, STAB-UX-3) are about the run as a whole: decided now.
  // A smoke run writes no record: it would become the newest one, and the next full run would compare with its few figures.
  if (args.smoke) {
    console.log('\nbaseline: no record written (smoke profile): the next release compares with full runs only');
  } else {
    try {
      result = evaluate(checklist, report, records, { ...options, baseline: baselineStep(args.reports, report, { mode, target, resultsFile: rel }) });
    } catch (e) {
      if (!(e instanceof BaselineError || e instanceof ConfigError)) throw e;
      console.error(`gate: ${e.message}`);
      return 2;
    }
  }
  const written = writeReports(checklist, result, args.reports);
  console.log(`\n${checklist.doc.source.title} — mode ${mode}, target ${target}, run ${result.run.startTime ?? 'unknown'}${args.strict ? ', STRICT' : ''}`);
  console.log(summaryTable(checklist, result));
  if (result.unknownIds.length) console.log(`\nwarning: tests name unknown checklist IDs: ${result.unknownIds.map((u) => `${u.id} (${u.test})`).join('; ')}`);
  console.log(`\nreports: ${written.map((p) => relative(process.cwd(), p)).join(', ')}`);
  console.log(finalLine(result));
  return result.verdict.exitCode;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(2);
  });
}
