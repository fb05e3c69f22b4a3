/**
 * Settings are declared once (core/config.ts SETTINGS) and read in one module: README.md's table is the one the
 * declaration generates, no other module reads a variable from process.env (passing the whole environment to
 * a child process is fine), and every RAG_* variable the code, scripts and docs name is declared.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SETTINGS } from '../core/config.ts';
import { SERVICE_URL_VARS } from '../core/contract.ts';
import { REPO_ROOT } from '../core/paths.ts';
import { README, withSettingsTable } from '../scripts/settings-doc.ts';

const CONFIG = 'core/config.ts';

function repoFiles(...patterns: string[]): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...patterns], { cwd: REPO_ROOT, encoding: 'utf8' });
  // Deleted files not yet committed are still listed as cached.
  return [...new Set(out.split('\n').filter((f) => f && !f.startsWith('reference/') && existsSync(join(REPO_ROOT, f))))];
}

/** Comment lines blanked, so that line numbers still match (doc comments may name process.env). */
function code(text: string): string {
  return text.replace(/^[ \t]*(\*|\/\/|\/\*).*$/gm, '');
}

/** `process.env.X`, `process.env[...]` and `{ X } = process.env`: reads of one variable. `{ ...process.env }` is not one. */
const ENV_READ = /process\.env\??\.([A-Za-z_][A-Za-z0-9_]*)|process\.env\s*\[|\}\s*=\s*process\.env\b/g;

export function envReads(files: Array<{ file: string; text: string }>): string[] {
  const problems: string[] = [];
  for (const { file, text } of files) {
    const src = code(text);
    for (const m of src.matchAll(ENV_READ)) {
      const line = src.slice(0, m.index).split('\n').length;
      problems.push(`${file}:${line}: reads ${m[1] ?? 'a variable'} from process.env; declare it in ${CONFIG} (SETTINGS) and read it there`);
    }
  }
  return problems;
}

test('README.md\'s settings table is the one core/config.ts declares (npm run settings:doc)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.ok(readme === withSettingsTable(readme), 'README.md\'s settings table differs from the declaration in core/config.ts: run npm run settings:doc');
});

test('the environment is read in core/config.ts only', () => {
  const files = repoFiles('*.ts')
    .filter((f) => f !== CONFIG && !f.startsWith('selftest/'))
    .map((file) => ({ file, text: readFileSync(join(REPO_ROOT, file), 'utf8') }));
  assert.deepEqual(envReads(files), []);
});

test('the environment check can fail, and lets a child process have the whole environment', () => {
  const bad = envReads([
    { file: 'lib/x.ts', text: "const a = process.env.RAG_X;\nprocess.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';\nconst b = process.env['RAG_Y'];\nconst { HOME } = process.env;\n" },
  ]);
  assert.equal(bad.length, 4);
  assert.match(bad[0]!, /lib\/x\.ts:1: reads RAG_X from process\.env/);
  assert.deepEqual(envReads([{ file: 'lib/y.ts', text: "spawn('k6', [], { env: { ...process.env, BENCH_URL: url } });\n// process.env.RAG_Z in a comment\n" }]), []);
});

test('every RAG_* and BENCH_* variable named in the code, scripts and docs is declared', () => {
  const files = repoFiles('*.ts', '*.sh', '*.md', 'scripts/setup', 'scripts/release-gate', 'scripts/test').filter((f) => !f.startsWith('checklist/source/') && f !== 'selftest/settings.test.ts');
  const undeclared = new Map<string, string>();
  for (const file of files) {
    for (const m of readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(/\b(?:RAG|BENCH)_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      if (!(m[0] in SETTINGS) && !undeclared.has(m[0])) undeclared.set(m[0], file);
    }
  }
  assert.deepEqual([...undeclared].map(([name, file]) => `${name} (named in ${file})`), []);
});

test('every gate setting is read in core/config.ts (no declared setting is dead)', () => {
  const text = readFileSync(join(REPO_ROOT, CONFIG), 'utf8');
  const serviceUrls = new Set(Object.values(SERVICE_URL_VARS));
  const unread = Object.entries(SETTINGS)
    .filter(([name, s]) => !s.readBy && !serviceUrls.has(name) && !new RegExp(`read(Or)?\\('${name}'`).test(text))
    .map(([name]) => name);
  assert.deepEqual(unread, []);
});
