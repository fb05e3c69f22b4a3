/**
 * The layering a newcomer can see: each top-level folder may import only from the folders below it.
 *   core ← checklist, lib ← testcontainers ← checks ← fixtures ← tests
 * scripts/ and prove/ are programs on top of the library layers (never the test layer); load/ (k6) sees only
 * core/; reference/ is a separate program and imports nothing of the suite. Also: no module reads a path
 * outside the repository (a clone with nothing beside it must work).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { REPO_ROOT } from '../core/paths.ts';

const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  checklist: ['core', 'checklist'],
  lib: ['core', 'lib'],
  testcontainers: ['core', 'lib', 'testcontainers'],
  checks: ['core', 'lib', 'testcontainers', 'checks'],
  fixtures: ['core', 'checklist', 'lib', 'testcontainers', 'checks', 'fixtures'],
  tests: ['core', 'checklist', 'lib', 'testcontainers', 'checks', 'fixtures', 'tests'],
  scripts: ['core', 'checklist', 'lib', 'testcontainers', 'checks', 'scripts', 'load'],
  prove: ['core', 'checklist', 'lib', 'testcontainers', 'checks', 'prove'],
  load: ['core', 'load'],
  selftest: ['core', 'checklist', 'lib', 'testcontainers', 'checks', 'fixtures', 'scripts', 'prove', 'load', 'selftest', '.'],
  // The root's configurations: core only, and each other (playwright.smoke.config.ts builds on playwright.config.ts).
  '.': ['core', '.'],
};

function sourceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && !f.startsWith('reference/') && existsSync(join(REPO_ROOT, f)));
}

const IMPORT = /(?:^|[\s;])(?:import|export)\b[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

export function layerOf(file: string): string {
  const top = file.split('/')[0]!;
  return file.includes('/') ? top : '.';
}

export function importViolations(files: Array<{ file: string; text: string }>): string[] {
  const problems: string[] = [];
  for (const { file, text } of files) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    if (!allowed) {
      problems.push(`${file}: folder "${from}" has no place in the layering (add it to selftest/layers.test.ts)`);
      continue;
    }
    const src = code(text);
    for (const m of src.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const target = relative(REPO_ROOT, resolve(dirname(join(REPO_ROOT, file)), spec));
      if (target.startsWith('..')) {
        problems.push(`${file}:${lineOf(src, m.index!)}: imports ${spec}, outside the repository`);
        continue;
      }
      const to = layerOf(target);
      if (!allowed.includes(to)) {
        problems.push(`${file}:${lineOf(src, m.index!)}: ${from}/ must not import ${to}/ (${spec}); allowed: ${allowed.join(', ')}`);
      }
    }
  }
  return problems;
}

/** Comment lines (doc examples of imports) blanked, so line numbers still match. */
function code(text: string): string {
  return text.replace(/^[ \t]*(\*|\/\/|\/\*).*$/gm, '');
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

test('import direction: each folder imports only the layers below it', () => {
  const files = sourceFiles().map((file) => ({ file, text: readFileSync(join(REPO_ROOT, file), 'utf8') }));
  assert.deepEqual(importViolations(files), []);
});

test('import direction: the check can fail (a lib module importing a fixture is refused)', () => {
  const bad = importViolations([{ file: 'lib/x.ts', text: "import { test } from '../fixtures/index.ts';\n" }]);
  assert.equal(bad.length, 1);
  assert.match(bad[0]!, /lib\/x\.ts:1: lib\/ must not import fixtures\//);
  assert.equal(importViolations([{ file: 'core/x.ts', text: "import { a } from '../../shared/y.ts';" }]).length, 1);
});

test('reference/ imports nothing of the suite', () => {
  const out = execFileSync('git', ['ls-files', 'reference/*.ts'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  const problems: string[] = [];
  for (const file of out) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = relative(REPO_ROOT, resolve(dirname(join(REPO_ROOT, file)), (m[1] ?? m[2])!));
      if (!target.startsWith('reference/')) problems.push(`${file}: imports ${target}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('no module reads a path outside the repository (../shared, /work/…)', () => {
  const problems: string[] = [];
  const files = [...sourceFiles(), ...execFileSync('git', ['ls-files', 'scripts', '.ci', '.github', 'package.json', 'playwright.config.ts'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean)];
  for (const file of new Set(files)) {
    if (file === 'selftest/layers.test.ts') continue;
    const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (/\.\.\/shared\b|['"`]\/work\/|'\.\.', 'shared'/.test(l)) problems.push(`${file}:${i + 1}: ${l.trim()}`);
    });
  }
  assert.deepEqual(problems, []);
});
