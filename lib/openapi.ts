/**
 * What a backend's own OpenAPI document (FastAPI serves one at /openapi.json) says about the API's shape: the
 * upload route and its multipart file field, the query route and its question field, the documents and health
 * routes. Used by discovery (`npm run profile -- --discover --url`) to draft the profile's `api`, and by the
 * upload line to name the field the backend wants when it refuses the profile's.
 *
 *   const found = await fetchOpenApi((u) => http.fetch(u), backendUrl);
 *   discoverApiShape(found.doc)            // { uploadPath: '/upload', uploadField: 'file', ..., how: '...' }
 *   uploadFieldHint(found.doc, profile.api) // "the backend wants multipart field 'file' (its OpenAPI document), ..."
 *
 * Pure except fetchOpenApi; only local `$ref`s (#/components/...) are followed.
 */
import type { ApiShape } from '../core/profile.ts';

type Json = Record<string, unknown>;

/** Where backends serve their OpenAPI document: FastAPI's default first. */
export const OPENAPI_PATHS = ['/openapi.json', '/docs/openapi.json'] as const;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The node a local $ref points at (followed up to a depth, against cycles); other nodes as they are. */
function deref(doc: Json, node: unknown, depth = 0): Json | undefined {
  if (!isObject(node)) return undefined;
  const ref = node['$ref'];
  if (typeof ref !== 'string') return node;
  if (depth > 10 || !ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at = isObject(at) ? at[key] : undefined;
  }
  return deref(doc, at, depth + 1);
}

/** The alternatives of a schema (anyOf/oneOf, e.g. FastAPI's Optional), or the schema itself. */
function variants(doc: Json, schema: unknown): Json[] {
  const s = deref(doc, schema);
  if (!s) return [];
  const alts = [...(Array.isArray(s['anyOf']) ? s['anyOf'] : []), ...(Array.isArray(s['oneOf']) ? s['oneOf'] : [])];
  return alts.length ? alts.flatMap((a) => variants(doc, a)) : [s];
}

/** A file part: a binary string (OpenAPI 3.0 `format: binary`, 3.1 `contentMediaType`), or an array of them. */
function isFileSchema(doc: Json, schema: unknown): boolean {
  return variants(doc, schema).some((s) => (s['type'] === 'string' && (s['format'] === 'binary' || typeof s['contentMediaType'] === 'string')) || (s['type'] === 'array' && isFileSchema(doc, s['items'])));
}

/** The object schema of an operation's request body in a media type (merging allOf), or undefined. */
function bodySchema(doc: Json, op: unknown, mediaType: RegExp): { properties: Json; required: string[] } | undefined {
  const body = deref(doc, isObject(op) ? op['requestBody'] : undefined);
  const content = body && isObject(body['content']) ? body['content'] : undefined;
  const media = content && Object.entries(content).find(([t]) => mediaType.test(t))?.[1];
  const schema = deref(doc, isObject(media) ? media['schema'] : undefined);
  if (!schema) return undefined;
  const parts = [schema, ...(Array.isArray(schema['allOf']) ? schema['allOf'].map((p) => deref(doc, p)).filter((p): p is Json => p !== undefined) : [])];
  const properties: Json = {};
  const required: string[] = [];
  for (const p of parts) {
    if (isObject(p['properties'])) Object.assign(properties, p['properties']);
    if (Array.isArray(p['required'])) required.push(...p['required'].filter((r): r is string => typeof r === 'string'));
  }
  return { properties, required };
}

function operation(doc: Json, path: string, method: string): unknown {
  const paths = isObject(doc['paths']) ? doc['paths'] : {};
  const item = paths[path];
  return isObject(item) ? item[method] : undefined;
}

function pathNames(doc: Json): string[] {
  return isObject(doc['paths']) ? Object.keys(doc['paths']) : [];
}

/** Required fields first, then the others, each group in the document's order. */
const requiredFirst = (names: string[], required: string[]) => [...names.filter((n) => required.includes(n)), ...names.filter((n) => !required.includes(n))];

/**
 * The multipart fields that carry files in POST `path`'s request body (required first); undefined when the
 * document has no POST `path` with a multipart/form-data body.
 */
export function uploadFields(doc: Json, path: string): string[] | undefined {
  const body = bodySchema(doc, operation(doc, path, 'post'), /^multipart\/form-data/i);
  if (!body) return undefined;
  return requiredFirst(Object.keys(body.properties).filter((k) => isFileSchema(doc, body.properties[k])), body.required);
}

const QUESTION_NAME = /^(question|query|q|prompt|text|message|input)$/i;

/**
 * The JSON body field of POST `path` that takes the question: a string property named like one (question,
 * query, q, prompt, ...), else the only required string property; undefined when the document cannot tell.
 */
export function questionField(doc: Json, path: string): string | undefined {
  const body = bodySchema(doc, operation(doc, path, 'post'), /^application\/json/i);
  if (!body) return undefined;
  const strings = requiredFirst(Object.keys(body.properties).filter((k) => variants(doc, body.properties[k]).some((s) => s['type'] === 'string')), body.required);
  const named = strings.find((k) => QUESTION_NAME.test(k));
  if (named) return named;
  const requiredStrings = strings.filter((k) => body.required.includes(k));
  return requiredStrings.length === 1 ? requiredStrings[0] : undefined;
}

/** Prefers paths that match the preferences (patterns or predicates), in order; then the shorter. */
function best(paths: string[], prefer: Array<RegExp | ((p: string) => boolean)>): string | undefined {
  const rank = (p: string) => {
    const i = prefer.findIndex((r) => (r instanceof RegExp ? r.test(p) : r(p)));
    return i === -1 ? prefer.length : i;
  };
  return [...paths].sort((a, b) => rank(a) - rank(b) || a.length - b.length)[0];
}

export type DiscoveredApi = Partial<ApiShape> & { how: string };

/**
 * The API shape an OpenAPI document describes, as far as it tells: the upload route (a POST taking files in
 * multipart/form-data) and its file field, the query route (a POST with a question-like JSON field) and that
 * field, the documents collection (a GET path with /{id} routes beneath it), the health route. `how` says what
 * was found, in words, for the draft profile's comments and the line's evidence.
 */
export function discoverApiShape(doc: unknown): DiscoveredApi {
  if (!isObject(doc) || !isObject(doc['paths'])) return { how: 'not an OpenAPI document (no "paths")' };
  const paths = pathNames(doc);
  const out: Partial<ApiShape> = {};
  const said: string[] = [];

  const uploads = paths.filter((p) => (uploadFields(doc, p) ?? []).length > 0);
  const uploadPath = best(uploads, [/upload/i, /document/i]);
  if (uploadPath) {
    out.uploadPath = uploadPath;
    out.uploadField = uploadFields(doc, uploadPath)![0];
    said.push(`upload POST ${uploadPath} takes files in the multipart field '${out.uploadField}'`);
  }

  const queries = paths.filter((p) => !p.includes('{') && p !== uploadPath && questionField(doc, p) !== undefined);
  const queryPath = best(queries.filter((p) => /query|ask|chat|search|question/i.test(p)), [/\/query$/i, /query/i, /ask/i]);
  if (queryPath) {
    out.queryPath = queryPath;
    out.questionField = questionField(doc, queryPath)!;
    said.push(`query POST ${queryPath} takes the question in the JSON field '${out.questionField}'`);
  }

  const collections = paths.filter((p) => !p.includes('{') && operation(doc, p, 'get') !== undefined && paths.some((q) => q.startsWith(`${p}/{`)));
  const documentsPath = best(collections, [(p) => uploadPath?.startsWith(`${p}/`) === true, /document/i]);
  if (documentsPath) {
    out.documentsPath = documentsPath;
    said.push(`documents GET ${documentsPath} with ${documentsPath}/{id} routes`);
  }

  const healthPath = best(paths.filter((p) => /^(\/api)?(\/v\d+)?\/health(z|check)?$/i.test(p) && operation(doc, p, 'get') !== undefined), [/^\/health$/]);
  if (healthPath) {
    out.healthPath = healthPath;
    said.push(`health GET ${healthPath}`);
  }
  return { ...out, how: said.length ? `the backend's OpenAPI document: ${said.join('; ')}` : 'the backend\'s OpenAPI document names no upload, query, documents or health route' };
}

/**
 * Why an upload in the profile's shape does not fit what the OpenAPI document describes, in the words of the
 * line; undefined when the document agrees with the profile (or cannot tell).
 */
export function uploadFieldHint(doc: unknown, shape: Pick<ApiShape, 'uploadPath' | 'uploadField'>): string | undefined {
  if (!isObject(doc) || !isObject(doc['paths'])) return undefined;
  const fields = uploadFields(doc, shape.uploadPath);
  if (fields === undefined) {
    const found = discoverApiShape(doc);
    if (!found.uploadPath) return undefined;
    return `the backend's OpenAPI document has no multipart POST ${shape.uploadPath}; it uploads with POST ${found.uploadPath} (multipart field '${found.uploadField}') – set api.uploadPath and api.uploadField`;
  }
  if (fields.length === 0 || fields.includes(shape.uploadField)) return undefined;
  return `the backend wants multipart field '${fields[0]}' (its OpenAPI document), the profile says '${shape.uploadField}' – set api.uploadField`;
}

/**
 * The backend's OpenAPI document from the first of OPENAPI_PATHS that answers 200 with one; undefined when none
 * does (or the requests fail). `get` is the caller's HTTP client.
 */
export async function fetchOpenApi(get: (url: string) => Promise<{ status: number; body: string }>, baseUrl: string): Promise<{ url: string; doc: Json } | undefined> {
  for (const p of OPENAPI_PATHS) {
    const url = `${baseUrl.replace(/\/+$/, '')}${p}`;
    const res = await get(url).catch(() => undefined);
    if (res?.status !== 200) continue;
    try {
      const doc = JSON.parse(res.body) as unknown;
      if (isObject(doc) && isObject(doc['paths']) && (typeof doc['openapi'] === 'string' || typeof doc['swagger'] === 'string')) return { url, doc };
    } catch {
      /* not JSON: try the next place */
    }
  }
  return undefined;
}
