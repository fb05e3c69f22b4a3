/**
 * Golden sets: questions with the documents an answer must cite and the facts it must state
 * (lib/schemas/golden.schema.json). The customer's own live in golden/*.yaml; the gate's evaluation question
 * set (fixtures/eval/questions.yaml) has the same form. A malformed file is refused with its file and line:
 * the YAML is parsed with a LineCounter and every schema error is pointed at the node it is about.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { ErrorObject } from 'ajv';
import { schemaErrorList } from './schemas.ts';

export const QUESTION_TYPES = ['factual', 'summary', 'comparison', 'unanswerable'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export interface GoldenQuestion {
  /** Stable name: the file's `id`, else `<file stem>#<n>`. */
  id: string;
  question: string;
  type: QuestionType;
  /** Documents the answer must cite: planted file names, or titles of documents already in the deployment. */
  documents: string[];
  /** Documents that may be cited as well (near-duplicates, the same subject). */
  related: string[];
  /** Passages one of which a cited source must contain. */
  excerpts: string[];
  facts: string[];
  /** How many of `facts` the answer must state (all, unless the file says fewer). */
  minFacts: number;
  /** file:line of the question, for messages. */
  at: string;
}

export interface GoldenSet {
  /** Repository-relative (or absolute, outside it) path of the YAML file. */
  file: string;
  description?: string;
  /** Absolute paths of the documents to plant. */
  documents: string[];
  questions: GoldenQuestion[];
}

export class GoldenError extends Error {}

type Path = Array<string | number>;

/** "line N" of the node at `path` (or its nearest existing parent). */
function lineOf(doc: Document, counter: LineCounter, path: Path): number {
  for (let p = path; ; p = p.slice(0, -1)) {
    const node = p.length ? doc.getIn(p, true) : doc.contents;
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    if (p.length === 0) return 1;
  }
}

function pathOf(e: ErrorObject): Path {
  const p: Path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (e.keyword === 'additionalProperties') p.push(String((e.params as { additionalProperty: string }).additionalProperty));
  return p;
}

/** ajv's error in the words of the file format. */
function wordsOf(e: ErrorObject): string {
  const where = e.instancePath.split('/').slice(1).join('.') || '(top level)';
  switch (e.keyword) {
    case 'false schema':
      return `${where}: an unanswerable question has no documents, excerpts, facts or min_facts`;
    case 'additionalProperties':
      return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'required':
      return `${where}: "${(e.params as { missingProperty: string }).missingProperty}" is required`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

/**
 * The errors that say what is wrong: ajv also reports the if/then/else and anyOf wrappers of an error, and both
 * branches of "documents or excerpts"; those become one message.
 */
function problemsOf(errors: ErrorObject[]): Array<{ e: ErrorObject; text: string }> {
  const out: Array<{ e: ErrorObject; text: string }> = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'anyOf') continue;
    let text = wordsOf(e);
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    if (e.keyword === 'required' && (missing === 'documents' || missing === 'excerpts')) {
      text = `${e.instancePath.split('/').slice(1).join('.')}: a question that is not unanswerable needs "documents" or "excerpts" (what the answer must cite)`;
    }
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ e, text });
  }
  return out;
}

/**
 * Parses and validates one golden-set file. Throws GoldenError listing every problem as `file:line: …`
 * (YAML syntax, schema, a document to plant that does not exist, duplicate ids, an expected document that is
 * neither planted nor a title).
 */
export function parseGoldenSet(text: string, file: string): GoldenSet {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true });
  const shown = relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file);
  if (doc.errors.length) {
    throw new GoldenError(doc.errors.map((e) => `${shown}:${e.linePos?.[0]?.line ?? '?'}: YAML: ${e.message.split('\n')[0]}`).join('\n'));
  }
  const data = doc.toJS() as unknown;
  const errors = schemaErrorList('golden', data);
  if (errors.length) {
    throw new GoldenError(problemsOf(errors).map(({ e, text: t }) => `${shown}:${lineOf(doc, counter, pathOf(e))}: ${t}`).join('\n'));
  }
  const raw = data as { description?: string; documents?: string[]; questions: Array<Record<string, unknown>> };
  const problems: string[] = [];
  const documents = (raw.documents ?? []).map((d, i) => {
    const abs = resolve(dirname(file), d);
    if (!existsSync(abs)) problems.push(`${shown}:${lineOf(doc, counter, ['documents', i])}: document to plant ${d} does not exist (paths are relative to the YAML file)`);
    return abs;
  });
  const stem = basename(file).replace(/\.ya?ml$/, '');
  const ids = new Set<string>();
  const questions = raw.questions.map((q, i): GoldenQuestion => {
    const at = `${shown}:${lineOf(doc, counter, ['questions', i])}`;
    const id = (q.id as string | undefined) ?? `${stem}#${i + 1}`;
    if (ids.has(id)) problems.push(`${at}: duplicate id ${id}`);
    ids.add(id);
    const facts = (q.facts as string[] | undefined) ?? [];
    const minFacts = (q.min_facts as number | undefined) ?? facts.length;
    if (minFacts > facts.length) problems.push(`${shown}:${lineOf(doc, counter, ['questions', i, 'min_facts'])}: min_facts ${minFacts} is more than the ${facts.length} facts listed`);
    return {
      id,
      question: q.question as string,
      type: q.type as QuestionType,
      documents: (q.documents as string[] | undefined) ?? [],
      related: (q.related as string[] | undefined) ?? [],
      excerpts: (q.excerpts as string[] | undefined) ?? [],
      facts,
      minFacts,
      at,
    };
  });
  if (problems.length) throw new GoldenError(problems.join('\n'));
  return { file: shown, ...(raw.description ? { description: raw.description } : {}), documents, questions };
}

export function loadGoldenSet(file: string): GoldenSet {
  return parseGoldenSet(readFileSync(file, 'utf8'), file);
}

/** Every golden/*.yaml (and .yml) in `dir`, sorted; [] when the directory does not exist. */
export function goldenFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}
