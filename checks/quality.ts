/**
 * Answer quality without a judge model (unit-tested with bad inputs in selftest/quality.test.ts): for each
 * question of a golden set (lib/golden.ts) and the answer the system gave, retrieval (hit@k and reciprocal rank
 * of the expected documents among the cited ones, document recall), citation precision (every excerpt verbatim
 * in its document, every cited document one the question is about), fact recall, groundedness (no name or number
 * the corpus does not contain), refusal correctness (an unanswerable question: "not found", nothing cited) and
 * latency; then the figures per question type and the verdicts for P3-QUERY-3 (attribution) and P3-QUERY-4
 * (query types) against core/thresholds.ts.
 */
import type { QueryResult } from '../lib/rag-api.ts';
import { QUESTION_TYPES, type GoldenQuestion, type QuestionType } from '../lib/golden.ts';
import { containsFact, normalizeForFacts } from './answers.ts';
import * as T from '../core/thresholds.ts';

/** A document the questions may name: planted (doc_id known, text usually known) or already in the deployment (title only). */
export interface CorpusDocument {
  /** The name questions use (file name without the run marker, or the title in the deployment). */
  name: string;
  doc_id?: string;
  title?: string;
  /** The text, when the suite knows it (excerpts are checked against it). */
  text?: string;
}

export interface Asked {
  q: GoldenQuestion;
  result?: QueryResult;
  /** Why there is no result (HTTP status, schema, timeout). */
  error?: string;
  ms: number;
}

export interface QuestionScore {
  id: string;
  type: QuestionType;
  question: string;
  /** Cited documents in order, once each (names where known, else titles). */
  cited: string[];
  /** 1-based rank of the first expected document among `cited`; 0 when none is cited. */
  rank: number;
  documentRecall: number;
  citations: number;
  /** Citations whose excerpt could be checked (the document's text is known). */
  checkable: number;
  verbatim: number;
  relevant: number;
  /** Citations both relevant and verbatim (or not checkable). */
  precise: number;
  factsStated: string[];
  factRecall: number;
  refused: boolean;
  /** Names and numbers in the answer that occur nowhere in the corpus, the question or the cited titles. */
  unsupported: string[];
  /** Whether groundedness could be judged (every cited document's text known). */
  groundable: boolean;
  ms: number;
  problems: string[];
}

/** "Not found" answers: the words systems and models use to say the documents do not answer the question. */
export const REFUSAL =
  /\b(could ?n[o']t|cannot|can'?t|unable to|did ?n[o']t|was ?n[o']t able to) (find|answer|locate)\b|\bno (relevant )?(information|passages?|context|documents?|mention)\b|\bnot (found|mentioned|covered|stated)\b|\bdo(es)? ?n[o']t (contain|mention|say|cover|know|have)\b|\bnothing (relevant|about)\b/i;

export function isRefusal(answer: string): boolean {
  return REFUSAL.test(answer.trim().split(/[.!?](?:\s|$)|\n/)[0] ?? '');
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Capitalised words after a sentence's first word and numbers of two or more digits: what an answer could invent. */
export function namesAndNumbers(text: string): string[] {
  const out = new Set<string>();
  for (const sentence of text.split(/(?<=[.!?])\s+|\n+/)) {
    const tokens = sentence.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
    tokens.forEach((t, i) => {
      if (/\p{N}/u.test(t) ? t.replace(/\D/g, '').length >= 2 : i > 0 && /^\p{Lu}/u.test(t) && t.length >= 3) out.add(t);
    });
  }
  return [...out];
}

function wordsOf(text: string): Set<string> {
  return new Set(normalizeForFacts(text).match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** Scores one answer against its question; `corpus` is every document the questions may name (with texts where known). */
export function scoreAnswer(a: Asked, corpus: CorpusDocument[], k = T.QUALITY_HIT_K): QuestionScore {
  const { q } = a;
  const base: QuestionScore = {
    id: q.id, type: q.type, question: q.question, cited: [], rank: 0, documentRecall: 0, citations: 0, checkable: 0, verbatim: 0, relevant: 0, precise: 0,
    factsStated: [], factRecall: 0, refused: false, unsupported: [], groundable: false, ms: a.ms, problems: [],
  };
  if (!a.result) return { ...base, problems: [`${q.id}: no answer (${a.error ?? 'unknown error'})`] };
  const r = a.result;
  const byId = new Map(corpus.filter((d) => d.doc_id).map((d) => [d.doc_id!, d]));
  const byTitle = new Map(corpus.map((d) => [d.title ?? d.name, d]));
  const docOf = (s: QueryResult['sources'][number]) => byId.get(s.doc_id) ?? byTitle.get(s.title);
  const nameOf = (s: QueryResult['sources'][number]) => docOf(s)?.name ?? s.title;
  const wanted = new Set(q.documents);
  const allowed = new Set([...q.documents, ...q.related]);
  const quotesExpected = (excerpt: string) => q.excerpts.some((e) => normalizeForFacts(excerpt).includes(normalizeForFacts(e)));
  const problems: string[] = [];
  let checkable = 0;
  let verbatim = 0;
  let relevant = 0;
  let precise = 0;
  const cited: string[] = [];
  let rank = 0;
  r.sources.forEach((s, i) => {
    const doc = docOf(s);
    const name = nameOf(s);
    if (!cited.includes(name)) cited.push(name);
    const isExpected = wanted.has(name) || quotesExpected(s.excerpt);
    if (isExpected && rank === 0) rank = cited.indexOf(name) + 1;
    const isRelevant = isExpected || allowed.has(name);
    if (isRelevant) relevant++;
    else problems.push(`${q.id}: source ${i + 1} cites ${name}, which the question is not about`);
    let isVerbatim = true;
    if (doc?.text !== undefined) {
      checkable++;
      isVerbatim = squash(s.excerpt).length > 0 && squash(doc.text).includes(squash(s.excerpt));
      if (isVerbatim) verbatim++;
      else problems.push(`${q.id}: source ${i + 1} (${name}): the excerpt does not occur in the document: "${s.excerpt.slice(0, 120)}"`);
    }
    if (isRelevant && isVerbatim) precise++;
  });
  const refused = isRefusal(r.answer);
  const factsStated = q.facts.filter((f) => containsFact(r.answer, f));
  const unanswerable = q.type === 'unanswerable';
  if (unanswerable) {
    if (!refused) problems.push(`${q.id}: an unanswerable question was answered instead of "not found": "${r.answer.slice(0, 160)}"`);
    if (r.sources.length) problems.push(`${q.id}: an unanswerable question cites ${r.sources.length} source(s): ${cited.join(', ')}`);
  } else {
    if (refused) problems.push(`${q.id}: the answer says it found nothing: "${r.answer.slice(0, 160)}"`);
    if (rank === 0) problems.push(`${q.id}: none of ${[...wanted, ...q.excerpts.map((e) => `"${e}"`)].join(', ')} is cited (cited: ${cited.join(', ') || 'nothing'})`);
    else if (rank > k) problems.push(`${q.id}: the first expected document is cited at rank ${rank}, after ${cited.slice(0, rank - 1).join(', ')}`);
    for (const d of wanted) if (!cited.includes(d)) problems.push(`${q.id}: does not cite ${d}`);
    const missing = q.facts.filter((f) => !factsStated.includes(f));
    if (factsStated.length < q.minFacts) problems.push(`${q.id}: states ${factsStated.length} of the ${q.minFacts} facts needed; missing ${missing.map((f) => `"${f}"`).join(', ')}`);
  }
  // Groundedness: judged only where the text of every cited document is known.
  const citedDocs = r.sources.map(docOf);
  const groundable = !unanswerable && !refused && citedDocs.every((d) => d?.text !== undefined);
  let unsupported: string[] = [];
  if (groundable) {
    const known = wordsOf([...corpus.map((d) => d.text ?? ''), q.question, ...r.sources.map((s) => s.title)].join('\n'));
    unsupported = namesAndNumbers(r.answer).filter((t) => ![...wordsOf(t)].every((w) => known.has(w)));
    if (unsupported.length) problems.push(`${q.id}: the answer states what no document says: ${unsupported.join(', ')}`);
  }
  return {
    ...base,
    cited,
    rank,
    documentRecall: wanted.size ? [...wanted].filter((d) => cited.includes(d)).length / wanted.size : rank > 0 ? 1 : 0,
    citations: r.sources.length,
    checkable,
    verbatim,
    relevant,
    precise,
    factsStated,
    factRecall: q.minFacts ? Math.min(factsStated.length, q.minFacts) / q.minFacts : 1,
    refused,
    unsupported,
    groundable,
    problems,
  };
}

/** The figures of one question type (or of all answerable questions: type "answerable"). */
export interface TypeFigures {
  type: QuestionType | 'answerable';
  questions: number;
  hitAtK?: number;
  mrr?: number;
  documentRecall?: number;
  citationPrecision?: number;
  verbatim?: number;
  factRecall?: number;
  grounded?: number;
  refusalCorrectness?: number;
  p50Ms: number;
  maxMs: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : undefined);
const ratio = (n: number, d: number) => (d ? n / d : undefined);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
}

export function figuresOf(scores: QuestionScore[], type: TypeFigures['type'], k = T.QUALITY_HIT_K): TypeFigures {
  const mine = scores.filter((s) => (type === 'answerable' ? s.type !== 'unanswerable' : s.type === type));
  const sum = (f: (s: QuestionScore) => number) => mine.reduce((n, s) => n + f(s), 0);
  const out: TypeFigures = { type, questions: mine.length, p50Ms: median(mine.map((s) => s.ms)), maxMs: Math.max(0, ...mine.map((s) => s.ms)) };
  if (type === 'unanswerable') return { ...out, refusalCorrectness: ratio(mine.filter((s) => s.refused && s.citations === 0).length, mine.length) };
  const grounded = mine.filter((s) => s.groundable);
  return {
    ...out,
    hitAtK: ratio(mine.filter((s) => s.rank > 0 && s.rank <= k).length, mine.length),
    mrr: mean(mine.map((s) => (s.rank ? 1 / s.rank : 0))),
    documentRecall: mean(mine.map((s) => s.documentRecall)),
    citationPrecision: ratio(sum((s) => s.precise), sum((s) => s.citations)),
    verbatim: ratio(sum((s) => s.verbatim), sum((s) => s.checkable)),
    factRecall: mean(mine.map((s) => s.factRecall)),
    grounded: ratio(grounded.filter((s) => s.unsupported.length === 0).length, grounded.length),
  };
}

/** Figures per type present, then over all answerable questions. */
export function qualityFigures(scores: QuestionScore[]): TypeFigures[] {
  const types = QUESTION_TYPES.filter((t) => scores.some((s) => s.type === t));
  return [...types.map((t) => figuresOf(scores, t)), ...(scores.some((s) => s.type !== 'unanswerable') ? [figuresOf(scores, 'answerable')] : [])];
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(0)} %`);

/** The metric table, one row per type, as Markdown (the console, the evidence and the checklist line read it). */
export function qualityTable(rows: TypeFigures[]): string {
  const head = `| type | n | hit@${T.QUALITY_HIT_K} | MRR | doc recall | citation precision | verbatim | fact recall | grounded | refusals | p50 ms | max ms |`;
  const lines = rows.map((r) => `| ${r.type} | ${r.questions} | ${pct(r.hitAtK)} | ${r.mrr === undefined ? '–' : r.mrr.toFixed(2)} | ${pct(r.documentRecall)} | ${pct(r.citationPrecision)} | ${pct(r.verbatim)} | ${pct(r.factRecall)} | ${pct(r.grounded)} | ${pct(r.refusalCorrectness)} | ${r.p50Ms.toFixed(0)} | ${r.maxMs.toFixed(0)} |`);
  return [head, head.replace(/[^|]+/g, '---'), ...lines].join('\n');
}

function below(what: string, value: number | undefined, min: number, where: string): string[] {
  return value !== undefined && value < min - 1e-9 ? [`${where}: ${what} ${pct(value)} is below ${pct(min)}`] : [];
}

/**
 * P3-QUERY-3 "Verify response quality and source attribution": over the answerable questions, retrieval
 * (hit@k, MRR), citation precision, every checkable excerpt verbatim, groundedness.
 */
export function attributionVerdict(rows: TypeFigures[]): string[] {
  const all = rows.find((r) => r.type === 'answerable');
  if (!all) return ['no answerable question was asked'];
  const where = `answerable questions (${all.questions})`;
  return [
    ...below(`hit@${T.QUALITY_HIT_K}`, all.hitAtK, T.MIN_HIT_AT_K, where),
    ...(all.mrr !== undefined && all.mrr < T.MIN_MRR - 1e-9 ? [`${where}: MRR ${all.mrr.toFixed(2)} is below ${T.MIN_MRR}`] : []),
    ...below('citation precision', all.citationPrecision, T.MIN_CITATION_PRECISION, where),
    ...(all.verbatim !== undefined && all.verbatim < 1 ? [`${where}: ${pct(1 - all.verbatim)} of the checkable excerpts do not occur verbatim in their documents`] : []),
    ...below('grounded answers', all.grounded, T.MIN_GROUNDED_ANSWERS, where),
  ];
}

/**
 * P3-QUERY-4 "Test multiple query types (factual, summary, comparison)": each type asked and its facts stated
 * (a comparison citing both sides), unanswerable questions refused, every type answered within MAX_QUERY_MS.
 */
export function queryTypesVerdict(rows: TypeFigures[], required: readonly QuestionType[] = QUESTION_TYPES): string[] {
  const problems: string[] = [];
  for (const t of required) if (!rows.some((r) => r.type === t)) problems.push(`no ${t} question was asked`);
  for (const r of rows) {
    if (r.type === 'answerable') continue;
    const where = `${r.type} questions (${r.questions})`;
    problems.push(...below('fact recall', r.factRecall, T.MIN_FACT_RECALL, where));
    if (r.type === 'comparison') problems.push(...below('document recall (both sides cited)', r.documentRecall, T.MIN_DOCUMENT_RECALL, where));
    problems.push(...below('refusal correctness', r.refusalCorrectness, T.MIN_REFUSAL_CORRECTNESS, where));
    if (r.maxMs >= T.MAX_QUERY_MS) problems.push(`${where}: the slowest answer took ${r.maxMs.toFixed(0)} ms, not under ${T.MAX_QUERY_MS} ms`);
  }
  return problems;
}
