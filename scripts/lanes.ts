/**
 * The full hermetic gate in lanes: the same tests as a single run, as three `playwright test` runs at once, each
 * against a hermetic stack of its own, merged into one report and one verdict (scripts/release-gate --merge, as the
 * shards of CI are). A single run spends most of its time waiting in series – the alert drill on Prometheus' `for:`
 * and Alertmanager's group waits, the soak on its sampling – while the CPU idles; the lanes overlap those waits
 * without letting them disturb each other: the drill stops Ollama, so queries fail for minutes (its own stack), the
 * soak must sample undisturbed and the rollback drill takes the stack down (their own stack), and the other checks
 * restart ChromaDB and Redis (theirs).
 *
 *   npm run gate:lanes [-- --only drill,checks] [-- <more playwright test arguments>]
 *   bash scripts/release-gate runs it for a full hermetic run (no playwright arguments) unless RAG_LANES=0.
 *
 * The lanes start together (measured on 2 cores: 259 s in all, against 302 s when each lane waited for the stack of
 * the one before – the start-ups take ~36 s instead of ~25 s side by side, but nothing waits for them in series);
 * --stagger starts each once the one before has its stack up (the setup project's target record has the stack's
 * URLs) or has ended, longest first, for a machine where three start-ups at once time out. Each lane's output goes to
 * reports/lanes/<lane>.log; its results to reports/lanes/<lane>/ (RAG_RESULTS_DIR) and its blob report to
 * reports/lanes/blob/. Prints when each lane's stack is up and when it ends, then merges and decides.
 * Exit code: the merged gate's (scripts/release-gate --merge), 2 for a usage error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT as ROOT } from '../checklist/source.ts';
import { loadConfig } from '../core/config.ts';
import { STATE_DIR } from '../core/paths.ts';
import { mergeAndDecide, partEnv, secs, UsageError } from './shards.ts';

export interface Lane {
  name: string;
  /** Playwright projects the lane runs (their dependency, the setup project, runs in each lane). */
  projects: string[];
  /** File filters (regular expressions on the spec's path, as `playwright test <filter>`); none: the projects' every file. */
  files?: string[];
  /** Why it is a lane of its own. */
  why: string;
}

/** Longest first (the order --stagger starts them in). selftest/lanes.test.ts checks that every test of the suite is in exactly one lane. */
export const LANES: Lane[] = [
  {
    name: 'drill',
    projects: ['monitoring'],
    files: ['tests/50-monitoring/alerts\\.spec\\.ts', 'tests/50-monitoring/settled\\.spec\\.ts'],
    why: 'the alert drill stops Ollama, so queries fail for minutes; its length is the rules\' for: and Alertmanager\'s group waits',
  },
  {
    name: 'soak',
    projects: ['stability', 'rollback'],
    why: 'the soak samples memory and latency undisturbed; the rollback drill then takes the stack down and restores it',
  },
  {
    name: 'checks',
    projects: ['prerequisites', 'predeploy', 'deployment', 'integration', 'security', 'monitoring'],
    files: ['tests/(01|10|20|30|40)-', 'tests/50-monitoring/(prometheus|grafana)\\.spec\\.ts'],
    why: 'everything else, in phase order: it restarts ChromaDB and Redis and loads the stack, which would disturb the soak',
  },
];

/** Whether a spec file of a project runs in `lane` (path relative to the repository root, as the filters are written). */
export function inLane(lane: Lane, project: string, file: string): boolean {
  if (!lane.projects.includes(project)) return false;
  return !lane.files || lane.files.some((f) => new RegExp(f).test(file));
}

export { UsageError };

export interface Args {
  lanes: Lane[];
  /** Start each lane once the one before has its stack up, instead of all at once. */
  stagger: boolean;
  extra: string[];
}

const USAGE = 'usage: npm run gate:lanes -- [--only lane,lane] [--stagger] [-- <playwright test args>]';

export function parseArgs(argv: string[], lanes: readonly Lane[] = LANES): Args {
  const args: Args = { lanes: [...lanes], stagger: false, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.extra = argv.slice(i + 1);
      break;
    }
    if (a === '--only') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new UsageError('--only needs lane names, e.g. --only drill,checks');
      const names = v.split(',');
      const unknown = names.filter((n) => !lanes.some((l) => l.name === n));
      if (unknown.length) throw new UsageError(`--only: no lane ${unknown.join(', ')} (lanes: ${lanes.map((l) => l.name).join(', ')})`);
      args.lanes = lanes.filter((l) => names.includes(l.name));
    } else if (a === '--stagger') args.stagger = true;
    else if (a === '--help' || a === '-h') throw new UsageError(USAGE);
    else throw new UsageError(`unknown argument ${a} (try --help)`);
  }
  return args;
}

/** Where the lanes write: logs, results per lane, the blob reports (kept: the merged report's attachments live there). */
export const LANES_DIR = join(ROOT, 'reports', 'lanes');

/** The environment of a lane: its own stack (RAG_PROJECT <base>-<lane>), results and blob report. */
export function laneEnv(base: NodeJS.ProcessEnv, lane: Lane, dir: string): NodeJS.ProcessEnv {
  // One run's output per file: no colour codes in the logs.
  return { ...partEnv(base, lane.name, 'raggate-hermetic', dir, `report-${lane.name}.zip`), FORCE_COLOR: '0' };
}

/** The `playwright test` arguments of a lane. */
export function laneArgs(lane: Lane, extra: readonly string[]): string[] {
  return ['playwright', 'test', ...lane.projects.map((p) => `--project=${p}`), ...(lane.files ?? []), '--reporter=blob,dot', ...extra];
}

/** Whether the setup project of RAG_PROJECT `project` has recorded a started stack (the record before start-up has no URLs). */
export function stackUp(project: string, stateDir = STATE_DIR): boolean {
  const file = join(stateDir, `target-${project}.json`);
  if (!existsSync(file)) return false;
  try {
    const t = JSON.parse(readFileSync(file, 'utf8')) as { urls?: Record<string, string> };
    return Object.keys(t.urls ?? {}).length > 0;
  } catch {
    return false; // being written
  }
}

/** "26 passed, 1 skipped" from the end of a dot reporter's output; the exit code when it printed no summary. */
export function outcomeOf(log: string, exit: number | null): string {
  const counts = [...log.matchAll(/^\s+(\d+) (passed|failed|flaky|skipped|did not run|interrupted)\b/gm)].map((m) => `${m[1]} ${m[2]}`);
  return counts.length ? counts.join(', ') : `no test summary (playwright exit ${exit ?? 'signal'})`;
}


interface Running {
  lane: Lane;
  project: string;
  child: ChildProcess;
  log: string;
  startedAt: number;
  upAt?: number;
  exit?: number | null;
  endedAt?: number;
}

function say(line: string): void {
  console.log(`[lanes] ${line}`);
}

function start(lane: Lane, extra: readonly string[], t0: number): Running {
  const env = laneEnv(process.env, lane, LANES_DIR);
  const log = join(LANES_DIR, `${lane.name}.log`);
  rmSync(join(STATE_DIR, `target-${env.RAG_PROJECT}.json`), { force: true });
  const out = createWriteStream(log);
  const child = spawn('npx', laneArgs(lane, extra), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const r: Running = { lane, project: env.RAG_PROJECT!, child, log, startedAt: Date.now() };
  child.on('exit', (code) => {
    r.exit = code;
    r.endedAt = Date.now();
  });
  say(`${lane.name}: started at ${secs(r.startedAt - t0)} – ${lane.projects.join(', ')}${lane.files ? ` (${lane.files.join(' ')})` : ''}; stack ${r.project}; log ${relative(ROOT, log)}`);
  return r;
}

/** Resolves when `r`'s stack is up or its run has ended. */
function untilUpOrEnded(r: Running, t0: number): Promise<void> {
  return new Promise((done) => {
    const check = (): void => {
      if (r.exit !== undefined) return done();
      if (stackUp(r.project)) {
        r.upAt = Date.now();
        say(`${r.lane.name}: stack up at ${secs(r.upAt - t0)} (${secs(r.upAt - r.startedAt)} after its start)`);
        return done();
      }
      setTimeout(check, 250);
    };
    check();
  });
}

function ended(r: Running): Promise<void> {
  return new Promise((done) => (r.exit !== undefined ? done() : r.child.on('exit', () => done())));
}

/**
 * `--applies` (scripts/release-gate asks before a full run): 0 when this run goes in lanes – hermetic mode, RAG_LANES
 * not 0 – else 1; also 1 on a setting the configuration refuses, which the single run's setup project then reports.
 */
function applies(): number {
  try {
    const c = loadConfig();
    return c.mode === 'hermetic' && c.lanes ? 0 : 1;
  } catch {
    return 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--applies') return applies();
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  rmSync(LANES_DIR, { recursive: true, force: true });
  mkdirSync(join(LANES_DIR, 'blob'), { recursive: true });
  const t0 = Date.now();
  say(`${args.lanes.length} lanes, each against a hermetic stack of its own: ${args.lanes.map((l) => `${l.name} (${l.why})`).join('; ')}`);
  const running: Running[] = [];
  for (const lane of args.lanes) {
    const r = start(lane, args.extra, t0);
    running.push(r);
    if (args.stagger && lane !== args.lanes[args.lanes.length - 1]) await untilUpOrEnded(r, t0);
    else void untilUpOrEnded(r, t0);
  }
  await Promise.all(
    running.map(async (r) => {
      await ended(r);
      say(`${r.lane.name}: ended at ${secs(r.endedAt! - t0)} (${secs(r.endedAt! - r.startedAt)}) – ${outcomeOf(readFileSync(r.log, 'utf8'), r.exit ?? null)}`);
      if (r.exit !== 0 && r.exit !== 1) {
        const tail = readFileSync(r.log, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
        say(`${r.lane.name}: playwright exit ${r.exit ?? 'signal'}; the end of ${relative(ROOT, r.log)}:\n${tail}`);
      }
    }),
  );
  const testsMs = Date.now() - t0;
  say(`all lanes ended after ${secs(testsMs)}; merging ${relative(ROOT, join(LANES_DIR, 'blob'))}`);
  const code = mergeAndDecide(join(LANES_DIR, 'blob'));
  say(`lanes ${secs(testsMs)}, merge and report ${secs(Date.now() - t0 - testsMs)}, total ${secs(Date.now() - t0)}: ${running.map((r) => `${r.lane.name} ${secs(r.endedAt! - r.startedAt)}`).join(', ')}`);
  return code;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`lanes: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
