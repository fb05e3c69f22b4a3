/**
 * The customer's CHECKLIST.md was saved once through an editor that read its UTF-8 as Mac Roman: every emoji
 * became a run of accented letters and symbols (`✅` → `‚úÖ`, `⚠️` → `‚ö†Ô∏è`, `📋` → `üìã` behind Mac Roman's
 * invisible 0xF0, U+F8FF). The data keeps that text verbatim (checklist.yaml, checklist.json, checklist.md, with
 * the file's sha256); only the HTML page shows it repaired. The repair is the inverse of the accident: encode
 * back to Mac Roman bytes and decode as UTF-8 – one multi-byte sequence at a time, and only where the bytes are
 * valid UTF-8 and the sequence is of the kind such an accident produces, so clean text (`café`, `“Über”`,
 * `≈ 20 °C`) is never touched.
 */

/** Mac Roman bytes 0x80–0xFF as Unicode code points (Apple's table, as the WHATWG `macintosh` decoder has it). */
const MAC_ROMAN_HIGH: readonly number[] = [
  0x00c4, 0x00c5, 0x00c7, 0x00c9, 0x00d1, 0x00d6, 0x00dc, 0x00e1, 0x00e0, 0x00e2, 0x00e4, 0x00e3, 0x00e5, 0x00e7, 0x00e9, 0x00e8,
  0x00ea, 0x00eb, 0x00ed, 0x00ec, 0x00ee, 0x00ef, 0x00f1, 0x00f3, 0x00f2, 0x00f4, 0x00f6, 0x00f5, 0x00fa, 0x00f9, 0x00fb, 0x00fc,
  0x2020, 0x00b0, 0x00a2, 0x00a3, 0x00a7, 0x2022, 0x00b6, 0x00df, 0x00ae, 0x00a9, 0x2122, 0x00b4, 0x00a8, 0x2260, 0x00c6, 0x00d8,
  0x221e, 0x00b1, 0x2264, 0x2265, 0x00a5, 0x00b5, 0x2202, 0x2211, 0x220f, 0x03c0, 0x222b, 0x00aa, 0x00ba, 0x03a9, 0x00e6, 0x00f8,
  0x00bf, 0x00a1, 0x00ac, 0x221a, 0x0192, 0x2248, 0x2206, 0x00ab, 0x00bb, 0x2026, 0x00a0, 0x00c0, 0x00c3, 0x00d5, 0x0152, 0x0153,
  0x2013, 0x2014, 0x201c, 0x201d, 0x2018, 0x2019, 0x00f7, 0x25ca, 0x00ff, 0x0178, 0x2044, 0x20ac, 0x2039, 0x203a, 0xfb01, 0xfb02,
  0x2021, 0x00b7, 0x201a, 0x201e, 0x2030, 0x00c2, 0x00ca, 0x00c1, 0x00cb, 0x00c8, 0x00cd, 0x00ce, 0x00cf, 0x00cc, 0x00d3, 0x00d4,
  0xf8ff, 0x00d2, 0x00da, 0x00db, 0x00d9, 0x0131, 0x02c6, 0x02dc, 0x00af, 0x02d8, 0x02d9, 0x02da, 0x00b8, 0x02dd, 0x02db, 0x02c7,
];

/** Character → Mac Roman byte; the older table's `¤` (0xDB) and the Ohm sign for `Ω` (0xBD) are read too. */
const TO_BYTE: ReadonlyMap<string, number> = new Map([
  ...MAC_ROMAN_HIGH.map((cp, i) => [String.fromCodePoint(cp), 0x80 + i] as const),
  ['\u00a4', 0xdb],
  ['\u2126', 0xbd],
]);

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A stretch of text: `original` is set where the stretch is repaired (and holds the garbled form). */
export interface Segment {
  text: string;
  original?: string;
}

/**
 * Length of the UTF-8 sequence a lead byte opens, for the sequences the accident leaves behind: 3 and 4 bytes
 * (symbols, emoji: `‚úÖ`, `üìã`), and 2 bytes only for Latin-1 and Latin Extended-A letters (`√©` → `é`).
 * Other 2-byte leads are ordinary punctuation in Mac Roman text (`“`, `–`, `÷`) and stay as they are.
 */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xc5) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** The character the sequence starting at `chars[at]` stands for, or undefined when it is not one. */
function decodeAt(chars: readonly string[], at: number): { text: string; length: number } | undefined {
  const lead = TO_BYTE.get(chars[at]!);
  const n = lead === undefined ? 0 : sequenceLength(lead);
  if (n === 0 || at + n > chars.length) return undefined;
  const bytes = [lead!];
  for (let k = 1; k < n; k++) {
    const b = TO_BYTE.get(chars[at + k]!);
    if (b === undefined || b > 0xbf) return undefined;
    bytes.push(b);
  }
  let text: string;
  try {
    text = UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  return /\p{Cc}/u.test(text) ? undefined : { text, length: n };
}

/** `text` split into clean stretches and repaired ones (adjacent repairs joined: `⚠` and its variation selector). */
export function mojibakeSegments(text: string): Segment[] {
  const chars = [...text];
  if (!chars.some((c) => TO_BYTE.has(c))) return text === '' ? [] : [{ text }];
  const out: Segment[] = [];
  const push = (s: string, original?: string): void => {
    const last = out[out.length - 1];
    if (last && (last.original === undefined) === (original === undefined)) {
      last.text += s;
      if (original !== undefined) last.original = `${last.original ?? ''}${original}`;
    } else {
      out.push(original === undefined ? { text: s } : { text: s, original });
    }
  };
  for (let i = 0; i < chars.length; ) {
    const d = decodeAt(chars, i);
    if (d) {
      push(d.text, chars.slice(i, i + d.length).join(''));
      i += d.length;
    } else {
      push(chars[i]!);
      i += 1;
    }
  }
  return out;
}

/** `text` with its Mac-Roman-read UTF-8 repaired; clean text comes back unchanged. */
export function repairMojibake(text: string): string {
  return mojibakeSegments(text).map((s) => s.text).join('');
}
