// Splits text into overlapping chunks of at most chunkSize characters. Every chunk is a verbatim slice
// of the text (so answers can quote it); cuts prefer paragraph, sentence, then word boundaries.
export interface Chunk {
  text: string;
  start: number;
}

export function chunkText(text: string, chunkSize: number, overlap: number): Chunk[] {
  const chunks: Chunk[] = [];
  const n = text.length;
  let start = skipSpace(text, 0);
  while (start < n) {
    let end = Math.min(n, start + chunkSize);
    if (end < n) end = bestCut(text, start, end);
    const slice = text.slice(start, end).trimEnd();
    if (slice.trim()) chunks.push({ text: slice, start });
    if (end >= n) break;
    let next = Math.max(end - overlap, start + 1);
    if (overlap > 0) {
      // start the overlap at a word boundary
      const ws = text.slice(next, end).search(/\s/);
      if (ws >= 0 && next + ws < end) next = next + ws;
    }
    start = skipSpace(text, next);
  }
  return chunks;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

function bestCut(text: string, start: number, end: number): number {
  const window = text.slice(start, end);
  const min = Math.floor(window.length * 0.5);
  for (const re of [/\n\s*\n/g, /[.!?](?=\s)/g, /\n/g, /\s/g]) {
    let last = -1;
    for (const m of window.matchAll(re)) {
      const cut = (m.index ?? 0) + m[0].length;
      if (cut >= min) last = cut;
    }
    if (last > 0) return start + last;
  }
  return end;
}
