/**
 * Reads a deployment's .env file (.env.production, its template). The parser follows docker-compose's env_file
 * rules as far as KEY=VALUE, # comments and optional quotes go, and names the file and line of anything it cannot
 * read – never a value.
 */
import { readFileSync } from 'node:fs';

export interface EnvEntry {
  key: string;
  value: string;
  line: number;
}

export class EnvFileError extends Error {}

export function parseEnvFile(path: string): EnvEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EnvFileError(`${path}: cannot be read (${(err as Error).message}). Create it from .env.production.template with scripts/generate-env.sh.`);
  }
  const entries: EnvEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      throw new EnvFileError(`${path}:${i + 1}: "${line.replace(/=.*/, '=…')}" is not KEY=VALUE. Each line of .env.production must be NAME=value (no spaces around the name, # for comments).`);
    }
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
    else if (q === '"' || q === "'") throw new EnvFileError(`${path}:${i + 1}: ${m[1]} has an unterminated ${q} quote.`);
    entries.push({ key: m[1]!, value, line: i + 1 });
  });
  return entries;
}

/** The parsed env file as a map; throws EnvFileError (names file and line, never a value) when unreadable. */
export function envMap(path: string): Map<string, EnvEntry> {
  return new Map(parseEnvFile(path).map((e) => [e.key, e]));
}
