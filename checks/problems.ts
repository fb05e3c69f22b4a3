/**
 * A list of problems in one line a release manager can act on: the count, then the problems grouped where they
 * differ only by where they occur, e.g.
 *   security headers: 56 problems – missing Strict-Transport-Security on /, /health, /api/v1/documents (+4 more); …
 * Pure functions; fixtures/matchers.ts (`toHaveNoProblems`) puts the summary at the head of a failed assertion's
 * message, which is what checklist/results.ts writes on the item's line. selftest/problems.test.ts covers them.
 */

/** How long the one-line summary may get: the checklist line keeps at most 400 characters of a test's message. */
export const SUMMARY_MAX_CHARS = 360;
/** Problem groups shown before "and N more". */
const MAX_GROUPS = 5;
/** Places named per group before "(+N more)". */
const MAX_PLACES = 3;
/** A place (route, subject) longer than this is shortened in a group's list. */
const MAX_PLACE_CHARS = 60;
/** Every group after the first is shortened to this; the first gets whatever the budget leaves. */
const MAX_GROUP_CHARS = 140;
/** The first group is never shortened below this, even under a long `what`. */
const MIN_FIRST_GROUP_CHARS = 150;

export interface SummaryOptions {
  /** Name of the evidence attachment with the full list or the log behind it (`; evidence: “…”`). */
  evidence?: string;
  /** Overall length limit of the summary. */
  maxChars?: number;
}

/** One group of problems: its text in the summary and how many problems it stands for. */
export interface ProblemGroup {
  text: string;
  count: number;
  /** Index of its first problem in the list (groups keep the list's order among equal counts). */
  first: number;
}

/** One line of text: whitespace (newlines included) collapsed. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Shortens at a word boundary, marking the cut with "…". */
export function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, Math.max(1, max - 1));
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:·–-]+$/, '')}…`;
}

/** A problem as text: strings as they are, tuples joined by spaces, anything else as JSON. */
export function problemText(p: unknown): string {
  if (typeof p === 'string') return p;
  if (Array.isArray(p)) return p.map(problemText).join(' ');
  if (p === undefined) return 'undefined';
  if (typeof p === 'object' && p !== null) return JSON.stringify(p);
  return String(p);
}

/** "a, b, c (+N more)" */
export function listPlaces(places: readonly string[], max = MAX_PLACES): string {
  const shown = places.slice(0, max).map((p) => shorten(p, MAX_PLACE_CHARS));
  return `${shown.join(', ')}${places.length > max ? ` (+${places.length - max} more)` : ''}`;
}

/** A route or URL in a problem: `/api/v1/documents`, `/`, `https://host/x` (not the `/` inside `ssl/server.crt` or `1.0/1.1`). */
const ROUTE = /(?<=^|[\s(["'])(?:https?:\/\/[^\s,;)"']+|\/[^\s,;:)"']*)/g;

function routesOf(p: string): string[] {
  return [...p.matchAll(ROUTE)].map((m) => m[0]);
}

/** "subject: cause" split at the first ": " outside brackets and quotes; undefined when there is none. */
export function splitSubject(p: string): { subject: string; cause: string } | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < p.length - 1; i++) {
    const c = p[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"') quote = c;
    else if ('([{'.includes(c)) depth += 1;
    else if (')]}'.includes(c)) depth = Math.max(0, depth - 1);
    else if (c === ':' && p[i + 1] === ' ' && depth === 0 && i > 0) {
      const subject = p.slice(0, i).trim();
      const cause = p.slice(i + 2).trim();
      return subject && cause ? { subject, cause } : undefined;
    }
  }
  return undefined;
}

interface Pending {
  text: string;
  index: number;
  count: number;
}

interface Cluster {
  key: string;
  places: string[];
  members: Pending[];
}

/** Clusters the members of `items` that share `keyOf` at two or more places; the rest stay as they are. */
function cluster(items: Pending[], keyOf: (p: Pending) => { key: string; place: string } | undefined): { clusters: Cluster[]; rest: Pending[] } {
  const byKey = new Map<string, Array<{ item: Pending; place: string }>>();
  for (const item of items) {
    const k = keyOf(item);
    if (k) byKey.set(k.key, [...(byKey.get(k.key) ?? []), { item, place: k.place }]);
  }
  const clusters: Cluster[] = [];
  for (const [key, members] of byKey) {
    const places = [...new Set(members.map((m) => m.place))];
    if (places.length >= 2) clusters.push({ key, places, members: members.map((m) => m.item) });
  }
  const taken = new Set(clusters.flatMap((c) => c.members));
  return { clusters, rest: items.filter((i) => !taken.has(i)) };
}

function group(text: string, members: Pending[]): ProblemGroup {
  return { text, count: members.reduce((n, m) => n + m.count, 0), first: Math.min(...members.map((m) => m.index)) };
}

type Pass = (items: Pending[]) => { groups: ProblemGroup[]; rest: Pending[] };

/** Problems that differ only by their one route: "GET /.env, /.git/config (+7 more) answered 200". */
const byRoute: Pass = (items) => {
  const { clusters, rest } = cluster(items, (p) => {
    const routes = routesOf(p.text);
    return routes.length === 1 ? { key: p.text.replace(routes[0]!, '\u0000'), place: routes[0]! } : undefined;
  });
  return { groups: clusters.map((c) => group(c.key.replace('\u0000', listPlaces(c.places)), c.members)), rest };
};

/** "<place>: <cause>" with one cause at several places; causes found at the very same places go together. */
const byCause: Pass = (items) => {
  const { clusters, rest } = cluster(items, (p) => {
    const s = splitSubject(p.text);
    return s && { key: s.cause, place: s.subject };
  });
  const samePlaces = new Map<string, Cluster[]>();
  for (const c of clusters) {
    const k = c.places.join('\u0001');
    samePlaces.set(k, [...(samePlaces.get(k) ?? []), c]);
  }
  const groups = [...samePlaces.values()].map((cs) => group(`${listPlaces(cs.map((c) => c.key))} on ${listPlaces(cs[0]!.places)}`, cs.flatMap((c) => c.members)));
  return { groups, rest };
};

/** Several causes at one place: "a: x, y, z". */
const bySubject: Pass = (items) => {
  const { clusters, rest } = cluster(items, (p) => {
    const s = splitSubject(p.text);
    return s && { key: s.subject, place: s.cause };
  });
  return { groups: clusters.map((c) => group(`${c.key}: ${listPlaces(c.places)}`, c.members)), rest };
};

function runPasses(items: Pending[], passes: Pass[]): ProblemGroup[] {
  const groups: ProblemGroup[] = [];
  let rest = items;
  for (const pass of passes) {
    const r = pass(rest);
    groups.push(...r.groups);
    rest = r.rest;
  }
  return [...groups, ...rest.map((p) => group(p.count > 1 ? `${p.text} (×${p.count})` : p.text, [p]))];
}

/**
 * Groups a problem list, largest groups first: identical problems counted once ("… (×3)"); problems that
 * differ only by their route ("GET /.env, /.git/config (+7 more) answered 200"); problems with the same
 * cause at different places ("missing X on a, b, c (+4 more)"; causes at the very same places together:
 * "missing X, missing Y on a, b"); several causes at one place ("a: x, y, z"). Routes are grouped first, or
 * causes first when that gives fewer groups.
 */
export function groupProblems(problems: readonly unknown[]): ProblemGroup[] {
  const seen = new Map<string, Pending>();
  problems.forEach((p, index) => {
    const text = oneLine(problemText(p)) || '(empty problem)';
    const had = seen.get(text);
    if (had) had.count += 1;
    else seen.set(text, { text, index, count: 1 });
  });
  const items = [...seen.values()];
  const routeFirst = runPasses(items, [byRoute, byCause, bySubject]);
  const causeFirst = runPasses(items, [byCause, byRoute, bySubject]);
  const groups = causeFirst.length < routeFirst.length ? causeFirst : routeFirst;
  return groups.sort((a, b) => b.count - a.count || a.first - b.first);
}

/**
 * The one-line summary: `<what>: <N> problems – <group>; <group>; and M more; evidence: “<name>”`.
 * The first group is shown whole when it fits the limit (and never cut below 150 characters); later groups
 * only while they fit. An empty list reads `<what>: no problems`.
 */
export function summarizeProblems(whatText: string, problems: readonly unknown[], opts: SummaryOptions = {}): string {
  const what = oneLine(whatText);
  const n = problems.length;
  if (n === 0) return `${what}: no problems`;
  const max = opts.maxChars ?? SUMMARY_MAX_CHARS;
  const head = `${what}: ${n} problem${n === 1 ? '' : 's'} – `;
  const evidence = opts.evidence ? `; evidence: “${opts.evidence}”` : '';
  const groups = groupProblems(problems);
  const moreText = (m: number): string => (m > 0 ? `; and ${m} more` : '');
  const reserve = evidence.length + moreText(n).length;
  const parts: string[] = [];
  let shown = 0;
  let used = head.length;
  for (const g of groups) {
    if (parts.length >= MAX_GROUPS) break;
    const room = max - used - reserve - (parts.length ? 2 : 0);
    if (parts.length === 0) {
      parts.push(shorten(g.text, Math.max(room, MIN_FIRST_GROUP_CHARS)));
    } else {
      const text = shorten(g.text, MAX_GROUP_CHARS);
      if (text.length > room) break;
      parts.push(text);
    }
    used += parts[parts.length - 1]!.length + (parts.length > 1 ? 2 : 0);
    shown += g.count;
  }
  return `${head}${parts.join('; ')}${moreText(n - shown)}${evidence}`;
}

/** The whole list, one problem per line (for the body of a message or an evidence attachment). */
export function listProblems(problems: readonly unknown[], max = 200): string {
  const lines = problems.slice(0, max).map((p) => `  - ${problemText(p).replace(/\n/g, '\n    ')}`);
  if (problems.length > max) lines.push(`  … and ${problems.length - max} more`);
  return lines.join('\n');
}
