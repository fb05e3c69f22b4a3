/**
 * Unit tests of lib/envfile.ts: every rule of Docker Compose's env-file syntax as its documentation states it
 * (docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/#env-file-syntax), malformed lines
 * reported with file:line without stopping the parse, and the reference deployment's generated .env.production
 * read exactly as the parser before it read it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../core/paths.ts';
import { envMap, parseEnvText, type Lookup } from '../lib/envfile.ts';

const FILE = '.env.production';

/** One line (or several) and the value Compose gives KEY (or `key`). */
interface Case {
  rule: string;
  text: string;
  value: string | undefined;
  key?: string;
  lookup?: Record<string, string>;
}

/** One documented rule: the env-file text, the value KEY (or `extra.key`) must read as, and the environment it sees. */
function row(rule: string, text: string, value: string | undefined, extra: Pick<Case, 'key' | 'lookup'> = {}): Case {
  return { rule, text, value, ...extra };
}

const CASES: Case[] = [
  // Each line is a key-value pair; values can optionally be quoted; spaces around the value are ignored.
  row('VAR=VAL', 'KEY=VAL', 'VAL'),
  row('VAR="VAL"', 'KEY="VAL"', 'VAL'),
  row("VAR='VAL'", "KEY='VAL'", 'VAL'),
  row('the delimiter may be ":"', 'KEY: VAL', 'VAL'),
  row('spaces around = and after the value are ignored', 'KEY = VAL  ', 'VAL'),
  row('leading blanks are ignored', '\t  KEY=VAL', 'VAL'),
  row('export before the name is ignored', 'export KEY=v', 'v'),
  row('a value may hold = and :', 'KEY=postgres://u@db:5432/x?a=b', 'postgres://u@db:5432/x?a=b'),
  row('VAR= is empty', 'KEY=', ''),
  row('VAR="" is empty', 'KEY=""', ''),
  // Inline comments for unquoted values must be preceded with a space.
  row('VAR=VAL # comment', 'KEY=a # b', 'a'),
  row('VAR=VAL# not a comment', 'KEY=a#b', 'a#b'),
  row('a comment right after = leaves the value empty', 'KEY= # comment', ''),
  // Inline comments for quoted values must follow the closing quote.
  row('VAR="VAL # not a comment"', 'KEY="a # b"', 'a # b'),
  row('VAR=\'VAL # not a comment\'', 'KEY=\'a # b\'', 'a # b'),
  row('VAR="VAL" # comment', 'BACKUP_SCHEDULE="0 2 * * *"  # Daily at 2 AM', '0 2 * * *', { key: 'BACKUP_SCHEDULE' }),
  row('VAR=\'VAL\'# comment', 'KEY=\'v\'# comment', 'v'),
  // Single-quoted values are used literally.
  row('VAR=\'$OTHER\'', 'KEY=\'$OTHER\'', '$OTHER'),
  row('VAR=\'${OTHER}\'', 'KEY=\'${OTHER}\'', '${OTHER}'),
  // Quotes can be escaped with \.
  row('VAR=\'Let\\\'s go!\'', 'KEY=\'Let\\\'s go!\'', 'Let\'s go!'),
  row('VAR="{\\"hello\\": \\"json\\"}"', 'KEY="{\\"hello\\": \\"json\\"}"', '{"hello": "json"}'),
  // Shell escapes \n \r \t \\ in double-quoted values only.
  row('VAR="some\\tvalue"', 'KEY="some\\tvalue"', 'some\tvalue'),
  row('VAR="a\\nb\\rc\\\\d"', 'KEY="a\\nb\\rc\\\\d"', 'a\nb\rc\\d'),
  row('VAR=\'some\\tvalue\'', 'KEY=\'some\\tvalue\'', 'some\\tvalue'),
  row('VAR=some\\tvalue', 'KEY=some\\tvalue', 'some\\tvalue'),
  // Quoted values can span lines.
  row('single-quoted over two lines', 'KEY=\'SOME\nVALUE\'', 'SOME\nVALUE'),
  row('double-quoted over three lines', 'KEY="first\n  second # kept\nthird"', 'first\n  second # kept\nthird'),
  // Unquoted and double-quoted values are interpolated ($VAR, ${VAR} and the braced forms); $$ is a literal $.
  row('${OTHER} of an earlier key', 'OTHER=x1\nKEY=${OTHER}-y', 'x1-y'),
  row('$OTHER in double quotes', 'OTHER=x1\nKEY="a $OTHER b"', 'a x1 b'),
  row('an unset name becomes ""', 'KEY=a${NOPE}b', 'ab'),
  row('a later key is not yet set', 'KEY=${LATER}\nLATER=1', ''),
  row('${VAR:-default} when unset or empty', 'E=\nKEY=${E:-d1}/${NOPE:-d2}', 'd1/d2'),
  row('${VAR-default} only when unset', 'E=\nKEY=${E-d1}/${NOPE-d2}', '/d2'),
  row('${VAR:+alt} when set and non-empty', 'S=1\nE=\nKEY=${S:+a}${E:+b}${E+c}${NOPE+d}', 'ac'),
  row('nested defaults', 'FOO=f\nKEY=${NOPE:-${FOO:-x}}', 'f'),
  row('${VAR:?error} when set', 'S=1\nKEY=${S:?needs S}', '1'),
  row('$$ is a literal $', 'KEY=a$$b', 'a$b'),
  row('\\$ is a literal $ in double quotes', 'KEY="a\\$HOME"', 'a$HOME'),
  row('$ not followed by a name is kept', 'KEY=5$ $1', '5$ $1'),
  // Blank lines and # lines are ignored; a later definition wins; CRLF and a BOM are read.
  row('comments and blank lines', '# KEY=no\n\n   # indented\nKEY=yes', 'yes'),
  row('a later definition wins', 'KEY=1\nKEY=2', '2'),
  row('CRLF line ends', '﻿KEY=v\r\nOTHER=w\r\n', 'v'),
];

/** The environment Compose runs in (`lookup`): a line with a name alone takes its value from it, and it wins over the file. */
const FROM_ENVIRONMENT: Case[] = [
  row('VAR alone, not in the environment: unset', 'KEY', undefined),
  row('VAR alone: taken from the environment', 'KEY', 'from-shell', { lookup: { KEY: 'from-shell' } }),
  row('the environment wins over the file', 'OTHER=file\nKEY=${OTHER}', 'shell', { lookup: { OTHER: 'shell' } }),
];

function lookupOf(vars: Record<string, string> | undefined): Lookup | undefined {
  return vars ? (name) => vars[name] : undefined;
}

for (const c of [...CASES, ...FROM_ENVIRONMENT]) {
  test(`env file: ${c.rule}`, () => {
    const r = parseEnvText(c.text, FILE, lookupOf(c.lookup));
    assert.deepEqual(r.problems, []);
    const entries = r.entries.filter((e) => e.key === (c.key ?? 'KEY'));
    assert.equal(entries.at(-1)?.value, c.value);
  });
}

test('line numbers count the lines a quoted value spans', () => {
  const r = parseEnvText('# head\nA="1\n2\n3"\n\nB=2\n', FILE);
  assert.deepEqual(r.entries.map((e) => [e.key, e.line]), [['A', 2], ['B', 6]]);
});

test('an entry keeps the value as written when Compose changes it, and the names it could not resolve', () => {
  const [e] = parseEnvText('KEY="x\\ty$NOPE"', FILE).entries;
  assert.deepEqual(e, { key: 'KEY', value: 'x\ty', line: 1, raw: 'x\\ty$NOPE', unresolved: ['NOPE'] });
  assert.deepEqual(parseEnvText('KEY=plain', FILE).entries[0], { key: 'KEY', value: 'plain', line: 1 });
});

/** A malformed line: the problem's line, the variable it names (if any) and the message; the other entries survive. */
const MALFORMED: Array<{ what: string; line: string; key?: string; message: RegExp }> = [
  { what: 'an unterminated double quote', line: 'BACKUP_SCHEDULE="0 2 * * *', key: 'BACKUP_SCHEDULE', message: /BACKUP_SCHEDULE's value opens a " quote that is never closed/ },
  { what: 'an unterminated single quote', line: "REDIS_PASSWORD='abc", key: 'REDIS_PASSWORD', message: /REDIS_PASSWORD's value opens a ' quote that is never closed/ },
  { what: 'text after the closing quote', line: 'KEY="a" b', key: 'KEY', message: /KEY has text after its closing " quote/ },
  { what: 'a space inside the name', line: 'MY VAR=1', message: /"MY VAR" contains a space/ },
  { what: 'a character no name has', line: 'lol$wut', message: /this line is not NAME=value: "\$" cannot be part of a variable name/ },
  { what: 'words without =', line: 'this line is wrong', message: /this line is not NAME=value \(no "="/ },
  { what: 'no name before =', line: '=value', message: /no variable name before "="/ },
  { what: 'a name starting with a digit', line: '1KEY=v', message: /the name starts with a digit, which Compose ignores/ },
  { what: 'an unterminated ${', line: 'KEY=a${B', key: 'KEY', message: /KEY's value has an unterminated "\$\{"\. Write \$\$ for a literal \$/ },
  { what: 'an unsupported ${…} form', line: 'KEY=${A/b/c}', key: 'KEY', message: /KEY's value has an invalid "\$\{…\}" expression/ },
  { what: '${VAR:?error} with VAR unset', line: 'KEY=${NOPE:?set it}', key: 'KEY', message: /KEY's value requires NOPE \(\$\{NOPE:\?…\}\), which is not set before it\. Set NOPE earlier/ },
];

for (const m of MALFORMED) {
  test(`a malformed line is reported with file:line, and the rest is read: ${m.what}`, () => {
    const secret = 'Zq8rT2mW9xK4vB7nL1pF6hJ3';
    const r = parseEnvText(`A=1\n${m.line}\nSECRET_KEY=${secret}\n`, FILE);
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    const p = r.problems[0]!;
    assert.equal(p.line, 2);
    assert.equal(p.key, m.key);
    assert.ok(p.message.startsWith(`${FILE}:2: `), p.message);
    assert.match(p.message, m.message);
    assert.deepEqual(r.entries.filter((e) => e.key !== m.key).map((e) => [e.key, e.line]), [['A', 1], ['SECRET_KEY', 3]]);
    assert.equal(r.entries.find((e) => e.key === 'SECRET_KEY')?.value, secret);
  });
}

test('a quote left open on its line does not swallow the variables after it', () => {
  // The reference file's comment on ADMIN_USER holds a ", which would close REDIS_PASSWORD's quote three lines on.
  const text = 'REDIS_PASSWORD="abc\nGRAFANA_PASSWORD=xyz\n\n# ADMIN_USER is fixed to "admin": see prometheus.yml\nADMIN_USER=admin\n';
  const r = parseEnvText(text, FILE);
  assert.deepEqual(r.problems.map((p) => [p.line, p.key]), [[1, 'REDIS_PASSWORD']]);
  assert.match(r.problems[0]!.message, /REDIS_PASSWORD's value opens a " quote that is not closed on its line \(the next " is on line 4, followed by more text\)/);
  assert.deepEqual(r.entries.map((e) => [e.key, e.value, e.line]), [['GRAFANA_PASSWORD', 'xyz', 2], ['ADMIN_USER', 'admin', 5]]);
});

test('no problem message shows the value of the line', () => {
  const value = 'Hunter2Hunter2Hunter2';
  const lines = [`P="${value}`, `P='${value}`, `P="${value}" tail`, `MY P=${value}`, `${value}$`, `${value}+x==`, `9${value}`, `P=\${${value}`, `P=\${${value}/x}`];
  for (const line of lines) {
    const [p] = parseEnvText(line, FILE).problems;
    assert.ok(p, line);
    assert.ok(!p.message.includes(value), p.message);
  }
});

test('envMap carries the problems and the NAME-only lines with the map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'envfile-'));
  try {
    const f = join(dir, FILE);
    writeFileSync(f, 'A=1\nB="x\nC\n');
    const env = envMap(f);
    assert.deepEqual([...env.keys()], ['A']);
    assert.deepEqual(env.problems.map((p) => [p.line, p.key]), [[2, 'B']]);
    assert.deepEqual(env.inherited, [{ key: 'C', line: 3 }]);
    assert.match(envMap(join(dir, 'missing')).problems[0]!.message, /missing: cannot be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The parser before this one (lib/envfile.ts at 14e7041), kept to prove that valid files read the same. */
function previousParse(text: string): Array<{ key: string; value: string; line: number }> {
  const entries: Array<{ key: string; value: string; line: number }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not KEY=VALUE`);
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
    else if (q === '"' || q === "'") throw new Error(`line ${i + 1}: unterminated ${q} quote`);
    entries.push({ key: m[1]!, value, line: i + 1 });
  });
  return entries;
}

test("the reference deployment's generated .env.production and its template read exactly as before", () => {
  const dir = mkdtempSync(join(tmpdir(), 'envfile-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(REPO_ROOT, 'reference/deploy/.env.production.template'), join(dir, '.env.production.template'));
    const r = spawnSync('bash', [join(REPO_ROOT, 'reference/deploy/scripts/generate-env.sh'), dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['.env.production', '.env.production.template']) {
      const text = readFileSync(join(dir, name), 'utf8');
      const now = parseEnvText(text, name);
      assert.deepEqual(now.problems, [], name);
      assert.deepEqual(now.inherited, [], name);
      assert.deepEqual(now.entries, previousParse(text), name);
      assert.ok(now.entries.length >= 14, `${name}: ${now.entries.length} entries`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('valid lines the previous parser read the same way read the same way now', () => {
  const text = [
    '# comment',
    'SECRET_KEY=abc123abc123',
    'QUOTED="with space"',
    "SINGLE='x y'",
    'export LOG_LEVEL=INFO',
    'EMPTY=',
    'URL=http://ollama:11434',
    'MODEL=llama2:7b',
    'SPACED = v',
    'WEBHOOK=http://127.0.0.1:5001/rag-alerts?a=b&c=d',
    '',
  ].join('\n');
  assert.deepEqual(parseEnvText(text, FILE).entries, previousParse(text));
});
