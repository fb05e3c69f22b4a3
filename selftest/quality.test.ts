/**
 * Unit tests of the answer-quality metrics (checks/quality.ts) and the golden-set files (lib/golden.ts): a good
 * answer set passes both verdicts; each planted-defect-like bad input turns its own metric red; a malformed
 * golden file is refused with its file and line; the shipped question set and golden/example.yaml load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { attributionVerdict, isRefusal, namesAndNumbers, qualityFigures, qualityTable, queryTypesVerdict, scoreAnswer, type Asked, type CorpusDocument } from '../checks/quality.ts';
import { GoldenError, loadGoldenSet, parseGoldenSet, type GoldenQuestion } from '../lib/golden.ts';
import { evalCorpus, evalQuestions, harbourLedger, LONG_DOCUMENT_FACT } from '../fixtures/eval/index.ts';
import { REPO_ROOT } from '../core/paths.ts';
import type { QueryResult } from '../lib/rag-api.ts';

const corpus: CorpusDocument[] = [
  { name: 'a.txt', doc_id: 'A', title: 'a-m.txt', text: 'The Skelton canal has 9 locks. The Skelton canal was designed by Bram Ockleton.' },
  { name: 'b.txt', doc_id: 'B', title: 'b-m.txt', text: 'The Marrowby canal has 14 locks.' },
  { name: 'c.txt', doc_id: 'C', title: 'c-m.txt', text: 'Keep children away from the edges of locks.' },
];
const src = (id: string, excerpt: string) => ({ doc_id: id, title: corpus.find((d) => d.doc_id === id)!.title!, score: 0.5, excerpt });
const q = (over: Partial<GoldenQuestion>): GoldenQuestion => ({ id: 'q', question: 'Q?', type: 'factual', documents: [], related: [], excerpts: [], facts: [], minFacts: 0, at: 'x:1', ...over });
const res = (answer: string, sources: QueryResult['sources']): QueryResult => ({ answer, sources, context_used: sources.length });

const QS = {
  factual: q({ id: 'f', question: 'Who designed the Skelton canal?', documents: ['a.txt'], facts: ['Bram Ockleton'], minFacts: 1 }),
  summary: q({ id: 's', type: 'summary', question: 'Summarize the Skelton canal.', documents: ['a.txt'], facts: ['9 locks', 'Bram Ockleton'], minFacts: 2 }),
  comparison: q({ id: 'c', type: 'comparison', question: 'Compare the locks of the Skelton and Marrowby canals.', documents: ['a.txt', 'b.txt'], facts: ['9 locks', '14 locks'], minFacts: 2 }),
  unanswerable: q({ id: 'u', type: 'unanswerable', question: 'Who designed the Quenby canal?' }),
};
const GOOD: Record<keyof typeof QS, QueryResult> = {
  factual: res('The Skelton canal was designed by Bram Ockleton.', [src('A', 'The Skelton canal was designed by Bram Ockleton.')]),
  summary: res('The Skelton canal has 9 locks. The Skelton canal was designed by Bram Ockleton.', [src('A', 'The Skelton canal has 9 locks.')]),
  comparison: res('The Skelton canal has 9 locks. The Marrowby canal has 14 locks.', [src('A', 'The Skelton canal has 9 locks.'), src('B', 'The Marrowby canal has 14 locks.')]),
  unanswerable: res("I couldn't find information about Quenby in the provided context.", []),
};

function verdicts(over: Partial<Record<keyof typeof QS, QueryResult>> = {}, ms = 100) {
  const asked: Asked[] = (Object.keys(QS) as Array<keyof typeof QS>).map((k) => ({ q: QS[k], result: over[k] ?? GOOD[k], ms }));
  const scores = asked.map((a) => scoreAnswer(a, corpus));
  const rows = qualityFigures(scores);
  return { scores, rows, attribution: attributionVerdict(rows), types: queryTypesVerdict(rows) };
}

test('a sound answer set passes both verdicts and prints a row per type', () => {
  const v = verdicts();
  assert.deepEqual(v.attribution, []);
  assert.deepEqual(v.types, []);
  assert.deepEqual(v.scores.flatMap((s) => s.problems), []);
  const table = qualityTable(v.rows);
  for (const t of ['factual', 'summary', 'comparison', 'unanswerable', 'answerable']) assert.match(table, new RegExp(`\\| ${t} \\|`));
});

test('retrieval that ignores the question (random chunks): hit@k and MRR turn red', () => {
  const off = res('Keep children away from the edges of locks.', [src('C', 'Keep children away from the edges of locks.')]);
  const v = verdicts({ factual: off, summary: off, comparison: off });
  assert.ok(v.attribution.some((p) => /hit@3 0 %/.test(p)), v.attribution.join('\n'));
  assert.ok(v.attribution.some((p) => /MRR 0\.00/.test(p)));
  assert.ok(v.types.some((p) => /fact recall/.test(p)));
});

test('distractors ranked first: MRR and hit@k fall although the right document is still cited', () => {
  const late = (answer: string, right: QueryResult['sources']) => res(answer, [src('C', 'Keep children away from the edges of locks.'), src('C', 'Keep children away'), ...right]);
  const junk = [src('C', 'Keep children away from the edges of locks.')];
  const v = verdicts({
    factual: res(GOOD.factual.answer, [...junk, { ...src('B', 'The Marrowby canal has 14 locks.') }, { ...src('C', 'the edges of locks.') }, ...GOOD.factual.sources]),
    summary: late(GOOD.summary.answer, GOOD.summary.sources),
  });
  assert.ok(v.attribution.some((p) => /MRR/.test(p)), v.attribution.join('\n'));
  assert.ok(v.attribution.some((p) => /citation precision/.test(p)));
});

test('citations pointing at the wrong document: excerpts not verbatim, precision red', () => {
  const swap = (r: QueryResult): QueryResult => ({ ...r, sources: r.sources.map((s) => ({ ...s, doc_id: s.doc_id === 'A' ? 'C' : 'A', title: s.doc_id === 'A' ? 'c-m.txt' : 'a-m.txt' })) });
  const v = verdicts({ factual: swap(GOOD.factual), summary: swap(GOOD.summary), comparison: swap(GOOD.comparison) });
  assert.ok(v.attribution.some((p) => /do not occur verbatim/.test(p)), v.attribution.join('\n'));
  assert.ok(v.attribution.some((p) => /citation precision/.test(p)));
});

test('an answer that invents a fact absent from the corpus is not grounded', () => {
  assert.deepEqual(namesAndNumbers('The canal was restored in 1952 by Harold Finch. It has 9 locks.'), ['1952', 'Harold', 'Finch']);
  const v = verdicts({ factual: res(`${GOOD.factual.answer} It was restored in 1952 by Harold Finch.`, GOOD.factual.sources) });
  assert.ok(v.attribution.some((p) => /grounded answers 67 %/.test(p)), v.attribution.join('\n'));
  assert.match(v.scores[0]!.problems.join('\n'), /what no document says: 1952, Harold, Finch/);
});

test('a confident answer to an unanswerable question, or a refusal that cites sources, fails refusal correctness', () => {
  const confident = verdicts({ unanswerable: res('The Skelton canal was designed by Bram Ockleton.', [src('A', 'The Skelton canal was designed by Bram Ockleton.')]) });
  assert.ok(confident.types.some((p) => /unanswerable questions \(1\): refusal correctness 0 %/.test(p)), confident.types.join('\n'));
  const citing = verdicts({ unanswerable: res("I couldn't find information about Quenby.", [src('A', 'The Skelton canal has 9 locks.')]) });
  assert.ok(citing.types.some((p) => /refusal correctness 0 %/.test(p)));
  assert.equal(isRefusal('The Skelton canal has 9 locks. No information on tolls.'), false, 'judged on the first sentence');
});

test('a comparison citing one side, a summary with too few facts, a slow type, a missing type', () => {
  const v = verdicts({ comparison: res('The Skelton canal has 9 locks.', [src('A', 'The Skelton canal has 9 locks.')]), summary: res('The Skelton canal has 9 locks.', [src('A', 'The Skelton canal has 9 locks.')]) }, 2500);
  assert.ok(v.types.some((p) => /comparison questions \(1\): document recall/.test(p)), v.types.join('\n'));
  assert.ok(v.types.some((p) => /summary questions \(1\): fact recall 50 %/.test(p)));
  assert.ok(v.types.some((p) => /slowest answer took 2500 ms, not under 2000 ms/.test(p)));
  const rows = qualityFigures([scoreAnswer({ q: QS.factual, result: GOOD.factual, ms: 1 }, corpus)]);
  assert.deepEqual(queryTypesVerdict(rows), ['no summary question was asked', 'no comparison question was asked', 'no unanswerable question was asked']);
  assert.match(scoreAnswer({ q: QS.factual, error: 'HTTP 500', ms: 1 }, corpus).problems[0]!, /no answer \(HTTP 500\)/);
});

test('golden files: a malformed file is refused with file and line', () => {
  const bad = (text: string) => {
    try {
      parseGoldenSet(text, join(REPO_ROOT, 'golden', 'broken.yaml'));
    } catch (e) {
      assert.ok(e instanceof GoldenError, String(e));
      return e.message;
    }
    assert.fail('a broken golden file was accepted');
  };
  assert.match(bad('questions:\n  - question: Who?\n    type: factual\n    documents: [a.md]\n  - question: What colour?\n    type: colour\n    documents: [a.md]\n'), /golden\/broken\.yaml:6: questions\.1\.type: must be one of factual, summary, comparison, unanswerable/);
  assert.match(bad('questions:\n  - question: Who built it?\n    type: factual\n'), /broken\.yaml:2: questions\.0: a question that is not unanswerable needs "documents" or "excerpts"/);
  assert.match(bad('questions:\n  - question: Who built it?\n    type: unanswerable\n    facts: [x]\n'), /broken\.yaml:4: questions\.0\.facts: an unanswerable question has no documents/);
  assert.match(bad('questions:\n  - question: Who built it?\n    type: factual\n    documents: [a.md]\n    answer: x\n'), /broken\.yaml:5: questions\.0: unknown field "answer"/);
  assert.match(bad('questions:\n  - question: "Who built it?\n    type: factual\n'), /broken\.yaml:\d+: YAML:/);
  assert.match(bad('documents: [nowhere.md]\nquestions:\n  - question: Who built it?\n    type: factual\n    documents: [nowhere.md]\n'), /broken\.yaml:1: document to plant nowhere\.md does not exist/);
  assert.match(bad('questions:\n  - question: Who built it?\n    type: summary\n    documents: [a.md]\n    facts: [x]\n    min_facts: 3\n'), /broken\.yaml:6: min_facts 3 is more than the 1 facts listed/);
});

test('the shipped question set and golden/example.yaml load; the corpus carries the marker and a >1 MB ledger with the fact in its middle', () => {
  const set = evalQuestions();
  for (const t of ['factual', 'summary', 'comparison', 'unanswerable'] as const) assert.ok(set.questions.filter((x) => x.type === t).length >= 5, `at least 5 ${t} questions`);
  const docs = evalCorpus('raggate-test-marker');
  const names = new Set(docs.map((d) => d.name));
  for (const x of set.questions) for (const d of [...x.documents, ...x.related]) assert.ok(names.has(d), `${x.at}: ${d} is not in the corpus`);
  for (const d of docs) assert.ok(d.upload.filename.includes('raggate-test-marker') && d.upload.content.toString().includes('raggate-test-marker'), d.name);
  assert.deepEqual([...new Set(docs.map((d) => d.upload.contentType))].sort(), ['application/pdf', 'text/csv', 'text/markdown', 'text/plain']);
  const ledger = harbourLedger('m');
  assert.ok(Buffer.byteLength(ledger) > 1024 * 1024);
  const at = ledger.indexOf(LONG_DOCUMENT_FACT) / ledger.length;
  assert.ok(at > 0.4 && at < 0.6, `the fact is in the middle (at ${at.toFixed(2)})`);
  assert.equal(harbourLedger('m'), ledger, 'the same ledger on every run');
  assert.ok(loadGoldenSet(join(REPO_ROOT, 'golden', 'example.yaml')).questions.length > 0);
});
