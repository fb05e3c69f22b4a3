/**
 * The cause of a failed test in words, for its checklist line (checklist.md, .html and .json carry the same text).
 *
 * Playwright's error message is `Error: <the test's message>\n\n<matcher line>\n\n<Expected/Received or a diff>`;
 * what precedes the matcher line (`expect(received).toEqual(expected) // deep equality`) is the cause the test
 * gave, and the figures below it are added when short. A message that is only Playwright's matcher output
 * states no cause: its line says so (NO_CAUSE), and `npm run gate -- --check-causes` fails on it.
 */

/** Leads a failed test's message when the test gave no cause in words (only the matcher's output). */
export const NO_CAUSE = 'no cause given by the test: ';
/** A test's message on the checklist line is at most this long. */
export const MAX_CAUSE_CHARS = 400;
/** A figure (expected, received value) or a listed item is shortened to this. */
const MAX_FIGURE_CHARS = 100;
/** Items of a diff against an empty list named before "(+N more)". */
const MAX_ITEMS = 3;

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export const stripAnsi = (s: string): string => s.replace(ANSI, '');

/** Playwright's matcher line: `expect(received).toBe(expected) // Object.is equality`, `expect(locator).toBeVisible() failed`. */
const MATCHER_HEADER = /^(?:Error: )?expect(?:\.\w+)?\([^)]*\)(?:\.(?:not|resolves|rejects))*\.\w+\(.*\)/;
/** Where the cause ends: Playwright's action log, a code snippet (`> 12 |`), a stack frame. */
const END_OF_CAUSE = /^\s*Call log:\s*$|^\s*Call Log:\s*$|^\s*(?:>\s*)?\d+ \|(?: |$)|^\s*\|\s+\^|^\s+at .*:\d+:\d+\)?$/;
const FIGURE = /^(Expected|Received|Error)(?: [a-z]+)?:\s+(.*\S)\s*$/;
const DIFF_COUNT = /^[-+] (?:Expected|Received)\s+[-+]\s*\d+$/;

/** Shortens at a word boundary, marking the cut with "…". */
function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, Math.max(1, max - 1));
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:·–-]+$/, '')}…`;
}

/**
 * Keeps a ` · `-joined message within `max` characters by whole parts ("…" marks the parts left out); only a
 * first part longer than `max` on its own is cut, at a word boundary.
 */
export function fit(text: string, max = MAX_CAUSE_CHARS): string {
  if (text.length <= max) return text;
  const parts = text.split(' · ');
  let out = parts[0]!;
  if (out.length > max - 2) return shorten(out, max);
  for (const p of parts.slice(1)) {
    if (out.length + 3 + p.length + 4 > max) break;
    out += ` · ${p}`;
  }
  return `${out} · …`;
}

/** Lines as one line: bullets and box borders dropped, a repeated line once, parts joined by " · " (after a colon by a space). */
function joinLines(lines: readonly string[]): string {
  let out = '';
  let last = '';
  for (const raw of lines) {
    const l = raw.trim().replace(/^[-•*]\s+/, '').replace(/^[║│]\s*|\s*[║│]$/g, '');
    if (!l || /^[═─╔╗╚╝┌┐└┘\s]+$/.test(l) || l === last) continue;
    out = out === '' ? l : /:$/.test(out) ? `${out} ${l}` : `${out} · ${l}`;
    last = l;
  }
  return out;
}

/** A value as Playwright printed it (`"text"`, `200`, `[401, 403]`), quotes kept only where they say something. */
function value(s: string): string {
  const t = s.trim().replace(/,$/, '');
  if (/^".*"$/.test(t)) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return t.slice(1, -1);
    }
  }
  return t;
}

/** The items of a diff against an empty list (`- Array []` / `+ Array [` / `+   "item",`), else undefined. */
function emptyListDiff(detail: readonly string[]): string[] | undefined {
  const start = detail.findIndex((l) => /^- Array \[\]$/.test(l.trim()));
  if (start < 0 || !/^\+ Array \[$/.test(detail[start + 1]?.trim() ?? '')) return undefined;
  const items: string[] = [];
  for (const l of detail.slice(start + 2)) {
    if (/^\+ \]$/.test(l.trim())) break;
    const m = /^\+ {3}(\S.*)$/.exec(l);
    if (m) items.push(value(m[1]!));
  }
  return items;
}

/** Whether `text` already names `v` (as a word, not inside another number or word). */
function mentions(text: string, v: string): boolean {
  return v !== '' && new RegExp(`(?:^|[^\\w.])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:$|[^\\w])`).test(text);
}

/** Short figures from the matcher's output: ` (expected X, received Y)`, or the received items of a diff against []. */
function figures(detail: readonly string[], known: string): string {
  const items = emptyListDiff(detail);
  if (items) {
    const shown = items.slice(0, MAX_ITEMS).map((i) => shorten(i, MAX_FIGURE_CHARS));
    return ` – received ${items.length}: ${shown.join('; ')}${items.length > MAX_ITEMS ? ` (+${items.length - MAX_ITEMS} more)` : ''}`;
  }
  if (detail.some((l) => DIFF_COUNT.test(l.trim()))) {
    // Another diff: its first changed lines.
    const changed = detail.filter((l) => /^[-+] {2,}\S/.test(l)).slice(0, 4).map((l) => `${l[0] === '-' ? 'expected' : 'received'} ${shorten(value(l.slice(1)), MAX_FIGURE_CHARS)}`);
    return changed.length ? ` (${changed.join(', ')})` : '';
  }
  const found = new Map<string, string>();
  for (const l of detail) {
    const m = FIGURE.exec(l.trim());
    if (m && !found.has(m[1]!)) found.set(m[1]!, value(m[2]!));
  }
  const received = found.get('Received');
  if (received !== undefined && mentions(known, received)) return '';
  const parts = [
    found.has('Expected') ? `expected ${shorten(found.get('Expected')!, MAX_FIGURE_CHARS)}` : '',
    received !== undefined ? `received ${shorten(received, MAX_FIGURE_CHARS)}` : '',
    found.has('Error') ? shorten(found.get('Error')!, MAX_FIGURE_CHARS) : '',
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * The cause in one line (≤ 400 characters) from a Playwright error message: the test's own message before the
 * matcher line, with short figures; without one, NO_CAUSE and the matcher's figures; a thrown error's text up to
 * its call log, code snippet or stack.
 */
export function causeOf(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const all = stripAnsi(message).replace(/\r/g, '').split('\n');
  const end = all.findIndex((l) => END_OF_CAUSE.test(l));
  const lines = (end >= 0 ? all.slice(0, end) : all).map((l) => l.trimEnd());
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return undefined;
  lines[first] = lines[first]!.trim().replace(/^Error: /, '');
  const header = lines.findIndex((l) => MATCHER_HEADER.test(l.trim()));
  if (header < 0) {
    const waiting = end >= 0 && /^\s*Call log:/.test(all[end]!) ? all.slice(end + 1).map((l) => /^\s*-\s*(waiting for .*\S)\s*$/.exec(l)?.[1]).find(Boolean) : undefined;
    return fit(joinLines([...lines, ...(waiting ? [waiting] : [])])) || undefined;
  }
  const own = joinLines(lines.slice(0, header));
  const detail = lines.slice(header + 1);
  if (own) return fit(`${own}${figures(detail, own)}`);
  const matcher = lines[header]!.trim().replace(/^Error: /, '').replace(/\s*\/\/.*$/, '').replace(/\s+failed$/, '');
  return fit(`${NO_CAUSE}${matcher}${figures(detail, '')}`);
}

interface ResultLike {
  status?: string;
  error?: { message?: string; value?: string };
  errors?: Array<{ message?: string; value?: string }>;
}

/** A failed or timed-out result's cause; a timeout adds what was running when time ran out. */
export function failureCause(result: ResultLike | undefined): string {
  const messages = [result?.error, ...(result?.errors ?? [])].map((e) => e?.message ?? e?.value).filter((m): m is string => !!m);
  const causes = [...new Set(messages.map(causeOf).filter((c): c is string => !!c))];
  if (result?.status === 'timedOut') {
    const timeout = causes.find((c) => /^Test timeout of \d+ms exceeded/.test(c));
    const during = causes.filter((c) => c !== timeout);
    return fit(`timed out: ${[timeout ?? 'Test timeout exceeded', ...during.slice(0, 1)].join(' · ')}`);
  }
  if (causes[0]) return causes[0];
  return result?.status === 'interrupted' ? 'interrupted: the run stopped before this test finished' : 'test failed';
}

/** Whether a failed test's message states a cause: not empty, not "test failed", not only a matcher's output. */
export function statesCause(message: string | null | undefined): boolean {
  const m = (message ?? '').replace(/^timed out: /, '').trim();
  if (m === '' || m.startsWith(NO_CAUSE)) return false;
  if (/^test (?:failed|timedOut|interrupted|unexpected)$/i.test(m)) return false;
  return !MATCHER_HEADER.test(m) && !/^(?:- Expected|\+ Received|Expected:|Received:)/.test(m);
}

/** The checklist lines whose failed tests state no cause, as `<ID> “<test>”: <message>` (reports/checklist.json's items). */
export function linesWithoutCause(items: ReadonlyArray<{ id: string; status: string; reason?: string | null; tests: ReadonlyArray<{ title: string; outcome: string; reason?: string | null }> }>): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (item.status !== 'failed') continue;
    const failed = item.tests.filter((t) => t.outcome === 'failed');
    if (failed.length === 0 && !item.reason?.trim()) out.push(`${item.id}: failed without a message`);
    for (const t of failed) if (!statesCause(t.reason)) out.push(`${item.id} “${t.title}”: ${t.reason?.trim() || '(no message)'}`);
  }
  return out;
}
