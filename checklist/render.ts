/**
 * Renders a GateResult back into the checklist's own shape: reports/checklist.{json,md,html}. The document
 * is rebuilt from checklist.yaml's outline (every non-checkbox line, verbatim) and items, by line number, so
 * headings, code blocks, nesting and blank lines are the original's; every checkbox line carries its mark,
 * the Deployment Log table gets real timestamps and statuses, and the final status block states the verdict.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { Checklist } from './load.ts';
import { combine, type GateResult, type ItemResult, type Status, type TestOutcome } from './results.ts';

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

/** The same notes for the HTML test list, each in its own block. */
function notesHtml(t: TestOutcome): string {
  const measured = t.measured.map((m) => `<div class="measured">📏 ${esc(m)}</div>`).join('');
  return `${measured}${t.warnings.map((w) => `<div class="warning">❗ ${esc(w)}</div>`).join('')}${t.info.map((i) => `<div class="info">ℹ ${esc(i)}</div>`).join('')}`;
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
    const combined = combine(tops.map((id) => ({ id, status: byId.get(id)!.status })), new Map());
    const leaves = all.filter((r) => checklist.isLeaf(r.id));
    const parts: string[] = [];
    for (const s of ['passed', 'attested', 'waived', 'failed', 'not_verified', 'not_run'] as Status[]) {
      const ids = leaves.filter((r) => r.status === s).map((r) => r.id);
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
      return `${WORDS[r.status]}${r.reason ? ` – ${oneLine(r.reason)}` : ''}`;
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

function verdictText(result: GateResult): string {
  const v = result.verdict;
  const mode = result.run.strict ? 'strict' : 'standard';
  if (v.result === 'PASSED') return `✅ PASSED (${mode}): every item passed, was attested or is validly waived`;
  if (v.result === 'INCOMPLETE') return `⚪ INCOMPLETE (${mode}): no required item failed, but ${result.counts.not_verified} items are not verified and ${result.counts.not_run} not run – not releasable under --strict`;
  const n = v.blockingLeaves.length;
  return `❌ FAILED (${mode}): ${n} item${n === 1 ? ' blocks' : 's block'} the release${v.runErrors.length ? ` and ${v.runErrors.length} run error(s)` : ''}`;
}

function signoffText(result: GateResult): string {
  const biz = result.items.filter((r) => r.id.startsWith('SIGN-BIZ-') && r.attestation).map((r) => r.attestation!);
  const tech = result.items.find((r) => r.id === 'SIGN-TECH');
  const people = [...new Set(biz.map((a) => `${a.by} (${a.date})`))];
  return `technical: ${MARKS[tech?.status ?? 'not_run']} ${WORDS[tech?.status ?? 'not_run']} (gate); business: ${people.length ? `signed by ${people.join(', ')}` : '[TO BE SIGNED] – no SIGN-BIZ attestation'}`;
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
          `> Marks: ✅ passed · ❌ failed · ⚪ not verified – reason · ✍ attested by X on D · ⚠ waived until D – reason · ⏸ not run · on tests: 📏 measured · ❗ warning · ℹ note`,
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
        lines.push(`${indent}- ${box} ${MARKS[r.status]} <a id="${r.id}"></a>\`${r.id}\` ${r.text} — ${describe(r)}${tests.length ? ` · tests: ${tests.join('; ')} · [Allure](allure-report/index.html)` : ''}${dur}`);
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

/** Escapes, then renders the checklist's inline markdown: `code` and **bold**. */
function inline(s: string): string {
  return esc(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
}

export function renderHtml(checklist: Checklist, result: GateResult, reportsDir: string): string {
  const log = deploymentLog(checklist, result);
  const body: string[] = [];
  let listDepth = -1;
  let inCode = false;
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
    body.push('<table><thead><tr>', ...(head ?? []).map((c) => `<th>${inline(c)}</th>`), '</tr></thead><tbody>');
    for (const r of rows) body.push(`<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
    body.push('</tbody></table>');
    table = null;
  };
  const cells = (line: string): string[] => line.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());

  for (const b of blocks(checklist, result)) {
    if (b.kind !== 'item' && b.kind !== 'blank') closeLists(-1);
    if (b.kind !== 'text' && b.kind !== 'logrows') flushTable();
    switch (b.kind) {
      case 'blank':
        break;
      case 'text': {
        const t = b.text;
        if (/^```/.test(t)) {
          body.push(inCode ? '</code></pre>' : '<pre><code>');
          inCode = !inCode;
          break;
        }
        if (inCode) {
          body.push(`${esc(t)}\n`);
          break;
        }
        if (t.startsWith('|')) {
          (table ??= []).push(cells(t));
          break;
        }
        flushTable();
        const h = /^(#{1,6}) (.*)$/.exec(t);
        if (h) body.push(`<h${h[1]!.length}>${inline(h[2]!)}</h${h[1]!.length}>`);
        else if (/^-{3,}$/.test(t)) body.push('<hr>');
        else body.push(`<p>${inline(t.trim())}</p>`);
        break;
      }
      case 'runinfo':
        body.push(
          `<section class="runinfo v-${result.verdict.result.toLowerCase()}"><p class="verdict">${esc(verdictText(result))}</p>`,
          `<p>Mode <b>${esc(result.run.mode)}</b> · target ${esc(result.run.target)} · run ${esc(fmtTime(result.run.startTime))} → ${esc(fmtTime(result.run.endTime))}${result.run.durationMs !== undefined ? ` (${esc(fmtDuration(result.run.durationMs))})` : ''} · evaluated ${esc(fmtTime(result.run.evaluatedAt))}</p>`,
          `<p>${esc(countsLine(result))}</p>`,
          `<p>Evidence: <a href="allure-report/index.html">Allure report</a> · <a href="checklist.json">checklist.json</a> · <a href="checklist.md">checklist.md</a></p>`,
          ...result.verdict.runErrors.map((e) => `<p class="s-failed">❌ ${esc(e)}</p>`),
          ...(result.unknownIds.length ? [`<p class="s-waived">⚠ tests name unknown checklist IDs: ${esc(result.unknownIds.map((u) => `${u.id} (${u.test})`).join('; '))}</p>`] : []),
          '<p class="legend">✅ passed · ❌ failed · ⚪ not verified – reason · ✍ attested by X on D · ⚠ waived until D – reason · ⏸ not run · on tests: 📏 measured · ❗ warning · ℹ note</p></section>',
        );
        break;
      case 'item': {
        const r = b.result;
        if (r.depth > listDepth) {
          while (listDepth < r.depth) {
            body.push('<ul>');
            listDepth += 1;
          }
        } else {
          closeLists(r.depth);
          body.push('</li>');
        }
        const tests = r.tests
          .map((t) => {
            const ev = t.attachments.filter((a) => a.path).map((a) => ` <a href="${esc(encodeURI(evidenceHref(a.path!, reportsDir)))}">${esc(a.name)}</a>`).join('');
            return `<li class="t-${t.outcome}">${esc(t.fullTitle)} <span class="meta">[${esc(t.project)}] ${esc(t.outcome)}, ${esc(fmtDuration(t.durationMs))}${t.startTime ? `, ${esc(fmtTime(t.startTime))}` : ''} · ${esc(t.file)}:${t.line}</span>${t.reason ? `<div class="reason">${esc(t.reason)}</div>` : ''}${notesHtml(t)} <a href="allure-report/index.html" title="search the Allure report for this title">Allure</a>${ev}</li>`;
          })
          .join('');
        body.push(
          `<li id="${esc(r.id)}" class="item s-${r.status}"><span class="mark">${MARKS[r.status]}</span> <code class="id">${esc(r.id)}</code> ${inline(r.text)} <span class="kind">${r.kind}${r.required ? '' : ', not required'}</span>`,
          `<div class="why">${esc(describe(r))}${r.durationMs > 0 ? ` · ${esc(fmtDuration(r.durationMs))}` : ''}</div>`,
          tests ? `<ul class="tests">${tests}</ul>` : '',
        );
        break;
      }
      case 'logrows':
        table = null; // the original header rows; the generated table has its own
        body.push('<table><thead><tr><th>Timestamp</th><th>Action</th><th>Status</th><th>Notes</th></tr></thead><tbody>');
        for (const row of log) body.push(`<tr class="s-${row.status}"><td>${esc(fmtTime(row.timestamp))}</td><td>${esc(row.action)}</td><td>${MARKS[row.status]}</td><td>${esc(row.notes)}</td></tr>`);
        body.push('</tbody></table>');
        break;
      case 'status':
        if (b.which === 'status') body.push(`<p class="final v-${result.verdict.result.toLowerCase()}"><strong>Deployment Status</strong>: ${esc(verdictText(result))}</p>`);
        else if (b.which === 'date') body.push(`<p><strong>Completion Date</strong>: ${esc(fmtTime(result.run.endTime))}</p>`);
        else body.push(`<p><strong>Sign-off</strong>: ${esc(signoffText(result))}</p>`);
        break;
    }
  }
  closeLists(-1);
  flushTable();
  if (result.verdict.blockingLeaves.length) {
    body.push('<h3>Items that block the release</h3><ul>');
    for (const id of result.verdict.blockingLeaves) {
      const r = result.items.find((x) => x.id === id)!;
      body.push(`<li class="s-${r.status}">${MARKS[r.status]} <a href="#${esc(id)}"><code>${esc(id)}</code></a> ${inline(r.text)} — ${esc(describe(r))}</li>`);
    }
    body.push('</ul>');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(checklist.doc.source.title)} – ${esc(result.verdict.result)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
code{background:#f3f3f3;padding:0 3px;border-radius:3px}pre{background:#f3f3f3;padding:.6em}
ul{list-style:none;padding-left:1.4em}li.item{margin:.25em 0;border-left:3px solid #ccc;padding-left:.4em}li.s-passed{border-left-color:#2a2}li.s-failed{border-left-color:#c22}li.s-not_verified{border-left-color:#bbb}li.s-attested{border-left-color:#26c}li.s-waived{border-left-color:#e90}li.s-not_run{border-left-color:#eee}.mark{font-size:1.05em}.id{font-weight:600}
.kind,.meta{color:#777;font-size:.85em}.why{color:#555;font-size:.9em;margin-left:1.6em}.reason{color:#a00;font-size:.9em}.info,.measured{color:#555;font-size:.85em}.warning{color:#a60;font-size:.85em}
ul.tests{font-size:.88em;margin:.1em 0 .3em .6em}.t-failed{color:#a00}.t-skipped{color:#666}
.s-failed>.why{color:#a00;font-weight:600}.s-waived>.why{color:#a60}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.runinfo{border:1px solid #ccc;border-left:6px solid #999;padding:.2em 1em;margin:1em 0}.v-passed{border-left-color:#2a2}.v-failed{border-left-color:#c22}.v-incomplete{border-left-color:#cc2}
.verdict{font-size:1.2em;font-weight:600}.legend{color:#666;font-size:.85em}.final{font-size:1.1em}
</style></head><body>
${body.join('\n')}
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
      reason: r.reason ?? null,
      decidedBy: r.decidedBy,
      durationMs: r.durationMs,
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
