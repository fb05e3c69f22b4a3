/**
 * The suite's one PromQL parser: enough structure to find an alert's comparison and its threshold, and the
 * metric names an expression reads (parsed, not grepped: `100` and `5m` inside a query are not thresholds,
 * `by (le)` names no metric).
 *
 *   alertComparison('(1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))) * 100 > 90')  // > 90, percentScale
 *   metricNames(parsePromQL('sum(rate(rag_queries_total[5m])) / sum(up)'))                 // rag_queries_total, up
 */
/** A parsed PromQL expression. */
export type PromNode =
  | { type: 'number'; value: number }
  | { type: 'string'; value: string }
  | { type: 'selector'; name: string; matchers: string; range?: string }
  | { type: 'call'; name: string; args: PromNode[]; grouping?: string }
  | { type: 'paren'; expr: PromNode }
  | { type: 'unary'; op: '-' | '+'; expr: PromNode }
  | { type: 'binary'; op: string; bool: boolean; lhs: PromNode; rhs: PromNode }
  | { type: 'subquery'; expr: PromNode; range: string };

interface Tok {
  kind: 'num' | 'str' | 'ident' | 'op' | 'punct' | 'braces' | 'brackets' | 'dur';
  text: string;
}

const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile']);
const BINARY_PRECEDENCE: Record<string, number> = { or: 1, and: 2, unless: 2, '==': 3, '!=': 3, '<=': 3, '>=': 3, '<': 3, '>': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, atan2: 5, '^': 6 };
export const COMPARISON_OPS = new Set(['==', '!=', '<=', '>=', '<', '>']);

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const enclosed = (open: string, close: string): string => {
    let depth = 0;
    const start = i;
    while (i < src.length) {
      const c = src[i]!;
      if (c === '"' || c === "'" || c === '`') {
        const q = c;
        i++;
        while (i < src.length && src[i] !== q) i += src[i] === '\\' ? 2 : 1;
      } else if (c === open) depth++;
      else if (c === close && --depth === 0) {
        i++;
        return src.slice(start, i);
      }
      i++;
    }
    throw new Error(`unbalanced ${open} in PromQL: ${src}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '{') {
      toks.push({ kind: 'braces', text: enclosed('{', '}') });
    } else if (c === '[') {
      toks.push({ kind: 'brackets', text: enclosed('[', ']') });
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      toks.push({ kind: 'str', text: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9.]/.test(c)) {
      // A duration (`1h`, `1h30m`, after offset or @) is digits and units; anything else is a number.
      const dur = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+(?![A-Za-z0-9_:])/.exec(src.slice(i));
      const m = dur ?? /^(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)/.exec(src.slice(i))!;
      toks.push({ kind: dur ? 'dur' : 'num', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_:]/.test(c)) {
      const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(src.slice(i))!;
      toks.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>='].includes(two)) {
        toks.push({ kind: 'op', text: two });
        i += 2;
      } else if ('<>+-*/%^'.includes(c)) {
        toks.push({ kind: 'op', text: c });
        i++;
      } else if ('(),@'.includes(c)) {
        toks.push({ kind: 'punct', text: c });
        i++;
      } else {
        throw new Error(`unexpected "${c}" in PromQL at ${i}: ${src}`);
      }
    }
  }
  return toks;
}

export function parsePromQL(src: string): PromNode {
  const toks = tokenize(src);
  let pos = 0;
  const peek = (): Tok | undefined => toks[pos];
  const next = (): Tok => {
    const t = toks[pos++];
    if (!t) throw new Error(`unexpected end of PromQL: ${src}`);
    return t;
  };
  const expect = (text: string): void => {
    const t = next();
    if (t.text !== text) throw new Error(`expected "${text}" but found "${t.text}" in PromQL: ${src}`);
  };
  const binaryOp = (): string | undefined => {
    const t = peek();
    if (!t) return undefined;
    if (t.kind === 'op') return t.text;
    if (t.kind === 'ident' && ['and', 'or', 'unless', 'atan2'].includes(t.text)) return t.text;
    return undefined;
  };
  const labelList = (): string => {
    expect('(');
    const names: string[] = [];
    while (peek()?.text !== ')') {
      const t = next();
      if (t.text !== ',') names.push(t.text);
    }
    expect(')');
    return names.join(',');
  };
  const args = (): PromNode[] => {
    expect('(');
    const out: PromNode[] = [];
    while (peek()?.text !== ')') {
      out.push(expr(0));
      if (peek()?.text === ',') next();
      else if (peek()?.text !== ')') throw new Error(`expected "," or ")" but found "${peek()?.text ?? 'the end'}" in PromQL: ${src}`);
    }
    expect(')');
    return out;
  };
  const postfix = (n: PromNode): PromNode => {
    for (;;) {
      const t = peek();
      if (t?.kind === 'brackets') {
        next();
        n = n.type === 'selector' && !n.range ? { ...n, range: t.text } : { type: 'subquery', expr: n, range: t.text };
      } else if (t?.kind === 'ident' && t.text === 'offset') {
        next();
        if (peek()?.text === '-') next();
        next();
      } else if (t?.text === '@') {
        next();
        const a = next();
        if (a.kind === 'ident') args();
      } else return n;
    }
  };
  const primary = (): PromNode => {
    const t = next();
    if (t.kind === 'num') return postfix({ type: 'number', value: Number(t.text) });
    if (t.kind === 'str') return { type: 'string', value: t.text };
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      // unary binds tighter than binary operators except ^
      const operand = expr(BINARY_PRECEDENCE['^']!);
      if (operand.type === 'number') return { type: 'number', value: t.text === '-' ? -operand.value : operand.value };
      return { type: 'unary', op: t.text, expr: operand };
    }
    if (t.text === '(') {
      const inner = expr(0);
      expect(')');
      return postfix({ type: 'paren', expr: inner });
    }
    if (t.kind === 'braces') return postfix({ type: 'selector', name: '', matchers: t.text });
    if (t.kind === 'ident') {
      if (AGGREGATIONS.has(t.text)) {
        let grouping: string | undefined;
        if (peek()?.text === 'by' || peek()?.text === 'without') grouping = `${next().text}(${labelList()})`;
        const a = args();
        if (peek()?.text === 'by' || peek()?.text === 'without') grouping = `${next().text}(${labelList()})`;
        return postfix({ type: 'call', name: t.text, args: a, ...(grouping ? { grouping } : {}) });
      }
      if (peek()?.text === '(') return postfix({ type: 'call', name: t.text, args: args() });
      if (t.text === 'Inf' || t.text === 'NaN' || t.text === 'inf' || t.text === 'nan') return { type: 'number', value: t.text.toLowerCase() === 'nan' ? NaN : Infinity };
      let matchers = '';
      if (peek()?.kind === 'braces') matchers = next().text;
      return postfix({ type: 'selector', name: t.text, matchers });
    }
    throw new Error(`unexpected "${t.text}" in PromQL: ${src}`);
  };
  function expr(minPrec: number): PromNode {
    let lhs = primary();
    for (;;) {
      const op = binaryOp();
      if (!op) return lhs;
      const prec = BINARY_PRECEDENCE[op]!;
      if (prec < minPrec) return lhs;
      next();
      let bool = false;
      if (peek()?.text === 'bool') {
        next();
        bool = true;
      }
      if (peek()?.text === 'on' || peek()?.text === 'ignoring') {
        next();
        labelList();
      }
      if (peek()?.text === 'group_left' || peek()?.text === 'group_right') {
        next();
        if (peek()?.text === '(') labelList();
      }
      // left-associative except ^
      const rhs = expr(op === '^' ? prec : prec + 1);
      lhs = { type: 'binary', op, bool, lhs, rhs };
    }
  }
  const tree = expr(0);
  if (pos !== toks.length) throw new Error(`unexpected "${toks[pos]!.text}" after the end of the expression in PromQL: ${src}`);
  return tree;
}

function unwrap(n: PromNode): PromNode {
  return n.type === 'paren' ? unwrap(n.expr) : n;
}

type Selector = Extract<PromNode, { type: 'selector' }>;

/** Every vector selector of an expression, in order. */
export function selectors(n: PromNode): Selector[] {
  switch (n.type) {
    case 'selector':
      return [n];
    case 'call':
      return n.args.flatMap(selectors);
    case 'paren':
    case 'unary':
    case 'subquery':
      return selectors(n.expr);
    case 'binary':
      return [...selectors(n.lhs), ...selectors(n.rhs)];
    default:
      return [];
  }
}

/** The metric name of every vector selector, in order (`''` for a selector without a name, `{job="x"}`). */
export function selectorNames(n: PromNode): string[] {
  return selectors(n).map((s) => s.name);
}

/**
 * The metric names an expression reads, each once: selector names and `{__name__="…"}` matchers. Label names
 * (`by (le)`), functions and keywords are not metrics.
 */
export function metricNames(n: PromNode): string[] {
  const names = selectors(n).map((s) => s.name || (/[{,]\s*__name__\s*=\s*(["'`])([^"'`]+)\1/.exec(s.matchers)?.[2] ?? ''));
  return [...new Set(names.filter((x) => x !== ''))];
}

/** An alert expression's comparison, normalised to `<query> <op> <threshold>`. */
export interface Comparison {
  op: string;
  threshold: number;
  query: PromNode;
  /** The query side is a percentage (`… * 100`), so the threshold is in percent. */
  percentScale: boolean;
}

const FLIP: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' };

/**
 * The comparison of an alert expression: the top-level binary expression's operator and numeric literal,
 * normalised to `<query> <op> <literal>`, and whether the query side is a percentage (`… * 100`).
 */
export function alertComparison(exprText: string): Comparison {
  return comparisonOf(parsePromQL(exprText), exprText);
}

function comparisonOf(node: PromNode, exprText: string): Comparison {
  const top = unwrap(node);
  if (top.type !== 'binary' || !COMPARISON_OPS.has(top.op)) throw new Error(`the alert expression's top level is not a comparison: ${exprText}`);
  let op = top.op;
  let lit = unwrap(top.rhs);
  let query = unwrap(top.lhs);
  if (lit.type !== 'number' && query.type === 'number') {
    [lit, query] = [query, lit];
    op = FLIP[op]!;
  }
  if (lit.type !== 'number') throw new Error(`the alert expression compares two queries, not a query with a number: ${exprText}`);
  const percentScale = query.type === 'binary' && query.op === '*' && [unwrap(query.lhs), unwrap(query.rhs)].some((s) => s.type === 'number' && s.value === 100);
  return { op, threshold: lit.value, query, percentScale };
}

/**
 * The comparisons of an alert expression that is a union of conditions (`a == 0 or b == 0`): each branch of
 * a top-level `or` is a comparison of its own; any other expression is one comparison.
 */
export function alertComparisons(exprText: string): Comparison[] {
  const branches: PromNode[] = [];
  const walk = (n: PromNode): void => {
    const u = unwrap(n);
    if (u.type === 'binary' && u.op === 'or') {
      walk(u.lhs);
      walk(u.rhs);
    } else branches.push(u);
  };
  walk(parsePromQL(exprText));
  return branches.map((b) => comparisonOf(b, exprText));
}

