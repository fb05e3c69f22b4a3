/**
 * The optional judge (checks/judge.ts): the prompt carries question, cited passages and answer; only a reply with
 * both scores as whole numbers 1–5 counts; the summary is information per question type and names the answers
 * that got no score – as the reference deployment's Ollama stand-in gets none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeMessages, judgeSummary, parseJudgement } from '../checks/judge.ts';

const input = { question: 'Who designed the Marrowby canal?', answer: 'The engineer Isolde Pennant.', excerpts: ['The Marrowby canal was designed by the engineer Isolde Pennant.'] };

test('the prompt holds the question, the cited passages and the answer, and asks for JSON', () => {
  const [system, user] = judgeMessages(input);
  assert.match(system!.content, /Reply with JSON only: \{"faithfulness": <1-5>, "relevance": <1-5>\}/);
  assert.equal(user!.content, 'Question: Who designed the Marrowby canal?\n\nCited passages:\n[1] The Marrowby canal was designed by the engineer Isolde Pennant.\n\nAnswer: The engineer Isolde Pennant.');
  assert.match(judgeMessages({ ...input, excerpts: [] })[1]!.content, /Cited passages:\n\(none cited\)/);
});

test('a reply counts only with both scores, whole numbers 1–5', () => {
  assert.deepEqual(parseJudgement('{"faithfulness": 4, "relevance": 5}'), { faithfulness: 4, relevance: 5 });
  assert.deepEqual(parseJudgement('Sure! ```json\n{ "Faithfulness": "3", "relevance": 1 }\n```'), { faithfulness: 3, relevance: 1 });
  for (const bad of ['{"faithfulness": 4}', '{"faithfulness": 0, "relevance": 5}', '{"faithfulness": 4.5, "relevance": 5}', '{"faithfulness": 9, "relevance": 2}', 'The answer is good.', '']) {
    assert.equal(parseJudgement(bad), undefined, bad);
  }
  // What the reference deployment's Ollama stand-in (reference/app/src/ollama/engine.ts) replies to judgeMessages(input).
  assert.equal(parseJudgement("I couldn't find information about Marrowby, Isolde, Pennant in the provided context."), undefined);
});

test('the summary: mean scores per type, answers without a score named, and that it decides nothing', () => {
  const s = judgeSummary([
    { type: 'factual', judgement: { faithfulness: 5, relevance: 4 } },
    { type: 'factual', judgement: { faithfulness: 4, relevance: 4 } },
    { type: 'comparison' },
  ], 'llama2:7b');
  assert.equal(s, 'judge llama2:7b (RAG_JUDGE=ollama; information only, decides nothing): factual (2): faithfulness 4.5/5, relevance 4.0/5; comparison: no score; 1 of 3 answers got no score (the model did not reply with the two scores: is it a real model?)');
});
