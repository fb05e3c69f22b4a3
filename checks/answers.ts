/**
 * The integration specs' decisions on the API's answers, pure (unit-tested with bad inputs in
 * selftest/api.test.ts): does an answer state a fact, is a source attributed truthfully, did a document's
 * progress events arrive in order, does an error answer carry a message, does it name its field. The answers come from the client in
 * lib/rag-api.ts; `attribution` alone asks it something (which cited documents exist) before deciding.
 */
import { TERMINAL, type DocStatus, type DocumentInfo, type ProgressEvent, type QueryResult, type RagApi, type UploadFile } from '../lib/rag-api.ts';
import { schemaErrors } from '../lib/schemas.ts';

/** Collapses whitespace, lower-cases and drops thousands separators, so "4,210  Tonnes" matches "4210 tonnes". */
export function normalizeForFacts(s: string): string {
  return s.toLowerCase().replace(/(\d),(?=\d{3}\b)/g, '$1').replace(/\s+/g, ' ').trim();
}

/** Whether an answer states a fact (a distinctive phrase), ignoring case, spacing and thousands separators. */
export function containsFact(answer: string, fact: string): boolean {
  const f = normalizeForFacts(fact);
  return f.length > 0 && normalizeForFacts(answer).includes(f);
}

/** Whether a source excerpt occurs verbatim in the document's text (only surrounding whitespace trimmed). */
export function excerptOccursVerbatim(excerpt: string, documentText: string): boolean {
  const e = excerpt.trim();
  return e.length > 0 && documentText.includes(e);
}

const RANK: Record<DocStatus, number> = { pending: 0, validating: 1, processing: 2, indexing: 3, completed: 4, failed: 4 };

/**
 * What is wrong with one document's progress events as a client received them, in order: empty list; an
 * unknown status; a status going back (pending → validating → processing → indexing → completed); progress
 * decreasing or outside 0–100; timestamps going back; anything after the terminal event; a `failed` event;
 * not ending with `completed` (progress 100). Empty array = in order and complete.
 */
export function eventOrderProblems(events: ProgressEvent[]): string[] {
  const problems: string[] = [];
  if (events.length === 0) return ['no progress events were received for the document'];
  const docs = new Set(events.map((e) => e.doc_id));
  if (docs.size > 1) problems.push(`events of ${docs.size} documents mixed together: ${[...docs].join(', ')}`);
  events.forEach((e, i) => {
    const where = `event ${i + 1} (${e.status}, ${e.progress}%)`;
    if (!(e.status in RANK)) problems.push(`${where}: unknown status "${e.status}"`);
    if (typeof e.progress !== 'number' || e.progress < 0 || e.progress > 100) problems.push(`${where}: progress outside 0–100`);
    if (e.status === 'failed') problems.push(`${where}: processing failed: ${e.error ?? '(no error given)'}`);
    if (i === 0) return;
    const p = events[i - 1]!;
    if (TERMINAL.includes(p.status)) problems.push(`${where}: arrived after the terminal event ${p.status}`);
    if ((RANK[e.status] ?? -1) < (RANK[p.status] ?? -1)) problems.push(`${where}: status went back from ${p.status}`);
    if (e.progress < p.progress) problems.push(`${where}: progress went back from ${p.progress}%`);
    if (Date.parse(e.timestamp) < Date.parse(p.timestamp)) problems.push(`${where}: timestamp ${e.timestamp} is before the previous ${p.timestamp}`);
  });
  const last = events[events.length - 1]!;
  if (last.status !== 'completed') problems.push(`the last event is "${last.status}", not "completed"`);
  else if (last.progress !== 100) problems.push(`the completed event reports ${last.progress}%, not 100%`);
  return problems;
}

export interface KnownDocument {
  doc_id: string;
  title: string;
  text: string;
}

export interface AttributionExpectation {
  /** Documents whose text the suite knows (planted by it): their excerpts are checked verbatim. */
  known: KnownDocument[];
  /** doc_ids that exist now (GET status answered 200). */
  existing: Set<string>;
  /** doc_ids that must be among the sources. */
  mustCite: string[];
  /** Facts (distinctive phrases) the answer must state. */
  facts: string[];
}

/**
 * Deterministic source attribution: every cited source exists; the excerpt of a source the suite planted
 * occurs verbatim in that document and its title is the document's; the documents the question is about
 * are cited; the facts asked for are in the answer. Sources of documents the suite did not plant can only be
 * checked for existence (the API has no endpoint returning a document's text); they are listed separately.
 */
export function attributionProblems(result: QueryResult, exp: AttributionExpectation): { problems: string[]; unverifiableExcerpts: string[] } {
  const problems: string[] = [];
  const unverifiableExcerpts: string[] = [];
  const byId = new Map(exp.known.map((d) => [d.doc_id, d]));
  result.sources.forEach((s, i) => {
    const where = `source ${i + 1} (${s.title}, ${s.doc_id})`;
    if (!exp.existing.has(s.doc_id)) problems.push(`${where}: cites a document that does not exist`);
    const doc = byId.get(s.doc_id);
    if (!doc) {
      unverifiableExcerpts.push(where);
      return;
    }
    if (s.title !== doc.title) problems.push(`${where}: title "${s.title}" is not the document's title "${doc.title}"`);
    if (!excerptOccursVerbatim(s.excerpt, doc.text)) problems.push(`${where}: excerpt does not occur verbatim in the document: "${s.excerpt.slice(0, 160)}"`);
  });
  const cited = new Set(result.sources.map((s) => s.doc_id));
  for (const id of exp.mustCite) {
    if (!cited.has(id)) problems.push(`the answer does not cite ${byId.get(id)?.title ?? id}`);
  }
  for (const f of exp.facts) {
    if (!containsFact(result.answer, f)) problems.push(`the answer does not state "${f}"`);
  }
  return { problems, unverifiableExcerpts };
}

/** P3-UPLOAD-2: the uploaded file is in the document list (`where`) under its file name, as text, with its byte count. */
export function listedUploadProblems(listed: Pick<DocumentInfo, 'doc_id' | 'title' | 'file_type' | 'file_size'> | undefined, file: Pick<UploadFile, 'filename' | 'content'>, where: string): string[] {
  if (!listed) return [`${file.filename} is not in ${where}`];
  const size = Buffer.byteLength(file.content);
  return [
    ...(listed.title === file.filename ? [] : [`${listed.doc_id} is listed as "${listed.title}", not under its file name ${file.filename}`]),
    ...(/txt|text/.test(listed.file_type) ? [] : [`${file.filename} is listed with file_type "${listed.file_type}", not as text`]),
    ...(listed.file_size === size ? [] : [`${file.filename} is listed with file_size ${listed.file_size}, but ${size} bytes were uploaded`]),
  ];
}

/**
 * P3-INTEG-4: a malformed request's answer has one of the `want` statuses and a JSON body with a message (the error
 * contract, lib/schemas/error.schema.json); what is wrong with it, or undefined.
 */
export function errorAnswerProblem(what: string, want: readonly number[], status: number, body: string): string | undefined {
  if (!want.includes(status)) return `${what}: expected ${want.join('/')}, got ${status}: ${body.slice(0, 200)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `${what}: ${status} without a JSON body: ${body.slice(0, 200)}`;
  }
  const errs = schemaErrors('error', parsed);
  return errs ? `${what}: ${status} body lacks a message: ${errs}` : undefined;
}

/** Whether an error body names the offending field (e.g. a 400 for an out-of-range setting). */
export function namesField(detail: string | undefined, field: string): boolean {
  return typeof detail === 'string' && detail.includes(field);
}

/**
 * Source attribution of an answer, with the existence of every cited document asked of the API (GET status:
 * 200 exists, 404 gone, anything else throws).
 */
export async function attribution(api: Pick<RagApi, 'existing'>, result: QueryResult, exp: Omit<AttributionExpectation, 'existing'>): Promise<ReturnType<typeof attributionProblems>> {
  const existing = await api.existing(result.sources.map((s) => s.doc_id));
  return attributionProblems(result, { ...exp, existing });
}
