/**
 * The deployment profile: one YAML file (`rag-gate.profile.yaml`, schema core/profile.schema.json) that says what
 * differs between RAG System v1.0 deployments – file layout, API shape, auth scheme, model, version, live URLs.
 * Every field defaults to the checklist and the contract (docs/contract.md); environment variables override it
 * (core/config.ts finds the file and applies the overrides). A malformed profile fails with file:line.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

/** The file name the gate looks for in the deployment directory and the working directory. */
export const PROFILE_FILE = 'rag-gate.profile.yaml';

export type AuthScheme = 'api-key' | 'bearer' | 'basic' | 'none';

export interface ProfileFiles {
  composeProduction?: string;
  composeMonitoring?: string;
  envTemplate?: string;
  nginxConfig?: string;
  tlsCertificate?: string;
  tlsKey?: string;
  tlsChain?: string;
  tlsCa?: string;
  prometheusConfig?: string;
  alertRules?: string[];
  alertRuleTests?: string[];
  alertmanagerConfig?: string;
  grafanaDatasources?: string;
  grafanaDashboards?: string;
  backupScript?: string;
  restoreScript?: string;
  logrotate?: string;
}

export interface ApiShape {
  healthPath: string;
  uploadPath: string;
  uploadField: string;
  queryPath: string;
  questionField: string;
  documentsPath: string;
}

export interface AuthShape {
  scheme: AuthScheme;
  header: string;
  secret: string;
  user: string;
}

/** What the deployment's operator requires of its security where the checklist says "if configured". */
export interface SecurityShape {
  /** P4-DATA-1 "Document data encrypted at rest (if configured)": required fails the line when data/ is not encrypted. */
  encryptionAtRest: 'required' | 'optional';
}

/** The profile as written (all optional). */
export interface ProfileFile {
  name?: string;
  target?: { baseUrl?: string; deployDir?: string; caFile?: string; envFile?: string; services?: Record<string, string> };
  files?: ProfileFiles;
  api?: Partial<ApiShape>;
  auth?: Partial<AuthShape>;
  security?: Partial<SecurityShape>;
  ollamaModel?: string;
  expectedVersion?: string;
}

/** The profile with the contract's defaults filled in where the gate needs a value. */
export interface Profile {
  /** The file it was read from; undefined: no profile, the contract's defaults. */
  file?: string;
  name?: string;
  target: NonNullable<ProfileFile['target']>;
  /** Only what the profile states; unset files are found by content (checks/discover.ts), then by the contract's names. */
  files: ProfileFiles;
  api: ApiShape;
  auth: AuthShape;
  security: SecurityShape;
  ollamaModel?: string;
  expectedVersion?: string;
}

/** The contract's API (docs/contract.md). */
export const CONTRACT_API: ApiShape = {
  healthPath: '/health',
  uploadPath: '/api/v1/documents/upload',
  uploadField: 'files',
  queryPath: '/query',
  questionField: 'question',
  documentsPath: '/api/v1/documents',
};

/** The contract's auth: the API key from .env.production in X-API-Key. */
export const CONTRACT_AUTH: AuthShape = { scheme: 'api-key', header: 'X-API-Key', secret: 'API_SECRET_KEY', user: 'admin' };

/** The checklist's default: encryption at rest applies "if configured". */
export const CONTRACT_SECURITY: SecurityShape = { encryptionAtRest: 'optional' };

/** The contract's file names, relative to the deployment directory (what the reference deployment uses). */
export const CONTRACT_FILES = {
  composeProduction: 'docker-compose.production.yml',
  composeMonitoring: 'docker-compose.monitoring.yml',
  envTemplate: '.env.production.template',
  nginxConfig: 'nginx/nginx.conf',
  tlsCertificate: 'ssl/server.crt',
  tlsKey: 'ssl/server.key',
  tlsChain: 'ssl/chain.pem',
  tlsCa: 'ssl/ca.crt',
  prometheusConfig: 'monitoring/prometheus/prometheus.yml',
  alertRules: ['monitoring/prometheus/rules/*.yml'],
  alertRuleTests: ['monitoring/prometheus/tests/*.yml'],
  alertmanagerConfig: 'monitoring/alertmanager/alertmanager.yml',
  grafanaDatasources: 'monitoring/grafana/provisioning/datasources/prometheus.yml',
  grafanaDashboards: 'monitoring/grafana/provisioning/dashboards/dashboards.yml',
  backupScript: 'scripts/backup.sh',
  restoreScript: 'scripts/restore.sh',
  logrotate: 'logrotate/rag-system',
} as const satisfies Required<ProfileFiles>;

/** The profile of a deployment with no profile file: the contract. */
export function contractProfile(): Profile {
  return { target: {}, files: {}, api: { ...CONTRACT_API }, auth: { ...CONTRACT_AUTH }, security: { ...CONTRACT_SECURITY } };
}

export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`deployment profile ${file} is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}\nFix the lines named (the fields are documented in core/profile.schema.json and the README's "Your own deployment"), or unset RAG_PROFILE to use the contract's defaults.`);
    this.name = 'ProfileError';
  }
}

const SCHEMA_PATH = join(dirname(new URL(import.meta.url).pathname), 'profile.schema.json');
let validator: ReturnType<InstanceType<typeof Ajv.default>['compile']> | undefined;

function validate(data: unknown) {
  if (!validator) {
    const ajv = new Ajv.default({ allErrors: true, strict: true });
    addFormats.default(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  }
  return validator(data) ? [] : validator.errors ?? [];
}

/** The YAML node at a JSON pointer (ajv's instancePath), for its line. */
function nodeAt(root: YamlNode | null, pointer: string): YamlNode | null {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (isMap(node)) node = (node.get(key, true) as YamlNode | undefined) ?? null;
    else if (isSeq(node)) node = (node.get(Number(key), true) as YamlNode | undefined) ?? null;
    else return node;
  }
  return node;
}

/** Parses and validates a profile's text; problems carry `file:line`. */
export function parseProfile(text: string, file: string): ProfileFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => `${file}:${offset === undefined ? 1 : lines.linePos(offset).line}`;
  if (doc.errors.length) throw new ProfileError(file, doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`));
  const data = (doc.toJS() ?? {}) as unknown;
  const errors = validate(data);
  if (errors.length) {
    throw new ProfileError(
      file,
      errors.map((e) => {
        let node = nodeAt(doc.contents as YamlNode | null, e.instancePath);
        // An unknown field: the line of the field itself, not of its parent.
        const extraKey = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
        if (extraKey !== undefined && isMap(node)) node = (node.items.find((i) => (i.key as { value?: unknown } | null)?.value === extraKey)?.key as YamlNode | undefined) ?? node;
        const field = e.instancePath.slice(1).replace(/\//g, '.') || '(top level)';
        const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : e.keyword === 'enum' ? ` (${(e.params as { allowedValues: string[] }).allowedValues.join(', ')})` : '';
        return `${at(node?.range?.[0])}: ${field} ${e.message}${extra}`;
      }),
    );
  }
  return data as ProfileFile;
}

/** Reads a profile file and fills in the contract's defaults; paths in `target` become absolute (relative to the file). */
export function loadProfile(file: string): Profile {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ProfileError(abs, [`cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  const p = parseProfile(text, abs);
  const base = dirname(abs);
  const rel = (v: string | undefined) => (v === undefined ? undefined : isAbsolute(v) ? v : join(base, v));
  const t = p.target ?? {};
  const target = Object.fromEntries(
    Object.entries({ ...t, deployDir: rel(t.deployDir), caFile: rel(t.caFile), envFile: rel(t.envFile) }).filter(([, v]) => v !== undefined),
  ) as Profile['target'];
  return {
    file: abs,
    name: p.name,
    target,
    files: p.files ?? {},
    api: { ...CONTRACT_API, ...p.api },
    auth: { ...CONTRACT_AUTH, ...p.auth },
    security: { ...CONTRACT_SECURITY, ...p.security },
    ollamaModel: p.ollamaModel,
    expectedVersion: p.expectedVersion,
  };
}

/** The request headers that authenticate as the deployment's API client, in its scheme; none when the secret is absent or the scheme is none. */
export function authHeaders(auth: AuthShape, secret: (name: string) => string | undefined): Record<string, string> {
  if (auth.scheme === 'none') return {};
  const value = secret(auth.secret);
  if (!value) return {};
  if (auth.scheme === 'bearer') return { authorization: `Bearer ${value}` };
  if (auth.scheme === 'basic') return { authorization: `Basic ${Buffer.from(`${auth.user}:${value}`).toString('base64')}` };
  return { [auth.header.toLowerCase()]: value };
}

/** Where a resolved value came from: the profile, found by content (how), or the contract's default. */
export type Source = 'profile' | 'contract' | { found: string };

export interface Resolved<T> {
  value: T;
  source: Source;
}

/** The profile's value, else what discovery found, else the contract's. */
export function pick<T>(fromProfile: T | undefined, found: { value: T; how: string } | undefined, contract: T): Resolved<T> {
  if (fromProfile !== undefined) return { value: fromProfile, source: 'profile' };
  if (found) return { value: found.value, source: { found: found.how } };
  return { value: contract, source: 'contract' };
}

/** "from the profile", "found: <how>", "the contract's name" – for the evidence on a line. */
export function describeSource(s: Source): string {
  return s === 'profile' ? 'from the deployment profile' : s === 'contract' ? "the contract's name" : `found: ${s.found}`;
}
