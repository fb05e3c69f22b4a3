/**
 * The Allure 3 report for reviewers (`npm run report`, and scripts/release-gate after the gate). The Allure CLI
 * finds this file in the repository root and loads it itself (TypeScript included); it reads the run's own
 * records – reports/playwright.json (the metadata playwright.config.ts writes: mode, target) and
 * reports/checklist.json (the gate's verdict) – and takes versions from core/config.ts, the environment's only
 * reader.
 *
 *   name         rag-gate · RAG System v1.0 reference (hermetic) · v1.0.0
 *   tree         phase › section › item (labels set by fixtures/checklist.ts), severity blocker = blocks the gate
 *   history      reports/history/allure-history.jsonl, the last HISTORY_RUNS runs (CI keeps the file between runs)
 *   quality gate the gate's own verdict for these results (`npx allure quality-gate`); scripts/gate.ts decides
 *   categories   the deployment is wrong / not verified / the gate itself broke / other failures
 *   environment  mode, target, versions (rag-gate, images, k6, Playwright, Node.js) as report variables
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { AllureConfig } from 'allure';
import type { QualityGateRule } from 'allure/rules';
import { ConfigError, imageVersion, loadConfig, resultsSettings } from './core/config.ts';
import { IMAGE_REPO, REFERENCE_VERSION } from './core/contract.ts';
import { REPO_ROOT } from './core/paths.ts';

/** A category rule, and what a matcher function is given – Allure's own types, read off its config type. */
type CategoryRule = Extract<NonNullable<AllureConfig['categories']>, readonly unknown[]>[number];
type MatchingData = Parameters<Extract<NonNullable<CategoryRule['matchers']>, (...args: never[]) => boolean>>[0];

/** Where the run wrote its results (RAG_RESULTS_DIR, else reports/); the report and the history go beside them. */
const RESULTS = resultsSettings().dir;
const PLAYWRIGHT_JSON = join(RESULTS, 'playwright.json');
const CHECKLIST_JSON = join(RESULTS, 'checklist.json');
/** The history file CI restores before the gate and saves after it (.github/workflows/gate.yml). */
const HISTORY_FILE = join(RESULTS, 'history', 'allure-history.jsonl');
const HISTORY_RUNS = 20;
/** Allowed clock slack between Playwright's run window and Allure's result times (same machine, rounding). */
const SLACK_MS = 5000;
/** The product, as the checklist's title names it ("Production Deployment Checklist - RAG System v1.0"). */
const PRODUCT = 'RAG System v1.0';

// Allure 3.18's quality gate calls Iterator.prototype.toArray (Node.js 22+); on Node.js 20 `allure quality-gate`
// dies with "toArray is not a function". This gives the Allure CLI process that one standard method.
const ITERATOR_PROTOTYPE = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as { toArray?: unknown };
if (typeof ITERATOR_PROTOTYPE.toArray !== 'function') {
  Object.defineProperty(ITERATOR_PROTOTYPE, 'toArray', {
    value(this: Iterable<unknown>): unknown[] {
      return [...this];
    },
    writable: true,
    configurable: true,
  });
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

interface RunFacts {
  mode?: string;
  target?: string;
  playwright?: string;
  /** When the Playwright run started (ms), if playwright.json says. */
  startMs?: number;
  /** checklist.json was evaluated from this playwright.json (same run start). */
  gateEvaluated: boolean;
}

/** Mode and target as the run recorded them (playwright.json's metadata, else the gate's checklist.json). */
function runFacts(): RunFacts {
  const pw = readJson(PLAYWRIGHT_JSON);
  const config = (pw?.config ?? {}) as { metadata?: Record<string, unknown>; version?: unknown };
  const stats = (pw?.stats ?? {}) as { startTime?: unknown };
  const gateRun = (readJson(CHECKLIST_JSON)?.run ?? {}) as Record<string, unknown>;
  const meta = config.metadata ?? {};
  const gateEvaluated = text(gateRun.startTime) !== undefined && text(gateRun.startTime) === text(stats.startTime);
  const mode = text(meta.mode) ?? (gateEvaluated ? text(gateRun.mode) : undefined);
  const target = text(meta.target) ?? (gateEvaluated ? text(gateRun.target) : undefined);
  return {
    ...(mode && mode !== 'unknown' ? { mode } : {}),
    ...(target && target !== 'unknown' ? { target } : {}),
    ...(text(config.version) ? { playwright: text(config.version)! } : {}),
    ...(Number.isFinite(Date.parse(text(stats.startTime) ?? '')) ? { startMs: Date.parse(text(stats.startTime)!) } : {}),
    gateEvaluated,
  };
}

/**
 * The version the run checked: the reference images' tag (hermetic), else the tag the deployment's checkout must
 * be at (RAG_EXPECTED_VERSION as set where the report is built – release-gate builds it in the run's environment).
 */
function deploymentVersion(mode: string | undefined): string | undefined {
  if (mode === 'hermetic') return `v${imageVersion() ?? REFERENCE_VERSION}`;
  if (mode !== 'compose' && mode !== 'live') return undefined;
  try {
    return loadConfig().expectedVersion;
  } catch (e) {
    if (e instanceof ConfigError) return undefined;
    throw e;
  }
}

function reportName(run: RunFacts): string {
  const deployment = run.mode === 'hermetic' ? 'reference (hermetic)' : run.mode ? `${run.target ?? 'unknown target'} (${run.mode})` : undefined;
  const version = deploymentVersion(run.mode);
  return ['rag-gate', deployment ? `${PRODUCT} ${deployment}` : PRODUCT, version].filter(Boolean).join(' · ');
}

function k6Version(): string | undefined {
  const k6 = join(REPO_ROOT, '.tools', 'bin', 'k6');
  if (!existsSync(k6)) return undefined;
  const r = spawnSync(k6, ['version'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}

/** The report's environment: what ran against what, with which versions. */
function variables(run: RunFacts): Record<string, string> {
  const pkg = readJson(join(REPO_ROOT, 'package.json')) ?? {};
  const version = deploymentVersion(run.mode);
  const entries: Array<[string, string | undefined]> = [
    ['mode', run.mode],
    ['target', run.target],
    ['version', version],
    ['images', run.mode === 'live' ? undefined : `${IMAGE_REPO}/*:${imageVersion() ?? REFERENCE_VERSION}`],
    ['rag-gate', text(pkg.version)],
    ['k6', k6Version()],
    ['Playwright', run.playwright],
    ['Node.js', process.version],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Whether the history already holds this run: its last entry's results started within this run (the report was
 * built again from the same results, e.g. `npm run report` after the gate). One run, one entry.
 */
function runInHistory(run: RunFacts): boolean {
  if (run.startMs === undefined || !existsSync(HISTORY_FILE)) return false;
  const last = readFileSync(HISTORY_FILE, 'utf8').trimEnd().split('\n').pop();
  try {
    const point = JSON.parse(last ?? '') as { testResults?: Record<string, { start?: number }> };
    const starts = Object.values(point.testResults ?? {}).map((t) => t.start).filter((s): s is number => typeof s === 'number');
    return starts.length > 0 && Math.min(...starts) >= run.startMs - SLACK_MS;
  } catch {
    return false;
  }
}

// ---- quality gate: the gate's verdict ------------------------------------------------------------------------

interface GateRecord {
  run?: { startTime?: string; endTime?: string; evaluatedAt?: string; strict?: boolean };
  verdict?: { result: string; exitCode: number; blockingLeaves: string[]; runErrors: string[] };
}

/**
 * The gate's verdict as an Allure quality-gate rule (`checklistVerdict: <checklist.json>`): it passes exactly when
 * scripts/gate.ts exited 0 for these results. The rule does not decide again – required items, parents and
 * derived items, attestations, waivers and --strict live in checklist/results.ts, and a second verdict written
 * here could only drift from it. It checks that checklist.json belongs to these results (every result inside
 * that run's time window) and points at the tests of the blocking items.
 */
const checklistVerdictRule: QualityGateRule<string, string> = {
  rule: 'checklistVerdict',
  message: ({ actual }) => actual,
  successMessage: ({ actual }) => actual,
  validate: async ({ trs, expected }) => {
    const record = readJson(expected) as GateRecord | undefined;
    const start = Date.parse(record?.run?.startTime ?? '');
    // Up to when the gate evaluated them: a merge of shards run one after another has a duration (the sum of the
    // shards') shorter than its span, and no result of these can be newer than the verdict on them.
    const end = Math.max(Date.parse(record?.run?.endTime ?? ''), Date.parse(record?.run?.evaluatedAt ?? '') || -Infinity);
    const inRun = trs.length > 0 && trs.every((tr) => (tr.start ?? start) >= start - SLACK_MS && (tr.stop ?? end) <= end + SLACK_MS);
    const verdict = record?.verdict;
    if (!verdict || !Number.isFinite(start) || !Number.isFinite(end) || !inRun) {
      return { success: false, actual: `no gate verdict for these results in ${relative(REPO_ROOT, expected)} (run npm run gate)`, testResults: [] };
    }
    const blocking = new Set(verdict.blockingLeaves);
    const failedUntraced = (tr: (typeof trs)[number]): boolean => verdict.runErrors.length > 0 && (tr.status === 'failed' || tr.status === 'broken') && !tr.labels.some((l) => l.name === 'checklist');
    const testResults = trs.filter((tr) => tr.labels.some((l) => l.name === 'checklist' && blocking.has(l.value ?? '')) || failedUntraced(tr)).map((tr) => tr.id);
    const strict = record.run?.strict ? ' (strict)' : '';
    const items = verdict.blockingLeaves.length ? `: ${verdict.blockingLeaves.length} blocking item(s) ${verdict.blockingLeaves.slice(0, 8).join(', ')}${verdict.blockingLeaves.length > 8 ? ', …' : ''}` : '';
    const errors = verdict.runErrors.length ? `; ${verdict.runErrors.length} run error(s)` : '';
    const where = relative(REPO_ROOT, join(dirname(expected), 'checklist.md'));
    const actual = verdict.exitCode === 0 ? `gate ${verdict.result}${strict}: no blocking item failed` : `gate ${verdict.result}${strict}${items}${errors} (${where})`;
    return { success: verdict.exitCode === 0, actual, testResults };
  },
};

// ---- categories ---------------------------------------------------------------------------------------------

const hasChecklistItem = (d: MatchingData): boolean => d.labels.some((l) => l.name === 'checklist');
const failedOrBroken = (d: MatchingData): boolean => d.status === 'failed' || d.status === 'broken';
const says = (d: MatchingData, re: RegExp): boolean => re.test(d.message ?? '') || re.test(d.trace ?? '');

/** A checklist check that failed on the deployment: Playwright's `expect(…)` and the suite's own matcher say so. */
const ASSERTION = /\bexpect\(|toHaveNoProblems/;
/**
 * The gate itself broke: a programming error, a file or runtime of the gate's own that is missing, the container
 * runtime, or a test that ran out of time instead of deciding (the specs bound their waits and say why in words).
 */
const GATE_BROKE = new RegExp(
  [
    String.raw`\b(TypeError|ReferenceError|SyntaxError|RangeError)\b`,
    String.raw`is not a function|Cannot read properties of|Cannot find module|ERR_MODULE_NOT_FOUND`,
    String.raw`\b(ENOENT|EACCES|EPERM|EMFILE|ENOSPC)\b`,
    String.raw`docker\.sock|container runtime|testcontainers|ryuk`,
    String.raw`ConfigError`,
    String.raw`timeout of \d+ms exceeded|exceeded the test timeout`,
  ].join('|'),
  'i',
);

const CATEGORIES: CategoryRule[] = [
  {
    id: 'deployment-wrong',
    name: 'The deployment is wrong (a checklist check failed)',
    matchers: (d) => d.status === 'failed' && hasChecklistItem(d) && ASSERTION.test(d.message ?? ''),
    groupBy: ['severity'],
    expand: true,
  },
  {
    id: 'gate-broke',
    name: 'The gate itself broke (fix the gate or this machine, not the deployment)',
    matchers: (d) => failedOrBroken(d) && says(d, GATE_BROKE),
    expand: true,
  },
  {
    id: 'not-verified',
    name: 'Not verified (skipped, with the reason)',
    matchers: { statuses: ['skipped'] },
  },
  {
    id: 'other-failure',
    name: 'Other failures (read the message)',
    matchers: { statuses: ['failed', 'broken'] },
  },
];

// ---- the configuration --------------------------------------------------------------------------------------

const run = runFacts();
const name = reportName(run);

const config: AllureConfig = {
  name,
  output: join(RESULTS, 'allure-report'),
  resultsDir: join(RESULTS, 'allure-results'),
  historyPath: HISTORY_FILE,
  historyLimit: HISTORY_RUNS,
  // One run, one history entry: not from `allure quality-gate` (it reads the same results), not twice per run.
  appendHistory: !process.argv.includes('quality-gate') && !runInHistory(run),
  variables: variables(run),
  categories: CATEGORIES,
  // The gate's checklist of this run travels with the report: the verdict and every line, under "Global Attachments".
  globalAttachments: run.gateEvaluated ? [join(RESULTS, 'checklist.md')] : [],
  qualityGate: {
    rules: [{ id: 'gate', checklistVerdict: CHECKLIST_JSON }],
    use: [checklistVerdictRule as QualityGateRule],
  },
  plugins: {
    awesome: {
      options: {
        reportName: name,
        groupBy: ['parentSuite', 'suite', 'subSuite'],
        // One index.html with its data inside: it opens from disk (file://, a downloaded CI artifact), where the
        // multi-file report cannot fetch its JSON.
        singleFile: true,
      },
    },
  },
};

export default config;
