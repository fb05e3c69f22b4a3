/**
 * The optional judge (RAG_JUDGE=ollama): the deployment's own Ollama model scores each answer of the evaluation
 * corpus for faithfulness (every statement supported by the cited passages) and relevance (the answer addresses
 * the question), 1–5. Information beside the deterministic metrics of checks/quality.ts, never a decision: a model
 * grading itself is neither stable nor independent. Unit-tested in selftest/judge.test.ts.
 */
import type { QuestionType } from '../lib/golden.ts';

export interface JudgeInput {
  question: string;
  answer: string;
  /** The cited sources' excerpts. */
  excerpts: string[];
}

export interface Judgement {
  faithfulness: number;
  relevance: number;
}

const SYSTEM =
  'You grade the answers of a document question-answering system. You get the question, the passages the system ' +
  'cited and its answer. Rate faithfulness: is every statement of the answer supported by the passages (1: mostly ' +
  'unsupported, 5: fully supported)? Rate relevance: does the answer address the question (1: not at all, 5: fully)? ' +
  'Reply with JSON only: {"faithfulness": <1-5>, "relevance": <1-5>}.';

/** The chat messages that ask the model for its judgement. */
export function judgeMessages(x: JudgeInput): Array<{ role: 'system' | 'user'; content: string }> {
  const passages = x.excerpts.length ? x.excerpts.map((e, i) => `[${i + 1}] ${e}`).join('\n') : '(none cited)';
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: `Question: ${x.question}\n\nCited passages:\n${passages}\n\nAnswer: ${x.answer}` },
  ];
}

/** The model's reply as a judgement, or undefined when it does not hold both scores as whole numbers 1–5. */
export function parseJudgement(reply: string): Judgement | undefined {
  const score = (name: string): number | undefined => {
    const m = new RegExp(`"?${name}"?\\s*[:=]\\s*"?([0-9]+(?:\\.[0-9]+)?)`, 'i').exec(reply);
    const n = m ? Number(m[1]) : NaN;
    return Number.isInteger(n) && n >= 1 && n <= 5 ? n : undefined;
  };
  const faithfulness = score('faithfulness');
  const relevance = score('relevance');
  return faithfulness !== undefined && relevance !== undefined ? { faithfulness, relevance } : undefined;
}

export interface Judged {
  type: QuestionType;
  judgement?: Judgement;
}

/** One line for the checklist: mean scores per question type, and how many answers got no score. */
export function judgeSummary(judged: Judged[], model: string): string {
  const types = [...new Set(judged.map((j) => j.type))];
  const mean = (xs: number[]) => (xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(1);
  const parts = types.map((t) => {
    const scored = judged.filter((j) => j.type === t && j.judgement).map((j) => j.judgement!);
    return scored.length ? `${t} (${scored.length}): faithfulness ${mean(scored.map((s) => s.faithfulness))}/5, relevance ${mean(scored.map((s) => s.relevance))}/5` : `${t}: no score`;
  });
  const unscored = judged.filter((j) => !j.judgement).length;
  const note = unscored ? `; ${unscored} of ${judged.length} answers got no score (the model did not reply with the two scores: is it a real model?)` : '';
  return `judge ${model} (RAG_JUDGE=ollama; information only, decides nothing): ${parts.join('; ')}${note}`;
}
