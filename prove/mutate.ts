/**
 * Small, strict edits to a copy of a deployment directory. Each throws when the text it should change is
 * not there, so a planted defect can never silently fail to apply.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class MutationError extends Error {}

let pathIn: (rel: string) => string = (rel) => rel;

/** A reference path as the deployment under test has it (for defects that run a command on files). */
export function pathOf(rel: string): string {
  return pathIn(rel);
}

/** Defects name the reference's paths; a deployment laid out otherwise (prove/variant.ts) maps them to its own. */
export function mapPaths(fn: (rel: string) => string): void {
  pathIn = fn;
}

export function replaceIn(dir: string, reference: string, from: string | RegExp, to: string): void {
  const rel = pathIn(reference);
  const path = join(dir, rel);
  const text = readFileSync(path, 'utf8');
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new MutationError(`${rel}: "${String(from)}" not found; the reference deployment changed and this defect no longer applies`);
  writeFileSync(path, typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to));
}

/** Sets (or adds) KEY=value in the copy's .env.production, keeping its mode. */
export function setEnv(dir: string, key: string, value: string): void {
  const path = join(dir, '.env.production');
  const lines = readFileSync(path, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${key}=`));
  if (i >= 0) lines[i] = `${key}=${value}`;
  else lines.splice(lines.length - 1, 0, `${key}=${value}`);
  writeFileSync(path, lines.join('\n'));
}

export function getEnv(dir: string, key: string): string {
  const line = readFileSync(join(dir, '.env.production'), 'utf8').split('\n').find((l) => l.startsWith(`${key}=`));
  if (!line) throw new MutationError(`.env.production has no ${key}`);
  return line.slice(key.length + 1);
}

export function chmod(dir: string, rel: string, mode: number): void {
  chmodSync(join(dir, pathIn(rel)), mode);
}

export function run(dir: string, cmd: string, args: string[], env: Record<string, string> = {}): void {
  execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}
