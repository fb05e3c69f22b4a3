// Question answering: retrieval by similarity threshold and context budget, generation through Ollama.
import { createHash } from 'node:crypto';
import { docIdOfChunk, EXHAUSTIVE_SEARCH_LIMIT, type Chroma, type Ranked } from './chroma.js';
import { ApiError } from './errors.js';
import type { Ollama } from './ollama.js';
import type { DocRecord, Store } from './store.js';
import type { Settings } from './validate.js';

export interface Source {
  doc_id: string;
  title: string;
  score: number;
  excerpt: string;
}
export interface QueryAnswer {
  answer: string;
  sources: Source[];
  context_used: number;
}

const LIST_QUESTION =
  /\b(what|which|list|show|name)\b[^?]*\b(documents?|files?)\b[^?]*\b(available|exist|there|have|uploaded|stored|indexed|loaded|know)\b|\blist\b[^?]*\b(documents?|files?)\b/i;

export function isListQuestion(q: string): boolean {
  return LIST_QUESTION.test(q);
}

export function parseQuery(body: unknown): { question: string; maxChunks: number } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'request body must be a JSON object like {"question": "...", "max_chunks": 5}');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.question !== 'string' || b.question.trim() === '') throw new ApiError(400, 'question is required: send a non-empty string in "question"');
  if (b.question.length > 4000) throw new ApiError(400, 'question is too long: at most 4000 characters');
  let maxChunks = 5;
  if (b.max_chunks !== undefined && b.max_chunks !== null) {
    if (typeof b.max_chunks !== 'number' || !Number.isInteger(b.max_chunks) || b.max_chunks < 1 || b.max_chunks > 50) {
      throw new ApiError(400, `max_chunks must be an integer between 1 and 50, got ${JSON.stringify(b.max_chunks)}`);
    }
    maxChunks = b.max_chunks;
  }
  return { question: b.question.trim(), maxChunks };
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const WORD = /[\p{L}\p{N}]{3,}/gu;

/** A verbatim slice of the chunk (≤ max chars) around the sentence sharing most words with the question. */
export function excerptOf(chunk: string, question: string, max = 400): string {
  if (chunk.length <= max) return chunk;
  const q = new Set((question.toLowerCase().match(WORD) ?? []));
  let bestStart = 0;
  let bestScore = -1;
  const re = /(^|[.!?]\s+|\n)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(chunk)) !== null) {
    const start = m.index + m[0].length;
    const window = chunk.slice(start, start + max).toLowerCase();
    const score = (window.match(WORD) ?? []).filter((w) => q.has(w)).length;
    if (score > bestScore) {
      bestScore = score;
      bestStart = start;
    }
    if (m[0].length === 0) re.lastIndex++;
  }
  let end = Math.min(chunk.length, bestStart + max);
  if (end < chunk.length) {
    const space = chunk.lastIndexOf(' ', end);
    if (space > bestStart + max / 2) end = space;
  }
  return chunk.slice(bestStart, end).trim();
}

export function cacheKey(question: string, maxChunks: number, settings: Settings, version: string, model: string): string {
  const norm = question.toLowerCase().replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(JSON.stringify({ norm, maxChunks, settings, version, model })).digest('hex');
}

const QUESTION_STOPWORDS = new Set(
  'what which when where whom whose does about there their have with from that this were been into than then they them your would could should tell know give list show document documents file files available please many much'.split(' '),
);

/** Content words of a question (4+ characters), with their capitalised and lower-case spellings. */
export function salientWords(question: string): string[] {
  const out = new Set<string>();
  for (const w of question.match(/[\p{L}\p{N}][\p{L}\p{N}_-]{3,}/gu) ?? []) {
    const lower = w.toLowerCase();
    if (QUESTION_STOPWORDS.has(lower)) continue;
    out.add(w);
    out.add(lower);
    out.add(lower[0].toUpperCase() + lower.slice(1));
  }
  return [...out].slice(0, 24);
}

/**
 * The chunks worth reading, best first: similarity (1 − cosine distance) at least the threshold, of a completed
 * document; a few more than maxChunks, as the context budget may skip some.
 */
export function rankCandidates(ranked: Ranked[], completed: Set<string>, threshold: number, maxChunks: number): Ranked[] {
  const out: Ranked[] = [];
  for (const h of [...ranked].sort((a, b) => a.distance - b.distance)) {
    if (1 - h.distance < threshold) break;
    if (!completed.has(docIdOfChunk(h.id))) continue;
    out.push(h);
    if (out.length >= maxChunks * 3) break;
  }
  return out;
}

/** The model says the context does not answer the question (judged on its first sentence: an answer may add a remark). */
const REFUSAL =
  /\b(could ?n[o']t|cannot|can'?t|unable to|did ?n[o']t) (find|answer)\b|\bno (relevant )?(information|passages?|context)\b|\bdo(es)? ?n[o']t (contain|mention|say)\b|\bdo ?n[o']t (know|have)\b/i;

export function isRefusal(answer: string): boolean {
  return REFUSAL.test(answer.trim().split(/[.!?](?:\s|$)|\n/)[0] ?? '');
}

const TOKEN = /[\p{L}\p{N}]+/gu;
const tokens = (s: string) => (s.toLowerCase().match(TOKEN) ?? []);

/** A text's sentences and lines (a CSV row is a line), whitespace collapsed. */
function pieces(text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/).map((x) => x.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/**
 * The chunks an answer draws on, in their order: those with a sentence or line (of 20 characters or more) that
 * the answer quotes or that contains a sentence of the answer; for each sentence of the answer traced to none,
 * the chunk that shares most of its words (at least half). When nothing can be traced (a free paraphrase),
 * every chunk given to the model is cited.
 */
export function supportingChunks<T extends { text: string }>(answer: string, chunks: T[]): T[] {
  const said = answer.replace(/\s+/g, ' ');
  const flat = chunks.map((c) => ({ c, text: c.text.replace(/\s+/g, ' '), pieces: pieces(c.text).filter((p) => p.length >= 20), words: new Set(tokens(c.text)) }));
  const used = new Set(flat.filter((f) => f.pieces.some((p) => said.includes(p))).map((f) => f.c));
  for (const sentence of pieces(answer)) {
    if (flat.some((f) => f.text.includes(sentence) || f.pieces.some((p) => sentence.includes(p)))) continue;
    const ws = [...new Set(tokens(sentence))];
    let best: (typeof flat)[number] | undefined;
    let bestShare = 0.5;
    for (const f of flat) {
      const share = ws.filter((w) => f.words.has(w)).length / Math.max(1, ws.length);
      if (share >= bestShare) [best, bestShare] = [f, share + 1e-9];
    }
    if (best) used.add(best.c);
  }
  return used.size ? chunks.filter((c) => used.has(c)) : chunks;
}

const SYSTEM =
  'You are the assistant of a document question-answering system. Answer the question using only the ' +
  'context below. If the context does not contain the answer, say that you could not find it. Cite no ' +
  'information that is not in the context.';

export class QueryService {
  constructor(
    private store: Store,
    private chroma: Chroma,
    private ollama: Ollama,
  ) {}

  async answer(question: string, maxChunks: number, settings: Settings): Promise<QueryAnswer> {
    const docs = await this.store.allDocs();
    const completed = new Map<string, DocRecord>(docs.filter((d) => d.status === 'completed').map((d) => [d.doc_id, d]));
    if (isListQuestion(question)) return this.listDocuments(question, [...completed.values()]);

    const [qEmbedding] = await this.ollama.embed([question]);
    let ranked = await this.chroma.rank(qEmbedding, EXHAUSTIVE_SEARCH_LIMIT);
    // Up to EXHAUSTIVE_SEARCH_LIMIT chunks the ranking above is exact. Beyond, it is approximate: chunks
    // containing the question's salient words are ranked by the same similarity too (a filtered search, exact
    // while fewer chunks match than the limit), so a rare term is found even where the ANN graph misses it.
    const words = ranked.length >= EXHAUSTIVE_SEARCH_LIMIT ? salientWords(question) : [];
    if (words.length > 0) {
      const where_document = words.length === 1 ? { $contains: words[0] } : { $or: words.map((w) => ({ $contains: w })) };
      const lexical = await this.chroma.rank(qEmbedding, EXHAUSTIVE_SEARCH_LIMIT, where_document).catch(() => [] as Ranked[]);
      const seen = new Set(ranked.map((h) => h.id));
      ranked = [...ranked, ...lexical.filter((h) => !seen.has(h.id))].sort((a, b) => a.distance - b.distance);
    }
    const candidates = rankCandidates(ranked, new Set(completed.keys()), settings.similarity_threshold, maxChunks);
    const texts = new Map((await this.chroma.getByIds(candidates.map((c) => c.id))).map((h) => [h.id, h.document]));
    const chosen: Array<{ doc: DocRecord; text: string; score: number }> = [];
    let budget = settings.max_context_tokens;
    for (const c of candidates) {
      const text = texts.get(c.id);
      const doc = completed.get(docIdOfChunk(c.id));
      if (text === undefined || !doc) continue;
      const cost = estimateTokens(text) + 12;
      if (cost > budget) continue;
      budget -= cost;
      chosen.push({ doc, text, score: 1 - c.distance });
      if (chosen.length >= maxChunks) break;
    }
    if (chosen.length === 0) {
      return {
        answer:
          completed.size === 0
            ? 'No documents have been processed yet, so there is nothing to answer from. Upload documents first.'
            : `I could not find information relevant to the question in the uploaded documents (no passage reached the similarity threshold ${settings.similarity_threshold}).`,
        sources: [],
        context_used: 0,
      };
    }
    const context = chosen.map((c, i) => `[Source ${i + 1}: ${c.doc.title}]\n${c.text}`).join('\n\n');
    const answer = await this.ollama.chat([
      { role: 'system', content: `${SYSTEM}\n\n<context>\n${context}\n</context>` },
      { role: 'user', content: question },
    ]);
    // A refusal cites nothing; an answer cites the passages it draws on, not every passage the model was given.
    const cited = isRefusal(answer) ? [] : supportingChunks(answer, chosen);
    return {
      answer,
      sources: cited.map((c) => ({ doc_id: c.doc.doc_id, title: c.doc.title, score: Math.round(c.score * 10000) / 10000, excerpt: excerptOf(c.text, question) })),
      context_used: chosen.length,
    };
  }

  private async listDocuments(question: string, docs: DocRecord[]): Promise<QueryAnswer> {
    const titles = docs.map((d) => d.title);
    const list = titles.length ? titles.map((t) => `- ${t}`).join('\n') : '';
    const answer = await this.ollama.chat([
      { role: 'system', content: `${SYSTEM}\n\nAvailable documents:\n${list}` },
      { role: 'user', content: question },
    ]);
    let text = answer;
    const missing = titles.filter((t) => !answer.includes(t));
    if (titles.length === 0 && answer.trim() === '') text = 'No documents are available yet.';
    else if (missing.length) text = `${answer.trim()}\n\nAvailable documents: ${titles.join(', ')}.`.trim();
    // Cite each document by its first chunk (verbatim text from the vector store).
    const firsts = docs.length ? await this.chroma.get({ chunk_index: 0 }, 1000) : [];
    const byDoc = new Map(firsts.map((h) => [String(h.metadata.doc_id), h.document]));
    const sources = docs
      .filter((d) => byDoc.has(d.doc_id))
      .slice(0, 50)
      .map((d) => ({ doc_id: d.doc_id, title: d.title, score: 1, excerpt: excerptOf(byDoc.get(d.doc_id)!, question) }));
    return { answer: text, sources, context_used: sources.length };
  }
}
