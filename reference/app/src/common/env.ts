// Configuration comes only from the environment. Each reader names the variable it could not use.
export class ConfigError extends Error {}

export function str(name: string, fallback?: string): string {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`missing required environment variable ${name}`);
  }
  return v.trim();
}

export function optional(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = optional(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`environment variable ${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

export function url(name: string, fallback?: string): string {
  const v = str(name, fallback);
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
      throw new Error('protocol');
    }
  } catch {
    throw new ConfigError(`environment variable ${name} must be a URL (e.g. http://host:port), got "${v}"`);
  }
  return v.replace(/\/+$/, '');
}

/** Maps LOG_LEVEL spellings used in .env files (INFO, WARNING, ...) to pino levels. */
export function logLevel(name = 'LOG_LEVEL', fallback = 'info'): string {
  const raw = (optional(name) ?? fallback).toLowerCase();
  const map: Record<string, string> = { warning: 'warn', critical: 'fatal', err: 'error' };
  const level = map[raw] ?? raw;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
    throw new ConfigError(`environment variable ${name} must be one of DEBUG, INFO, WARNING, ERROR, got "${raw}"`);
  }
  return level;
}

/** Runs main(); a configuration error ends the process with one clear line and exit code 2. */
export function start(service: string, main: () => Promise<void>): void {
  main().catch((err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${service}: failed to start: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
