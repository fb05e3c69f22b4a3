// Deterministic stand-in for a language model: hashed bag-of-words embeddings and extractive answers.
import { createHash } from 'node:crypto';

export const DIMENSIONS = 1024;

const STOPWORDS = new Set(
  ('a an and are as at be been but by can could did do does for from had has have how i if in into is it its ' +
    'me my of on or our she he that the their them then there these they this those to was we were what when ' +
    'where which who whom why will with would you your about any all also am than so not no yes tell give ' +
    'please some such only own same just should now over under again further once here both each few more most ' +
    'other very s t don us let lets say said').split(/\s+/),
);

export function words(text: string): string[] {
  return (text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** Light stemming so "documents"/"document", "processing"/"processed" meet. */
export function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 3 && w.endsWith('es') && /(ss|x|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

export function terms(text: string): string[] {
  return words(text).filter((w) => !STOPWORDS.has(w)).map(stem);
}

function hash32(s: string): number {
  const h = createHash('md5').update(s).digest();
  return h.readUInt32LE(0);
}

const SPARSE = 768;
const DENSE = DIMENSIONS - SPARSE;
const DENSE_WEIGHT = 0.2; // share of the cosine that comes from the dense part
const denseCache = new Map<string, Int8Array>();

/** A fixed pseudo-random ±1 vector per term (a random projection of the bag of words). */
function denseOf(term: string): Int8Array {
  let d = denseCache.get(term);
  if (d) return d;
  d = new Int8Array(DENSE);
  let x = hash32('d:' + term) || 1;
  for (let i = 0; i < DENSE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    d[i] = x & 1 ? 1 : -1;
  }
  if (denseCache.size > 100_000) denseCache.clear();
  denseCache.set(term, d);
  return d;
}

/**
 * Deterministic text embedding: stemmed content words with sublinear term frequency (1 + ln tf), as
 * (a) signed feature hashing into 768 dimensions – exact word overlap, almost no collisions – and
 * (b) a random projection into 256 dense dimensions, weighted 20 %, so that similarities are graded and
 * an approximate nearest-neighbour index (ChromaDB's HNSW) can navigate. Both parts are L2-normalised;
 * lexically related texts are close, unrelated ones near 0.
 */
export function embed(text: string): number[] {
  const sparse = new Float64Array(SPARSE);
  const dense = new Float64Array(DENSE);
  const counts = new Map<string, number>();
  for (const t of terms(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const [term, c] of counts) {
    const w = 1 + Math.log(c);
    const h = hash32(term);
    sparse[h % SPARSE] += ((h >>> 31) === 1 ? -1 : 1) * w;
    const d = denseOf(term);
    for (let i = 0; i < DENSE; i++) dense[i] += d[i] * w;
  }
  const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const ns = norm(sparse);
  const nd = norm(dense);
  const out = new Array<number>(DIMENSIONS);
  if (ns === 0 || nd === 0) {
    out.fill(0);
    out[0] = 1; // no content words: a fixed unit vector
    return out;
  }
  const a = Math.sqrt(1 - DENSE_WEIGHT) / ns;
  const b = Math.sqrt(DENSE_WEIGHT) / nd;
  for (let i = 0; i < SPARSE; i++) out[i] = Math.round(sparse[i] * a * 1e7) / 1e7;
  for (let i = 0; i < DENSE; i++) out[SPARSE + i] = Math.round(dense[i] * b * 1e7) / 1e7;
  return out;
}

export interface ChatMessage {
  role: string;
  content: string;
}

/** Splits text into sentences, keeping each verbatim (trimmed). */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const parts = trimmed.match(/[^.!?]+(?:[.!?]+(?=\s|$)|$)/g) ?? [trimmed];
    for (const p of parts) {
      const s = p.trim();
      if (s) out.push(s);
    }
  }
  return out;
}

const DOC_LIST_HEADER = /^(available documents|documents available|documents)\s*:\s*$/i;
const LIST_QUESTION =
  /\b(what|which|list|show|name)\b[^?]*\b(documents?|files?|sources?)\b[^?]*\b(available|exist|there|have|uploaded|stored|indexed|loaded|know)\b|\blist\b[^?]*\b(documents?|files?)\b/i;

export function isListQuestion(q: string): boolean {
  return LIST_QUESTION.test(q);
}

/** Pulls "Available documents:" lists ("- title" lines) out of a prompt. */
export function documentList(text: string): string[] | null {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (DOC_LIST_HEADER.test(lines[i].trim())) {
      const names: string[] = [];
      for (let j = i + 1; j < lines.length; j++) {
        const m = lines[j].match(/^\s*[-*]\s+(.+?)\s*$/);
        if (!m) break;
        names.push(m[1]);
      }
      return names;
    }
  }
  return null;
}

/** The context part of a prompt: inside <context>…</context> when marked, otherwise all of it. */
function contextOf(text: string): string {
  const blocks = [...text.matchAll(/<context>([\s\S]*?)<\/context>/gi)].map((m) => m[1]);
  return blocks.length ? blocks.join('\n') : text;
}

/** Splits the conversation into the question (last user turn) and the context (everything else). */
export function splitPrompt(messages: ChatMessage[]): { question: string; context: string } {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') {
      lastUser = i;
      break;
    }
  }
  const others = messages.filter((_, i) => i !== lastUser).map((m) => m.content ?? '');
  let question = lastUser >= 0 ? messages[lastUser].content ?? '' : '';
  const qm = question.match(/(?:^|\n)\s*question\s*:\s*([\s\S]+)$/i);
  if (qm) {
    others.push(question.slice(0, qm.index));
    question = qm[1];
  } else if (/<context>/i.test(question)) {
    others.push(question);
    question = question.replace(/<context>[\s\S]*?<\/context>/gi, '');
  }
  if (others.join('').trim() === '') {
    // A bare prompt: its last sentence is the question, the sentences before it are the context.
    const ss = sentences(question);
    if (ss.length > 1) return { question: ss[ss.length - 1], context: ss.slice(0, -1).join('\n') };
  }
  return { question: question.trim(), context: others.join('\n') };
}

/** Words that say what to do with the answer rather than what it is about ("Summarize…", "Compare…"). */
const INSTRUCTION_WORDS = new Set(
  'summarize summarise summary overview compare comparison describe explain known difference between number'.split(' ').map(stem),
);

/** The question's names: capitalised words after its first word, and numbers of three or more characters. */
export function namesOf(question: string): string[] {
  const tokens = question.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(tokens.filter((t, i) => (i > 0 && /^\p{Lu}/u.test(t) && t.length > 1) || (/\p{N}/u.test(t) && t.length >= 3)))];
}

/** A title line ("Marrowby Canal Survey"), a Markdown heading or a source label: not an answer sentence. */
function isHeading(s: string): boolean {
  if (/^#/.test(s) || /^\[source\s+\d+/i.test(s) || DOC_LIST_HEADER.test(s) || /^[-*]\s/.test(s)) return true;
  const ws = s.match(/[\p{L}\p{N}]+/gu) ?? [];
  return !/[.!?:]$/.test(s) && !s.includes(',') && ws.length > 0 && ws.every((w) => /^[\p{Lu}\p{N}]/u.test(w));
}

/** Share of the question's content terms the answer must carry; below it the context does not answer the question. */
export const MIN_COVERAGE = 0.5;
export const NOT_FOUND = "I couldn't find information about that in the provided context.";

/**
 * Composes an answer only from sentences of the supplied context, verbatim, as an instruction-following model
 * told to answer from the context or say it could not find the answer would: a name or number the question asks
 * about that the context never mentions, or a context that covers less than half of the question's content words,
 * gets a refusal (so do answers no sentence of the context contributes to). Otherwise the sentences that cover the question's words (greedily, the most new words first;
 * only sentences about the question's names when it has any, then one hop to the names those sentences bring in),
 * topped up to three with sentences sharing two or
 * more of its words, in their order in the context.
 */
export function answer(messages: ChatMessage[]): string {
  const { question, context } = splitPrompt(messages);
  const all = messages.map((m) => m.content ?? '').join('\n');
  const docs = documentList(all);
  if (docs && isListQuestion(question)) {
    if (docs.length === 0) return 'No documents are available yet.';
    return `The following documents are available: ${docs.join(', ')}.`;
  }
  const ctx = contextOf(context);
  const candidates = sentences(ctx).filter((s) => !isHeading(s) && words(s).length > 0);
  if (!question) return 'Please ask a question.';
  if (candidates.length === 0) {
    return "I don't have any context to answer that question.";
  }
  const contextWords = new Set(words(ctx));
  const absent = namesOf(question).filter((n) => !contextWords.has(n.toLowerCase()));
  if (absent.length > 0) return `I couldn't find information about ${absent.join(', ')} in the provided context.`;
  const q = new Set(terms(question).filter((t) => !INSTRUCTION_WORDS.has(t)));
  const contextTerms = new Set(terms(ctx));
  if (q.size === 0 || [...q].filter((t) => contextTerms.has(t)).length / q.size < MIN_COVERAGE) return NOT_FOUND;
  const names = new Set(namesOf(question).map((n) => stem(n.toLowerCase())));
  const scored = candidates.map((s, i) => {
    const ts = new Set(terms(s));
    const hits = [...q].filter((t) => ts.has(t));
    return { s, i, ts, hits, score: hits.length / Math.sqrt(ts.size + 1) };
  });
  type Scored = (typeof scored)[number];
  // Names that only a heading carries ("Returns Policy of the Example Shop") say which document, not which sentence.
  const named = (x: Scored) => [...names].some((n) => x.ts.has(n));
  const inSentences = scored.some(named);
  const about = (x: Scored) => names.size === 0 || !inSentences || named(x);
  const chosen: Scored[] = [];
  const covered = new Set<string>();
  const gain = (x: Scored) => x.hits.filter((t) => !covered.has(t)).length;
  const cover = () => {
    while (chosen.length < 3) {
      const next = scored
        .filter((x) => about(x) && !chosen.some((c) => c.s === x.s) && gain(x) > 0)
        .sort((a, b) => gain(b) - gain(a) || b.hits.length - a.hits.length || b.score - a.score || a.i - b.i)[0];
      if (!next) return;
      chosen.push(next);
      next.hits.forEach((t) => covered.add(t));
    }
  };
  cover();
  // One hop, as for "the engineer of the canal the trust restored": the names the chosen sentences bring in.
  if (chosen.length > 0 && covered.size < q.size) {
    for (const c of chosen) for (const n of namesOf(`. ${c.s}`)) names.add(stem(n.toLowerCase()));
    cover();
  }
  if (chosen.length === 0) return NOT_FOUND;
  for (const x of scored.filter(about).sort((a, b) => b.hits.length - a.hits.length || b.score - a.score || a.i - b.i)) {
    if (chosen.length >= 3) break;
    if (x.hits.length >= 2 && !chosen.some((c) => c.s === x.s)) chosen.push(x);
  }
  chosen.sort((a, b) => a.i - b.i);
  return chosen.map((x) => x.s).join(' ');
}

export function promptTokens(text: string): number {
  return Math.max(1, Math.ceil(words(text).length * 1.3));
}
