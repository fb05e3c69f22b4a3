/**
 * The CI files: action.yml against a JSON schema of composite-action metadata (selftest/actions/, written for this
 * repository, composite only) and its cross-references (the inputs and step outputs it uses exist, every input is
 * used and documented); .github/workflows/*.yml and the README's GitHub example (run against action.yml as `./`)
 * through actionlint (.tools/bin/actionlint, built by scripts/setup; skipped with a note where it is missing,
 * except in CI); the README's GitLab example as YAML that runs the set-up and the gate.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { processFact } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';

const ACTION = join(REPO_ROOT, 'action.yml');
const SCHEMA = join(REPO_ROOT, 'selftest', 'actions', 'action-metadata.schema.json');
const ACTIONLINT = join(REPO_ROOT, '.tools', 'bin', 'actionlint');
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

interface Step {
  id?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string;
}
interface ActionMeta {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const actionText = readFileSync(ACTION, 'utf8');
const action = parse(actionText) as ActionMeta;

function schemaErrors(data: unknown): string[] {
  // Union types are meant: `if` is an expression or a boolean, `with` values are strings, numbers or booleans.
  const ajv = new Ajv.default({ allErrors: true, strict: true, allowUnionTypes: true });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

test('action.yml is composite-action metadata (selftest/actions/action-metadata.schema.json)', () => {
  assert.deepEqual(schemaErrors(action), []);
});

test('the schema refuses what a runner would: a run step without shell, an unknown key, another runs.using, an output without value', () => {
  const copy = () => structuredClone(action) as unknown as Record<string, any>;
  const noShell = copy();
  delete noShell.runs.steps.find((s: Step) => s.run).shell;
  assert.ok(schemaErrors(noShell).length > 0, 'a run step without shell');
  const typo = copy();
  typo.inputs['base-url'].requried = true;
  assert.ok(schemaErrors(typo).some((e) => /additional properties/.test(e)), 'an unknown key in an input');
  const node = copy();
  node.runs.using = 'node20';
  assert.ok(schemaErrors(node).length > 0, 'runs.using node20 is not composite');
  const output = copy();
  delete output.outputs['exit-code'].value;
  assert.ok(schemaErrors(output).some((e) => /value/.test(e)), 'a composite output needs its value');
  const both = copy();
  both.runs.steps[0].run = 'echo';
  assert.ok(schemaErrors(both).length > 0, 'a step is a run step or a uses step, not both');
});

test('action.yml\'s references hold: inputs and step outputs it uses exist, every input is used and in the README', () => {
  const declared = Object.keys(action.inputs);
  const used = new Set([...actionText.matchAll(/\$\{\{\s*inputs\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]!));
  assert.deepEqual([...used].filter((i) => !declared.includes(i)), [], 'inputs used but not declared');
  assert.deepEqual(declared.filter((i) => !used.has(i)), [], 'inputs declared but never used');
  const ids: string[] = [];
  for (const step of action.runs.steps) {
    const text = JSON.stringify(step);
    for (const m of text.matchAll(/steps\.([A-Za-z0-9_-]+)\.outputs/g)) assert.ok(ids.includes(m[1]!), `step output of ${m[1]} used before (or without) a step with that id`);
    if (step.id) ids.push(step.id);
  }
  for (const [name, o] of Object.entries(action.outputs)) {
    const id = /steps\.([A-Za-z0-9_-]+)\.outputs/.exec(o.value)?.[1];
    assert.ok(id && ids.includes(id), `output ${name}: ${o.value}`);
  }
  const section = README.slice(README.indexOf('## In your CI'));
  for (const input of declared) assert.match(section, new RegExp(`^\\| \`${input}\` \\|`, 'm'), `README.md "In your CI" documents input ${input}`);
  assert.equal(action.runs.steps.at(-1)!.if, undefined, 'the last step (the gate\'s exit code) runs only when all before it succeeded');
});

/** The README's fenced YAML blocks of the "In your CI" section. */
function readmeYaml(): string[] {
  const section = README.slice(README.indexOf('## In your CI'), README.indexOf('\n## ', README.indexOf('## In your CI') + 3));
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function actionlintOr(t: { skip: (why: string) => void }): string | undefined {
  if (existsSync(ACTIONLINT)) return ACTIONLINT;
  // CI has run scripts/setup, which builds it: its absence there is a failure, not a skip.
  assert.ok(!processFact('CI'), `${ACTIONLINT} is missing in CI: scripts/setup builds it (bash scripts/install-actionlint.sh)`);
  t.skip('actionlint is not built here: bash scripts/install-actionlint.sh (scripts/setup does it)');
  return undefined;
}

test('actionlint: .github/workflows/*.yml', (t) => {
  const bin = actionlintOr(t);
  if (!bin) return;
  const dir = join(REPO_ROOT, '.github', 'workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join('.github', 'workflows', f));
  assert.ok(files.length > 0);
  const r = spawnSync(bin, ['-no-color', ...files], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('actionlint: the README\'s GitHub example, with action.yml as the action it uses (its inputs checked)', (t) => {
  const bin = actionlintOr(t);
  if (!bin) return;
  const example = readmeYaml().find((y) => /uses: <org>\/rag-gate@v1/.test(y));
  assert.ok(example, 'README.md "In your CI" has a GitHub workflow that uses <org>/rag-gate@v1');
  const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
  try {
    // actionlint resolves a local action (`uses: ./`) inside a git project: the example's action is this action.yml.
    execFileSync('git', ['init', '-q', dir]);
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    copyFileSync(ACTION, join(dir, 'action.yml'));
    const lint = (text: string) => {
      writeFileSync(join(dir, '.github', 'workflows', 'gate.yml'), text);
      return spawnSync(bin, ['-no-color', join('.github', 'workflows', 'gate.yml')], { cwd: dir, encoding: 'utf8' });
    };
    const local = example.replace('uses: <org>/rag-gate@v1', 'uses: ./');
    const r = lint(local);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    // And the lint can fail: an input action.yml does not declare.
    const bad = lint(local.replace('base-url:', 'base_url:'));
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /input "base_url" is not defined in action/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the README\'s GitLab example: a job that sets up with --gate-only, runs the gate and keeps the checklist', () => {
  const example = readmeYaml().find((y) => /^rag-gate:\n\s+image:/m.test(y));
  assert.ok(example, 'README.md "In your CI" has a GitLab job');
  type Job = { image: string; script: string[]; variables: Record<string, string>; artifacts: { when: string; paths: string[] } };
  const job = (parse(example) as Record<string, Job>)['rag-gate']!;
  assert.match(job.image, /^node:20/);
  assert.ok(job.script.some((s) => s.includes('bash scripts/setup --gate-only')));
  assert.ok(job.script.some((s) => s.includes('npm run release-gate')));
  assert.equal(job.artifacts.when, 'always');
  assert.ok(job.artifacts.paths.some((p) => p.includes('reports/checklist')));
  // The k6 it downloads is the one scripts/setup expects: the pin of scripts/install-k6.sh.
  const pin = /^K6_VERSION="\$\{K6_VERSION:-(v[^}]+)\}"/m.exec(readFileSync(join(REPO_ROOT, 'scripts', 'install-k6.sh'), 'utf8'))?.[1];
  assert.equal(job.variables.K6_VERSION, pin);
});
