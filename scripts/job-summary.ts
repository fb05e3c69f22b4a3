/**
 * The gate's verdict for a CI job's summary page, from reports/checklist.json: the verdict and the run, a short
 * table per phase (the checkboxes – leaf items – by status) and the failed lines with their reasons, the blocking
 * ones first. action.yml appends it to $GITHUB_STEP_SUMMARY; any CI that shows Markdown can use it.
 *
 *   tsx scripts/job-summary.ts [reports/checklist.json] [--note TEXT] >> "$GITHUB_STEP_SUMMARY"
 *
 * Without the file (the gate broke before it rendered the checklist) it says so and exits 0: the gate's own exit
 * code fails the job, not its summary.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadChecklist } from '../checklist/load.ts';
import { PHASES } from '../checklist/model.ts';
import { repairMojibake } from '../checklist/mojibake.ts';
import { LABELS, MARKS } from '../checklist/render.ts';
import { STATUSES, type Status } from '../checklist/results.ts';
import { REPORTS_DIR } from '../core/paths.ts';

/** The parts of reports/checklist.json (checklist/render.ts renderJson) the summary reads. */
export interface ChecklistJson {
  checklist: { title: string; checkboxes?: number };
  run: { mode: string; target?: string; strict?: boolean; durationMs?: number };
  verdict: { result: string; exitCode: number; blockingLeaves: string[]; runErrors: string[]; advisory?: string[] };
  items: Array<{ id: string; text: string; phase: string; parent: string | null; required: boolean; status: Status; reason: string | null }>;
}

/** The failed lines listed in full; the rest are counted (the checklist files have them all). */
export const MAX_FAILED_LINES = 40;
const MAX_REASON_CHARS = 300;

/** One line of Markdown from checklist text or a reason: no line breaks, no raw HTML, bold markers dropped. */
function inline(text: string, max = MAX_REASON_CHARS): string {
  const flat = repairMojibake(text).replace(/\*\*/g, '').replace(/\s+/g, ' ').trim().replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "📋 Pre-Deployment Requirements", "Phase 1: Pre-Deployment Validation ✅" → the words, without the marks around them. */
export function phaseTitle(raw: string): string {
  return repairMojibake(raw).replace(/^["\s]+|["\s]+$/g, '').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N})]+$/gu, '');
}

/** Phase titles from checklist/checklist.yaml. */
export function phaseTitles(): Map<string, string> {
  const titles = new Map<string, string>();
  for (const item of loadChecklist().items) if (!titles.has(item.phase)) titles.set(item.phase, phaseTitle(item.phase_title));
  return titles;
}

function failedLine(item: ChecklistJson['items'][number], tag: string): string {
  const reason = item.reason ? ` – ${inline(item.reason)}` : '';
  return `- ${MARKS.failed} \`${item.id}\`${tag} ${inline(item.text, 160)}${reason}`;
}

export function summaryMarkdown(report: ChecklistJson, titles: ReadonlyMap<string, string>, note?: string): string {
  const { verdict, run, items } = report;
  const mark = verdict.result === 'PASSED' ? MARKS.passed : verdict.result === 'FAILED' ? MARKS.failed : MARKS.not_verified;
  const parents = new Set(items.map((i) => i.parent).filter((p): p is string => !!p));
  const leaves = items.filter((i) => !parents.has(i.id));
  const out: string[] = [];
  out.push(`## rag-gate: ${mark} ${verdict.result} (exit ${verdict.exitCode})`, '');
  const facts = [
    `mode ${run.mode}`,
    run.target ? `target ${inline(run.target, 200)}` : '',
    run.strict ? 'strict' : '',
    run.durationMs ? `${Math.round(run.durationMs / 1000)} s` : '',
  ].filter(Boolean).join(' · ');
  out.push(`**${inline(report.checklist.title, 200)}** · ${facts} · ${leaves.length} checkboxes`, '');

  const phases = [...PHASES, ...new Set(leaves.map((i) => i.phase).filter((p) => !(PHASES as readonly string[]).includes(p)))];
  out.push(`| phase | ${STATUSES.map((s) => `${MARKS[s]} ${LABELS[s]}`).join(' | ')} |`, `|---|${STATUSES.map(() => '---:').join('|')}|`);
  for (const phase of phases) {
    const mine = leaves.filter((i) => i.phase === phase);
    if (!mine.length) continue;
    const cells = STATUSES.map((s) => {
      const n = mine.filter((i) => i.status === s).length;
      return s === 'failed' && n ? `**${n}**` : String(n);
    });
    out.push(`| ${phase} ${titles.get(phase) ?? ''} | ${cells.join(' | ')} |`);
  }
  out.push(`| **all** | ${STATUSES.map((s) => leaves.filter((i) => i.status === s).length).join(' | ')} |`, '');

  const byId = new Map(items.map((i) => [i.id, i]));
  const blocking = verdict.blockingLeaves.map((id) => byId.get(id)).filter((i) => i !== undefined);
  const advisory = new Set(verdict.advisory ?? []);
  const others = leaves.filter((i) => i.status === 'failed' && !verdict.blockingLeaves.includes(i.id));
  const lines = [
    ...blocking.map((i) => failedLine(i, ' **blocking**')),
    ...others.map((i) => failedLine(i, advisory.has(i.id) ? ' (advisory)' : i.required ? '' : ' (not required)')),
  ];
  if (lines.length) {
    out.push(`### Failed lines (${blocking.length} blocking, ${others.length} other)`, '');
    out.push(...lines.slice(0, MAX_FAILED_LINES));
    if (lines.length > MAX_FAILED_LINES) out.push(`- … and ${lines.length - MAX_FAILED_LINES} more: see checklist.md`);
    out.push('');
  }
  if (verdict.runErrors.length) {
    out.push(`### The run itself broke (${verdict.runErrors.length})`, '', ...verdict.runErrors.slice(0, 10).map((e) => `- ${inline(e)}`), '');
  }
  if (note) out.push(note, '');
  return out.join('\n');
}

export function parseArgs(argv: string[]): { file: string; note?: string } {
  let note: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--note') note = argv[++i];
    else rest.push(argv[i]!);
  }
  return { file: resolve(rest[0] ?? join(REPORTS_DIR, 'checklist.json')), note };
}

function main(argv: string[]): number {
  const { file, note } = parseArgs(argv);
  if (!existsSync(file)) {
    process.stdout.write(`## rag-gate: no checklist\n\nThe gate did not get as far as writing ${file} – see the job's log.\n${note ? `\n${note}\n` : ''}`);
    return 0;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as ChecklistJson;
  process.stdout.write(`${summaryMarkdown(report, phaseTitles(), note)}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  process.exit(main(process.argv.slice(2)));
}
