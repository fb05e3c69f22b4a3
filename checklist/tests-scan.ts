/**
 * Which test verifies which checklist item, read from the specs without running them. Each file under tests/ is
 * parsed with the TypeScript compiler's parser (syntax only, no type checker, so the scan stays well under a
 * second) and walked the way Playwright would collect it: `test.describe` titles nest and join with ' › ',
 * template-literal titles are filled in, and a loop over an ID table (`for (const [id, name] of ROWS) test(...)`)
 * is unrolled row by row. Values come from literals, consts of the spec and consts it imports from the
 * repository (read as text, never imported: checklist/ must not depend on tests/ or the layers below them).
 *
 * What the scan cannot evaluate it does not guess: a title part it cannot compute stays as its template text
 * (`${probe.what}`) and the record says `pattern: true`; a `verifies(...)` argument it cannot read is a problem
 * the coverage self-test reports, naming file and line.
 *
 * One scanner for checklist.yaml's `tests:` (scripts/checklist-build.ts) and for coverage (coverage.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import type * as TS from 'typescript';
import { PHASES, type ChecklistItem, type TestRef } from './model.ts';
import { REPO_ROOT } from './source.ts';

// Loaded with require: an ES import makes Node scan the compiler's 9 MB CommonJS file for export names first.
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

export const TESTS_DIR = resolve(REPO_ROOT, 'tests');

/** A string shaped like a checklist ID (`PRE-DIRS`, `P2-HEALTH-1`, `PRE-DIRS-1.1`), whether the checklist knows it or not. */
const ID_LIKE = new RegExp(`^(${PHASES.join('|')})-[A-Z]+(-\\d+(\\.\\d+)?)?$`);

/** A checklist ID named somewhere in the tests, with file and line. */
export interface Reference {
  id: string;
  file: string;
  line: number;
}

/** A test as the scan finds it: where it is declared, its full title and the checklist IDs it verifies. */
export interface ScannedTest extends TestRef {
  /** 1-based line of the `test(...)` call (for messages; not recorded in checklist.yaml). */
  line: number;
  ids: string[];
  /** Declared with test.skip / test.fixme: it runs nothing. */
  skipped?: true;
}

export interface TestsScan {
  tests: ScannedTest[];
  /** Every ID-shaped string literal in the files (ID tables, verifies(...), anywhere), for the unknown-ID check. */
  literals: Reference[];
  /** Tests whose checklist IDs the scan cannot read, one line each naming file, line and expression. */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Values the scan can compute: literals and what consts, tables and simple expressions make of them.

const UNKNOWN: unique symbol = Symbol('unknown');
type Unknown = typeof UNKNOWN;

/** An arrow or function expression with the scope it closes over (callbacks of find/filter/map). */
class Closure {
  constructor(readonly node: TS.ArrowFunction | TS.FunctionExpression, readonly scope: Scope) {}
}

/** `import * as T from '...'`: member access reads the module's exports. */
class Namespace {
  constructor(readonly module: Module | undefined) {}
}

interface Obj {
  [key: string]: Value;
}
type Value = string | number | boolean | null | undefined | Unknown | Closure | Namespace | Value[] | Obj;

function isObj(v: Value): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Closure) && !(v instanceof Namespace);
}

function isPrimitive(v: Value): v is string | number | boolean | null | undefined {
  return v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Computes `produce` once, on first use (module consts may be used before their turn in the walk). */
function once(produce: () => Value): () => Value {
  let state: 'new' | 'busy' | 'done' = 'new';
  let value: Value = UNKNOWN;
  return () => {
    if (state === 'done') return value;
    if (state === 'busy') return UNKNOWN; // a cycle: give up on this value rather than loop
    state = 'busy';
    value = produce();
    state = 'done';
    return value;
  };
}

class Scope {
  private readonly vars = new Map<string, () => Value>();
  constructor(readonly module: Module, readonly parent?: Scope) {}

  define(name: string, produce: () => Value): void {
    this.vars.set(name, once(produce));
  }

  get(name: string): Value {
    const v = this.vars.get(name);
    if (v) return v();
    if (this.parent) return this.parent.get(name);
    return name === 'undefined' ? undefined : UNKNOWN;
  }
}

function member(obj: Value, key: Value): Value {
  if (obj === UNKNOWN || key === UNKNOWN) return UNKNOWN;
  if (obj instanceof Namespace) return typeof key === 'string' && obj.module ? obj.module.exported(key) : UNKNOWN;
  if (Array.isArray(obj)) {
    if (key === 'length') return obj.length;
    return typeof key === 'number' || (typeof key === 'string' && /^\d+$/.test(key)) ? obj[Number(key)] : UNKNOWN;
  }
  if (typeof obj === 'string') return key === 'length' ? obj.length : UNKNOWN;
  if (isObj(obj) && (typeof key === 'string' || typeof key === 'number')) {
    return Object.prototype.hasOwnProperty.call(obj, String(key)) ? obj[String(key)] : undefined;
  }
  return UNKNOWN;
}

/** Binds the names of a declaration (`x`, `[id, name]`, `{ id, what: label }`) to parts of a value. */
function declare(name: TS.BindingName, produce: () => Value, scope: Scope): void {
  if (ts.isIdentifier(name)) {
    scope.define(name.text, produce);
    return;
  }
  const whole = once(produce);
  name.elements.forEach((el, index) => {
    if (ts.isOmittedExpression(el)) return;
    let part: () => Value;
    if (el.dotDotDotToken) {
      part = () => {
        const v = whole();
        return Array.isArray(v) && ts.isArrayBindingPattern(name) ? v.slice(index) : UNKNOWN;
      };
    } else if (ts.isArrayBindingPattern(name)) {
      part = () => member(whole(), index);
    } else {
      const key = el.propertyName ?? el.name;
      part = () => {
        const k = ts.isIdentifier(key) || ts.isStringLiteral(key) || ts.isNumericLiteral(key) ? key.text : ts.isComputedPropertyName(key) ? evaluate(key.expression, scope) : UNKNOWN;
        return member(whole(), k);
      };
    }
    const fallback = el.initializer;
    declare(el.name, fallback ? () => { const v = part(); return v === undefined ? evaluate(fallback, scope) : v; } : part, scope);
  });
}

function unwrap(e: TS.Expression): TS.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

function isFunctionNode(e: TS.Node | undefined): e is TS.ArrowFunction | TS.FunctionExpression {
  return !!e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e));
}

function call(fn: Value, args: Value[]): Value {
  if (!(fn instanceof Closure)) return UNKNOWN;
  const scope = new Scope(fn.scope.module, fn.scope);
  fn.node.parameters.forEach((p, i) => declare(p.name, () => args[i], scope));
  const body = fn.node.body;
  if (!ts.isBlock(body)) return evaluate(body, scope);
  const only = body.statements.length === 1 ? body.statements[0] : undefined;
  return only && ts.isReturnStatement(only) && only.expression ? evaluate(only.expression, scope) : UNKNOWN;
}

/** The array methods a table lookup uses; a callback that cannot be decided for some row makes the result unknown. */
function arrayMethod(arr: Value[], name: string, args: Value[]): Value {
  const [fn, second] = args;
  const each = (): Value[] | Unknown => {
    const out = arr.map((v, i) => call(fn, [v, i]));
    return out.includes(UNKNOWN) ? UNKNOWN : out;
  };
  switch (name) {
    case 'map': return each();
    case 'find': case 'filter': case 'some': case 'every': {
      const hits = each();
      if (hits === UNKNOWN) return UNKNOWN;
      if (name === 'find') return arr.find((_, i) => hits[i]);
      if (name === 'filter') return arr.filter((_, i) => hits[i]);
      return name === 'some' ? hits.some(Boolean) : hits.every(Boolean);
    }
    case 'includes': return fn === UNKNOWN || arr.includes(UNKNOWN) ? UNKNOWN : arr.includes(fn);
    case 'join': return arr.every(isPrimitive) && (fn === undefined || typeof fn === 'string') ? arr.join(fn) : UNKNOWN;
    case 'slice': return typeof fn === 'number' && (second === undefined || typeof second === 'number') ? arr.slice(fn, second) : UNKNOWN;
    default: return UNKNOWN;
  }
}

function evaluateCall(e: TS.CallExpression, scope: Scope): Value {
  const args = (): Value[] => e.arguments.flatMap((a): Value[] => {
    if (!ts.isSpreadElement(a)) return [evaluate(a, scope)];
    const v = evaluate(a.expression, scope);
    return Array.isArray(v) ? v : [UNKNOWN];
  });
  const callee = unwrap(e.expression);
  if (declaresIds(e, scope.module)) return detailsOf(args());
  if (ts.isIdentifier(callee)) {
    if (callee.text === 'String') return isPrimitive(args()[0] ?? UNKNOWN) ? String(args()[0]) : UNKNOWN;
    if (callee.text === 'Number') return isPrimitive(args()[0] ?? UNKNOWN) ? Number(args()[0]) : UNKNOWN;
    return UNKNOWN;
  }
  if (!ts.isPropertyAccessExpression(callee)) return UNKNOWN;
  const name = callee.name.text;
  if (ts.isIdentifier(callee.expression) && callee.expression.text === 'Object' && scope.get('Object') === UNKNOWN) {
    const o = args()[0] ?? UNKNOWN;
    if (!isObj(o)) return UNKNOWN;
    if (name === 'entries') return Object.entries(o).map(([k, v]) => [k, v]);
    if (name === 'keys') return Object.keys(o);
    if (name === 'values') return Object.values(o);
    return UNKNOWN;
  }
  const target = evaluate(callee.expression, scope);
  if (Array.isArray(target)) return arrayMethod(target, name, args());
  if (typeof target === 'string' && (name === 'toUpperCase' || name === 'toLowerCase' || name === 'trim')) return target[name]();
  return UNKNOWN;
}

/** A call that declares checklist IDs: `verifies(...)`, or `verifies.smoke(...)` (the same IDs, tagged for the smoke profile). */
function declaresIds(e: TS.CallExpression, module: Module): boolean {
  const callee = unwrap(e.expression);
  if (ts.isIdentifier(callee)) return module.verifiesNames.has(callee.text);
  return ts.isPropertyAccessExpression(callee) && callee.name.text === 'smoke' && ts.isIdentifier(callee.expression) && module.verifiesNames.has(callee.expression.text);
}

/** What `verifies(...ids)` returns (fixtures/checklist.ts): tags and checklist annotations. */
function detailsOf(ids: Value[]): Value {
  if (!ids.every((i) => typeof i === 'string')) return UNKNOWN;
  return { tag: ids.map((i) => `@${i as string}`), annotation: ids.map((i) => ({ type: 'checklist', description: i })) };
}

function binary(op: TS.SyntaxKind, l: Value, r: () => Value): Value {
  const K = ts.SyntaxKind;
  if (op === K.AmpersandAmpersandToken) return l === UNKNOWN ? UNKNOWN : l ? r() : l;
  if (op === K.BarBarToken) return l === UNKNOWN ? UNKNOWN : l ? l : r();
  if (op === K.QuestionQuestionToken) return l === UNKNOWN ? UNKNOWN : l ?? r();
  const rv = r();
  if (l === UNKNOWN || rv === UNKNOWN) return UNKNOWN;
  if (op === K.EqualsEqualsEqualsToken) return l === rv;
  if (op === K.ExclamationEqualsEqualsToken) return l !== rv;
  if (op === K.PlusToken && (typeof l === 'string' || typeof rv === 'string') && isPrimitive(l) && isPrimitive(rv)) return `${String(l)}${String(rv)}`;
  if (typeof l === 'string' && typeof rv === 'string') {
    if (op === K.LessThanToken) return l < rv;
    if (op === K.GreaterThanToken) return l > rv;
    return UNKNOWN;
  }
  if (typeof l !== 'number' || typeof rv !== 'number') return UNKNOWN;
  switch (op) {
    case K.PlusToken: return l + rv;
    case K.MinusToken: return l - rv;
    case K.AsteriskToken: return l * rv;
    case K.SlashToken: return l / rv;
    case K.PercentToken: return l % rv;
    case K.LessThanToken: return l < rv;
    case K.GreaterThanToken: return l > rv;
    case K.LessThanEqualsToken: return l <= rv;
    case K.GreaterThanEqualsToken: return l >= rv;
    default: return UNKNOWN;
  }
}

function evaluate(node: TS.Expression, scope: Scope): Value {
  const e = unwrap(node);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text.replace(/_/g, ''));
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (e.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isIdentifier(e)) return scope.get(e.text);
  if (ts.isTemplateExpression(e)) {
    const t = template(e, scope);
    return t.pattern ? UNKNOWN : t.text;
  }
  if (ts.isArrayLiteralExpression(e)) {
    const out: Value[] = [];
    for (const el of e.elements) {
      if (ts.isSpreadElement(el)) {
        const v = evaluate(el.expression, scope);
        if (!Array.isArray(v)) return UNKNOWN;
        out.push(...v);
      } else out.push(ts.isOmittedExpression(el) ? undefined : evaluate(el, scope));
    }
    return out;
  }
  if (ts.isObjectLiteralExpression(e)) {
    const out: Obj = {};
    for (const p of e.properties) {
      if (ts.isSpreadAssignment(p)) {
        const v = evaluate(p.expression, scope);
        if (!isObj(v)) return UNKNOWN;
        Object.assign(out, v);
      } else if (ts.isShorthandPropertyAssignment(p)) out[p.name.text] = scope.get(p.name.text);
      else {
        const key = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) ? p.name.text
          : p.name && ts.isComputedPropertyName(p.name) ? evaluate(p.name.expression, scope) : UNKNOWN;
        if (typeof key !== 'string' && typeof key !== 'number') return UNKNOWN;
        out[String(key)] = ts.isPropertyAssignment(p) ? evaluate(p.initializer, scope) : UNKNOWN;
      }
    }
    return out;
  }
  if (ts.isPropertyAccessExpression(e)) {
    const obj = evaluate(e.expression, scope);
    if (e.questionDotToken && (obj === null || obj === undefined)) return undefined;
    return member(obj, e.name.text);
  }
  if (ts.isElementAccessExpression(e)) {
    const obj = evaluate(e.expression, scope);
    if (e.questionDotToken && (obj === null || obj === undefined)) return undefined;
    return member(obj, evaluate(e.argumentExpression, scope));
  }
  if (ts.isCallExpression(e)) return evaluateCall(e, scope);
  if (isFunctionNode(e)) return new Closure(e, scope);
  if (ts.isConditionalExpression(e)) {
    const c = evaluate(e.condition, scope);
    return c === UNKNOWN ? UNKNOWN : evaluate(c ? e.whenTrue : e.whenFalse, scope);
  }
  if (ts.isBinaryExpression(e)) return binary(e.operatorToken.kind, evaluate(e.left, scope), () => evaluate(e.right, scope));
  if (ts.isPrefixUnaryExpression(e)) {
    const v = evaluate(e.operand, scope);
    if (v === UNKNOWN) return UNKNOWN;
    if (e.operator === ts.SyntaxKind.ExclamationToken) return !v;
    if (e.operator === ts.SyntaxKind.MinusToken && typeof v === 'number') return -v;
    if (e.operator === ts.SyntaxKind.PlusToken && isPrimitive(v)) return Number(v);
    return UNKNOWN;
  }
  return UNKNOWN;
}

/** A title: the text Playwright will see, or where a part cannot be computed, its template text. */
interface Title {
  text: string;
  pattern: boolean;
}

function show(v: Value): string | undefined {
  if (isPrimitive(v)) return String(v);
  if (Array.isArray(v) && v.every(isPrimitive)) return v.join(',');
  return undefined;
}

function template(e: TS.TemplateExpression, scope: Scope): Title {
  let text = e.head.text;
  let pattern = false;
  for (const span of e.templateSpans) {
    const shown = show(evaluate(span.expression, scope));
    if (shown === undefined) pattern = true;
    text += (shown ?? `\${${span.expression.getText(scope.module.sf)}}`) + span.literal.text;
  }
  return { text, pattern };
}

function titleOf(node: TS.Expression, scope: Scope): Title {
  const e = unwrap(node);
  if (ts.isTemplateExpression(e)) return template(e, scope);
  const v = evaluate(e, scope);
  return typeof v === 'string' ? { text: v, pattern: false } : { text: `\${${e.getText(scope.module.sf)}}`, pattern: true };
}

// ---------------------------------------------------------------------------------------------------------
// Modules: a scanned file, or a repository file it imports values from.

class Module {
  readonly scope: Scope;
  /** Local names of Playwright's `test` (`import { test as setup }`, `const t = test.extend(...)`). */
  readonly testNames = new Set(['test']);
  /** Local names of the function that declares a test's checklist IDs: fixtures/checklist.ts's `verifies` (or the loader's marker). */
  readonly verifiesNames: Set<string>;
  /** Local names of node:test's `describe` (the unit tests'; Playwright's is `test.describe`). */
  readonly describeNames = new Set<string>();
  private readonly exports = new Map<string, () => Value>();
  private readonly starExports: string[] = [];

  constructor(readonly path: string, readonly sf: TS.SourceFile, private readonly loader: Loader) {
    this.verifiesNames = new Set([loader.marker]);
    this.scope = new Scope(this);
    defineStatements(sf.statements, this.scope);
    for (const s of sf.statements) this.collectImportsAndExports(s);
  }

  exported(name: string): Value {
    const own = this.exports.get(name);
    if (own) return own();
    for (const spec of this.starExports) {
      const m = this.loader.resolveModule(this.path, spec);
      const v = m ? m.exported(name) : UNKNOWN;
      if (v !== UNKNOWN && v !== undefined) return v;
    }
    return UNKNOWN;
  }

  private collectImportsAndExports(s: TS.Statement): void {
    const exported = (ts.canHaveModifiers(s) ? ts.getModifiers(s) : undefined)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
    if (ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.importClause) {
      const spec = s.moduleSpecifier.text;
      const clause = s.importClause;
      if (clause.name) {
        this.scope.define(clause.name.text, () => this.loader.importValue(this.path, spec, 'default'));
        if (spec === '@playwright/test') this.testNames.add(clause.name.text);
      }
      const nb = clause.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) this.scope.define(nb.name.text, () => new Namespace(this.loader.resolveModule(this.path, spec)));
      if (nb && ts.isNamedImports(nb)) {
        for (const el of nb.elements) {
          const remote = (el.propertyName ?? el.name).text;
          this.scope.define(el.name.text, () => this.loader.importValue(this.path, spec, remote));
          if (remote === 'test') this.testNames.add(el.name.text);
          if (remote === this.loader.marker) this.verifiesNames.add(el.name.text);
          if (remote === 'describe' && spec === 'node:test') this.describeNames.add(el.name.text);
        }
      }
    } else if (ts.isExportDeclaration(s)) {
      const spec = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
      if (!s.exportClause) {
        if (spec) this.starExports.push(spec);
      } else if (ts.isNamedExports(s.exportClause)) {
        for (const el of s.exportClause.elements) {
          const local = (el.propertyName ?? el.name).text;
          this.exports.set(el.name.text, spec ? () => this.loader.importValue(this.path, spec, local) : () => this.scope.get(local));
        }
      }
    } else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        // `const t = test.extend({...})` is a test function too.
        const init = d.initializer && unwrap(d.initializer);
        if (ts.isIdentifier(d.name) && init && ts.isCallExpression(init) && ts.isPropertyAccessExpression(init.expression)
          && init.expression.name.text === 'extend' && ts.isIdentifier(init.expression.expression) && this.testNames.has(init.expression.expression.text)) {
          this.testNames.add(d.name.text);
        }
        if (exported) for (const n of boundNames(d.name)) this.exports.set(n, () => this.scope.get(n));
      }
    } else if (exported && (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) {
      this.exports.set(s.name.text, () => UNKNOWN);
    }
  }
}

function boundNames(name: TS.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : boundNames(el.name)));
}

/** Declares a statement list's consts (lazily, so order does not matter); lets, functions and classes shadow as unknown. */
function defineStatements(statements: readonly TS.Statement[], scope: Scope): void {
  for (const s of statements) {
    if (ts.isVariableStatement(s)) {
      const isConst = (s.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of s.declarationList.declarations) {
        const init = d.initializer;
        if (isConst && init) declare(d.name, () => evaluate(init, scope), scope);
        else for (const n of boundNames(d.name)) scope.define(n, () => UNKNOWN);
      }
    } else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) {
      scope.define(s.name.text, () => UNKNOWN);
    }
  }
}

class Loader {
  private readonly modules = new Map<string, Module | undefined>();

  /** `marker`: the name of the function whose arguments are a test's checklist IDs. */
  constructor(readonly marker: string) {}

  /** A file of the repository as a module; sources given as text (unit tests) take precedence over the disk. */
  module(path: string, text?: string): Module | undefined {
    if (text === undefined && this.modules.has(path)) return this.modules.get(path);
    let m: Module | undefined;
    const inside = !relative(REPO_ROOT, path).startsWith('..');
    if (text !== undefined || (inside && existsSync(path) && statSync(path).isFile())) {
      const src = text ?? readFileSync(path, 'utf8');
      m = new Module(path, ts.createSourceFile(path, src, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS), this);
    }
    this.modules.set(path, m);
    return m;
  }

  /** Relative imports inside the repository only; packages and node: modules are opaque. */
  resolveModule(from: string, spec: string): Module | undefined {
    if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
    const base = resolve(dirname(from), spec);
    const path = [base, `${base}.ts`, join(base, 'index.ts')].find((p) => this.modules.get(p) || (existsSync(p) && statSync(p).isFile()));
    return path ? this.module(path) : undefined;
  }

  importValue(from: string, spec: string, name: string): Value {
    const m = this.resolveModule(from, spec);
    return m ? m.exported(name) : UNKNOWN;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The walk: describe blocks, loops over tables, test declarations.

interface Ids {
  ids: string[];
  /** The IDs are the candidates of a table the scan could not index (one row per test instance). */
  pattern: boolean;
  unreadable: string[];
}

const NO_IDS: Ids = { ids: [], pattern: false, unreadable: [] };

function mergeIds(a: Ids, b: Ids): Ids {
  return { ids: [...new Set([...a.ids, ...b.ids])], pattern: a.pattern || b.pattern, unreadable: [...a.unreadable, ...b.unreadable] };
}

function annotationIds(v: Value): string[] | undefined {
  if (!isObj(v)) return undefined;
  const ann = v.annotation;
  if (ann === undefined) return [];
  const list: Value[] = Array.isArray(ann) ? ann : [ann];
  const out: string[] = [];
  for (const a of list) {
    if (!isObj(a) || a.type === UNKNOWN || a.description === UNKNOWN) return undefined;
    if (a.type === 'checklist' && typeof a.description === 'string') out.push(a.description);
  }
  return out;
}

/** The checklist IDs in a test's (or describe's) details argument. */
function idsOf(node: TS.Expression, scope: Scope): Ids {
  const e = unwrap(node);
  const sf = scope.module.sf;
  if (ts.isCallExpression(e) && declaresIds(e, scope.module)) {
    let out: Ids = NO_IDS;
    for (const arg of e.arguments) {
      if (ts.isSpreadElement(arg)) {
        const v = evaluate(arg.expression, scope);
        out = mergeIds(out, Array.isArray(v) && v.every((x) => typeof x === 'string') ? { ...NO_IDS, ids: v as string[] } : { ...NO_IDS, unreadable: [arg.getText(sf)] });
        continue;
      }
      const v = evaluate(arg, scope);
      if (typeof v === 'string') {
        out = mergeIds(out, { ...NO_IDS, ids: [v] });
        continue;
      }
      if (v !== UNKNOWN) {
        // A value the scan can compute that is no ID (`IDS[key]` for a key the table lacks): the spec's own bug.
        out = mergeIds(out, { ...NO_IDS, unreadable: [`${arg.getText(sf)} (= ${show(v) ?? typeof v})`] });
        continue;
      }
      // `verifies(IDS[key])` over a table whose rows the scan cannot enumerate: every ID of the table is a candidate.
      const a = unwrap(arg);
      const table = ts.isElementAccessExpression(a) ? evaluate(a.expression, scope) : UNKNOWN;
      const candidates = (Array.isArray(table) ? table : isObj(table) ? Object.values(table) : []).filter((x): x is string => typeof x === 'string' && ID_LIKE.test(x));
      out = mergeIds(out, candidates.length ? { ids: candidates, pattern: true, unreadable: [] } : { ...NO_IDS, unreadable: [arg.getText(sf)] });
    }
    return out;
  }
  if (ts.isObjectLiteralExpression(e)) {
    let out: Ids = NO_IDS;
    for (const p of e.properties) {
      if (ts.isSpreadAssignment(p)) out = mergeIds(out, idsOf(p.expression, scope));
      else if (p.name && ts.isIdentifier(p.name) && p.name.text === 'annotation') {
        const ids = annotationIds({ annotation: ts.isPropertyAssignment(p) ? evaluate(p.initializer, scope) : UNKNOWN });
        out = mergeIds(out, ids ? { ...NO_IDS, ids } : { ...NO_IDS, unreadable: [p.getText(sf)] });
      }
    }
    return out;
  }
  const ids = annotationIds(evaluate(e, scope));
  return ids ? { ...NO_IDS, ids } : { ...NO_IDS, unreadable: [e.getText(sf)] };
}

interface Ctx {
  scope: Scope;
  describes: Title[];
  ids: Ids;
}

type CallKind = 'test' | 'describe' | 'other';

function callKind(e: TS.CallExpression, module: Module): CallKind {
  const chain: string[] = [];
  let x: TS.Expression = e.expression;
  while (ts.isPropertyAccessExpression(x)) {
    chain.unshift(x.name.text);
    x = x.expression;
  }
  const args = e.arguments;
  const body = args[args.length - 1];
  if (ts.isIdentifier(x) && module.describeNames.has(x.text) && chain.every((m) => ['only', 'skip', 'todo'].includes(m))) return isFunctionNode(body) && args.length >= 2 ? 'describe' : 'other';
  if (!ts.isIdentifier(x) || !module.testNames.has(x.text)) return 'other';
  if (chain[0] === 'describe' && chain.slice(1).every((m) => ['only', 'skip', 'fixme', 'serial', 'parallel'].includes(m))) return isFunctionNode(body) ? 'describe' : 'other';
  // test(title, [details], body) and test.only/skip/fixme/fail(title, ...); test.skip(condition, reason) is a run-time skip.
  const modifiers = chain.every((m) => ['only', 'skip', 'fixme', 'fail'].includes(m));
  return modifiers && args.length >= 2 && isFunctionNode(body) && !isFunctionNode(args[0]) ? 'test' : 'other';
}

function lineOf(node: TS.Node, sf: TS.SourceFile): number {
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

class Walker {
  readonly tests: ScannedTest[] = [];
  readonly problems: string[] = [];

  constructor(private readonly module: Module, private readonly file: string) {}

  walk(node: TS.Node, ctx: Ctx): void {
    if (ts.isBlock(node) || ts.isModuleBlock(node)) {
      const scope = new Scope(this.module, ctx.scope);
      defineStatements(node.statements, scope);
      for (const s of node.statements) this.walk(s, { ...ctx, scope });
      return;
    }
    if (ts.isForOfStatement(node) || ts.isForInStatement(node)) return this.loop(node, ctx);
    if (ts.isCallExpression(node)) {
      const kind = callKind(node, this.module);
      if (kind === 'test') return this.test(node, ctx);
      if (kind === 'describe') return this.describe(node, ctx);
      if (this.forEach(node, ctx)) return;
    }
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      // A function the walk does not call: its parameters are unknown here.
      const scope = new Scope(this.module, ctx.scope);
      for (const p of node.parameters) declare(p.name, () => UNKNOWN, scope);
      this.walk(node.body, { ...ctx, scope });
      return;
    }
    ts.forEachChild(node, (child) => this.walk(child, ctx));
  }

  /** `for (const row of TABLE)`: one pass per row when the table is known, else one pass with the row unknown. */
  private loop(node: TS.ForOfStatement | TS.ForInStatement, ctx: Ctx): void {
    this.walk(node.expression, ctx);
    const iterable = evaluate(node.expression, ctx.scope);
    const rows: Value[] = ts.isForInStatement(node) ? (isObj(iterable) ? Object.keys(iterable) : [UNKNOWN]) : Array.isArray(iterable) ? iterable : [UNKNOWN];
    const init = node.initializer;
    for (const row of rows) {
      const scope = new Scope(this.module, ctx.scope);
      if (ts.isVariableDeclarationList(init) && init.declarations[0]) declare(init.declarations[0].name, () => row, scope);
      this.walk(node.statement, { ...ctx, scope });
    }
  }

  /** `TABLE.forEach((row) => test(...))`, unrolled like a loop. */
  private forEach(node: TS.CallExpression, ctx: Ctx): boolean {
    const callee = node.expression;
    const fn = node.arguments[0];
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'forEach' || !isFunctionNode(fn)) return false;
    const table = evaluate(callee.expression, ctx.scope);
    if (!Array.isArray(table)) return false;
    this.walk(callee.expression, ctx);
    table.forEach((row, index) => {
      const scope = new Scope(this.module, ctx.scope);
      const [p0, p1] = fn.parameters;
      if (p0) declare(p0.name, () => row, scope);
      if (p1) declare(p1.name, () => index, scope);
      this.walk(fn.body, { ...ctx, scope });
    });
    return true;
  }

  private describe(node: TS.CallExpression, ctx: Ctx): void {
    const args = node.arguments;
    const body = args[args.length - 1] as TS.ArrowFunction | TS.FunctionExpression;
    const titled = args.length >= 2 ? args[0] : undefined;
    const details = args.length >= 3 ? args[1] : undefined;
    const describes = titled ? [...ctx.describes, titleOf(titled, ctx.scope)] : ctx.describes;
    const ids = details ? mergeIds(ctx.ids, idsOf(details, ctx.scope)) : ctx.ids;
    const scope = new Scope(this.module, ctx.scope);
    this.walk(body.body, { scope, describes, ids });
  }

  private test(node: TS.CallExpression, ctx: Ctx): void {
    const args = node.arguments;
    const own = titleOf(args[0]!, ctx.scope);
    const parts = [...ctx.describes, own];
    const details = args.length >= 3 ? idsOf(args[1]!, ctx.scope) : NO_IDS;
    const ids = mergeIds(ctx.ids, details);
    const line = lineOf(node, this.module.sf);
    const title = parts.map((p) => p.text).join(' › ');
    for (const u of ids.unreadable) {
      this.problems.push(`${this.file}:${line}: test "${title}": the scan cannot read the checklist IDs of ${u}; name them with literals or a const table the spec loops over`);
    }
    const test: ScannedTest = { file: this.file, line, title, ids: ids.ids };
    if (ids.pattern || parts.some((p) => p.pattern)) test.pattern = true;
    if (ts.isPropertyAccessExpression(node.expression) && ['skip', 'fixme'].includes(node.expression.name.text)) test.skipped = true;
    this.tests.push(test);
  }
}

function idLiterals(sf: TS.SourceFile, file: string): Reference[] {
  const out: Reference[] = [];
  const visit = (n: TS.Node): void => {
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && ID_LIKE.test(n.text)) out.push({ id: n.text, file, line: lineOf(n, sf) });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

// ---------------------------------------------------------------------------------------------------------

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : tsFiles(p);
      return name.endsWith('.ts') ? [p] : [];
    });
}

function repoPath(abs: string): string {
  return relative(REPO_ROOT, abs).split(sep).join('/');
}

/**
 * Scans sources given as text (`path` is where the file would live, for its imports and its name in the
 * result): the unit tests' entry point, and what scanTests does per file. `marker` names the function whose
 * arguments are a test's checklist IDs: `verifies` in the specs, `canFail` in the unit tests (prove/can-fail.ts).
 */
export function scanSources(sources: Array<{ path: string; text?: string }>, marker = 'verifies'): TestsScan {
  const loader = new Loader(marker);
  const scan: TestsScan = { tests: [], literals: [], problems: [] };
  for (const { path, text } of sources) {
    const module = loader.module(path, text);
    if (!module) continue;
    const file = repoPath(path);
    const walker = new Walker(module, file);
    for (const s of module.sf.statements) walker.walk(s, { scope: module.scope, describes: [], ids: NO_IDS });
    scan.tests.push(...walker.tests);
    scan.problems.push(...walker.problems);
    scan.literals.push(...idLiterals(module.sf, file));
  }
  return scan;
}

/** Every `.ts` file under tests/: the specs, the setup and teardown projects, and any helper module. */
export function scanTests(testsDir = TESTS_DIR): TestsScan {
  return scanSources(tsFiles(testsDir).map((path) => ({ path })));
}

/**
 * The scan as checklist.yaml records it: per checklist ID, the tests that verify it (file and full title, in file
 * order). Lines are not recorded: editing a spec above a test must not make the record stale.
 */
export function testsByItem(scan: TestsScan): Map<string, TestRef[]> {
  const out = new Map<string, TestRef[]>();
  const seen = new Set<string>();
  for (const t of scan.tests) {
    for (const id of t.ids) {
      const ref: TestRef = { file: t.file, title: t.title };
      if (t.pattern) ref.pattern = true;
      const key = `${id}\0${refKey(ref)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.set(id, [...(out.get(id) ?? []), ref]);
    }
  }
  return out;
}

function refKey(t: TestRef): string {
  return `${t.file}\0${t.title}\0${t.pattern ? 'pattern' : ''}`;
}

/**
 * How the tests recorded in checklist.yaml differ from the scan, one line per difference naming the item and the
 * file: a test that moved, was renamed, lost or gained the item. [] when they agree.
 */
export function testDifferences(recorded: readonly Pick<ChecklistItem, 'id' | 'tests'>[], scanned: readonly Pick<ChecklistItem, 'id' | 'tests'>[]): string[] {
  const before = new Map(recorded.map((i) => [i.id, i.tests ?? []]));
  const after = new Map(scanned.map((i) => [i.id, i.tests ?? []]));
  const lines: string[] = [];
  for (const id of [...new Set([...after.keys(), ...before.keys()])]) {
    const was = before.get(id) ?? [];
    const now = after.get(id) ?? [];
    const nowKeys = new Set(now.map(refKey));
    const wasKeys = new Set(was.map(refKey));
    const gone = was.filter((t) => !nowKeys.has(refKey(t)));
    const added = now.filter((t) => !wasKeys.has(refKey(t)));
    // One test gone and one added in the same file: a rename. Anything else is reported as lost or gained.
    for (const old of gone) {
      const sameFileGone = gone.filter((t) => t.file === old.file);
      const sameFileAdded = added.filter((t) => t.file === old.file);
      if (sameFileGone.length === 1 && sameFileAdded.length === 1) {
        lines.push(`${id} (${old.file}): test renamed from "${old.title}" to "${sameFileAdded[0]!.title}"`);
        added.splice(added.indexOf(sameFileAdded[0]!), 1);
      } else {
        lines.push(`${id} (${old.file}): checklist.yaml records test "${old.title}", which the scan no longer finds there`);
      }
    }
    for (const t of added) lines.push(`${id} (${t.file}): test "${t.title}" verifies it but checklist.yaml does not record it`);
  }
  return lines;
}
