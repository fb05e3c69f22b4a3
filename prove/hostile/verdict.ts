/**
 * What a gate run against a hostile target (prove/hostile/server.ts) must show, decided from its results
 * (checklist/results.ts) without any I/O, so that selftest/hostile.test.ts can prove the counting on synthetic results:
 *
 *   passed      lines that passed although the target is no RAG System at all – false greens; only the lines of
 *               EXEMPT (true whatever the target answers) may pass
 *   crashed     tests that failed because the gate itself broke (a programming error, a file of the gate's own
 *               missing, the container runtime in live mode, a test that ran out of time instead of deciding),
 *               and errors of the run outside any test
 *   noReason    lines that failed without stating a cause (checklist/cause.ts statesCause), and lines not verified
 *               or not run without a reason
 * A hostile run is clean when all three are empty.
 */
import { statesCause } from '../../checklist/cause.ts';
import type { GateResult, ItemResult, TestOutcome } from '../../checklist/results.ts';

/**
 * Lines that may pass against a target that answers nothing right, each with why its pass is true there. Nothing
 * else may: in live mode without RAG_DEPLOY_DIR the host lines are not verified, attestations never pass (the hostile
 * runs are evaluated without attestation or waiver records), and every other line is about the deployment.
 * The run is given a .env.production (RAG_ENV_FILE) so that the authenticated checks (uploads, deletes, admin
 * interfaces) run against the hostile target too; the lines that judge that file's values alone say "not verified"
 * without the compose files (RAG_DEPLOY_DIR), except its permissions, which are the file's own.
 */
export const EXEMPT: Readonly<Record<string, string>> = {
  'PRE-SECCONF-4':
    'the permissions of the .env.production the run is given (RAG_ENV_FILE): prove:hostile generates it with the reference\'s own ' +
    'scripts/generate-env.sh, which creates it with mode 600 for the user running the gate – true of that file whatever the target answers',
};

/**
 * The gate itself broke, as allurerc.ts's "the gate itself broke" category reads a message: JavaScript errors of
 * the gate's own code, a missing module or file, the container runtime (live mode has none to ask), a
 * configuration error, a test that ran out of time instead of deciding in words, an unhandled rejection.
 */
export const GATE_BROKE = new RegExp(
  [
    String.raw`\b(TypeError|ReferenceError|SyntaxError|RangeError)\b`,
    String.raw`is not a function|Cannot read properties of|Cannot find module|ERR_MODULE_NOT_FOUND|is not iterable`,
    String.raw`\b(ENOENT|EACCES|EPERM|EMFILE|ENOSPC)\b`,
    String.raw`docker\.sock|container runtime|testcontainers|ryuk`,
    String.raw`ConfigError`,
    String.raw`Test timeout of \d+ms exceeded|timeout of \d+ms exceeded|exceeded the test timeout|^timed out:`,
    String.raw`unhandled|uncaught`,
  ].join('|'),
  'i',
);

export interface Crash {
  /** `<project> › <test>` or `run error`. */
  where: string;
  ids: string[];
  reason: string;
}

export interface Unexplained {
  id: string;
  status: string;
  reason: string;
}

export interface HostileVerdict {
  passed: Array<{ id: string; text: string }>;
  exempted: Array<{ id: string; why: string }>;
  crashed: Crash[];
  noReason: Unexplained[];
  /** Every line's status (all items, parents included). */
  counts: GateResult['counts'];
  clean: boolean;
}

export function isCrash(reason: string | undefined): boolean {
  return GATE_BROKE.test(reason ?? '');
}

/** The failed tests whose cause is the gate itself, and the run's errors outside tests. */
export function crashes(tests: readonly TestOutcome[], runErrors: readonly string[] = []): Crash[] {
  const out: Crash[] = tests
    .filter((t) => t.outcome === 'failed' && isCrash(t.reason))
    .map((t) => ({ where: `${t.project} › ${t.fullTitle}`, ids: t.ids, reason: t.reason ?? '' }));
  for (const e of runErrors) if (e.startsWith('run error:')) out.push({ where: 'run error', ids: [], reason: e });
  return out;
}

/** What Playwright says of a test skipped without a word (a spec's bare test.skip(), a test after a failed hook). */
const SAYS_NOTHING = /^(?:skipped(?::\s*(?:no reason given)?)?)?$/i;

/** Whether a not-verified or not-run line's reason says why: not empty, and not only that it was skipped. */
export function givesReason(reason: string | undefined): boolean {
  const parts = (reason ?? '').split(' | ').map((p) => p.trim());
  return parts.every((p) => !SAYS_NOTHING.test(p));
}

/** A line that does not say why it is what it is. */
export function unexplained(item: Pick<ItemResult, 'id' | 'status' | 'reason' | 'tests'>): Unexplained | undefined {
  const reason = item.reason?.trim() ?? '';
  if (item.status === 'failed') {
    const silent = item.tests.filter((t) => t.outcome === 'failed' && !statesCause(t.reason));
    if (silent.length > 0) return { id: item.id, status: 'failed', reason: silent.map((t) => `“${t.title}”: ${t.reason?.trim() || '(no message)'}`).join(' | ') };
    if (item.tests.length === 0 && reason === '') return { id: item.id, status: 'failed', reason: '(no message)' };
    return undefined;
  }
  if ((item.status === 'not_verified' || item.status === 'not_run') && !givesReason(reason)) return { id: item.id, status: item.status, reason: reason || '(no reason)' };
  return undefined;
}

export function judge(result: Pick<GateResult, 'items' | 'counts'> & { verdict: Pick<GateResult['verdict'], 'runErrors'> }, tests: readonly TestOutcome[], exempt: Readonly<Record<string, string>> = EXEMPT): HostileVerdict {
  const passedItems = result.items.filter((i) => i.status === 'passed');
  const passed = passedItems.filter((i) => !(i.id in exempt)).map((i) => ({ id: i.id, text: i.text }));
  const exempted = passedItems.filter((i) => i.id in exempt).map((i) => ({ id: i.id, why: exempt[i.id]! }));
  const crashed = crashes(tests, result.verdict.runErrors);
  const noReason = result.items.map(unexplained).filter((u): u is Unexplained => u !== undefined);
  return { passed, exempted, crashed, noReason, counts: result.counts, clean: passed.length === 0 && crashed.length === 0 && noReason.length === 0 };
}
