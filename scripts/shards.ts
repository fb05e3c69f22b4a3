/**
 * The full gate as N Playwright shards, run one after another on this machine – the proof that CI's sharded release
 * job (.github/workflows/gate.yml) decides exactly as a single run. Each shard is `npx playwright test --shard i/N
 * --reporter blob` against its own hermetic stack (RAG_PROJECT <base>-<i>: the setup project runs in every shard, as
 * it is every phase's dependency, and its teardown removes the stack); then `scripts/release-gate --merge` merges the
 * blob reports (playwright.merge.config.ts) into reports/playwright.json, junit.xml and allure-results and decides as
 * after a single run: reports/checklist.{json,md,html}, the Allure report and the exit code.
 *
 *   npm run gate:shards -- [--shards 2] [--weights 3:1 | --balance <an earlier run's playwright.json>]
 *                          [--single <the single run's playwright.json>] [--compare <the single run's checklist.json>]
 *                          [-- <more playwright test arguments>]
 *   tsx scripts/shards.ts --plan --shards 2 --balance <playwright.json>   prints only the weights (CI's plan job)
 *
 * Playwright splits the tests by count, in project and file order (a file is one group when tests are not fully
 * parallel), so equal counts put the long monitoring, stability and rollback files into the last shard. --balance
 * weighs the split by the durations an earlier run measured per file: it lists the tests (`--list`), finds the
 * contiguous split whose longest shard is shortest, and passes it as PWTEST_SHARD_WEIGHTS (shard i's test count).
 * Prints each shard's wall time, the longest as % of the sum and, with --single, as % of the single run; with
 * --compare, the lines whose status differs from the single run (scripts/compare-checklists.ts), with the single
 * run's baseline record given as RAG_BASELINE, so that both compare their figures with the same one.
 * Exit code: the merged gate's, or 1 when --compare finds a difference, 2 for a usage error.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JSONReport, JSONReportSuite } from '@playwright/test/reporter';
import { REPO_ROOT as ROOT } from '../checklist/source.ts';
import { compareChecklists, describeComparison, type ComparedChecklist } from './compare-checklists.ts';

/** Where the local shards write: results per shard (<i>/), the blob reports (blob/, kept: the merged report's attachments live there). */
export const SHARDS_DIR = join(ROOT, 'reports', 'shards');

export interface Args {
  shards: number;
  weights?: number[];
  balance?: string;
  single?: string;
  compare?: string;
  plan: boolean;
  /** Arguments after `--`, for every shard's `playwright test`. */
  extra: string[];
}

export class UsageError extends Error {}

const USAGE = 'usage: npm run gate:shards -- [--shards N] [--weights w1:…:wN | --balance <playwright.json>] [--single <playwright.json>] [--compare <checklist.json>] [-- <playwright test args>] | --plan --shards N --balance <playwright.json>';

/** `3:1` → [3, 1]: one non-negative number per shard, not all zero (Playwright's PWTEST_SHARD_WEIGHTS). */
export function parseWeights(text: string, shards: number): number[] {
  const w = text.split(':').map((x) => (/^\d+(\.\d+)?$/.test(x) ? Number(x) : NaN));
  if (w.some((x) => Number.isNaN(x))) throw new UsageError(`--weights "${text}": non-negative numbers separated by ':' (e.g. 3:1)`);
  if (w.length !== shards) throw new UsageError(`--weights "${text}" names ${w.length} weight(s) for ${shards} shards`);
  if (w.every((x) => x === 0)) throw new UsageError(`--weights "${text}": at least one shard must get tests`);
  return w;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { shards: 2, plan: false, extra: [] };
  let weights: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.extra = argv.slice(i + 1);
      break;
    }
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--shards': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 2 || Number(v) > 16) throw new UsageError(`--shards must be a whole number from 2 to 16, got "${v}"`);
        args.shards = Number(v);
        break;
      }
      case '--weights': weights = value(); break;
      case '--balance': args.balance = resolve(value()); break;
      case '--single': args.single = resolve(value()); break;
      case '--compare': args.compare = resolve(value()); break;
      case '--plan': args.plan = true; break;
      case '--help': case '-h': throw new UsageError(USAGE);
      default: throw new UsageError(`unknown argument ${a} (try --help)`);
    }
  }
  if (weights !== undefined && args.balance) throw new UsageError('--weights and --balance exclude each other: give the split, or the run to compute it from');
  if (weights !== undefined) args.weights = parseWeights(weights, args.shards);
  if (args.plan && !args.balance) throw new UsageError('--plan computes the weights from an earlier run: give --balance <playwright.json>');
  for (const [flag, file] of [['--balance', args.balance], ['--single', args.single], ['--compare', args.compare]] as const) {
    if (file && !existsSync(file)) throw new UsageError(`${flag} ${file}: no such file`);
  }
  return args;
}

/**
 * The environment of one of several `playwright test` runs merged into one gate (a shard here, a lane in
 * scripts/lanes.ts): its own stack (RAG_PROJECT <base>-<name>), results (<dir>/<name>) and blob report (<dir>/blob/).
 */
export function partEnv(base: NodeJS.ProcessEnv, name: string, defaultProject: string, dir: string, blob: string): NodeJS.ProcessEnv {
  return {
    ...base,
    RAG_PROJECT: `${base.RAG_PROJECT || defaultProject}-${name}`,
    RAG_RESULTS_DIR: join(dir, name),
    PLAYWRIGHT_BLOB_OUTPUT_FILE: join(dir, 'blob', blob),
  };
}

/** The parts' blob reports in `blobDir` merged and decided as a single run's results (scripts/release-gate --merge). */
export function mergeAndDecide(blobDir: string, env: NodeJS.ProcessEnv = process.env): number {
  return spawnSync('bash', [join(ROOT, 'scripts/release-gate'), '--merge', blobDir], { cwd: ROOT, env, stdio: 'inherit' }).status ?? 1;
}

/** The environment of shard i of n: its own stack and results, its blob report under `dir`, the split's weights. */
export function shardEnv(base: NodeJS.ProcessEnv, i: number, n: number, dir: string, weights?: readonly number[]): NodeJS.ProcessEnv {
  const env = partEnv(base, String(i), 'raggate-shard', dir, `report-${String(i).padStart(String(n).length, '0')}.zip`);
  if (weights) env.PWTEST_SHARD_WEIGHTS = weights.join(':');
  else delete env.PWTEST_SHARD_WEIGHTS;
  return env;
}

/** The `playwright test` arguments of shard i of n. */
export function shardArgs(i: number, n: number, extra: readonly string[]): string[] {
  return ['playwright', 'test', `--shard=${i}/${n}`, '--reporter=blob,dot', ...extra];
}

/** One sharding unit as Playwright counts it: a spec file of a project, its tests that are not skipped at declaration, and its measured time. */
export interface Group {
  project: string;
  file: string;
  tests: number;
  ms: number;
}

/**
 * Projects that run in every shard instead of being split: playwright.config.ts's dependency (setup) and its
 * teardown (selftest/shards.test.ts checks the names against the configuration, which scripts/ may not import).
 */
export const UNSHARDED: ReadonlySet<string> = new Set(['setup', 'teardown']);

function forEachTest(report: JSONReport, visit: (project: string, file: string, t: { expectedStatus: string; results: Array<{ duration: number }> }) => void): void {
  const walk = (s: JSONReportSuite): void => {
    for (const spec of s.specs) for (const t of spec.tests) visit(t.projectName, spec.file, t);
    for (const c of s.suites ?? []) walk(c);
  };
  for (const s of report.suites) walk(s);
}

/**
 * The groups of a listing (`playwright test --list --reporter json`) in its order, with the durations an earlier run
 * measured for the same project and file (0 for a file it did not run).
 */
export function groupsOf(listing: JSONReport, measured: JSONReport): Group[] {
  const ms = new Map<string, number>();
  forEachTest(measured, (project, file, t) => ms.set(`${project}\0${file}`, (ms.get(`${project}\0${file}`) ?? 0) + t.results.reduce((s, r) => s + r.duration, 0)));
  const groups = new Map<string, Group>();
  forEachTest(listing, (project, file, t) => {
    if (UNSHARDED.has(project)) return;
    const key = `${project}\0${file}`;
    const g = groups.get(key) ?? { project, file, tests: 0, ms: ms.get(key) ?? 0 };
    if (t.expectedStatus !== 'skipped') g.tests += 1;
    groups.set(key, g);
  });
  return [...groups.values()];
}

/**
 * The contiguous split of `groups` into n shards whose longest shard (by measured time) is shortest, as each
 * shard's test count – Playwright's weights. A group without countable tests stays with the one before it, as
 * Playwright places it.
 */
export function balance(groups: readonly Group[], n: number): { weights: number[]; ms: number[] } {
  const units: Group[] = [];
  for (const g of groups) {
    const last = units[units.length - 1];
    if (g.tests === 0 && last) units[units.length - 1] = { ...last, ms: last.ms + g.ms };
    else units.push({ ...g });
  }
  const m = units.length;
  const prefix = [0];
  for (const u of units) prefix.push(prefix[prefix.length - 1]! + u.ms);
  const span = (a: number, b: number): number => prefix[b]! - prefix[a]!;
  // best[k][j]: the smallest longest shard when the first j units go into k shards; cut[k][j]: where the k-th starts.
  const best: number[][] = Array.from({ length: n + 1 }, () => Array<number>(m + 1).fill(Infinity));
  const cut: number[][] = Array.from({ length: n + 1 }, () => Array<number>(m + 1).fill(0));
  best[0]![0] = 0;
  for (let k = 1; k <= n; k++) {
    for (let j = 0; j <= m; j++) {
      for (let s = 0; s <= j; s++) {
        const v = Math.max(best[k - 1]![s]!, span(s, j));
        if (v < best[k]![j]!) {
          best[k]![j] = v;
          cut[k]![j] = s;
        }
      }
    }
  }
  const bounds: number[] = [m];
  for (let k = n, j = m; k > 0; k--) {
    j = cut[k]![j]!;
    bounds.unshift(j);
  }
  const weights: number[] = [];
  const ms: number[] = [];
  for (let k = 0; k < n; k++) {
    const part = units.slice(bounds[k], bounds[k + 1]);
    weights.push(part.reduce((s, u) => s + u.tests, 0));
    ms.push(part.reduce((s, u) => s + u.ms, 0));
  }
  return { weights, ms };
}

export interface ShardTime {
  shard: number;
  ms: number;
  exit: number | null;
}

/** `12.3 s`. */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const s = secs;

/** Each shard's wall time, the sum, and the longest as % of the sum and (given) of the single run. */
export function timesReport(times: readonly ShardTime[], singleMs?: number): string {
  const sum = times.reduce((a, t) => a + t.ms, 0);
  const longest = times.reduce((a, t) => (t.ms > a.ms ? t : a), times[0]!);
  const lines = times.map((t) => `shard ${t.shard}/${times.length}: ${s(t.ms)}${t.exit === 0 ? '' : ` (playwright exit ${t.exit ?? 'signal'})`}`);
  lines.push(`sum ${s(sum)}; longest shard ${longest.shard}: ${s(longest.ms)} = ${((100 * longest.ms) / sum).toFixed(0)} % of the sum`);
  if (singleMs) lines.push(`single run ${s(singleMs)}: the longest shard takes ${((100 * longest.ms) / singleMs).toFixed(0)} % of it`);
  return lines.join('\n');
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function npx(args: string[], env: NodeJS.ProcessEnv, capture = false): SpawnSyncReturns<string> {
  return spawnSync('npx', args, { cwd: ROOT, env, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', maxBuffer: 256 * 1024 * 1024 });
}

/** The suite's tests as Playwright lists them (no run), for the split. */
function listing(): JSONReport {
  const r = npx(['playwright', 'test', '--list', '--reporter=json'], { ...process.env, PLAYWRIGHT_JSON_OUTPUT_FILE: '' }, true);
  if (r.status !== 0) throw new Error(`playwright test --list failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as JSONReport;
}

/** The weights from an earlier run's durations, with what each shard is expected to take. */
function plan(args: Args): { weights: number[]; ms: number[] } {
  return balance(groupsOf(listing(), readJson<JSONReport>(args.balance!)), args.shards);
}

/** The single run's baseline record, when it compared with one: the merged run compares with the same. */
function singleBaseline(checklistFile: string): string | undefined {
  const previous = readJson<{ baseline?: { previous?: { file?: string } | null } }>(checklistFile).baseline?.previous?.file;
  return previous ? resolve(ROOT, previous) : undefined;
}

export function main(argv: string[]): number {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args.plan) {
    console.log(plan(args).weights.join(':'));
    return 0;
  }
  // Read before the merged run overwrites reports/: the single run's files may be those.
  const single = args.single ? readJson<JSONReport>(args.single).stats.duration : undefined;
  const compared = args.compare ? readJson<ComparedChecklist>(args.compare) : undefined;
  const baseline = args.compare ? singleBaseline(args.compare) : undefined;
  let weights = args.weights;
  if (args.balance) {
    const p = plan(args);
    weights = p.weights;
    console.log(`[shards] split by the durations of ${relative(ROOT, args.balance)}: weights ${weights.join(':')}, expected ${p.ms.map(s).join(' / ')} of tests per shard (+ set-up and teardown each)`);
  }
  rmSync(SHARDS_DIR, { recursive: true, force: true });
  mkdirSync(join(SHARDS_DIR, 'blob'), { recursive: true });
  const times: ShardTime[] = [];
  for (let i = 1; i <= args.shards; i++) {
    const env = shardEnv(process.env, i, args.shards, SHARDS_DIR, weights);
    console.log(`\n[shards] shard ${i}/${args.shards}: project ${env.RAG_PROJECT}${weights ? `, weights ${weights.join(':')}` : ''}`);
    const start = Date.now();
    const r = npx(shardArgs(i, args.shards, args.extra), env);
    times.push({ shard: i, ms: Date.now() - start, exit: r.status });
  }
  const mergeEnv = { ...process.env };
  if (baseline) mergeEnv.RAG_BASELINE = baseline;
  else if (args.compare) console.log('[shards] warning: the single run compared with no baseline record; the merged run compares with the newest one (the single run\'s), so the baseline lines (RB-CRIT-4, STAB-DAILY-5, STAB-UX-3) may differ');
  console.log(`\n[shards] merging ${relative(ROOT, join(SHARDS_DIR, 'blob'))}${baseline ? ` (RAG_BASELINE=${relative(ROOT, baseline)}, as the single run)` : ''}`);
  let code = mergeAndDecide(join(SHARDS_DIR, 'blob'), mergeEnv);
  console.log(`\n[shards] ${timesReport(times, single).replace(/\n/g, '\n[shards] ')}`);
  if (compared) {
    const c = compareChecklists(compared, readJson<ComparedChecklist>(join(ROOT, 'reports', 'checklist.json')));
    console.log(`\n${describeComparison(c, ['single', 'merged'], false)}`);
    if (c.statuses.length > 0 || c.verdicts.a !== c.verdicts.b) code = code || 1;
  }
  return code;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error(`shards: ${(e as Error).message}`);
    process.exit(2);
  }
}
