/**
 * Pure checks on a deployment's .env.production (Pre-Deployment Requirements › Environment, Security): file
 * permissions, created from the template, the checklist's variables each with its own rule, secrets' length and
 * entropy, passwords' strength, placeholders. Problems name the variable, never its value.
 *
 * Specs call these on `target.raw.deployDir`; selftest/pre-envfile.test.ts calls them on broken copies.
 *
 * A line of the file that cannot be parsed (lib/envfile.ts) fails the lines about its variable, with file:line and
 * the fix, and the file's own line (created from the template); the other variables are judged as usual.
 *
 * A value is only judged good when the deployment uses it: checkConsumed asks the compose files whether the services
 * that need a variable read .env.production (env_file) or interpolate it – a strong secret no service reads is not
 * the secret the deployment runs with.
 */
import { existsSync, statSync } from 'node:fs';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import { processFact } from '../core/config.ts';
import { envMap, envFileProblems, EnvVars, type EnvEntry } from '../lib/envfile.ts';
import { MIN_SECRET_LENGTH, REQUIRED_ENV_VARS, REQUIRED_LOG_LEVEL, REQUIRED_SSL_ENABLED, SIXTY_FOUR_CHAR_SECRETS } from '../core/thresholds.ts';
import { check, type Check } from './check.ts';
import { envVarReaches, checkServiceUrl, type ComposeService } from './compose.ts';

/**
 * What "high entropy" means for a 64-character secret (not a checklist number; the checklist says "random").
 * Shannon entropy of the value's own characters: 64 random hex digits give ~3.8 bits/char, 64 random
 * alphanumerics ~5.3; "aaaa…" or a repeated word gives far less. Both must hold.
 */
export const MIN_SECRET_BITS_PER_CHAR = 3.5;
export const MIN_SECRET_TOTAL_BITS = 200;
/** zxcvbn score a password must reach: 4 = "very unguessable" (≥10^10 guesses). */
export const MIN_PASSWORD_SCORE = 4;

/** Values that mean "not filled in yet" – whole value (case-insensitive) or contained in it. */
const PLACEHOLDER_SUBSTRINGS = ['change_me', 'changeme', 'change-me', 'replace_me', 'replaceme', 'placeholder', 'example', 'your_', 'your-', 'todo', 'fixme', 'xxxxx', '<', '>'];
const PLACEHOLDER_VALUES = ['password', 'passwd', 'secret', 'admin', 'default', 'test', 'testing', 'changeit', '123456', 'none', 'null', 'dummy'];

export function shannonBitsPerChar(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Whether a value was left unfilled. Markers (CHANGE_ME, example, your_…, <…>) count in any variable;
 * common words (password, admin, test, …) only as the whole value of a secret (…PASSWORD, …SECRET, …KEY,
 * …TOKEN) – a user name "admin" is a name, not a placeholder.
 */
export function isPlaceholder(value: string, key = 'SECRET'): boolean {
  const v = value.trim().toLowerCase();
  if (v === '') return false;
  if (/(PASSWORD|SECRET|KEY|TOKEN)$/.test(key) && PLACEHOLDER_VALUES.includes(v)) return true;
  return PLACEHOLDER_SUBSTRINGS.some((p) => v.includes(p));
}

let zxcvbn: ZxcvbnFactory | undefined;
/** zxcvbn-ts with the common dictionaries and keyboard graphs. */
export function passwordScore(password: string, userInputs: string[] = []): { score: number; warning: string | null; guessesLog10: number } {
  zxcvbn ??= new ZxcvbnFactory({ dictionary: { ...zxcvbnCommon.dictionary }, graphs: zxcvbnCommon.adjacencyGraphs });
  const r = zxcvbn.check(password, userInputs);
  return { score: r.score, warning: r.feedback.warning, guessesLog10: Math.round(r.guessesLog10 * 10) / 10 };
}

/** .env.production exists, is a regular file, mode 600 (no group/other bits) and owned by root or the deploying user. */
export function checkEnvFilePermissions(path: string, allowedUids: number[] = deployingUids()): Check {
  if (!existsSync(path)) return check([`${path} does not exist; create it from .env.production.template (scripts/generate-env.sh)`]);
  const st = statSync(path);
  const problems: string[] = [];
  const mode = st.mode & 0o777;
  if (!st.isFile()) problems.push(`${path} is not a regular file`);
  if ((mode & 0o077) !== 0) problems.push(`${path} has mode ${mode.toString(8).padStart(3, '0')}; the checklist requires 600 for secrets (run: chmod 600 ${path})`);
  if ((mode & 0o600) !== 0o600 && (mode & 0o400) === 0) problems.push(`${path} has mode ${mode.toString(8).padStart(3, '0')}: its owner cannot read it`);
  if (!allowedUids.includes(st.uid)) problems.push(`${path} is owned by uid ${st.uid}; expected root or the deploying user (uid ${allowedUids.join(' or ')})`);
  return check(problems, [`mode ${mode.toString(8).padStart(3, '0')}, owner uid ${st.uid}`]);
}

/** root, the current user and the user behind sudo. */
export function deployingUids(): number[] {
  const uids = new Set<number>([0]);
  if (typeof process.getuid === 'function') uids.add(process.getuid());
  const sudo = Number(processFact('SUDO_UID'));
  if (Number.isInteger(sudo)) uids.add(sudo);
  return [...uids];
}

/** Every variable of the template is in .env.production ("created from template"), none left at a template placeholder. */
export function checkCreatedFromTemplate(envPath: string, templatePath: string): Check {
  if (!existsSync(templatePath)) return check([`${templatePath} does not exist: the deployment has no template to create .env.production from`]);
  const template = envMap(templatePath);
  const env = envMap(envPath);
  const broken = new Set(env.problems.map((p) => p.key));
  const missing = [...template.keys()].filter((k) => !env.has(k) && !broken.has(k));
  const unfilled = [...template.entries()].filter(([k, t]) => isPlaceholder(t.value, k) && env.get(k)?.value === t.value).map(([k]) => k);
  // Compose refuses the whole file on any line it cannot parse: each one fails this line, with file:line.
  const problems: string[] = [...template.problems, ...env.problems].map((p) => p.message);
  if (missing.length) problems.push(`variables of .env.production.template missing from .env.production: ${missing.join(', ')}`);
  if (unfilled.length) problems.push(`variables still holding the template's placeholder: ${unfilled.join(', ')}`);
  return check(problems, [`${template.size} template variables, ${env.size} in .env.production`]);
}

/**
 * One required variable: its line parses, and it is present and non-empty (no value shown). When it is missing,
 * the message says why it may be: a `NAME` line without a value, or lines of the file that could not be parsed.
 */
export function checkPresent(env: Map<string, EnvEntry>, key: string): Check {
  const own = envFileProblems(env).filter((p) => p.key === key);
  if (own.length) return check(own.map((p) => p.message));
  const e = env.get(key);
  if (!e) return check([`${key} is not set in .env.production${whyMissing(env, key)}`]);
  if (e.value.trim() === '') return check([`${key} is empty in .env.production (line ${e.line})`]);
  return check([], [`${key} set (line ${e.line}, ${e.value.length} characters)`]);
}

function whyMissing(env: Map<string, EnvEntry>, key: string): string {
  const inherited = env instanceof EnvVars ? env.inherited.find((i) => i.key === key) : undefined;
  if (inherited) return ` (line ${inherited.line} names it without a value, so Compose takes it from the environment of whoever runs docker compose; give it a value)`;
  const unparsed = envFileProblems(env).filter((p) => p.key === undefined);
  return unparsed.length ? ` (nor could these lines be parsed: ${unparsed.map((p) => p.message).join(' ')})` : '';
}

/**
 * A value Compose interpolated with a name that is set nowhere in the file (a `$` in a generated secret, most
 * often): the value judged is what Compose hands on, so say so when it fails.
 */
function interpolationNote(env: Map<string, EnvEntry>, key: string, c: Check): Check {
  const names = env.get(key)?.unresolved;
  if (c.ok || !names?.length) return c;
  // The names are the value's own text (a $ inside a random secret): not shown.
  const note = `${key}'s value (line ${env.get(key)!.line}) has ${names.length > 1 ? `${names.length} $ references` : 'a $ reference'} to a variable set nowhere before it in the file, which Compose replaces with "" (write $$ for a literal $, or put the value in single quotes)`;
  return check([...c.problems, note], c.details);
}

/** A 64-character secret: present, ≥64 characters, high entropy, not a placeholder, different from the other two. */
export function checkSecret(env: Map<string, EnvEntry>, key: string): Check {
  const present = checkPresent(env, key);
  if (!present.ok) return present;
  const v = env.get(key)!.value;
  const problems: string[] = [];
  const bits = shannonBitsPerChar(v);
  if (v.length < MIN_SECRET_LENGTH) problems.push(`${key} is ${v.length} characters long; the checklist requires at least ${MIN_SECRET_LENGTH} (regenerate it, e.g. scripts/generate-env.sh --force)`);
  if (bits < MIN_SECRET_BITS_PER_CHAR || bits * v.length < MIN_SECRET_TOTAL_BITS) {
    problems.push(`${key} is not random enough: ${bits.toFixed(2)} bits of entropy per character (${Math.round(bits * v.length)} bits in all); a random secret has ≥${MIN_SECRET_BITS_PER_CHAR} per character and ≥${MIN_SECRET_TOTAL_BITS} in all`);
  }
  if (isPlaceholder(v, key)) problems.push(`${key} holds a placeholder value, not a generated secret`);
  for (const other of SIXTY_FOUR_CHAR_SECRETS) {
    if (other !== key && env.get(other)?.value === v) problems.push(`${key} has the same value as ${other}; each secret must be generated separately`);
  }
  return interpolationNote(env, key, check(problems, [`${key}: ${v.length} characters, ${bits.toFixed(2)} bits/char`]));
}

/** Every password-like variable (…PASSWORD) strong by zxcvbn (score 4), not a placeholder. */
export function checkPassword(env: Map<string, EnvEntry>, key: string): Check {
  const present = checkPresent(env, key);
  if (!present.ok) return present;
  const v = env.get(key)!.value;
  const problems: string[] = [];
  const s = passwordScore(v, [key, key.toLowerCase(), 'rag', 'rag-system', 'admin', env.get('ADMIN_USER')?.value ?? 'admin']);
  if (s.score < MIN_PASSWORD_SCORE) {
    problems.push(`${key} is a weak password: zxcvbn score ${s.score} of 4 (about 10^${s.guessesLog10} guesses)${s.warning ? `, "${s.warning}"` : ''}; generate a random one (≥20 random characters)`);
  }
  if (isPlaceholder(v, key)) problems.push(`${key} holds a placeholder value, not a generated password`);
  return interpolationNote(env, key, check(problems, [`${key}: zxcvbn score ${s.score}/4, ~10^${s.guessesLog10} guesses`]));
}

/** Every …PASSWORD variable, also one whose line could not be parsed (its checks then fail with the cause). */
export function passwordKeys(env: Map<string, EnvEntry>): string[] {
  const keys = new Set([...env.keys(), ...envFileProblems(env).flatMap((p) => (p.key ? [p.key] : []))]);
  return [...keys].filter((k) => /PASSWORD$/.test(k));
}

/** No variable anywhere in the file holds a placeholder. */
export function checkNoPlaceholders(env: Map<string, EnvEntry>): Check {
  const bad = [...env.values()].filter((e) => isPlaceholder(e.value, e.key)).map((e) => `${e.key} (line ${e.line})`);
  return check(bad.length ? [`placeholder values (CHANGE_ME, example, password, …) left in .env.production: ${bad.join(', ')}`] : [], [`${env.size} variables checked for placeholders`]);
}

export function checkSslEnabled(env: Map<string, EnvEntry>): Check {
  const p = checkPresent(env, 'SSL_ENABLED');
  if (!p.ok) return p;
  const v = env.get('SSL_ENABLED')!.value;
  return check(v === REQUIRED_SSL_ENABLED ? [] : [`SSL_ENABLED is "${v}"; production requires SSL_ENABLED=${REQUIRED_SSL_ENABLED}`], [`SSL_ENABLED=${v}`]);
}

export function checkLogLevel(env: Map<string, EnvEntry>): Check {
  const p = checkPresent(env, 'LOG_LEVEL');
  if (!p.ok) return p;
  const v = env.get('LOG_LEVEL')!.value;
  return check(v === REQUIRED_LOG_LEVEL ? [] : [`LOG_LEVEL is "${v}"; production logging requires LOG_LEVEL=${REQUIRED_LOG_LEVEL}`], [`LOG_LEVEL=${v}`]);
}

/**
 * OLLAMA_HOST is an http(s) URL with a host (host.docker.internal, a service name or an address) – and, when the
 * deployment's compose files are given, "appropriate": a bare service name must be a service of those files that
 * runs Ollama, on a port that service listens on.
 */
export function checkOllamaHost(env: Map<string, EnvEntry>, services?: ComposeService[]): Check {
  const p = checkPresent(env, 'OLLAMA_HOST');
  if (!p.ok) return p;
  const v = env.get('OLLAMA_HOST')!.value;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return check([`OLLAMA_HOST "${v}" is not a URL; use e.g. http://host.docker.internal:11434 or http://ollama:11434`]);
  }
  const problems: string[] = [];
  if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`OLLAMA_HOST "${v}" must be http:// or https://`);
  if (!u.hostname) problems.push(`OLLAMA_HOST "${v}" has no host name`);
  if (u.pathname !== '/' || u.search || u.hash) problems.push(`OLLAMA_HOST "${v}" should be a base URL without a path`);
  if (u.username || u.password) problems.push('OLLAMA_HOST carries credentials in the URL');
  const details = [`OLLAMA_HOST=${u.protocol}//${u.host}`];
  if (services && problems.length === 0) {
    const t = checkServiceUrl('OLLAMA_HOST', u, services, (s) => /ollama/i.test(`${s.name} ${s.image}`), 'Ollama');
    problems.push(...t.problems);
    details.push(...t.details);
  }
  return check(problems, details);
}

/** The checklist's variables are present and non-empty, each with its own rule. */
export function checkRequiredVariable(env: Map<string, EnvEntry>, key: (typeof REQUIRED_ENV_VARS)[number], services?: ComposeService[]): Check {
  switch (key) {
    case 'SECRET_KEY':
    case 'API_SECRET_KEY':
    case 'JWT_SECRET':
      return checkSecret(env, key);
    case 'REDIS_PASSWORD':
    case 'GRAFANA_PASSWORD':
      return checkPassword(env, key);
    case 'OLLAMA_HOST':
      return checkOllamaHost(env, services);
    case 'SSL_ENABLED':
      return checkSslEnabled(env);
    case 'LOG_LEVEL':
      return checkLogLevel(env);
  }
}

/**
 * The compose services (core/contract.ts names) that must receive each of the checklist's variables: the
 * application's secrets and settings go to the backend; the Redis password to Redis (which requires it) and the
 * backend (which authenticates with it); the Grafana password to Grafana. A variable not listed here, or a
 * deployment without a service of that name, needs only some service to read it.
 */
export const ENV_CONSUMERS: Readonly<Record<string, readonly string[]>> = {
  SECRET_KEY: ['rag-backend'],
  API_SECRET_KEY: ['rag-backend'],
  JWT_SECRET: ['rag-backend'],
  REDIS_PASSWORD: ['redis', 'rag-backend'],
  GRAFANA_PASSWORD: ['grafana'],
  OLLAMA_HOST: ['rag-backend'],
  SSL_ENABLED: ['rag-backend'],
  LOG_LEVEL: ['rag-backend'],
};

/** The last path part of an image without its tag: `rag-system/rag-backend:1.0.0` → `rag-backend`. */
function imageName(image: string): string {
  return (image.split('/').pop() ?? '').replace(/[:@].*$/, '');
}

/**
 * `key` of .env.production is consumed by the deployment: every service that needs it (ENV_CONSUMERS, when the
 * compose files have it) gets it from the file – `env_file: .env.production`, or `${KEY}` in its definition – and no
 * `environment:` entry replaces it with another value; for other variables, some service does. A variable missing
 * from the file is checkPresent's problem, not this one's.
 */
export function checkConsumed(env: Map<string, EnvEntry>, key: string, services: ComposeService[], deployDir?: string): Check {
  const entry = env.get(key);
  if (!entry || entry.value.trim() === '') return check([]);
  const files = [...new Set(services.map((s) => s.file))];
  const where = files.length ? files.join(', ') : 'the deployment directory (no docker-compose*.yml)';
  const reaching = services.map((s) => ({ s, ...envVarReaches(s, key, entry.value, deployDir) }));
  const wanted = ENV_CONSUMERS[key] ?? [];
  const consumers = reaching.filter((r) => wanted.some((w) => r.s.names.includes(w) || imageName(r.s.image) === w));
  const reached = (rs: typeof reaching) => rs.filter((r) => r.reaches).map((r) => `${key} reaches ${r.s.name} (${r.s.file}): ${r.how}`);
  if (consumers.length > 0) {
    const missing = consumers.filter((c) => !c.reaches);
    return check(missing.map((c) => `${key} is set in .env.production but ${c.s.name} (${c.s.file}) does not read it (${c.how})`), reached(consumers));
  }
  if (reaching.some((r) => r.reaches)) return check([], reached(reaching));
  return check([`${key} is set in .env.production but no service of ${where} reads it (no env_file: .env.production, no \${${key}})`]);
}
