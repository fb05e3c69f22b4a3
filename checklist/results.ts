/**
 * The results model: from a Playwright JSON report, attestations and waivers to a status for every checklist
 * item, and the gate's verdict.
 *
 * Leaf items:   tests that name the item (annotation `checklist: <ID>`), else attestation, else mode rules.
 *   any test failed → failed · all passed → passed · skipped with a `not-verified` annotation → not_verified
 *   (that reason) · skipped otherwise → not_verified ("skipped: <reason>") · no test → not_run, or
 *   not_verified when the item cannot be verified in the run's mode (checklist.yaml's not_verifiable).
 * Parents and derived items: combined from their children / derived_from items (and their own tests).
 * Baseline items (checklist.yaml `from_baseline`): decided by the gate from the run's baseline record
 *   (checklist/baseline.ts, given as EvaluateOptions.baseline), together with their own tests.
 * Advisory items (checklist.yaml `advisory`, a recommendation): a failure is a failure on the line ("not met
 *   (advisory)", never passed) and reaches its parents and derived items as such, marked `advisory`; outside strict
 *   mode an advisory failure does not block the gate (the verdict is then INCOMPLETE, not PASSED).
 * Smoke profile (EvaluateOptions.profile, `npm run smoke`): only the tests tagged `@smoke` ran; an item no test of the
 *   report names is not_run ("smoke profile: the full gate decides this item"), never failed, and a passed item whose
 *   other tests (checklist.yaml `tests:`) did not run says which.
 * Waivers: a valid waiver turns a non-passing item into waived; an expired one into failed.
 * Notes: a test's `info`, `warning` and `measured` annotations travel with it onto its items' lines; its `figure`
 *   annotations onto the items' results as figures (with the previous record's value, when there is one).
 */
import type { JSONReport, JSONReportSuite, JSONReportTest, JSONReportTestResult } from '@playwright/test/reporter';
import { causeOf, failureCause } from './cause.ts';
import { parseFigure, type BaselineSummary, type Decision, type Figure, type FigureBaseline, type ItemFigure } from './baseline.ts';
import type { Checklist } from './load.ts';
import type { AnnotationKind, ChecklistItem, Kind, Mode, Phase } from './model.ts';
import type { Attestation, Records, Waiver } from './records.ts';

export const STATUSES = ['passed', 'failed', 'not_verified', 'attested', 'waived', 'not_run'] as const;
export type Status = (typeof STATUSES)[number];

/** One test's outcome, as far as the checklist is concerned. */
export interface TestOutcome {
  title: string;
  /** Describe blocks and title, joined with ' › '. */
  fullTitle: string;
  file: string;
  line: number;
  project: string;
  outcome: 'passed' | 'failed' | 'skipped';
  /** Failure message, not-verified or skip reason. */
  reason?: string;
  notVerified: boolean;
  flaky: boolean;
  startTime?: string;
  durationMs: number;
  ids: string[];
  /** Evidence: attachments with a path (traces, screenshots) or inline bodies; `text`: a text body, for the HTML page. */
  attachments: Array<{ name: string; path?: string; contentType: string; text?: string }>;
  /** `info` annotations the test added (what it substituted, how it decided). */
  info: string[];
  /** `warning` annotations: something to look at that did not fail the test. */
  warnings: string[];
  /** `measured` annotations: the figures the test measured. */
  measured: string[];
  /** `figure` annotations: the figures as data (a malformed one becomes a warning). */
  figures: Figure[];
}

export interface ItemResult {
  id: string;
  phase: Phase;
  section: string;
  parent: string | null;
  depth: number;
  line: number;
  text: string;
  kind: Kind;
  required: boolean;
  status: Status;
  reason?: string;
  /**
   * Set on a failed item whose failure is only that recommendations are not met: the item is advisory, or every
   * failed part under it is. It does not block the gate outside strict mode.
   */
  advisory?: true;
  /** Tests that name this item directly. */
  tests: TestOutcome[];
  /** Sum of the durations of the tests that decided this item and its descendants (each test once). */
  durationMs: number;
  /** How the status was reached. */
  decidedBy: 'tests' | 'children' | 'derived' | 'baseline' | 'attestation' | 'mode' | 'none';
  /** Figures of the tests that name it and, for a baseline item, the figures its decision rests on. */
  figures: ItemFigure[];
  attestation?: Attestation;
  waiver?: Waiver & { expired: boolean; applied: boolean };
  /** For waived/expired items: what the item was before the waiver applied. */
  underlying?: { status: Status; reason?: string };
}

/** A run of part of the suite: `smoke` ran only the tests tagged `@smoke` (fixtures/checklist.ts verifies.smoke). */
export type Profile = 'smoke';

/** The reason on every line a profile's run did not reach. */
export const NOT_IN_PROFILE: Record<Profile, string> = { smoke: 'smoke profile: the full gate decides this item (npm run release-gate)' };

export interface RunInfo {
  mode: Mode | 'unknown';
  target: string;
  strict: boolean;
  /** Set when only part of the suite ran (`smoke`). */
  profile?: Profile;
  resultsFile: string;
  startTime?: string;
  endTime?: string;
  durationMs?: number;
  evaluatedAt: string;
  playwrightVersion?: string;
}

export interface Verdict {
  /**
   * PASSED: every item passed/attested/validly waived. INCOMPLETE: nothing blocking failed, but not every item passed:
   * some are not decided, or recommendations (advisory items) are not met.
   */
  result: 'PASSED' | 'INCOMPLETE' | 'FAILED';
  exitCode: 0 | 1;
  /** Items that block the gate: failed required items whose failure is not advisory (strict: every item not passed/attested/waived). */
  blocking: string[];
  /** Leaf items among `blocking` (the causes; parents and derived items follow from them). */
  blockingLeaves: string[];
  /** Failed tests that name no checklist item, and errors outside tests: a run that broke cannot pass. */
  runErrors: string[];
  /** Leaf items that failed as recommendations not met (advisory): shown, not blocking outside strict mode. */
  advisory: string[];
}

export interface GateResult {
  run: RunInfo;
  items: ItemResult[];
  counts: Record<Status, number>;
  /** Counts over leaf items only (the checkboxes a test or person decides). */
  leafCounts: Record<Status, number>;
  unknownIds: Array<{ id: string; test: string }>;
  untracedTests: number;
  verdict: Verdict;
  /** The run's baseline record and what it was compared with, when the gate made one. */
  baseline?: BaselineSummary;
}

/** Text bodies (transcripts, command output; the suite redacts them before attaching) up to this size travel inline. */
const INLINE_TEXT_MAX = 64 * 1024;

function inlineText(a: { body?: string; contentType: string }): { text?: string } {
  if (!a.body || !/^(text\/|application\/json\b)/.test(a.contentType)) return {};
  const text = Buffer.from(a.body, 'base64').toString('utf8');
  return { text: text.length > INLINE_TEXT_MAX ? `${text.slice(0, INLINE_TEXT_MAX)}\n… ${text.length - INLINE_TEXT_MAX} more characters in the Allure report` : text };
}

const DID_NOT_RUN = 'skipped: did not run (a dependency project failed or the run was interrupted)';

/** Flattens the JSON report into one outcome per test (the final attempt decides). */
export function collectTests(report: JSONReport): TestOutcome[] {
  const out: TestOutcome[] = [];
  const walk = (suite: JSONReportSuite, path: string[]): void => {
    const here = suite.title && !suite.title.endsWith('.ts') ? [...path, suite.title] : path;
    for (const spec of suite.specs) {
      for (const test of spec.tests) out.push(outcomeOf(test, spec.title, here, spec.file, spec.line));
    }
    for (const s of suite.suites ?? []) walk(s, here);
  };
  for (const s of report.suites) walk(s, []);
  // A failed set-up blocks every test after it: their lines carry its cause, not only "did not run".
  const setup = out.find((t) => t.project === 'setup' && t.outcome === 'failed');
  if (setup) for (const t of out) if (t.reason === DID_NOT_RUN) t.reason = `blocked: the set-up failed – ${setup.reason ?? 'no cause given'}`;
  return out;
}

function outcomeOf(test: JSONReportTest, title: string, path: string[], file: string, line: number): TestOutcome {
  const last: JSONReportTestResult | undefined = test.results[test.results.length - 1];
  const annotations = [...test.annotations, ...(last?.annotations ?? [])];
  const texts = (kind: AnnotationKind): string[] => [...new Set(annotations.filter((a) => a.type === kind && a.description).map((a) => a.description!))];
  const ids = texts('checklist');
  const figures = texts('figure').map(parseFigure);
  const notVerifiedReason = annotations.find((a) => a.type === ('not-verified' satisfies AnnotationKind))?.description;
  const skipReason = annotations.find((a) => a.type === 'skip' || a.type === 'fixme')?.description;
  const skipped = test.status === 'skipped' || last?.status === 'skipped' || last === undefined;
  let outcome: TestOutcome['outcome'];
  let reason: string | undefined;
  if (test.status === 'unexpected') {
    outcome = 'failed';
    // The cause in words (checklist/cause.ts): the test's own message, not Playwright's matcher output.
    reason = failureCause(last);
  } else if (skipped) {
    outcome = 'skipped';
    if (notVerifiedReason) reason = notVerifiedReason;
    else if (last === undefined) reason = DID_NOT_RUN;
    else reason = `skipped: ${skipReason ?? 'no reason given'}`;
  } else {
    outcome = 'passed';
  }
  return {
    title,
    fullTitle: [...path, title].join(' › '),
    file,
    line,
    project: test.projectName,
    outcome,
    ...(reason !== undefined ? { reason } : {}),
    notVerified: outcome === 'skipped' && notVerifiedReason !== undefined,
    flaky: test.status === 'flaky',
    ...(last?.startTime ? { startTime: last.startTime } : {}),
    durationMs: test.results.reduce((s, r) => s + r.duration, 0),
    ids,
    attachments: (last?.attachments ?? []).map((a) => ({ name: a.name, contentType: a.contentType, ...(a.path ? { path: a.path } : {}), ...inlineText(a) })),
    info: texts('info'),
    warnings: [...texts('warning'), ...figures.flatMap((f) => ('problem' in f ? [`malformed figure annotation: ${f.problem}`] : []))],
    measured: texts('measured'),
    figures: figures.filter((f): f is Figure => !('problem' in f)),
  };
}

/** Status of an item from the tests that name it. */
export function statusFromTests(tests: TestOutcome[]): { status: Status; reason?: string } {
  const failed = tests.filter((t) => t.outcome === 'failed');
  // The cause leads the line (the failed test's title is in the line's test list); several failed tests are told apart by title.
  if (failed.length === 1) return { status: 'failed', reason: failed[0]!.reason ?? 'test failed' };
  if (failed.length > 0) return { status: 'failed', reason: failed.map((t) => `“${t.title}”: ${t.reason}`).join(' | ') };
  const skipped = tests.filter((t) => t.outcome === 'skipped');
  if (skipped.length > 0) {
    // Some tests passed but another could not decide its part: the item as a whole is not verified.
    return { status: 'not_verified', reason: [...new Set(skipped.map((t) => t.reason ?? 'skipped'))].join(' | ') };
  }
  const flaky = tests.filter((t) => t.flaky);
  return flaky.length > 0 ? { status: 'passed', reason: `flaky: ${flaky.map((t) => t.title).join(', ')} passed on retry` } : { status: 'passed' };
}

const OK: ReadonlySet<Status> = new Set(['passed', 'attested', 'waived']);

function list(ids: string[], max = 6): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

/**
 * Combines the statuses of children / derived_from items (and the item's own tests, as `self`). A failed part fails
 * the whole; when every failed part is advisory, so is the whole's failure (still failed, never passed).
 */
export function combine(parts: Array<{ id: string; status: Status; reason?: string; advisory?: boolean }>, waivers: ReadonlyMap<string, Waiver>): { status: Status; reason?: string; advisory?: true } {
  const by = (s: Status): string[] => parts.filter((p) => p.status === s).map((p) => p.id);
  const failed = by('failed');
  if (failed.length > 0 && parts.some((p) => p.status === 'failed' && !p.advisory)) return { status: 'failed', reason: `${failed.length} of ${parts.length} failed: ${list(failed)}` };
  if (failed.length > 0) {
    const rest = combine(parts.filter((p) => p.status !== 'failed'), waivers);
    const restReason = rest.status !== 'passed' && rest.reason ? `; ${rest.reason}` : '';
    return { status: 'failed', advisory: true, reason: `${failed.length} of ${parts.length} not met (advisory): ${list(failed)}${restReason}` };
  }
  if (parts.every((p) => OK.has(p.status))) {
    const waived = by('waived');
    if (waived.length > 0) {
      const until = waived.map((id) => waivers.get(id)?.expires).filter((x): x is string => !!x).sort()[0];
      return { status: 'waived', reason: `includes waived ${list(waived)}${until ? ` (until ${until})` : ''}` };
    }
    if (parts.length > 0 && parts.every((p) => p.status === 'attested')) return { status: 'attested', reason: `all ${parts.length} attested` };
    const attested = by('attested');
    return { status: 'passed', ...(attested.length > 0 ? { reason: `${parts.length - attested.length} passed, ${attested.length} attested` } : {}) };
  }
  const nv = by('not_verified');
  const nr = by('not_run');
  const reason = [nv.length ? `${nv.length} of ${parts.length} not verified (${list(nv)})` : '', nr.length ? `${nr.length} of ${parts.length} not run (${list(nr)})` : ''].filter(Boolean).join('; ');
  return { status: nv.length > 0 ? 'not_verified' : 'not_run', reason };
}

function emptyCounts(): Record<Status, number> {
  return { passed: 0, failed: 0, not_verified: 0, attested: 0, waived: 0, not_run: 0 };
}

export interface EvaluateOptions {
  mode: Mode | 'unknown';
  target: string;
  strict: boolean;
  resultsFile: string;
  /** Only part of the suite ran: the lines it did not reach are not run for that reason. */
  profile?: Profile;
  /** Today, for waiver expiry (YYYY-MM-DD compared inclusively). */
  now?: Date;
  /** The gate's baseline step (checklist/baseline.ts): decisions of the from_baseline items, each figure against the previous record. */
  baseline?: { decisions: ReadonlyMap<string, Decision>; compared: ReadonlyMap<string, FigureBaseline>; summary: BaselineSummary };
}

/**
 * A baseline item: the gate's decision together with the item's own tests (any failure fails it, then anything
 * undecided leaves it undecided), each part's reason kept.
 */
export function withDecision(tests: { status: Status; reason?: string } | undefined, decision: Decision): { status: Status; reason?: string } {
  if (!tests) return { status: decision.status, reason: decision.reason };
  const parts = [{ status: decision.status, reason: decision.reason }, { status: tests.status, reason: tests.reason && `tests: ${tests.reason}` }];
  for (const s of ['failed', 'not_verified', 'not_run'] as const) {
    const hit = parts.filter((p) => p.status === s);
    if (hit.length > 0) return { status: s, reason: hit.map((p) => p.reason).filter(Boolean).join(' | ') };
  }
  return { status: 'passed', reason: parts.map((p) => p.reason).filter(Boolean).join(' | ') };
}

export function evaluate(checklist: Checklist, report: JSONReport, records: Records, opts: EvaluateOptions): GateResult {
  const now = opts.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const tests = collectTests(report);
  const testsById = new Map<string, TestOutcome[]>();
  const unknownIds: GateResult['unknownIds'] = [];
  for (const t of tests) {
    for (const id of t.ids) {
      if (!checklist.byId.has(id)) unknownIds.push({ id, test: `${t.file}: ${t.fullTitle}` });
      else testsById.set(id, [...(testsById.get(id) ?? []), t]);
    }
  }
  const attestations = new Map(records.attestations.map((a) => [a.id, a]));
  const waivers = new Map(records.waivers.map((w) => [w.id, w]));

  const results = new Map<string, ItemResult>();
  const subtreeTests = new Map<string, Set<TestOutcome>>();

  const resolve = (item: ChecklistItem, inheritedAttestation?: Attestation): ItemResult => {
    const done = results.get(item.id);
    if (done) return done;
    const own = testsById.get(item.id) ?? [];
    const kids = checklist.children.get(item.id) ?? [];
    const attestation = attestations.get(item.id) ?? inheritedAttestation;
    const subtree = new Set<TestOutcome>(own);
    let state: { status: Status; reason?: string; advisory?: true };
    let decidedBy: ItemResult['decidedBy'];

    if (kids.length > 0 || item.derived_from) {
      const parts: Array<{ id: string; status: Status; reason?: string; advisory?: boolean }> = [];
      if (own.length > 0) parts.push({ id: `${item.id} (own tests)`, ...statusFromTests(own) });
      for (const k of kids) {
        const r = resolve(k, item.kind === 'attest' ? attestation : undefined);
        parts.push({ id: r.id, status: r.status, ...(r.reason ? { reason: r.reason } : {}), ...(r.advisory ? { advisory: true } : {}) });
        for (const t of subtreeTests.get(k.id) ?? []) subtree.add(t);
      }
      for (const d of item.derived_from ?? []) {
        const r = resolve(checklist.item(d));
        parts.push({ id: r.id, status: r.status, ...(r.reason ? { reason: r.reason } : {}), ...(r.advisory ? { advisory: true } : {}) });
      }
      state = combine(parts, waivers);
      decidedBy = kids.length > 0 ? 'children' : 'derived';
    } else if (item.from_baseline && opts.baseline?.decisions.has(item.id)) {
      state = withDecision(own.length > 0 ? statusFromTests(own) : undefined, opts.baseline.decisions.get(item.id)!);
      decidedBy = 'baseline';
    } else if (own.length > 0) {
      state = statusFromTests(own);
      const part = opts.profile && state.status === 'passed' ? partOfItem(item, own, opts.profile) : undefined;
      if (part) state = { ...state, reason: [state.reason, part].filter(Boolean).join('; ') };
      decidedBy = 'tests';
    } else if (item.from_baseline) {
      state = { status: 'not_run', reason: opts.profile ? NOT_IN_PROFILE[opts.profile] : 'the gate decides this item from the run\'s baseline record, which this evaluation did not make' };
      decidedBy = 'none';
    } else if (item.kind === 'attest') {
      if (attestation) {
        state = { status: 'attested', reason: `attested by ${attestation.by} on ${attestation.date}${attestation.note ? ` – ${attestation.note}` : ''}` };
        decidedBy = 'attestation';
      } else {
        state = { status: 'not_verified', reason: 'awaiting attestation (attestations/*.yaml); only a person can tick this item' };
        decidedBy = 'none';
      }
    } else {
      const why = opts.mode === 'unknown' ? undefined : checklist.notVerifiableIn(item, opts.mode);
      if (why) {
        state = { status: 'not_verified', reason: why };
        decidedBy = 'mode';
      } else {
        state = { status: 'not_run', reason: opts.profile ? NOT_IN_PROFILE[opts.profile] : 'no test result names this item' };
        decidedBy = 'none';
      }
    }

    const result: ItemResult = {
      id: item.id,
      phase: item.phase,
      section: item.section,
      parent: item.parent,
      depth: item.depth,
      line: item.line,
      text: item.text,
      kind: item.kind,
      required: item.required,
      status: state.status,
      ...(state.reason ? { reason: state.reason } : {}),
      // A recommendation not met: the advisory item's own failure, or only advisory failures beneath.
      ...(state.status === 'failed' && (item.advisory || state.advisory) ? { advisory: true as const } : {}),
      tests: own,
      durationMs: [...subtree].reduce((s, t) => s + t.durationMs, 0),
      decidedBy,
      figures: itemFigures(own, decidedBy === 'baseline' ? opts.baseline?.decisions.get(item.id) : undefined, opts.baseline?.compared),
      ...(decidedBy === 'attestation' && attestation ? { attestation } : {}),
    };
    const waiver = waivers.get(item.id);
    if (waiver) {
      const expired = waiver.expires < today;
      const applies = result.status !== 'passed' && result.status !== 'attested';
      result.waiver = { ...waiver, expired, applied: applies };
      if (applies) {
        result.underlying = { status: result.status, ...(result.reason ? { reason: result.reason } : {}) };
        if (expired) {
          // An expired waiver fails the item: blocking unless the item is itself a recommendation.
          if (!item.advisory) delete result.advisory;
          result.status = 'failed';
          result.reason = `waiver expired on ${waiver.expires} (${waiver.reason}); underlying: ${result.underlying.status}${result.underlying.reason ? ` – ${result.underlying.reason}` : ''}`;
        } else {
          delete result.advisory;
          result.status = 'waived';
          result.reason = `waived until ${waiver.expires} by ${waiver.approved_by}: ${waiver.reason}`;
        }
      }
    }
    results.set(item.id, result);
    subtreeTests.set(item.id, subtree);
    return result;
  };
  // Parents first in document order, so attest parents hand their attestation down to their children.
  for (const item of checklist.items) if (item.parent === null) resolve(item);
  for (const item of checklist.items) resolve(item);

  const items = checklist.items.map((i) => results.get(i.id)!);
  const counts = emptyCounts();
  const leafCounts = emptyCounts();
  for (const r of items) {
    counts[r.status] += 1;
    if (checklist.isLeaf(r.id)) leafCounts[r.status] += 1;
  }

  const runErrors = [
    ...tests.filter((t) => t.ids.length === 0 && t.outcome === 'failed').map((t) => `test without checklist ID failed: ${t.project} › ${t.fullTitle}: ${t.reason}`),
    ...report.errors.map((e) => `run error: ${causeOf(e.message) ?? 'unknown error'}`),
  ];
  const blocking = items.filter((r) => (opts.strict ? !OK.has(r.status) : r.required && r.status === 'failed' && !r.advisory)).map((r) => r.id);
  const blockingLeaves = blocking.filter((id) => checklist.isLeaf(id) && !checklist.item(id).derived_from);
  const allOk = items.every((r) => OK.has(r.status));
  const failedAny = blocking.length > 0 || runErrors.length > 0;
  const verdict: Verdict = {
    result: failedAny ? 'FAILED' : allOk ? 'PASSED' : 'INCOMPLETE',
    exitCode: failedAny ? 1 : 0,
    blocking,
    blockingLeaves: blockingLeaves.length > 0 ? blockingLeaves : blocking,
    runErrors,
    advisory: items.filter((r) => r.advisory && checklist.isLeaf(r.id) && !checklist.item(r.id).derived_from).map((r) => r.id),
  };
  const start = report.stats?.startTime;
  const run: RunInfo = {
    mode: opts.mode,
    target: opts.target,
    strict: opts.strict,
    ...(opts.profile ? { profile: opts.profile } : {}),
    resultsFile: opts.resultsFile,
    evaluatedAt: now.toISOString(),
    ...(start ? { startTime: start, durationMs: report.stats.duration, endTime: new Date(Date.parse(start) + report.stats.duration).toISOString() } : {}),
    ...(report.config?.version ? { playwrightVersion: report.config.version } : {}),
  };
  return { run, items, counts, leafCounts, unknownIds, untracedTests: tests.filter((t) => t.ids.length === 0).length, verdict, ...(opts.baseline ? { baseline: opts.baseline.summary } : {}) };
}

/**
 * A passed item of a profile's run whose other tests (checklist.yaml `tests:`) did not run: how many ran and which
 * did not, so that the line does not read as decided by all of them. Titles the scan could not compute are not named.
 */
export function partOfItem(item: Pick<ChecklistItem, 'tests'>, ran: readonly Pick<TestOutcome, 'fullTitle'>[], profile: Profile): string | undefined {
  const missing = (item.tests ?? []).filter((r) => !r.pattern && !ran.some((t) => t.fullTitle === r.title));
  if (missing.length === 0) return undefined;
  return `${profile} profile: ${ran.length} of ${ran.length + missing.length} tests ran; the full gate also runs ${missing.map((r) => `“${r.title}”`).join(', ')}`;
}

/** An item's figures: its tests' (each with the previous record's value when compared), then its decision's not yet listed. */
function itemFigures(own: TestOutcome[], decision: Decision | undefined, compared: ReadonlyMap<string, FigureBaseline> | undefined): ItemFigure[] {
  const out: ItemFigure[] = own.flatMap((t) => t.figures.map((f) => {
    const b = f.better === 'info' ? undefined : compared?.get(f.key);
    return { ...f, test: t.fullTitle, ...(b ? { baseline: b } : {}) };
  }));
  for (const f of decision?.figures ?? []) if (!out.some((o) => o.key === f.key && o.test === f.test)) out.push(f);
  return out;
}
