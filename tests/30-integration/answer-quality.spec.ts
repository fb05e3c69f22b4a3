/**
 * Phase 3 › End-to-End Functionality Tests › Query Processing (P3-QUERY-3, P3-QUERY-4): answer quality on the
 * shipped evaluation corpus (fixtures/eval/: ~30 documents in txt, md, csv and pdf, near-duplicates, distractors,
 * facts to combine, a >1 MB document with a fact in its middle) and on the customer's golden sets (golden/*.yaml),
 * measured without a judge model (checks/quality.ts): retrieval hit@k and MRR over the cited sources, citation
 * precision, fact recall, groundedness, refusal of unanswerable questions, latency per question type. Every
 * document is planted with the run marker and deleted afterwards. `npm run eval` runs this file alone.
 */
import { test, expect, verifies } from '../../fixtures/api.ts';
import { annotate } from '../../fixtures/checklist.ts';
import type { TestInfo } from '@playwright/test';
import type { RagApi, DocumentJanitor } from '../../lib/rag-api.ts';
import { goldenFiles, loadGoldenSet, type GoldenSet } from '../../lib/golden.ts';
import { evalCorpus, evalQuestions, goldenDocuments, type EvalDocument } from '../../fixtures/eval/index.ts';
import { attributionVerdict, qualityFigures, qualityTable, queryTypesVerdict, scoreAnswer, type Asked, type CorpusDocument, type QuestionScore, type TypeFigures } from '../../checks/quality.ts';
import { judgeMessages, judgeSummary, parseJudgement, type Judged, type Judgement } from '../../checks/judge.ts';
import type { HttpClient } from '../../lib/http.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import { judgeSetting } from '../../core/config.ts';
import { REPO_ROOT } from '../../core/paths.ts';
import { MAX_UPLOAD_TO_SEARCHABLE_MS } from '../../core/thresholds.ts';
import { join } from 'node:path';

/** The upload endpoint takes at most 20 files per request. */
const UPLOAD_BATCH = 20;

interface Run {
  set: GoldenSet;
  asked: Asked[];
  scores: QuestionScore[];
  rows: TypeFigures[];
}
let shipped: Run | undefined;
const golden: Run[] = [];
/** Why planting or asking failed: every test fails with it (a failing beforeAll would skip them without a reason). */
let failed: string | undefined;

async function plant(janitor: DocumentJanitor, api: RagApi, docs: EvalDocument[]): Promise<CorpusDocument[]> {
  const out: CorpusDocument[] = [];
  for (let i = 0; i < docs.length; i += UPLOAD_BATCH) {
    const batch = docs.slice(i, i + UPLOAD_BATCH);
    const r = await janitor.upload(batch.map((d) => d.upload));
    for (const d of batch) {
      const up = r.documents.find((u) => u.filename === d.upload.filename);
      if (!up) throw new Error(`the upload did not return ${d.upload.filename}`);
      out.push({ name: d.name, doc_id: up.doc_id, title: d.upload.filename, ...(d.text !== undefined ? { text: d.text } : {}) });
    }
  }
  for (const d of out) {
    const { final, seen } = await api.waitForTerminal(d.doc_id!, MAX_UPLOAD_TO_SEARCHABLE_MS * 2);
    if (final.status !== 'completed') throw new Error(`planted document ${d.title} did not complete (${seen.join(' → ')}): ${final.error_message ?? ''}`);
  }
  return out;
}

async function ask(api: RagApi, set: GoldenSet, corpus: CorpusDocument[]): Promise<Run> {
  const asked: Asked[] = [];
  for (const q of set.questions) {
    const t0 = performance.now();
    try {
      const result = await api.query(q.question);
      asked.push({ q, result, ms: performance.now() - t0 });
    } catch (e) {
      asked.push({ q, error: (e as Error).message.split('\n')[0], ms: performance.now() - t0 });
    }
  }
  const scores = asked.map((a) => scoreAnswer(a, corpus));
  return { set, asked, scores, rows: qualityFigures(scores) };
}

test.beforeAll(async ({ janitor, workerApi }) => {
  test.setTimeout(10 * 60_000);
  try {
    const sets = goldenFiles(join(REPO_ROOT, 'golden')).map(loadGoldenSet);
    const corpus = await plant(janitor, workerApi, evalCorpus(janitor.marker));
    shipped = await ask(workerApi, evalQuestions(), corpus);
    for (const set of sets) {
      const own = await plant(janitor, workerApi, goldenDocuments(set, janitor.marker));
      golden.push(await ask(workerApi, set, own));
    }
  } catch (e) {
    failed = (e as Error).message;
  }
});

test.afterAll(async ({ janitor }) => {
  const left = await janitor.cleanup();
  expect(left).toHaveNoProblems('test documents that could not be deleted');
});

function runs(): { shipped: Run; golden: Run[] } {
  if (!shipped) throw new Error(`the evaluation did not run: ${failed ?? 'planting did not run'}`);
  return { shipped, golden };
}

const pct = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);

/** The table as evidence and on the line; the figures of the shipped set for the baseline. */
async function show(testInfo: TestInfo, evidence: (n: string, t: string) => Promise<void>, run: Run, name: string, figures: boolean): Promise<void> {
  const table = qualityTable(run.rows);
  console.log(`\n${name}\n${table}`);
  await evidence(`${name}: metrics per question type`, table);
  await evidence(`${name}: answers`, run.scores.map((s) => `${s.id} [${s.type}] ${s.question}\n  cited: ${s.cited.join(', ') || 'nothing'}; facts: ${s.factsStated.join(', ') || 'none'}; ${s.ms.toFixed(0)} ms${s.problems.length ? `\n  ${s.problems.join('\n  ')}` : ''}`).join('\n'));
  for (const r of run.rows) {
    const parts = [
      r.hitAtK !== undefined && `hit@k ${pct(r.hitAtK)}`, r.mrr !== undefined && `MRR ${r.mrr.toFixed(2)}`, r.citationPrecision !== undefined && `citation precision ${pct(r.citationPrecision)}`,
      r.factRecall !== undefined && `fact recall ${pct(r.factRecall)}`, r.grounded !== undefined && `grounded ${pct(r.grounded)}`, r.refusalCorrectness !== undefined && `refusals ${pct(r.refusalCorrectness)}`,
      `p50 ${r.p50Ms.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms`,
    ].filter(Boolean);
    annotate.measured(testInfo, `${name}, ${r.type} (${r.questions}): ${parts.join(', ')}`);
    if (!figures) continue;
    for (const [key, value] of [['hit_at_k', r.hitAtK], ['mrr', r.mrr], ['citation_precision', r.citationPrecision], ['fact_recall', r.factRecall], ['grounded', r.grounded], ['refusals', r.refusalCorrectness]] as const) {
      // A share of questions carries its count; MRR and the share of citations are no count of questions.
      const perQuestion = key !== 'mrr' && key !== 'citation_precision';
      annotate.figure(testInfo, { key: `quality.${r.type}.${key}`, value: pct(value), unit: key === 'mrr' ? '' : 'fraction', better: 'higher', ...(perQuestion ? { of: r.questions } : {}) });
    }
    annotate.figure(testInfo, { key: `quality.${r.type}.max_ms`, value: Math.round(r.maxMs), unit: 'ms', better: 'lower' });
  }
}

/** The undici client waits at most this long for a reply's headers: a local model answering one judgement. */
const JUDGE_TIMEOUT_MS = 60_000;

/** RAG_JUDGE=ollama: the deployment's own model scores each answered question (checks/judge.ts); information only. */
async function judge(testInfo: TestInfo, evidence: (n: string, t: string) => Promise<void>, http: HttpClient, target: TargetView, run: Run): Promise<void> {
  const url = target.url('ollama');
  if (!url) {
    annotate.info(testInfo, `RAG_JUDGE=ollama: no judge scores, the deployment's Ollama is not reachable from here${target.mode === 'live' ? ' (set RAG_OLLAMA_URL)' : ''}`);
    return;
  }
  const model = target.ollamaModels.models[0]!;
  const answered = run.asked.filter((a) => a.result && a.q.type !== 'unanswerable');
  testInfo.setTimeout(testInfo.timeout + answered.length * JUDGE_TIMEOUT_MS);
  const judged: Judged[] = [];
  const lines: string[] = [];
  for (const a of answered) {
    const r = a.result!;
    let judgement: Judgement | undefined;
    let why = '';
    try {
      const messages = judgeMessages({ question: a.q.question, answer: r.answer, excerpts: r.sources.map((s) => s.excerpt) });
      const ex = await http.fetch(`${url}/api/chat`, { method: 'POST', json: { model, messages, stream: false, format: 'json', options: { temperature: 0 } }, timeoutMs: JUDGE_TIMEOUT_MS });
      const reply = ex.status === 200 ? String(http.json<{ message?: { content?: unknown } }>(ex).message?.content ?? '') : '';
      judgement = parseJudgement(reply);
      why = ex.status === 200 ? `replied "${reply.slice(0, 120)}"` : `HTTP ${ex.status}`;
    } catch (e) {
      why = (e as Error).message.split('\n')[0]!;
    }
    judged.push({ type: a.q.type, ...(judgement ? { judgement } : {}) });
    lines.push(`${a.q.id}: ${judgement ? `faithfulness ${judgement.faithfulness}/5, relevance ${judgement.relevance}/5` : `no score (${why})`}`);
  }
  annotate.info(testInfo, judgeSummary(judged, model));
  await evidence('evaluation corpus: judge scores (information only)', lines.join('\n'));
}

test.describe('Answer quality @eval', () => {
  test('source attribution on the evaluation corpus: the right documents cited first, excerpts verbatim, nothing invented', verifies('P3-QUERY-3'), async ({ evidence, http, target }, testInfo) => {
    const { shipped: run } = runs();
    await show(testInfo, evidence, run, 'evaluation corpus', true);
    if (judgeSetting() === 'ollama') await judge(testInfo, evidence, http, target, run);
    expect(attributionVerdict(run.rows)).toHaveNoProblems('answer quality below its thresholds (retrieval, citations, groundedness)', { evidence: 'evaluation corpus: answers' });
  });

  test('query types on the evaluation corpus: factual, summary and comparison answers state their facts, unanswerable questions are refused', verifies('P3-QUERY-4'), async ({ evidence }, testInfo) => {
    const { shipped: run } = runs();
    await show(testInfo, evidence, run, 'evaluation corpus', false);
    expect(queryTypesVerdict(run.rows)).toHaveNoProblems('query types below their thresholds (facts, both sides, refusals, latency)', { evidence: 'evaluation corpus: answers' });
  });

  test('the customer\'s golden sets (golden/*.yaml) are answered to the same thresholds', verifies('P3-QUERY-3', 'P3-QUERY-4'), async ({ evidence }, testInfo) => {
    const { golden: sets } = runs();
    const problems: string[] = [];
    for (const run of sets) {
      await show(testInfo, evidence, run, run.set.file, false);
      problems.push(...[...attributionVerdict(run.rows), ...queryTypesVerdict(run.rows, [])].map((p) => `${run.set.file}: ${p}`));
      problems.push(...run.scores.filter((s) => s.problems.length).map((s) => `${run.set.questions.find((q) => q.id === s.id)?.at ?? s.id}: ${s.problems.join('; ')}`));
    }
    if (sets.length === 0) annotate.info(testInfo, 'no golden set in golden/ (add golden/<name>.yaml: README, golden sets)');
    expect(problems).toHaveNoProblems('golden-set questions answered wrongly');
  });
});
