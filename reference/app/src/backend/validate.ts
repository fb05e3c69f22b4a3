// Upload validation and settings validation: pure functions, unit-tested.
import { ApiError } from './errors.js';

export const MB = 1024 * 1024;

export interface FileType {
  ext: string;
  fileType: string;
  canonical: string;
  accepted: string[];
  maxBytes: number;
  binary: boolean;
}

export const FILE_TYPES: FileType[] = [
  { ext: '.txt', fileType: 'txt', canonical: 'text/plain', accepted: ['text/plain'], maxBytes: 10 * MB, binary: false },
  { ext: '.md', fileType: 'md', canonical: 'text/markdown', accepted: ['text/markdown', 'text/x-markdown', 'text/plain'], maxBytes: 5 * MB, binary: false },
  { ext: '.pdf', fileType: 'pdf', canonical: 'application/pdf', accepted: ['application/pdf', 'application/x-pdf'], maxBytes: 50 * MB, binary: true },
  { ext: '.csv', fileType: 'csv', canonical: 'text/csv', accepted: ['text/csv', 'application/csv', 'text/x-csv', 'text/comma-separated-values', 'application/vnd.ms-excel'], maxBytes: 25 * MB, binary: false },
];
export const MAX_UPLOAD_BYTES = Math.max(...FILE_TYPES.map((t) => t.maxBytes));
/** Content types that say nothing about the file; the extension and the content then decide. */
const GENERIC_TYPES = ['', 'application/octet-stream', 'binary/octet-stream'];

const ACCEPTED_LIST = FILE_TYPES.map((t) => `${t.ext} (${t.canonical}, at most ${t.maxBytes / MB} MB)`).join(', ');

/** Refuses a file part in another multipart field than the one uploads use (UPLOAD_FIELD). */
export function checkFileField(given: string, field: string): void {
  if (given !== field) throw new ApiError(400, `unexpected file field "${given}": send files in the multipart field "${field}"`);
}

/** Checks a client-supplied filename; returns it for display. Never used as a storage path. */
export function checkFilename(name: string | undefined, field = 'files'): string {
  if (!name || name.trim() === '') throw new ApiError(400, `file has no filename: send each file in the multipart field "${field}" with a filename`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new ApiError(400, `filename contains control characters: rename the file using printable characters only`);
  if (/[\\/]/.test(name) || name.split(/[\\/]/).some((p) => p === '..') || name === '.' || name === '..') {
    throw new ApiError(400, `filename "${name}" contains a path (/, \\ or ..): send a plain file name without directories`);
  }
  if (Buffer.byteLength(name) > 255) throw new ApiError(400, 'filename is longer than 255 bytes: use a shorter name');
  return name.trim();
}

export function fileTypeFor(name: string): FileType {
  const lower = name.toLowerCase();
  const dot = lower.lastIndexOf('.');
  const ext = dot >= 0 ? lower.slice(dot) : '';
  const t = FILE_TYPES.find((x) => x.ext === ext);
  if (!t) throw new ApiError(415, `unsupported file type "${ext || '(no extension)'}" for "${name}": accepted are ${ACCEPTED_LIST}`);
  return t;
}

const BINARY_SIGNATURES: Array<[string, number[]]> = [
  ['an ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['a Windows executable (MZ)', [0x4d, 0x5a]],
  ['a Mach-O executable', [0xcf, 0xfa, 0xed, 0xfe]],
  ['a Mach-O executable', [0xfe, 0xed, 0xfa, 0xcf]],
  ['a Java class file', [0xca, 0xfe, 0xba, 0xbe]],
  ['a ZIP archive', [0x50, 0x4b, 0x03, 0x04]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a PDF file', [0x25, 0x50, 0x44, 0x46, 0x2d]],
];

function startsWith(buf: Buffer, sig: number[]): boolean {
  return buf.length >= sig.length && sig.every((b, i) => buf[i] === b);
}

/** Validates one uploaded file completely; throws ApiError (400/413/415) when it must be rejected. */
export function validateUpload(filename: string | undefined, contentType: string | undefined, data: Buffer, field = 'files'): { title: string; type: FileType } {
  const title = checkFilename(filename, field);
  const type = fileTypeFor(title);
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!GENERIC_TYPES.includes(ct) && !type.accepted.includes(ct)) {
    throw new ApiError(415, `content type "${ct}" does not match the extension ${type.ext} of "${title}": send it as ${type.canonical}`);
  }
  if (data.length === 0) throw new ApiError(400, `file "${title}" is empty: upload a file with content`);
  if (data.length > type.maxBytes) {
    throw new ApiError(413, `file "${title}" is ${(data.length / MB).toFixed(1)} MB; ${type.ext} files may be at most ${type.maxBytes / MB} MB`);
  }
  if (type.binary) {
    if (!startsWith(data, [0x25, 0x50, 0x44, 0x46, 0x2d])) throw new ApiError(415, `file "${title}" is not a PDF (no %PDF- header): upload a real PDF document`);
  } else {
    for (const [what, sig] of BINARY_SIGNATURES) {
      if (startsWith(data, sig)) {
        throw new ApiError(415, `file "${title}" contains ${what}, not ${type.canonical} text: upload plain text`);
      }
    }
    const head = data.subarray(0, Math.min(data.length, 64 * 1024));
    if (head.includes(0)) throw new ApiError(415, `file "${title}" contains binary data (NUL bytes), not ${type.canonical} text`);
    if (!isUtf8(data)) throw new ApiError(415, `file "${title}" is not valid UTF-8 text: save it as UTF-8 ${type.canonical}`);
  }
  return { title, type };
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

export interface Settings {
  similarity_threshold: number;
  max_context_tokens: number;
  chunk_size: number;
  chunk_overlap: number;
}

export const DEFAULT_SETTINGS: Settings = {
  similarity_threshold: 0.1,
  max_context_tokens: 4000,
  chunk_size: 800,
  chunk_overlap: 100,
};

/** Merges a partial update into the current settings; 400 naming the field when anything is off. */
export function validateSettings(current: Settings, body: unknown): Settings {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'settings must be a JSON object with any of similarity_threshold, max_context_tokens, chunk_size, chunk_overlap');
  }
  const b = body as Record<string, unknown>;
  const known = Object.keys(DEFAULT_SETTINGS);
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length) throw new ApiError(400, `unknown settings field ${unknown.map((u) => `"${u}"`).join(', ')}: allowed are ${known.join(', ')}`);
  const next = { ...current };
  const num = (field: keyof Settings, min: number, max: number, integer: boolean) => {
    if (!(field in b)) return;
    const v = b[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new ApiError(400, `${field} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${JSON.stringify(v)}`);
    }
    if (v < min || v > max) throw new ApiError(400, `${field} must be between ${min} and ${max}, got ${v}`);
    next[field] = v;
  };
  num('similarity_threshold', 0, 1, false);
  num('max_context_tokens', 256, 32768, true);
  num('chunk_size', 100, 8000, true);
  num('chunk_overlap', 0, 4000, true);
  if (next.chunk_overlap > next.chunk_size / 2) {
    throw new ApiError(400, `chunk_overlap must be at most half of chunk_size (${Math.floor(next.chunk_size / 2)}), got ${next.chunk_overlap}`);
  }
  return next;
}
