/**
 * Failure messages a release manager can act on: the problem summary (checks/problems.ts), the
 * `toHaveNoProblems` matcher (fixtures/matchers.ts), expiry figures in words (checks/tls.ts), and a static scan
 * of the specs: every assertion states its cause (a message, or the matcher whose `what` is one).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { expect as baseExpect } from '@playwright/test';
import { REPO_ROOT } from '../core/paths.ts';
import { groupProblems, listPlaces, shorten, splitSubject, summarizeProblems, SUMMARY_MAX_CHARS } from '../checks/problems.ts';
import { gradeTls } from '../checks/security.ts';
import { checkDaysLeft, tlsFiles, whenExpires } from '../checks/tls.ts';
import { resolveFiles } from '../checks/discover.ts';
import { contractProfile } from '../core/profile.ts';
import { matchers } from '../fixtures/matchers.ts';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
import { failureOf, GOOD_TLS } from './helpers.ts';

const ROUTES: Array<[string, string, number]> = [
  ['web UI (anonymous, 401)', '/', 401],
  ['web UI (admin)', '/', 200],
  ['/health', '/health', 200],
  ['API route', '/api/v1/documents?limit=1', 200],
  ['API 404', '/api/v1/no-such-route', 404],
  ['Nginx 404 (dotfile)', '/.env', 404],
  ['upload without credentials (401)', '/api/v1/documents/upload', 401],
];
const HEADERS = ['Strict-Transport-Security', 'Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', 'Referrer-Policy', 'Permissions-Policy', 'Cross-Origin-Opener-Policy', 'Cache-Control'];
/** The shape network-security.spec.ts builds: `<route name> (<path>, <status>): <header problem>`. */
const headerProblems = (headers: string[], routes = ROUTES): string[] => routes.flatMap(([n, p, s]) => headers.map((h) => `${n} (${p}, ${s}): missing ${h}`));

describe('problem summary (checks/problems.ts)', () => {
  test('the cause and the count lead; the same cause on every route is one group', () => {
    const s = summarizeProblems('security headers', headerProblems(HEADERS), { evidence: 'security headers per route' });
    assert.match(s, /^security headers: 56 problems – missing Strict-Transport-Security, missing Content-Security-Policy, missing X-Frame-Options \(\+5 more\) on web UI \(anonymous, 401\) \(\/, 401\), web UI \(admin\) \(\/, 200\), \/health \(\/health, 200\) \(\+4 more\)/);
    assert.match(s, /; evidence: “security headers per route”$/);
    assert.ok(s.length <= SUMMARY_MAX_CHARS, `${s.length} characters`);
  });

  test('one missing header on some routes: "missing X on a, b, c (+N more)"', () => {
    const s = summarizeProblems('security headers', [...headerProblems(['Strict-Transport-Security']), 'http://…/ should redirect permanently to https, got 200 ']);
    assert.match(s, /^security headers: 8 problems – missing Strict-Transport-Security on web UI \(anonymous, 401\) \(\/, 401\), web UI \(admin\) \(\/, 200\), \/health \(\/health, 200\) \(\+4 more\); http:\/\/…\/ should redirect permanently to https, got 200$/);
  });

  test('problems that differ only by their route are one group; the rest follow in list order', () => {
    const files = ['/.env', '/.env.production', '/docker-compose.production.yml', '/.git/config', '/backup.sql'].map((p) => `GET ${p} answered 200 (expected 404 or 403)`);
    const groups = groupProblems(['an unauthenticated POST /settings changed the settings (similarity_threshold is 0.99)', ...files]);
    assert.deepEqual(groups.map((g) => [g.text, g.count]), [
      ['GET /.env, /.env.production, /docker-compose.production.yml (+2 more) answered 200 (expected 404 or 403)', 5],
      ['an unauthenticated POST /settings changed the settings (similarity_threshold is 0.99)', 1],
    ]);
  });

  test('several causes at one place are one group; identical problems are counted', () => {
    const groups = groupProblems(['ssl/server.key: mode 644, must be 600', 'ssl/server.key: owned by root', 'disk full', 'disk full']);
    assert.deepEqual(groups.map((g) => g.text), ['ssl/server.key: mode 644, must be 600, owned by root', 'disk full (×2)']);
  });

  test('a long first problem is shortened at a word boundary, later ones only while they fit; "and N more" counts the rest', () => {
    const long = `POST /api/v1/documents/upload with missing credentials answered 200 (expected 401): ${'{"documents":[{"doc_id":"6d1f","title":"auth-probe.txt"}]} '.repeat(6)}`;
    const s = summarizeProblems('API access control', [long, ...Array.from({ length: 30 }, (_, i) => `problem number ${i} with its own cause`)]);
    assert.ok(s.length <= SUMMARY_MAX_CHARS, `${s.length} characters`);
    assert.match(s, /^API access control: 31 problems – POST \/api\/v1\/documents\/upload with missing credentials answered 200 \(expected 401\): .*…; /);
    assert.match(s, /; and \d+ more$/);
    assert.equal(summarizeProblems('x', []), 'x: no problems');
    assert.equal(summarizeProblems('x', ['one']), 'x: 1 problem – one');
  });

  test('helpers: subject split outside brackets, place lists, word-boundary shortening', () => {
    assert.deepEqual(splitSubject('web UI (a: b) (/, 401): missing X'), { subject: 'web UI (a: b) (/, 401)', cause: 'missing X' });
    assert.equal(splitSubject('no colon here'), undefined);
    assert.equal(listPlaces(['a', 'b', 'c', 'd', 'e']), 'a, b, c (+2 more)');
    assert.equal(shorten('alpha beta gamma delta', 15), 'alpha beta…');
  });
});

describe('toHaveNoProblems (fixtures/matchers.ts)', () => {
  const expect = baseExpect.extend(matchers);

  test('passes on an empty list; fails on problems with the cause first, then the matcher line, then the whole list', () => {
    expect([]).toHaveNoProblems('security headers');
    const m = failureOf(() => expect(headerProblems(['Strict-Transport-Security'])).toHaveNoProblems('security headers', { evidence: 'security headers per route' }));
    const [summary, hint, ...rest] = m.split('\n\n');
    assert.match(summary!, /^security headers: 7 problems – missing Strict-Transport-Security on web UI/);
    assert.match(hint!, /^expect\(received\)\.toHaveNoProblems\("security headers"\)$/);
    assert.match(rest.join('\n\n'), /^all 7:\n {2}- web UI \(anonymous, 401\) \(\/, 401\): missing Strict-Transport-Security\n/);
  });

  test('anything but a list fails (as toEqual([]) did); .not asks for problems', () => {
    assert.match(failureOf(() => expect(undefined).toHaveNoProblems('ports')), /^ports: the check produced no list of problems \(got undefined\)/);
    assert.match(failureOf(() => expect([]).not.toHaveNoProblems('ports')), /^ports: expected problems, found none/);
    expect(['x']).not.toHaveNoProblems('ports');
  });
});

describe('expiry in words (checks/tls.ts)', () => {
  test('never "in -N days": past expiries read "N days ago"', () => {
    assert.equal(whenExpires(30), 'in 30 days');
    assert.equal(whenExpires(1), 'in 1 day');
    assert.equal(whenExpires(0), 'in less than a day');
    assert.equal(whenExpires(-1), 'less than a day ago');
    // Expired 2.5 days ago: Math.floor gives -3, the certificate ended 2 whole days ago.
    assert.equal(whenExpires(Math.floor(-2.5)), '2 days ago');
  });

  test('PRE-TLS-3 on certificates past their end: "expired on D, N days ago"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'problems-selftest-'));
    try {
      const deploy = prepareHermeticDeployDir(join(dir, 'deploy'));
      const later = new Date(Date.now() + 4000 * 86_400_000);
      const c = checkDaysLeft(deploy, tlsFiles(deploy, resolveFiles(deploy, contractProfile())), later);
      assert.ok(c.problems.length > 0);
      for (const p of c.problems) assert.match(p, /^ssl\/\S+.* expired on \d{4}-\d\d-\d\d, \d+ days ago; the checklist requires at least 90 days left \(renew it\)$/);
      for (const d of c.details) assert.match(d, /: expired \d{4}-\d\d-\d\d, \d+ days ago$/);
      assert.doesNotMatch([...c.problems, ...c.details].join('\n'), /in -\d|-\d+ days/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the TLS grade names an expired certificate the same way', () => {
    assert.deepEqual(gradeTls({ ...GOOD_TLS, daysLeft: -3 }, 90).reasons, ['F: certificate expired 2 days ago']);
  });
});

// ------------------------------------------------------------------------------------------ static scan

export interface ExpectCall {
  line: number;
  /** Arguments of `expect(...)`: 1 = no message. */
  args: number;
  matcher: string;
}

/**
 * The `expect(...)` calls of a TypeScript source with their argument count and matcher, by a small lexer that
 * skips comments, strings, template literals and regular expressions (so brackets inside them do not count).
 */
export function expectCalls(text: string): ExpectCall[] {
  const calls: ExpectCall[] = [];
  const lineAt = (i: number): number => text.slice(0, i).split('\n').length;
  /** Index after the string/template/regex/comment starting at i, or i when none starts there. */
  const skip = (i: number, prev: string): number => {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') return text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    if (c === '/' && text[i + 1] === '*') return text.indexOf('*/', i + 2) + 2;
    if (c === '\'' || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      return j + 1;
    }
    if (c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== '`') {
        if (text[j] === '\\') j += 2;
        else if (text[j] === '$' && text[j + 1] === '{') j = balanced(j + 1).end + 1;
        else j += 1;
      }
      return j + 1;
    }
    if (c === '/' && /[(,=:[!&|?{};+\-*%<>~^]|^$|return$/.test(prev)) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length && (inClass || text[j] !== '/')) {
        if (text[j] === '\\') j += 1;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j += 1;
      }
      return j + 1;
    }
    return i;
  };
  /** From an opening bracket at `open`: the index of its closing bracket and the commas at its top level. */
  function balanced(open: number): { end: number; commas: number } {
    let depth = 0;
    let commas = 0;
    let prev = '';
    for (let i = open; i < text.length;) {
      const after = skip(i, prev);
      if (after !== i) {
        i = after;
        prev = 'x';
        continue;
      }
      const c = text[i]!;
      if ('([{'.includes(c)) depth += 1;
      else if (')]}'.includes(c)) {
        depth -= 1;
        if (depth === 0) return { end: i, commas };
      } else if (c === ',' && depth === 1) commas += 1;
      if (!/\s/.test(c)) prev = /\w/.test(c) ? (/return$/.test(text.slice(Math.max(0, i - 5), i + 1)) ? 'return' : 'x') : c;
      i += 1;
    }
    return { end: text.length, commas };
  }
  let prev = '';
  for (let i = 0; i < text.length;) {
    const after = skip(i, prev);
    if (after !== i) {
      i = after;
      prev = 'x';
      continue;
    }
    const m = /^expect(?:\.(?:soft|poll))?\(/.exec(text.slice(i, i + 13));
    if (m && !/[\w.$]/.test(text[i - 1] ?? '')) {
      const open = i + m[0].length - 1;
      const { end, commas } = balanced(open);
      const chain = /^(?:\s*\.\s*(?:not|resolves|rejects))*\s*\.\s*(\w+)/.exec(text.slice(end + 1, end + 200));
      // A trailing comma (`expect(x,\n)`) is no message.
      const trailing = /,\s*$/.test(text.slice(open + 1, end));
      calls.push({ line: lineAt(i), args: commas + 1 - (trailing ? 1 : 0), matcher: chain?.[1] ?? '?' });
      i = open + 1;
      prev = '(';
      continue;
    }
    const c = text[i]!;
    if (!/\s/.test(c)) prev = /\w/.test(c) ? (/return$/.test(text.slice(Math.max(0, i - 5), i + 1)) ? 'return' : 'x') : c;
    i += 1;
  }
  return calls;
}

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? specFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('every assertion in the specs states its cause', () => {
  test('the scan sees messages, matchers and the brackets inside strings, templates and regular expressions', () => {
    const src = [
      'expect(a).toEqual([]);',
      'expect(b, `x ${f(1, 2)} y`).toBe(0);',
      'expect(c.filter((x) => /[(,]"/.test(x))).not.toEqual([]); // expect(d).toBe(1)',
      'await expect.soft(e, \'m, n\').toHaveLength(0);',
      'expect(f).toHaveNoProblems(\'what\');',
      'const s = "expect(g).toBe(1)";',
    ].join('\n');
    assert.deepEqual(expectCalls(src), [
      { line: 1, args: 1, matcher: 'toEqual' },
      { line: 2, args: 2, matcher: 'toBe' },
      { line: 3, args: 1, matcher: 'toEqual' },
      { line: 4, args: 2, matcher: 'toHaveLength' },
      { line: 5, args: 1, matcher: 'toHaveNoProblems' },
    ]);
  });

  test('no expect(...) in tests/ without a message, except toHaveNoProblems (its `what` is the message)', () => {
    const bare: string[] = [];
    let seen = 0;
    for (const file of specFiles(join(REPO_ROOT, 'tests'))) {
      for (const c of expectCalls(readFileSync(file, 'utf8'))) {
        seen += 1;
        if (c.args < 2 && c.matcher !== 'toHaveNoProblems') bare.push(`${relative(REPO_ROOT, file)}:${c.line}: expect(…).${c.matcher} without a message – its checklist line would say only "${'no cause given by the test'}"`);
      }
    }
    assert.ok(seen > 200, `the scan found only ${seen} expect calls`);
    assert.deepEqual(bare, []);
  });
});
