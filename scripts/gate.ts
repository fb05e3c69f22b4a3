/**
 * The release gate: evaluates a Playwright JSON report against the checklist, writes
 * reports/checklist.{json,md,html}, prints a summary and exits
 *   0  no required item failed (with --strict: every item passed, attested or validly waived)
 *   1  a required item failed (with --strict: some item is not passed/attested/waived), or the run broke
 *   2  the results file is missing or unreadable, or the checklist/attestations/waivers are malformed
 *
 *   npm run gate -- [--results reports/playwright.json] [--strict] [--no-run | --run] [--mode M] [--target T]
 *                   [--reports DIR] [--attestations DIR] [--waivers DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JSONReport } from '@playwright/test/reporter';
import { loadChecklist, type Checklist } from '../checklist/load.ts';
import { MODES, PHASES, type Mode } from '../checklist/model.ts';
import { loadRecords, RecordError } from '../checklist/records.ts';
import { MARKS, writeReports } from '../checklist/render.ts';
import { evaluate, STATUSES, type GateResult, type Status } from '../checklist/results.ts';
import { REPO_ROOT } from '../checklist/source.ts';

interface Args {
  results: string;
  reports: string;
  strict: boolean;
  run: boolean;
  mode?: Mode;
  target?: string;
  attestations: string;
  waivers: string;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
  const args: Args = { results: resolve(REPO_ROOT, 'reports/playwright.json'), reports: resolve(REPO_ROOT, 'reports'), strict: false, run: false, attestations: resolve(REPO_ROOT, 'attestations'), waivers: resolve(REPO_ROOT, 'waivers') };
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
      case '--no-run': args.run = false; break;
      case '--run': args.run = true; break;
      case '--target': args.target = v(); break;
      case '--attestations': args.attestations = resolve(v()); break;
      case '--waivers': args.waivers = resolve(v()); break;
      case '--mode': {
        const m = v();
        if (!(MODES as readonly string[]).includes(m)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}, got "${m}"`);
        args.mode = m as Mode;
        break;
      }
      case '--help': case '-h':
        throw new UsageError('usage: npm run gate -- [--results reports/playwright.json] [--strict] [--no-run|--run] [--mode hermetic|compose|live] [--target URL] [--reports DIR] [--attestations DIR] [--waivers DIR]');
      default: throw new UsageError(`unknown argument ${a} (try --help)`);
    }
  }
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
  if (v.result === 'INCOMPLETE') {
    return `GATE PASSED (no required item failed) but INCOMPLETE: ${result.counts.not_verified} not verified, ${result.counts.not_run} not run – a production release needs --strict`;
  }
  return `GATE PASSED${result.run.strict ? ' (strict)' : ''}: all ${result.items.length} items passed, attested or validly waived`;
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
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
  const result = evaluate(checklist, report, records, { mode, target, strict: args.strict, resultsFile: rel });
  if (!result.items.some((r) => r.tests.length > 0) && result.verdict.runErrors.length === 0) {
    console.error(`gate: ${rel} contains no test that names a checklist item (verifies(...)); is it the right file?`);
    return 2;
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
