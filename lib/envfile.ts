/**
 * Reads a deployment's .env file (.env.production, its template) by Docker Compose's env-file rules
 * (docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/#env-file-syntax):
 *
 * - blank lines and lines whose first non-blank character is `#` are ignored; `export ` before a name is ignored;
 * - `NAME=value` or `NAME: value`; blanks around the name and the value are ignored; a name is letters, digits
 *   and `_ . - [ ]`; `NAME` alone takes its value from Compose's own environment (here: from `lookup`, else unset);
 * - unquoted values end at the line's end or at ` #` (a space, then #: `a # b` is `a`, `a#b` is `a#b`);
 * - `'…'` is literal (only `\'` is unescaped); `"…"` unescapes `\n \r \t \\ \"` (and `\a \b \f \v \$ \0ooo`);
 *   both may span lines; after the closing quote only blanks and a `# comment` may follow (a quote closed lines
 *   later and followed by more text is taken as one left open on its first line, and the lines after it are read);
 * - unquoted and double-quoted values are interpolated: `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
 *   `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`, `${NAME+alt}` (nested), `$$` for a literal `$`, from `lookup`
 *   first, then the file's earlier values; an unset NAME gives "" (Compose warns; the entry lists it in `unresolved`).
 *
 * It never throws and never stops at a bad line: it returns every entry it could read and one problem per line it
 * could not (file:line, what is wrong, how to fix it – the variable's name, never a value), and the caller decides
 * what fails. Compose itself refuses the whole file on such a line.
 */
import { readFileSync } from 'node:fs';

export interface EnvEntry {
  key: string;
  /** The value Compose hands on: unquoted, unescaped, interpolated. */
  value: string;
  /** The line the entry starts on (1-based). */
  line: number;
  /** The value as written (between its quotes), when it differs from `value`: never shown, but redacted too. */
  raw?: string;
  /** Names the value refers to that are set neither in `lookup` nor earlier in the file: Compose substitutes "". */
  unresolved?: string[];
}

export interface EnvProblem {
  file: string;
  /** The line (1-based); 0 when the file as a whole cannot be read. */
  line: number;
  /** The variable the line defines, when it could be told. */
  key?: string;
  /** `<file>:<line>: what is wrong. How to fix it.` – names the variable, never its value. */
  message: string;
  /** What the line holds after its `=` (or the whole line): never shown; redacted like a value. */
  raw?: string;
}

export interface EnvFile {
  file: string;
  entries: EnvEntry[];
  problems: EnvProblem[];
  /** `NAME` lines without a value that `lookup` did not answer: Compose takes them from its own environment. */
  inherited: Array<{ key: string; line: number }>;
}

/** A variable of the environment Compose runs in (the shell's); undefined when unset. */
export type Lookup = (name: string) => string | undefined;

const noLookup: Lookup = () => undefined;

/** The parsed file as a map (a later definition wins, as in Compose), with the problems and `NAME`-only lines. */
export class EnvVars extends Map<string, EnvEntry> {
  constructor(
    entries: EnvEntry[] = [],
    readonly problems: EnvProblem[] = [],
    readonly inherited: Array<{ key: string; line: number }> = [],
  ) {
    super(entries.map((e) => [e.key, e]));
  }
}

/** Reads and parses an env file; an unreadable file is a problem at line 0, not an exception. */
export function readEnvFile(path: string, lookup: Lookup = noLookup): EnvFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const message = `${path}: cannot be read (${(err as Error).message}). Create it from .env.production.template with scripts/generate-env.sh.`;
    return { file: path, entries: [], problems: [{ file: path, line: 0, message }], inherited: [] };
  }
  return parseEnvText(text, path, lookup);
}

/** The parsed env file as a map with its problems (see EnvVars); never throws. */
export function envMap(path: string, lookup: Lookup = noLookup): EnvVars {
  const f = readEnvFile(path, lookup);
  return new EnvVars(f.entries, f.problems, f.inherited);
}

/** The problems a map carries (none for a plain Map built by hand). */
export function envFileProblems(env: Map<string, EnvEntry>): EnvProblem[] {
  return env instanceof EnvVars ? env.problems : [];
}

// ---------------------------------------------------------------------------------------------- the parser

/** Blank within a line (Compose's isSpace: not the line break). */
function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r' || c === '\u0085' || c === '\u00a0';
}

/** A character of a variable name, as Compose accepts them. */
function isNameChar(c: string): boolean {
  return /[\p{L}\p{N}_.\-[\]]/u.test(c);
}

/** A position in the text that counts lines. */
class Cursor {
  pos = 0;
  line = 1;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  next(): string {
    const c = this.text[this.pos++]!;
    if (c === '\n') this.line++;
    return c;
  }

  /** The rest of the current line, without its line break (which stays unread). */
  restOfLine(): string {
    const end = this.text.indexOf('\n', this.pos);
    const stop = end < 0 ? this.text.length : end;
    const s = this.text.slice(this.pos, stop);
    this.pos = stop;
    return s;
  }

  /** Skips blanks and line breaks. */
  skipSpace(): void {
    while (!this.done && /\s/.test(this.text[this.pos]!)) this.next();
  }
}

/** A statement's name and where its value starts, a `NAME` alone, or why the line names no variable. */
type Statement = { key: string; delimiter: number } | { key: string; inherited: true } | { error: string };

/** The name at the start of a statement's first line (after `export `), and where its `=` or `:` is. */
function readName(text: string, file: string, line: number): Statement {
  const exported = /^export[ \t]+/.exec(text);
  const start = exported ? exported[0].length : 0;
  const at = `${file}:${line}`;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (isBlank(c)) continue;
    if (c === '=' || c === ':') return named(text.slice(start, i).trimEnd(), i, at, c);
    // The line's text is not shown: without a name it may well be a pasted value.
    if (!isNameChar(c)) return { error: `${at}: this line is not NAME=value: "${c}" cannot be part of a variable name. Each line must be NAME=value with a name of letters, digits and _ (# starts a comment)` };
  }
  const key = text.slice(start).trimEnd();
  if (/[ \t]/.test(key)) return { error: `${at}: this line is not NAME=value (no "=", and a name cannot contain a space). Each line must be NAME=value (# starts a comment)` };
  return /^\d/.test(key) ? { error: DIGIT(at) } : { key, inherited: true };
}

/** A name starting with a digit (Compose ignores the line): not shown, it may be a pasted value such as a hex secret. */
const DIGIT = (at: string) => `${at}: the name starts with a digit, which Compose ignores. Start the name with a letter or _`;

function named(key: string, delimiter: number, at: string, c: string): Statement {
  if (key === '') return { error: `${at}: no variable name before "${c}". Each line must be NAME=value` };
  if (/\s/.test(key)) return { error: `${at}: "${key}" contains a space; a variable name cannot. Write it as NAME=value with no space inside the name` };
  if (/^\d/.test(key)) return { error: DIGIT(at) };
  return { key, delimiter };
}

/** `"…"`'s escapes, as Compose unescapes them; `\$` becomes `$$` so that interpolation keeps a literal `$`. */
function unescapeDouble(s: string): string {
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\', $: '$$' };
  return s.replace(/\\(0[0-7]{3}|[abfnrtv"\\$])/g, (m, c: string) => {
    if (c.length === 1) return simple[c]!;
    const code = parseInt(c.slice(1), 8);
    return code <= 0xff ? String.fromCharCode(code) : m;
  });
}

/** The `}` that closes the `${` at `open` (braces nest), or -1. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open + 1; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** What is wrong with a value's `$` expression, and how to fix it. */
class InterpolationError extends Error {
  constructor(
    problem: string,
    readonly fix = 'Write $$ for a literal $, or put the value in single quotes',
  ) {
    super(problem);
  }
}

/** Compose's interpolation of one value; `unresolved` collects names substituted by "". */
function interpolate(s: string, resolve: Lookup, unresolved: string[]): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(s, i);
      if (end < 0) throw new InterpolationError('has an unterminated "${"');
      out += braced(s.slice(i + 2, end), resolve, unresolved);
      i = end + 1;
    } else {
      const m = /^[_a-zA-Z][_a-zA-Z0-9]*/.exec(s.slice(i + 1));
      if (!m) {
        out += '$';
        i++;
        continue;
      }
      out += substitute(m[0], resolve, unresolved);
      i += 1 + m[0].length;
    }
  }
  return out;
}

function substitute(name: string, resolve: Lookup, unresolved: string[]): string {
  const v = resolve(name);
  if (v === undefined && !unresolved.includes(name)) unresolved.push(name);
  return v ?? '';
}

/** The inside of `${…}`: a name, optionally followed by one of Compose's operators and its (interpolated) word. */
function braced(inner: string, resolve: Lookup, unresolved: string[]): string {
  const m = /^([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-?+])([\s\S]*))?$/.exec(inner);
  if (!m) throw new InterpolationError('has an invalid "${…}" expression (Compose knows ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, ${NAME+alt})');
  const [, name, op, word = ''] = m as unknown as [string, string, string | undefined, string | undefined];
  if (!op) return substitute(name, resolve, unresolved);
  const v = resolve(name);
  const set = op.startsWith(':') ? v !== undefined && v !== '' : v !== undefined;
  switch (op.replace(':', '')) {
    case '-':
      return set ? v! : interpolate(word, resolve, unresolved);
    case '+':
      return set ? interpolate(word, resolve, unresolved) : '';
    default:
      if (!set) throw new InterpolationError(`requires ${name} (\${${name}${op}…}), which is ${v === undefined ? 'not set before it' : 'empty'}`, `Set ${name} earlier in the file`);
      return v!;
  }
}

/** The quoted value starting at the cursor's quote; undefined when the quote is never closed. */
function readQuoted(cur: Cursor, quote: string): string | undefined {
  cur.next();
  let out = '';
  let escaped = false;
  while (!cur.done) {
    const c = cur.next();
    if (escaped) {
      escaped = false;
      out += c === quote ? c : `\\${c}`;
    } else if (c === '\\') escaped = true;
    else if (c === quote) return out;
    else out += c;
  }
  return undefined;
}

/** Parses the text of an env file (`file` names it in problems); never throws. */
export function parseEnvText(text: string, file: string, lookup: Lookup = noLookup): EnvFile {
  const result: EnvFile = { file, entries: [], problems: [], inherited: [] };
  const vars = new Map<string, string>();
  const resolve: Lookup = (name) => lookup(name) ?? vars.get(name);
  const cur = new Cursor(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'));
  const problem = (line: number, message: string, key?: string, raw?: string) => result.problems.push({ file, line, key, message, raw });
  for (;;) {
    cur.skipSpace();
    if (cur.done) break;
    const line = cur.line;
    const lineStart = cur.pos;
    const first = cur.restOfLine();
    if (first.startsWith('#')) continue;
    const afterEq = (i: number) => first.slice(i + 1).trim();
    const st = readName(first, file, line);
    if ('error' in st) {
      const eq = first.search(/[=:]/);
      problem(line, st.error, undefined, eq >= 0 ? afterEq(eq) : first.trim());
      continue;
    }
    if ('inherited' in st) {
      const v = lookup(st.key);
      if (v === undefined) result.inherited.push({ key: st.key, line });
      else {
        vars.set(st.key, v);
        result.entries.push({ key: st.key, value: v, line });
      }
      continue;
    }
    const { key } = st;
    let at = st.delimiter + 1;
    while (isBlank(first[at])) at++;
    const q = first[at];
    let written: string;
    let value: string;
    const unresolved: string[] = [];
    try {
      if (q === '"' || q === "'") {
        cur.pos = lineStart + at;
        const quoted = readQuoted(cur, q);
        const closedOn = cur.line;
        const tail = quoted === undefined ? '' : cur.restOfLine().trimStart();
        const trailing = tail !== '' && !tail.startsWith('#');
        // Quoted values may span lines, but one whose closing quote is followed by more text (or that never closes)
        // is a quote left open on its first line, which swallowed the lines after it: read on from the next line.
        if (quoted === undefined || (trailing && closedOn > line)) {
          cur.pos = lineStart + first.length;
          cur.line = line;
          const where = quoted === undefined ? 'never closed' : `not closed on its line (the next ${q} is on line ${closedOn}, followed by more text)`;
          problem(line, `${file}:${line}: ${key}'s value opens a ${q} quote that is ${where}. Close the quote (${key}=${q}value${q}), or write the value without quotes`, key, first.slice(at + 1).trim());
          continue;
        }
        written = quoted;
        value = q === '"' ? interpolate(unescapeDouble(quoted), resolve, unresolved) : quoted;
        if (trailing) problem(line, `${file}:${line}: ${key} has text after its closing ${q} quote. Put the whole value inside the quotes, or start a comment after the quote with " #"`, key, quoted);
      } else {
        // A comment starts at " #" – also right after the delimiter (`NAME= # comment` is empty), as the rule reads.
        const rest = first.slice(st.delimiter + 1);
        const cut = rest.indexOf(' #');
        written = (cut < 0 ? rest : rest.slice(0, cut)).trim();
        value = interpolate(written, resolve, unresolved);
      }
    } catch (e) {
      if (!(e instanceof InterpolationError)) throw e;
      problem(line, `${file}:${line}: ${key}'s value ${e.message}. ${e.fix}`, key, afterEq(st.delimiter));
      continue;
    }
    vars.set(key, value);
    const entry: EnvEntry = { key, value, line };
    if (written !== value) entry.raw = written;
    if (unresolved.length) entry.unresolved = unresolved;
    result.entries.push(entry);
  }
  return result;
}
