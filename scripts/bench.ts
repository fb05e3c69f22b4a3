/**
 * `npm run bench`: what the whole gate costs on this machine, measured, printed as a table and written to
 * reports/bench/bench.{json,md}:
 *   - set-up from a fresh clone of this repository (`bash scripts/setup` in a temporary clone; per step, from
 *     the "<step>: done in Ns" lines). On a machine that already has the Debian packages, the images (shared
 *     by content hash) and Go's module cache, this is the repeated-set-up figure; the first-run figure of a
 *     fresh machine is what CI's log of `.ci/run` shows (pass it with --setup-log to put it in the table).
 *   - the full hermetic gate with images built (`bash scripts/release-gate`): wall time, stack start (the
 *     setup project), and per phase (Playwright project) the wall-clock span and the number of tests.
 *   - the slowest tests: where the time goes.
 *
 * Usage: tsx scripts/bench.ts [--no-setup] [--no-gate] [--from-report reports/playwright.json]
 *                             [--setup-log FILE] [--repeat N]
 *   --repeat       run the full gate N times in a row and report each run, the clean ones, and the tests that failed
 *                  or needed a retry in some runs (flaky) or in all (broken); each run's report is kept in reports/bench/
 *   --from-report  build the gate part of the table from an earlier run's Playwright JSON instead of running it
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JSONReport } from '@playwright/test/reporter';
import { collectTests } from '../checklist/results.ts';
import { projectNameOr } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';

const argv = process.argv.slice(2);
const flag = (n: string) => argv.includes(n);
const opt = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const OUT = join(REPO_ROOT, 'reports', 'bench');

interface Row {
  what: string;
  seconds: number | null;
  detail: string;
}
const rows: Row[] = [];
const row = (what: string, seconds: number | null, detail = '') => rows.push({ what, seconds, detail });

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string; seconds: number } {
  const t0 = performance.now();
  // Captured, not shown: the set-up's step lines are parsed, the gate's output is saved to reports/bench/.
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, out: `${r.stdout ?? ''}\n${r.stderr ?? ''}`, seconds: (performance.now() - t0) / 1000 };
}

function setupSteps(log: string): Array<[string, number]> {
  return [...log.matchAll(/\[setup\]\s+(.+?): done in (\d+)s/g)].map((m) => [m[1]!, Number(m[2])]);
}

function benchSetup(): void {
  const setupLog = opt('--setup-log');
  if (setupLog) {
    if (!existsSync(setupLog)) throw new Error(`--setup-log ${setupLog}: no such file`);
    const log = readFileSync(setupLog, 'utf8');
    const total = /set-up complete in (\d+)s/.exec(log);
    row('set-up, first run on a fresh machine (from the given log)', total ? Number(total[1]) : null, total ? '' : 'no "set-up complete in Ns" line in the log');
    for (const [name, s] of setupSteps(log)) row(`  ${name}`, s);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rag-gate-bench-clone-'));
  try {
    const clone = sh('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, dir], tmpdir());
    if (clone.status !== 0) throw new Error(`git clone failed: ${clone.out.slice(-400)}`);
    // k6 is built into the clone's own .tools (from Go's module/build cache when present), like on a fresh machine.
    const r = sh('bash', ['scripts/setup'], dir);
    if (r.status !== 0) throw new Error(`scripts/setup failed in the fresh clone ${dir}:\n${r.out.slice(-2000)}`);
    row('set-up from a fresh clone (bash scripts/setup; packages, images and Go cache present)', r.seconds);
    for (const [name, s] of setupSteps(r.out)) row(`  ${name}`, s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Span {
  start: number;
  end: number;
  tests: number;
  failed: number;
  skipped: number;
}

function gateFromReport(report: JSONReport, wall?: number): void {
  const spans = new Map<string, Span>();
  const tests = collectTests(report).filter((t) => t.startTime);
  for (const t of tests) {
    const start = Date.parse(t.startTime!);
    const sp = spans.get(t.project) ?? { start, end: start, tests: 0, failed: 0, skipped: 0 };
    sp.start = Math.min(sp.start, start);
    sp.end = Math.max(sp.end, start + t.durationMs);
    sp.tests++;
    if (t.outcome === 'failed') sp.failed++;
    if (t.outcome === 'skipped') sp.skipped++;
    spans.set(t.project, sp);
  }
  const runStart = Date.parse(report.stats.startTime);
  row('full hermetic gate, wall (images built)', wall ?? report.stats.duration / 1000, `${report.stats.expected} passed, ${report.stats.unexpected} failed, ${report.stats.skipped} not verified (skipped), ${report.stats.flaky} flaky${wall ? '; includes rendering the checklist and the Allure report' : '; Playwright run only'}`);
  const setup = spans.get('setup');
  if (setup) row('  stack start (setup project: start, wait healthy, smoke)', (setup.end - setup.start) / 1000);
  const ordered = [...spans.entries()].sort((a, b) => a[1].start - b[1].start);
  for (const [project, sp] of ordered) {
    if (project === 'setup') continue;
    row(`  phase ${project}`, (sp.end - sp.start) / 1000, `${sp.tests} tests${sp.failed ? `, ${sp.failed} failed` : ''}${sp.skipped ? `, ${sp.skipped} not verified` : ''}; starts at +${((sp.start - runStart) / 1000).toFixed(0)} s`);
  }
  const top = [...tests].sort((a, b) => b.durationMs - a.durationMs).slice(0, 8);
  row('slowest 8 tests together', top.reduce((n, t) => n + t.durationMs, 0) / 1000, 'where the time goes:');
  for (const t of top) row(`  ${t.project}: ${`${t.file} › ${t.title}`.slice(0, 90)}`, t.durationMs / 1000);
}

function benchGate(): void {
  const from = opt('--from-report');
  if (from) {
    gateFromReport(JSON.parse(readFileSync(from, 'utf8')) as JSONReport);
    return;
  }
  const repeat = Number(opt('--repeat') ?? '1');
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 10) throw new Error(`--repeat must be a whole number from 1 to 10, got "${opt('--repeat')}"`);
  const env = { ...process.env, RAG_PROJECT: projectNameOr('rag-gate-bench') };
  const file = join(REPO_ROOT, 'reports', 'playwright.json');
  const runs: RunOutcome[] = [];
  let last: { report: JSONReport; seconds: number; status: number | null } | undefined;
  for (let i = 1; i <= repeat; i++) {
    process.stdout.write(`[bench] running the full hermetic gate (bash scripts/release-gate)${repeat > 1 ? `, run ${i} of ${repeat}` : ''} … `);
    rmSync(file, { force: true });
    const r = sh('bash', ['scripts/release-gate'], REPO_ROOT, env);
    console.log(`${r.seconds.toFixed(0)} s, exit ${r.status}`);
    const suffix = repeat > 1 ? `-${i}` : '';
    writeFileSync(join(OUT, `gate-output${suffix}.txt`), r.out);
    if (!existsSync(file)) throw new Error(`the gate wrote no ${file} (exit ${r.status}); see ${join(OUT, `gate-output${suffix}.txt`)}`);
    const report = JSON.parse(readFileSync(file, 'utf8')) as JSONReport;
    if (repeat > 1) writeFileSync(join(OUT, `playwright${suffix}.json`), JSON.stringify(report));
    runs.push(runOutcome(report, r.seconds, r.status));
    last = { report, seconds: r.seconds, status: r.status };
  }
  if (repeat > 1) {
    for (const [i, run] of runs.entries()) row(`run ${i + 1} of ${repeat}: full hermetic gate`, run.seconds, describeRun(run));
    row(`${repeat} consecutive runs`, null, flakiness(runs));
  }
  gateFromReport(last!.report, last!.seconds);
  if (last!.status !== 0) row('gate verdict', null, `exit ${last!.status}: the gate FAILED, so the figures above are of a red run`);
}

/** What one run of the gate came to: its exit code, the tests that failed, and the retries it needed. */
export interface RunOutcome {
  seconds: number;
  exit: number | null;
  passed: number;
  failed: string[];
  retried: string[];
}

function runOutcome(report: JSONReport, seconds: number, exit: number | null): RunOutcome {
  const tests = collectTests(report);
  const name = (t: { project: string; file: string; title: string }) => `${t.project} › ${t.file} › ${t.title}`;
  return {
    seconds,
    exit,
    passed: tests.filter((t) => t.outcome === 'passed').length,
    failed: tests.filter((t) => t.outcome === 'failed').map(name),
    retried: tests.filter((t) => t.flaky).map(name),
  };
}

export function describeRun(run: RunOutcome): string {
  const failed = run.failed.length ? `${run.failed.length} failed: ${run.failed.join('; ')}` : '0 failed';
  const retried = run.retried.length ? `${run.retried.length} passed only on a retry: ${run.retried.join('; ')}` : '0 retries';
  return `exit ${run.exit}; ${run.passed} passed, ${failed}, ${retried}`;
}

/** Clean runs out of all; tests that failed or needed a retry in some runs (flaky) and in every run (broken). */
export function flakiness(runs: readonly RunOutcome[]): string {
  const clean = runs.filter((r) => r.exit === 0 && r.failed.length === 0 && r.retried.length === 0).length;
  const count = new Map<string, number>();
  for (const r of runs) for (const t of new Set([...r.failed, ...r.retried])) count.set(t, (count.get(t) ?? 0) + 1);
  const flaky = [...count].filter(([, n]) => n < runs.length).map(([t, n]) => `${t} (${n} of ${runs.length})`);
  const broken = [...count].filter(([, n]) => n === runs.length).map(([t]) => t);
  return [`${clean} of ${runs.length} clean (exit 0, no failure, no retry)`, flaky.length ? `flaky: ${flaky.join('; ')}` : 'no flaky test', ...(broken.length ? [`failed in every run: ${broken.join('; ')}`] : [])].join('; ');
}

function main(): void {
  mkdirSync(OUT, { recursive: true });
  const before = loadavg().map((x) => x.toFixed(2)).join(' ');
  if (!flag('--no-setup')) benchSetup();
  if (!flag('--no-gate')) benchGate();
  const after = loadavg().map((x) => x.toFixed(2)).join(' ');
  const fmt = (s: number | null) => (s === null ? '—' : s >= 120 ? `${s.toFixed(0)} s (${(s / 60).toFixed(1)} min)` : `${s.toFixed(1)} s`);
  const w = Math.max(...rows.map((r) => r.what.length));
  const lines = [`rag-gate bench – ${new Date().toISOString()} – ${cpus().length} cores; load average before ${before}, after ${after}`, ''];
  for (const r of rows) lines.push(`${r.what.padEnd(w)}  ${fmt(r.seconds).padStart(16)}  ${r.detail}`);
  console.log(`\n${lines.join('\n')}`);
  const md = ['| measured | time | detail |', '|---|---:|---|', ...rows.map((r) => `| ${r.what.replace(/^ {2}/, '↳ ')} | ${fmt(r.seconds)} | ${r.detail} |`)];
  writeFileSync(join(OUT, 'bench.md'), `${lines[0]}\n\n${md.join('\n')}\n`);
  writeFileSync(join(OUT, 'bench.json'), JSON.stringify({ at: new Date().toISOString(), cores: cpus().length, loadBefore: before, loadAfter: after, rows }, null, 2));
  console.log(`\nwritten: reports/bench/bench.md, reports/bench/bench.json`);
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  try {
    main();
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(1);
  }
}
