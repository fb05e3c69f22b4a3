/**
 * load/k8s/testrun.yaml, the k6-operator TestRun for teams on Kubernetes, against the operator's TestRun fields
 * (load/k8s/testrun.schema.json, written from the CRD testruns.k6.io v1alpha1), and against what a split run of
 * this suite needs: thresholds off in the runners, raw samples out, one directory per runner, a script of load/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { REPO_ROOT } from '../core/paths.ts';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'load', 'k8s', 'testrun.schema.json'), 'utf8')) as object;
// Kubernetes quantities are int-or-string: union types allowed.
const ajv = new Ajv.default({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(schema);
const manifest = () => parse(readFileSync(join(REPO_ROOT, 'load', 'k8s', 'testrun.yaml'), 'utf8')) as {
  spec: { parallelism: unknown; script: { configMap?: { file?: string } }; arguments?: string; runner: { volumeMounts?: Array<{ subPathExpr?: string }>; env?: Array<{ name: string }> } } & Record<string, unknown>;
} & Record<string, unknown>;

/** ajv's errors for a TestRun, or null when it is one. */
function errors(doc: unknown): string | null {
  return validate(doc) ? null : ajv.errorsText(validate.errors, { dataVar: 'TestRun' });
}

test('load/k8s/testrun.yaml is a valid k6-operator TestRun', () => {
  assert.equal(errors(manifest()), null);
});

test('a TestRun with parallelism as a string, a misspelt field, no script or an unknown cleanup is refused', () => {
  const asString = manifest();
  asString.spec.parallelism = '2';
  assert.match(errors(asString) ?? '', /TestRun\/spec\/parallelism must be integer/);
  const misspelt = manifest();
  misspelt.spec.parallelsim = 2;
  assert.match(errors(misspelt) ?? '', /must NOT have additional properties/);
  const noScript = manifest() as Record<string, unknown> & { spec: Record<string, unknown> };
  delete noScript.spec.script;
  assert.match(errors(noScript) ?? '', /must have required property 'script'/);
  const cleanup = manifest();
  cleanup.spec.cleanup = 'always';
  assert.match(errors(cleanup) ?? '', /cleanup must be equal to one of the allowed values/);
  const wrongKind = { ...manifest(), kind: 'K6' };
  assert.match(errors(wrongKind) ?? '', /TestRun\/kind must be equal to constant/);
});

test('the TestRun splits a script of load/ and leaves the verdict to the merge of all runners', () => {
  const m = manifest();
  assert.ok((m.spec.parallelism as number) >= 2, 'parallelism: at least 2 runners, or there is nothing to split');
  const file = m.spec.script.configMap?.file ?? '';
  const script = file.replace(/\.tar$/, '');
  assert.ok(file.endsWith('.tar') && existsSync(join(REPO_ROOT, 'load', `${script}.ts`)), `script ${file}: a k6 archive of a script in load/ (it imports ../core/thresholds.ts, which a single file cannot carry)`);
  assert.match(m.spec.arguments ?? '', /--no-thresholds/, 'a runner alone sees 1/parallelism of the load: its thresholds would judge the wrong totals');
  assert.match(m.spec.arguments ?? '', new RegExp(`--out json=/results/${script}\\.json\\.gz`), 'each runner writes its raw samples for the merge');
  assert.ok(m.spec.runner.volumeMounts?.some((v) => v.subPathExpr === '$(POD_NAME)') && m.spec.runner.env?.some((e) => e.name === 'POD_NAME'), 'one results directory per runner pod, so the runners never overwrite each other');
});
