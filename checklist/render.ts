/**
 * Renders a GateResult back into the checklist's own shape: reports/checklist.{json,md,html}. The document
 * is rebuilt from checklist.yaml's outline (every non-checkbox line, verbatim) and items, by line number, so
 * headings, code blocks, nesting and blank lines are the original's; every checkbox line carries its mark,
 * the Deployment Log table gets real timestamps and statuses, and the final status block states the verdict.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../core/paths.ts';
import { allureTestUrl, readAllureResultIds } from './allure.ts';
import { formatFigure, formatValue, labelOf, type ItemFigure } from './baseline.ts';
import { MARK_SYMBOLS, SCRIPT, STYLE } from './html-assets.ts';
import type { Checklist } from './load.ts';
import { PHASES } from './model.ts';
import { mojibakeSegments, repairMojibake } from './mojibake.ts';
import { combine, STATUSES, type GateResult, type ItemResult, type Status, type TestOutcome } from './results.ts';

export const MARKS: Record<Status, string> = {
  passed: '✅',
  failed: '❌',
  not_verified: '⚪',
  attested: '✍',
  waived: '⚠',
  not_run: '⏸',
};

const WORDS: Record<Status, string> = {
  passed: 'passed',
  failed: 'FAILED',
  not_verified: 'not verified',
  attested: 'attested',
  waived: 'waived',
  not_run: 'not run',
};

/** Deployment Log rows of the checklist, and the items each one reports on. */
const LOG_ROWS: Array<{ action: string; items: string[]; extra?: boolean }> = [
  { action: 'Pre-deployment checks', items: ['phase:PRE', 'phase:P1'] },
  { action: 'Monitoring stack deployed', items: ['P2-MONSVC'] },
  { action: 'Application stack deployed', items: ['P2-APPSVC', 'P2-HEALTH'] },
  { action: 'Integration testing', items: ['P3-UPLOAD', 'P3-QUERY', 'P3-INTEG'] },
  { action: 'Performance validation', items: ['P3-LOAD', 'P3-BENCH'] },
  { action: 'Security validation', items: ['phase:P4'] },
  { action: 'Deployment completed', items: ['phase:PRE', 'phase:P1', 'phase:P2', 'phase:P3', 'phase:P4', 'phase:MON', 'phase:STAB', 'phase:RB', 'phase:DOC', 'phase:SIGN'] },
  { action: 'Post-deployment monitoring (added by rag-gate)', items: ['phase:MON'], extra: true },
  { action: 'Stability assessment (added by rag-gate)', items: ['phase:STAB'], extra: true },
  { action: 'Rollback criteria and drill (added by rag-gate)', items: ['phase:RB'], extra: true },
  { action: 'Documentation and handover (added by rag-gate)', items: ['phase:DOC'], extra: true },
  { action: 'Final sign-off (added by rag-gate)', items: ['phase:SIGN'], extra: true },
];

export interface LogRow {
  action: string;
  timestamp: string | null;
  finished: string | null;
  status: Status;
  notes: string;
  extra: boolean;
}

function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

function fmtTime(iso: string | undefined | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/** Measured figures shown per test on a Markdown line; the rest are counted (all are in the HTML and JSON). */
const MAX_FIGURES_MD = 3;

/** A test's notes on its Markdown line: 📏 measured figures, ❗ warnings, ℹ info. */
function notesMd(t: TestOutcome): string {
  const figures = t.measured.slice(0, MAX_FIGURES_MD).map(oneLine);
  const more = t.measured.length - figures.length;
  const measured = figures.length ? ` 📏 ${figures.join('; ')}${more > 0 ? ` and ${more} more` : ''}` : '';
  return `${measured}${t.warnings.map((w) => ` ❗ ${oneLine(w)}`).join('')}${t.info.map((i) => ` ℹ ${oneLine(i)}`).join('')}`;
}

/** A baseline item's figures against the previous record: 📊 query p95 412 ms (baseline 380 ms, +8 %). */
function figuresMd(r: ItemResult): string {
  const shown = r.decidedBy === 'baseline' ? r.figures.filter((f) => f.better !== 'info') : [];
  return shown.length ? ` · 📊 ${shown.map((f) => oneLine(formatFigure(f))).join('; ')}` : '';
}

/** The run's baseline record in the Markdown header: where it went and what it was compared with. */
function baselineMd(result: GateResult): string[] {
  const b = result.baseline;
  if (!b) return [];
  const written = b.written ? `wrote \`${b.written}\`` : `not written (${b.writeError ?? 'unknown error'})`;
  const p = b.previous;
  const against = p ? `compared with \`${p.file}\` (run ${fmtTime(p.startTime)}${p.version ? `, version ${p.version}` : ''})` : b.none ?? 'nothing to compare with';
  return [`> Baseline: ${written} · ${against}${b.version ? ` · this run's version ${b.version}` : ''}  `];
}

export function deploymentLog(checklist: Checklist, result: GateResult): LogRow[] {
  const byId = new Map(result.items.map((r) => [r.id, r]));
  const expand = (ref: string): string[] => {
    const p = /^phase:(.+)$/.exec(ref)?.[1];
    return p ? checklist.items.filter((i) => i.phase === p && i.parent === null).map((i) => i.id) : [ref];
  };
  const subtree = (id: string): ItemResult[] => [byId.get(id)!, ...(checklist.children.get(id) ?? []).flatMap((c) => subtree(c.id))];
  return LOG_ROWS.map((row) => {
    const tops = [...new Set(row.items.flatMap(expand))];
    const all = tops.flatMap(subtree);
    const tests = new Set<TestOutcome>(all.flatMap((r) => r.tests));
    const starts = [...tests].filter((t) => t.startTime).map((t) => ({ s: Date.parse(t.startTime!), e: Date.parse(t.startTime!) + t.durationMs }));
    const combined = combine(tops.map((id) => ({ id, status: byId.get(id)!.status, advisory: byId.get(id)!.advisory === true })), new Map());
    const leaves = all.filter((r) => checklist.isLeaf(r.id));
    const parts: string[] = [];
    for (const s of ['passed', 'attested', 'waived', 'failed', 'not_verified', 'not_run'] as Status[]) {
      const ids = leaves.filter((r) => r.status === s).map((r) => (r.advisory ? `${r.id} advisory` : r.id));
      if (ids.length === 0) continue;
      parts.push(s === 'failed' ? `${ids.length} failed (${ids.join(', ')})` : `${ids.length} ${WORDS[s]}`);
    }
    const isEnd = row.action === 'Deployment completed';
    const status: Status = isEnd ? (result.verdict.result === 'PASSED' ? 'passed' : result.verdict.result === 'FAILED' ? 'failed' : 'not_verified') : combined.status;
    return {
      action: row.action,
      timestamp: isEnd ? result.run.endTime ?? null : starts.length ? new Date(Math.min(...starts.map((x) => x.s))).toISOString() : null,
      finished: starts.length ? new Date(Math.max(...starts.map((x) => x.e))).toISOString() : null,
      status,
      notes: isEnd ? `gate verdict ${result.verdict.result}` + (parts.length ? ` – ${parts.join(', ')}` : '') : parts.join(', ') || 'no items',
      extra: row.extra ?? false,
    };
  });
}

/** One line of explanation for an item (without the mark and text). */
export function describe(r: ItemResult): string {
  switch (r.status) {
    case 'attested':
      return r.attestation ? `attested by ${r.attestation.by} on ${r.attestation.date} (${r.attestation.file}:${r.attestation.line})` : `attested${r.reason ? ` – ${r.reason}` : ''}`;
    case 'waived':
      return r.waiver ? `waived until ${r.waiver.expires} – ${r.waiver.reason} (approved by ${r.waiver.approved_by}, ${r.waiver.file}:${r.waiver.line})` : `waived – ${r.reason ?? ''}`;
    default:
      // A recommendation the target does not meet is a failure, never "passed" – but it does not block.
      return `${r.status === 'failed' && r.advisory ? 'not met (advisory)' : WORDS[r.status]}${r.reason ? ` – ${oneLine(r.reason)}` : ''}`;
  }
}

type Block =
  | { kind: 'blank' }
  | { kind: 'text'; text: string; line: number }
  | { kind: 'item'; result: ItemResult }
  | { kind: 'runinfo' }
  | { kind: 'logrows' }
  | { kind: 'status'; which: 'status' | 'date' | 'signoff'; original: string };

/** The document as blocks in line order, with the generated parts marked. */
function blocks(checklist: Checklist, result: GateResult): Block[] {
  const byLine = new Map<number, Block>();
  for (const o of checklist.doc.outline) byLine.set(o.line, { kind: 'text', text: o.text, line: o.line });
  for (const r of result.items) byLine.set(r.line, { kind: 'item', result: r });
  const out: Block[] = [];
  let inLog = false;
  let logDone = false;
  for (let n = 1; n <= checklist.doc.source.lines; n++) {
    const b = byLine.get(n) ?? { kind: 'blank' as const };
    if (b.kind === 'text') {
      if (/^#{1,6} /.test(b.text)) inLog = /Deployment Log\s*$/.test(b.text);
      if (inLog && /^\| \[TIME\] \|/.test(b.text)) {
        if (!logDone) out.push({ kind: 'logrows' });
        logDone = true;
        continue;
      }
      const st = /^\*\*(Deployment Status|Completion Date|Sign-off)\*\*:/.exec(b.text)?.[1];
      if (st) {
        out.push({ kind: 'status', which: st === 'Deployment Status' ? 'status' : st === 'Completion Date' ? 'date' : 'signoff', original: b.text });
        continue;
      }
    }
    out.push(b);
    if (n === 1) out.push({ kind: 'blank' }, { kind: 'runinfo' });
  }
  while (out.length > 0 && out[out.length - 1]!.kind === 'blank') out.pop();
  return out;
}

function countsLine(result: GateResult): string {
  const c = result.counts;
  const l = result.leafCounts;
  return (Object.keys(MARKS) as Status[]).map((s) => `${MARKS[s]} ${WORDS[s]} ${c[s]} (${l[s]} leaves)`).join(' · ');
}

/** The verdict as a checklist status (its mark and colour): PASSED, FAILED, INCOMPLETE as not verified. */
function verdictStatus(result: GateResult): Status {
  return result.verdict.result === 'PASSED' ? 'passed' : result.verdict.result === 'FAILED' ? 'failed' : 'not_verified';
}

/** The verdict in words, without its mark. */
function verdictWords(result: GateResult): string {
  const v = result.verdict;
  const mode = result.run.profile ? `${result.run.profile} profile` : result.run.strict ? 'strict' : 'standard';
  if (v.result === 'PASSED') return `PASSED (${mode}): every item passed, was attested or is validly waived`;
  const advisory = v.advisory.length ? `; ${v.advisory.length} recommendation${v.advisory.length === 1 ? '' : 's'} not met (advisory: ${v.advisory.join(', ')})` : '';
  if (v.result === 'INCOMPLETE' && result.run.profile) return `INCOMPLETE (${mode}): no required item the ${result.run.profile} decides failed; ${result.counts.not_run} items not run (${mode}) and ${result.counts.not_verified} not verified${advisory} – a release needs the full gate`;
  if (v.result === 'INCOMPLETE') return `INCOMPLETE (${mode}): no required item failed, but ${result.counts.not_verified} items are not verified and ${result.counts.not_run} not run${advisory} – not releasable under --strict`;
  const n = v.blockingLeaves.length;
  return `FAILED (${mode}): ${n} item${n === 1 ? ' blocks' : 's block'} the release${v.runErrors.length ? ` and ${v.runErrors.length} run error(s)` : ''}`;
}

function verdictText(result: GateResult): string {
  return `${MARKS[verdictStatus(result)]} ${verdictWords(result)}`;
}

/** The technical sign-off's status (the gate's SIGN-TECH item) and who signed the business side. */
function signoff(result: GateResult): { tech: Status; business: string } {
  const biz = result.items.filter((r) => r.id.startsWith('SIGN-BIZ-') && r.attestation).map((r) => r.attestation!);
  const tech = result.items.find((r) => r.id === 'SIGN-TECH');
  const people = [...new Set(biz.map((a) => `${a.by} (${a.date})`))];
  return { tech: tech?.status ?? 'not_run', business: people.length ? `signed by ${people.join(', ')}` : '[TO BE SIGNED] – no SIGN-BIZ attestation' };
}

function signoffText(result: GateResult): string {
  const s = signoff(result);
  return `technical: ${MARKS[s.tech]} ${WORDS[s.tech]} (gate); business: ${s.business}`;
}

function evidenceHref(path: string, reportsDir: string): string {
  return isAbsolute(path) ? relative(reportsDir, path) : path;
}

// ------------------------------------------------------------------------------------------ Markdown

export function renderMarkdown(checklist: Checklist, result: GateResult, reportsDir: string): string {
  const log = deploymentLog(checklist, result);
  const lines: string[] = [];
  for (const b of blocks(checklist, result)) {
    switch (b.kind) {
      case 'blank':
        lines.push('');
        break;
      case 'text':
        lines.push(b.text);
        break;
      case 'runinfo':
        lines.push(
          '> **rag-gate result**  ',
          `> Verdict: **${verdictText(result)}**  `,
          `> Mode: **${result.run.mode}** · Target: ${result.run.target} · Run: ${fmtTime(result.run.startTime)} → ${fmtTime(result.run.endTime)}${result.run.durationMs !== undefined ? ` (${fmtDuration(result.run.durationMs)})` : ''} · Evaluated: ${fmtTime(result.run.evaluatedAt)}  `,
          `> Counts over ${result.items.length} items: ${countsLine(result)}  `,
          `> Evidence: [Allure report](allure-report/index.html) · results: \`${result.run.resultsFile}\`  `,
          ...baselineMd(result),
          `> Marks: ✅ passed · ❌ failed · ⚪ not verified – reason · ✍ attested by X on D · ⚠ waived until D – reason · ⏸ not run · on tests: 📏 measured · ❗ warning · ℹ note · 📊 figure (baseline, change)`,
        );
        if (result.verdict.runErrors.length) lines.push('>', ...result.verdict.runErrors.map((e) => `> ❌ ${oneLine(e)}  `));
        if (result.unknownIds.length) lines.push('>', `> ⚠ tests name unknown checklist IDs: ${result.unknownIds.map((u) => `${u.id} (${u.test})`).join('; ')}`);
        break;
      case 'item': {
        const r = b.result;
        const indent = '  '.repeat(r.depth);
        const box = r.status === 'passed' || r.status === 'attested' ? '[x]' : '[ ]';
        const tests = r.tests.map((t) => `“${t.title}” (${t.outcome}, ${fmtDuration(t.durationMs)}${t.attachments.filter((a) => a.path).map((a) => `, [${a.name}](${encodeURI(evidenceHref(a.path!, reportsDir))})`).join('')})${notesMd(t)}`);
        const dur = r.durationMs > 0 && r.tests.length === 0 ? ` · ${fmtDuration(r.durationMs)}` : '';
        lines.push(`${indent}- ${box} ${MARKS[r.status]} <a id="${r.id}"></a>\`${r.id}\` ${r.text} — ${describe(r)}${figuresMd(r)}${tests.length ? ` · tests: ${tests.join('; ')} · [Allure](allure-report/index.html)` : ''}${dur}`);
        break;
      }
      case 'logrows':
        for (const row of log) {
          const when = row.timestamp ? fmtTime(row.timestamp) : '—';
          lines.push(`| ${when} | ${row.action} | ${MARKS[row.status]} | ${row.notes} |`);
        }
        break;
      case 'status':
        if (b.which === 'status') lines.push(`**Deployment Status**: ${verdictText(result)}  `);
        else if (b.which === 'date') lines.push(`**Completion Date**: ${fmtTime(result.run.endTime)}  `);
        else lines.push(`**Sign-off**: ${signoffText(result)}  `);
        break;
    }
  }
  if (result.verdict.blockingLeaves.length) {
    lines.push('', '### Items that block the release (added by rag-gate)', '');
    for (const id of result.verdict.blockingLeaves) {
      const r = result.items.find((x) => x.id === id)!;
      lines.push(`- ${MARKS[r.status]} [\`${id}\`](#${id}) ${r.text} — ${describe(r)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------------------------------------ HTML

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Status names for people and screen readers (the marks' text alternative); also the job summary's column heads. */
export const LABELS: Record<Status, string> = {
  passed: 'passed',
  failed: 'failed',
  not_verified: 'not verified',
  attested: 'attested',
  waived: 'waived',
  not_run: 'not run',
};

/** A status mark: an SVG shape from the page's symbols (checklist/html-assets.ts), named for screen readers. */
function mark(s: Status): string {
  return `<svg class="mark" viewBox="0 0 16 16" role="img" aria-label="${LABELS[s]}"><use href="#m-${s}"/></svg>`;
}

/** The customer's garbled emoji (UTF-8 read as Mac Roman) repaired and muted; the verbatim form shows on hover. */
function repairGlyphs(html: string): string {
  return mojibakeSegments(html)
    .map((s) => (s.original === undefined ? s.text : `<span class="glyph" title="${esc(`in the source file: ${s.original}`)}">${s.text}</span>`))
    .join('');
}

/** Escapes, then renders the checklist's inline markdown: `code` and **bold**; garbled emoji repaired. */
function inline(s: string): string {
  return repairGlyphs(esc(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>'));
}

/** A checklist line as plain text (no markdown marks, emoji repaired): what the search matches. */
function plain(s: string): string {
  return repairMojibake(s.replace(/\*\*|`/g, ''));
}

/** A heading without the customer's decorative emoji (the repaired ones): the summary's phase titles. */
function undecorated(s: string): string {
  return mojibakeSegments(s).filter((x) => x.original === undefined).map((x) => x.text).join('').replace(/\s+/g, ' ').trim();
}

let version: string | undefined;

/** rag-gate's own version (package.json), for the run's metadata. */
function gateVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** A link to evidence, relative to the page (reports/), each path segment URL-encoded. */
function hrefOf(path: string, reportsDir: string): string {
  return esc(evidenceHref(path, reportsDir).split(/[\\/]/).map(encodeURIComponent).join('/'));
}

function fmtBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const idLink = (id: string): string => `<a href="#${esc(id)}"><code>${esc(id)}</code></a>`;

function countBy(items: readonly ItemResult[]): Record<Status, number> {
  const c = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const r of items) c[r.status] += 1;
  return c;
}

function bar(c: Record<Status, number>, label: string): string {
  const present = STATUSES.filter((s) => c[s] > 0);
  const words = present.map((s) => `${c[s]} ${LABELS[s]}`).join(', ');
  const segments = present.map((s) => `<span class="b-${s}" style="flex:${c[s]} 1 0" title="${c[s]} ${LABELS[s]}"></span>`).join('');
  return `<div class="bar" role="img" aria-label="${esc(`${label}: ${words || 'no items'}`)}">${segments}</div>`;
}

function countCells(c: Record<Status, number>): string {
  return STATUSES.map((s) => `<td class="${c[s] ? 'nz' : 'z'}" data-status="${s}">${c[s]}</td>`).join('');
}

/** The run's baseline record, as in checklist.md's header: where it went and what it was compared with. */
function baselineMeta(result: GateResult): Array<[string, string]> {
  const b = result.baseline;
  if (!b) return [];
  const written = b.written ? `wrote <span class="mono">${esc(b.written)}</span>` : `not written (${esc(b.writeError ?? 'unknown error')})`;
  const p = b.previous;
  const against = p ? `compared with <span class="mono">${esc(p.file)}</span> (run ${esc(fmtTime(p.startTime))}${p.version ? `, version ${esc(p.version)}` : ''})` : esc(b.none ?? 'nothing to compare with');
  return [['Baseline', `${written}<br>${against}`]];
}

/** Title, verdict, the run's metadata, run errors and unknown IDs. */
function headerHtml(checklist: Checklist, result: GateResult): string {
  const run = result.run;
  const src = checklist.doc.source;
  const [verdictHead, ...verdictRest] = verdictWords(result).split(': ');
  const when = run.startTime ? `${fmtTime(run.startTime)} → ${fmtTime(run.endTime)}${run.durationMs !== undefined ? ` (${fmtDuration(run.durationMs)})` : ''}` : 'unknown';
  const meta: Array<[string, string]> = [
    ['Mode', `${esc(run.mode)} · ${run.profile ? `${run.profile} profile` : run.strict ? 'strict' : 'standard'}`],
    ['Target', esc(run.target)],
    ['Run', esc(when)],
    ['Evaluated', esc(fmtTime(run.evaluatedAt))],
    ['rag-gate', `${esc(gateVersion())}${run.playwrightVersion ? ` · Playwright ${esc(run.playwrightVersion)}` : ''}`],
    ['Results', `<span class="mono">${esc(run.resultsFile)}</span>${result.untracedTests ? ` · ${result.untracedTests} test(s) without a checklist item` : ''}`],
    ['Checklist', `${esc(src.file)} · ${src.checkboxes} boxes<br><span class="mono" title="sha256 of the customer's file">sha256 ${esc(src.sha256)}</span>`],
    ...baselineMeta(result),
    ['Evidence', '<a href="allure-report/index.html">Allure report</a> · <a href="checklist.json">checklist.json</a> · <a href="checklist.md">checklist.md</a>'],
  ];
  const alerts = [
    ...result.verdict.runErrors.map((e) => `<li class="alert-failed">${mark('failed')}<span>${esc(e)}</span></li>`),
    ...(result.unknownIds.length ? [`<li class="alert-warning">${mark('waived')}<span>tests name unknown checklist IDs: ${esc(result.unknownIds.map((u) => `${u.id} (${u.test})`).join('; '))}</span></li>`] : []),
  ];
  return `<header>
<p class="kicker">rag-gate · release gate result</p>
<h1>${inline(src.title)}</h1>
<div class="verdict v-${result.verdict.result.toLowerCase()}">${mark(verdictStatus(result))}<div><div class="verdict-word">${esc(verdictHead!)}</div><div class="verdict-text">${esc(verdictRest.join(': '))}</div></div></div>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>
${alerts.length ? `<ul class="alerts">${alerts.join('')}</ul>` : ''}
</header>`;
}

/** Per phase: counts by status and a stacked bar; then all items and the leaves. */
function summaryHtml(checklist: Checklist, result: GateResult): string {
  const rows = PHASES.map((p) => {
    const items = result.items.filter((r) => r.phase === p);
    const title = undecorated(checklist.items.find((i) => i.phase === p)?.phase_title ?? '');
    const c = countBy(items);
    const head = `<th class="ph" scope="row"><a class="code" href="#phase-${p}">${p}</a> <span class="title">${esc(title)}</span></th>`;
    return `<tr data-phase="${p}">${head}<td class="barcell">${bar(c, p)}</td>${countCells(c)}<td data-status="total">${items.length}</td></tr>`;
  });
  const leaves = result.items.filter((r) => checklist.isLeaf(r.id)).length;
  const legend: Array<[Status, string]> = [
    ['passed', 'passed'],
    ['failed', 'failed'],
    ['not_verified', 'not verified here – the reason says why'],
    ['attested', 'attested by a person'],
    ['waived', 'waived until a date'],
    ['not_run', 'not run – no test result'],
  ];
  return `<section class="summary" aria-labelledby="summary-h">
<h2 class="sec" id="summary-h">Summary by phase</h2>
<table class="phases"><colgroup><col class="c-ph"><col class="c-bar">${STATUSES.map(() => '<col class="c-n">').join('')}<col class="c-total"></colgroup>
<thead><tr><th class="ph">Phase</th><th><span class="sr">Results</span></th>${STATUSES.map((s) => `<th>${mark(s)}${LABELS[s]}</th>`).join('')}<th>Total</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
<tfoot><tr data-phase="all"><th class="ph" scope="row">All items</th><td class="barcell">${bar(result.counts, 'all items')}</td>${countCells(result.counts)}<td data-status="total">${result.items.length}</td></tr>
<tr class="leaves" data-phase="leaves"><th class="ph" scope="row">Leaves <span class="title">(the boxes a test or a person decides)</span></th><td></td>
${countCells(result.leafCounts)}<td data-status="total">${leaves}</td></tr></tfoot></table>
<ul class="legend">${legend.map(([s, text]) => `<li>${mark(s)}${esc(text)}</li>`).join('')}</ul>
</section>`;
}

function blockingHtml(result: GateResult): string {
  const ids = result.verdict.blockingLeaves;
  if (ids.length === 0) return '';
  const lines = ids.map((id) => {
    const r = result.items.find((x) => x.id === id)!;
    return `<li class="s-${r.status}">${mark(r.status)}<span>${idLink(id)} ${inline(r.text)}<span class="why">${esc(describe(r))}</span></span></li>`;
  });
  return `<section class="blocking" aria-labelledby="blocking-h"><h2 class="sec" id="blocking-h">Blocking the release (${ids.length})</h2><ul class="blockers">${lines.join('')}</ul></section>`;
}

const FILTERS: Array<Status | 'all'> = ['all', 'failed', 'not_verified', 'not_run', 'waived', 'attested'];

function toolbarHtml(result: GateResult): string {
  const buttons = FILTERS.map((f) => {
    const n = f === 'all' ? result.items.length : result.counts[f];
    return `<button type="button" data-filter="${f}" aria-pressed="${f === 'all'}">${f === 'all' ? 'All' : `${mark(f)}${LABELS[f]}`} <span class="count">${n}</span></button>`;
  });
  return `<nav class="toolbar" aria-label="Filter the checklist">
<div class="filters" role="group" aria-label="Show items">${buttons.join('')}</div>
<input type="search" id="search" placeholder="Search by ID or text   ( / )" aria-label="Search items by ID or text" autocomplete="off">
<button type="button" class="tool" id="expand">Expand all</button><button type="button" class="tool" id="collapse">Collapse all</button>
<span id="shown" aria-live="polite">${result.items.length} items</span>
</nav>
<p id="empty" hidden>No item matches the filter and search.</p>`;
}

/** An item's figures: this run's value, the previous record's, the change (a degradation flagged), who measured it. */
function figuresHtml(figures: readonly ItemFigure[]): string {
  if (figures.length === 0) return '';
  const rows = figures.map((f) => {
    const b = f.baseline;
    const change = !b ? '–' : b.changePct === null ? 'n/a' : `${b.changePct > 0 ? '+' : ''}${Math.round(b.changePct)} %`;
    const flag = b?.degraded ? ' <span class="tag tag-bad">degraded</span>' : '';
    const values = [formatValue(f.value, f.unit, f.of), b ? formatValue(b.value, f.unit, f.of) : '–'].map((v) => `<td class="num">${esc(v)}</td>`).join('');
    return `<tr><td>${esc(labelOf(f.key))}</td>${values}<td class="num">${esc(change)}${flag}</td><td class="by">${esc(f.test)}</td></tr>`;
  });
  return `<table class="figures"><thead><tr><th>Figure</th><th>This run</th><th>Baseline</th><th>Change</th><th>Measured by</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** What the page's parts share: where the page lives, and the line each test's attachments are shown on (once). */
interface Page {
  checklist: Checklist;
  reportsDir: string;
  attachmentsOn: Map<TestOutcome, string>;
  /** Each test's page in the Allure report (read once from the run's allure-results, beside its Playwright JSON). */
  allureIds: ReadonlyMap<string, string>;
}

/**
 * Screenshots as thumbnails, text attachments inline (collapsed), other files (traces) as links – on the first line
 * the test decides; its other lines link there, so a test naming five items does not carry its transcripts five times.
 */
function attachmentsHtml(t: TestOutcome, page: Page, itemId: string): string {
  const allure = `<a href="${esc(allureTestUrl(page.allureIds, t))}">this test in the Allure report</a>`;
  const images = t.attachments.filter((a) => a.path && a.contentType.startsWith('image/'));
  const texts = t.attachments.filter((a) => a.text !== undefined);
  const files = t.attachments.filter((a) => a.path && !a.contentType.startsWith('image/') && a.text === undefined);
  if (images.length + texts.length + files.length === 0) return `<div class="atts"><div class="files">${allure}</div></div>`;
  const first = page.attachmentsOn.get(t);
  if (first !== undefined && first !== itemId) return `<div class="atts"><div class="files">attachments on ${idLink(first)}${allure}</div></div>`;
  page.attachmentsOn.set(t, itemId);
  const reportsDir = page.reportsDir;
  const parts: string[] = [];
  if (images.length) {
    const thumb = (href: string, name: string): string => `<a class="thumb" href="${href}"><img src="${href}" alt="${esc(`screenshot: ${name}`)}" loading="lazy">${esc(name)}</a>`;
    parts.push(`<div class="thumbs">${images.map((a) => thumb(hrefOf(a.path!, reportsDir), a.name)).join('')}</div>`);
  }
  for (const a of texts) {
    const text = a.text!;
    const lines = text.split('\n').length;
    parts.push(`<details class="att"><summary>${esc(a.name)}<span class="meta">${lines} line${lines === 1 ? '' : 's'} · ${fmtBytes(Buffer.byteLength(text))}</span></summary><pre>${esc(text)}</pre></details>`);
  }
  const links = files.map((a) => `<a href="${hrefOf(a.path!, reportsDir)}">${esc(a.name === 'trace' ? 'trace (npx playwright show-trace)' : a.name)}</a>`);
  parts.push(`<div class="files">${[...links, allure].join('')}</div>`);
  return `<div class="atts">${parts.join('')}</div>`;
}

function testHtml(t: TestOutcome, page: Page, itemId: string): string {
  const st: Status = t.outcome === 'passed' ? 'passed' : t.outcome === 'failed' ? 'failed' : 'not_verified';
  const outcome = t.outcome === 'skipped' ? (t.notVerified ? 'not verified' : 'skipped') : t.outcome;
  const meta = [t.project, outcome, fmtDuration(t.durationMs), t.startTime ? fmtTime(t.startTime) : '', `${t.file}:${t.line}`].filter(Boolean).join(' · ');
  const msg = t.reason ? (t.outcome === 'failed' ? `<pre class="msg msg-failed">${esc(t.reason)}</pre>` : `<p class="msg msg-skipped">${esc(t.reason)}</p>`) : '';
  const notes: Array<[string, string, string]> = [
    ...t.measured.map((m): [string, string, string] => ['measured', 'measured', m]),
    ...t.warnings.map((w): [string, string, string] => ['warning', 'warning', w]),
    ...t.info.map((i): [string, string, string] => ['info', 'note', i]),
  ];
  const notesHtml = notes.length ? `<ul class="notes">${notes.map(([cls, label, text]) => `<li class="n-${cls}"><span class="lbl">${label}</span><span>${esc(text)}</span></li>`).join('')}</ul>` : '';
  const flaky = t.flaky ? '<span class="tag">flaky: passed on retry</span>' : '';
  const head = `<div class="test-head">${mark(st)}<div><span class="test-title">${esc(t.fullTitle)}</span>${flaky}<span class="meta">${esc(meta)}</span></div></div>`;
  return `<li class="test t-${t.outcome}">${head}${msg}${notesHtml}${attachmentsHtml(t, page, itemId)}</li>`;
}

const DECIDED: Record<ItemResult['decidedBy'], string> = {
  tests: 'the tests below',
  children: 'its sub-items',
  derived: 'other items',
  baseline: 'the run\'s baseline record (figures below) and its own tests',
  attestation: 'an attestation',
  mode: 'the run\'s mode: no test can decide it here',
  none: 'nothing yet',
};

/** What a line opens to: how it was decided, waiver/attestation records, the deciding tests with their evidence. */
function evidenceHtml(page: Page, r: ItemResult): string {
  const checklist = page.checklist;
  const item = checklist.item(r.id);
  const kids = checklist.children.get(r.id) ?? [];
  const decided = r.decidedBy === 'derived' && item.derived_from ? `the results of ${item.derived_from.map(idLink).join(', ')}` : r.decidedBy === 'children' ? `its ${kids.length} sub-items` : esc(DECIDED[r.decidedBy]);
  const facts: Array<[string, string]> = [
    ['Decided by', decided],
    ['Kind', r.kind === 'attest' ? 'attest: only a person can tick it (blocks only with --strict)' : r.required ? 'auto, required' : item.advisory ? 'auto, advisory: a recommendation (not met, it fails the line but blocks only with --strict)' : 'auto'],
    ['Source', `${esc(checklist.doc.source.file)}:${r.line} · ${inline(r.section)}`],
    ...(r.durationMs > 0 ? [['Test time', esc(fmtDuration(r.durationMs))] as [string, string]] : []),
    ...(item.note ? [['Note', esc(item.note)] as [string, string]] : []),
  ];
  const records: string[] = [];
  if (r.waiver) {
    const w = r.waiver;
    const state = !w.applied ? 'on file, not needed (the item passed)' : w.expired ? `expired on ${w.expires}` : `valid until ${w.expires}`;
    const under = r.underlying ? `<br>underlying result: ${LABELS[r.underlying.status]}${r.underlying.reason ? ` – ${esc(r.underlying.reason)}` : ''}` : '';
    const text = `${esc(state)} – ${esc(w.reason)} · approved by ${esc(w.approved_by)} · ${esc(w.file)}:${w.line}${under}`;
    records.push(`<div class="record record-${w.applied && w.expired ? 'expired' : 'waiver'}"><span class="lbl">waiver</span>${text}</div>`);
  }
  if (r.attestation) {
    const a = r.attestation;
    records.push(`<div class="record record-attestation"><span class="lbl">attestation</span>by ${esc(a.by)} on ${esc(a.date)}${a.note ? ` – ${esc(a.note)}` : ''} · ${esc(a.file)}:${a.line}</div>`);
  }
  const tests = r.tests.length ? `<ol class="tests">${r.tests.map((t) => testHtml(t, page, r.id)).join('')}</ol>` : '';
  return `<div class="evidence"><dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>${records.join('')}${figuresHtml(r.figures)}${tests}</div>`;
}

/** An item's line (left open: its sub-items follow inside the <li>). */
function itemHtml(page: Page, r: ItemResult): string {
  const item = page.checklist.item(r.id);
  const tags = [r.kind === 'attest' ? 'attest' : '', item.derived_from ? 'derived' : '', r.advisory ? 'advisory' : ''].filter(Boolean).map((t) => `<span class="tag">${t}</span>`).join('');
  const why = r.status === 'passed' && !r.reason ? '' : `<span class="why">${esc(describe(r))}</span>`;
  const hasEvidence = r.tests.length > 0 || r.waiver !== undefined || r.attestation !== undefined;
  const search = esc(`${r.id} ${plain(r.text)}`.toLowerCase());
  const attrs = `id="${esc(r.id)}" class="item s-${r.status}" data-status="${r.status}" data-search="${search}"${hasEvidence ? ' data-ev' : ''}`;
  const line = `<span class="body"><code class="id">${esc(r.id)}</code><span class="text">${inline(r.text)}</span>${tags}${why}</span>`;
  return `<li ${attrs}><details><summary><span class="chev" aria-hidden="true"></span>${mark(r.status)}${line}</summary>${evidenceHtml(page, r)}</details>`;
}

/** The checklist document, block by block (the title and run info are the page's header). */
function documentHtml(checklist: Checklist, result: GateResult, reportsDir: string): string {
  const log = deploymentLog(checklist, result);
  const resultsDir = dirname(resolve(REPO_ROOT, result.run.resultsFile));
  const page: Page = { checklist, reportsDir, attachmentsOn: new Map(), allureIds: readAllureResultIds(join(resultsDir, 'allure-results')) };
  const phaseOf = new Map<string, string>();
  for (const i of checklist.items) if (!phaseOf.has(i.phase_title)) phaseOf.set(i.phase_title, i.phase);
  const body: string[] = [];
  let listDepth = -1;
  let code: string[] | null = null;
  let table: string[][] | null = null;
  const closeLists = (to: number): void => {
    while (listDepth > to) {
      body.push('</li></ul>');
      listDepth -= 1;
    }
  };
  const flushTable = (): void => {
    if (!table) return;
    const [head, , ...rows] = table;
    body.push('<table class="md"><thead><tr>', ...(head ?? []).map((c) => `<th>${inline(c)}</th>`), '</tr></thead><tbody>');
    for (const r of rows) body.push(`<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
    body.push('</tbody></table>');
    table = null;
  };
  const cells = (line: string): string[] => line.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());

  for (const b of blocks(checklist, result)) {
    if (b.kind === 'runinfo' || (b.kind === 'text' && b.line === 1 && b.text.startsWith('# '))) continue;
    if (b.kind !== 'item' && b.kind !== 'blank') closeLists(-1);
    if (b.kind !== 'text' && b.kind !== 'logrows') flushTable();
    switch (b.kind) {
      case 'blank':
        code?.push('');
        break;
      case 'text': {
        const t = b.text;
        if (/^```/.test(t)) {
          if (code) body.push(`<pre><code>${code.map(esc).join('\n')}</code></pre>`);
          code = code ? null : [];
          break;
        }
        if (code) {
          code.push(t);
          break;
        }
        if (t.startsWith('|')) {
          (table ??= []).push(cells(t));
          break;
        }
        flushTable();
        const h = /^(#{1,6}) (.*)$/.exec(t);
        const phase = h ? phaseOf.get(h[2]!) : undefined;
        if (phase) phaseOf.delete(h![2]!);
        if (h) body.push(`<h${h[1]!.length}${phase ? ` id="phase-${phase}" class="phase-start"` : ''}>${inline(h[2]!)}</h${h[1]!.length}>`);
        else if (/^-{3,}$/.test(t)) body.push('<hr>');
        else body.push(`<p>${inline(t.trim())}</p>`);
        break;
      }
      case 'item': {
        const r = b.result;
        if (r.depth > listDepth) {
          while (listDepth < r.depth) {
            body.push('<ul class="items">');
            listDepth += 1;
          }
        } else {
          closeLists(r.depth);
          body.push('</li>');
        }
        body.push(itemHtml(page, r));
        break;
      }
      case 'logrows':
        table = null; // the original header rows; the generated table has its own
        body.push('<table class="md log"><thead><tr><th>Timestamp</th><th>Action</th><th>Status</th><th>Notes</th></tr></thead><tbody>');
        for (const row of log) {
          body.push(`<tr class="s-${row.status}"><td>${esc(fmtTime(row.timestamp))}</td><td>${esc(row.action)}</td><td class="st">${mark(row.status)}${LABELS[row.status]}</td><td>${esc(row.notes)}</td></tr>`);
        }
        body.push('</tbody></table>');
        break;
      case 'status':
        if (b.which === 'status') body.push(`<p class="final v-${result.verdict.result.toLowerCase()}"><strong>Deployment Status</strong>: ${mark(verdictStatus(result))} ${esc(verdictWords(result))}</p>`);
        else if (b.which === 'date') body.push(`<p><strong>Completion Date</strong>: ${esc(fmtTime(result.run.endTime))}</p>`);
        else {
          const s = signoff(result);
          body.push(`<p><strong>Sign-off</strong>: technical: ${mark(s.tech)} ${LABELS[s.tech]} (gate); business: ${esc(s.business)}</p>`);
        }
        break;
    }
  }
  closeLists(-1);
  flushTable();
  return body.join('\n');
}

/**
 * reports/checklist.html: a summary per phase, the verdict and the run's metadata on top; filters and a search;
 * the checklist in its own shape with every line expandable to its evidence; a print layout for the signed copy.
 * Self-contained (inline styles, SVG marks and script), so it works from file:// and offline.
 */
export function renderHtml(checklist: Checklist, result: GateResult, reportsDir: string): string {
  const src = checklist.doc.source;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(plain(src.title))} – ${esc(result.verdict.result)}</title>
<style>${STYLE}</style></head>
<body>
${MARK_SYMBOLS}
<div class="page">
${headerHtml(checklist, result)}
${summaryHtml(checklist, result)}
${blockingHtml(result)}
${toolbarHtml(result)}
<main class="doc">
${documentHtml(checklist, result, reportsDir)}
</main>
<footer>rag-gate ${esc(gateVersion())} · rendered ${esc(fmtTime(result.run.evaluatedAt))} from ${esc(result.run.resultsFile)}. The checklist's text is the customer's, verbatim
(${esc(src.file)}, sha256 ${esc(src.sha256)}); the emoji that file carries garbled (UTF-8 read as Mac Roman) are shown repaired here and verbatim in
checklist.md and checklist.json.</footer>
</div>
<script>${SCRIPT}</script>
</body></html>
`;
}

// ------------------------------------------------------------------------------------------ JSON

export function renderJson(checklist: Checklist, result: GateResult, reportsDir: string): string {
  const json = {
    checklist: { ...checklist.doc.source },
    run: result.run,
    verdict: result.verdict,
    counts: result.counts,
    leafCounts: result.leafCounts,
    unknownIds: result.unknownIds,
    untracedTests: result.untracedTests,
    deploymentLog: deploymentLog(checklist, result),
    baseline: result.baseline ?? null,
    items: result.items.map((r) => ({
      id: r.id,
      text: r.text,
      phase: r.phase,
      section: r.section,
      parent: r.parent,
      line: r.line,
      kind: r.kind,
      required: r.required,
      status: r.status,
      advisory: r.advisory === true,
      reason: r.reason ?? null,
      decidedBy: r.decidedBy,
      durationMs: r.durationMs,
      figures: r.figures,
      tests: r.tests.map((t) => ({
        title: t.fullTitle,
        file: t.file,
        line: t.line,
        project: t.project,
        outcome: t.outcome,
        reason: t.reason ?? null,
        startTime: t.startTime ?? null,
        durationMs: t.durationMs,
        evidence: t.attachments.filter((a) => a.path).map((a) => ({ name: a.name, path: evidenceHref(a.path!, reportsDir) })),
        info: t.info,
        warnings: t.warnings,
        measured: t.measured,
        figures: t.figures,
      })),
      ...(r.attestation ? { attestation: r.attestation } : {}),
      ...(r.waiver ? { waiver: r.waiver } : {}),
      ...(r.underlying ? { underlying: r.underlying } : {}),
    })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export function writeReports(checklist: Checklist, result: GateResult, reportsDir: string): string[] {
  mkdirSync(reportsDir, { recursive: true });
  const files: Array<[string, string]> = [
    ['checklist.json', renderJson(checklist, result, reportsDir)],
    ['checklist.md', renderMarkdown(checklist, result, reportsDir)],
    ['checklist.html', renderHtml(checklist, result, reportsDir)],
  ];
  return files.map(([name, text]) => {
    const p = join(reportsDir, name);
    writeFileSync(p, text);
    return p;
  });
}
