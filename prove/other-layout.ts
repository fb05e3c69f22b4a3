/**
 * `npm run prove:layout`: the gate on foreign ground. Runs the whole suite in compose mode on a fresh copy of the
 * reference deployment and on the other-layout deployment (prove/variant.ts: the same system, correct per the
 * checklist, laid out and named otherwise, described by its own profile), one after the other, and compares them
 * line by line. A line that fails on the other layout but not on the reference is a false red: the gate judged a
 * name, not the deployment. Exit 1 when there is one, or when a run broke. Writes reports/prove-other-layout/compare.md.
 *
 *   tsx prove/other-layout.ts [--project p ...]   (default: every project)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareContainerRuntimeEnv } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
import { runSuite } from './suite.ts';
import { prepareVariantDeployDir } from './variant.ts';

const OUT = resolve(REPO_ROOT, 'reports', 'prove-other-layout');
const WORK = resolve(REPO_ROOT, '.cache', 'prove-other-layout');

function main(): void {
  prepareContainerRuntimeEnv();
  const argv = process.argv.slice(2);
  const projects = argv.flatMap((a, i) => (a === '--project' && argv[i + 1] ? [argv[i + 1]!] : []));
  mkdirSync(OUT, { recursive: true });
  process.stdout.write('[layout] the reference deployment (compose mode) … ');
  const ref = runSuite(OUT, 'reference', prepareHermeticDeployDir(join(WORK, 'reference')), projects);
  console.log(`${ref.seconds.toFixed(0)} s, ${ref.failed.size} item(s) fail${ref.broke ? ` – RUN BROKE: ${ref.broke}` : ''}`);
  process.stdout.write('[layout] the other-layout deployment (compose mode, its own profile) … ');
  const other = runSuite(OUT, 'other-layout', prepareVariantDeployDir(join(WORK, 'other-layout')), projects);
  console.log(`${other.seconds.toFixed(0)} s, ${other.failed.size} item(s) fail${other.broke ? ` – RUN BROKE: ${other.broke}` : ''}`);
  const falseRed = [...other.failed].filter(([id]) => !ref.failed.has(id));
  const onlyRef = [...ref.failed].filter(([id]) => !other.failed.has(id));
  const both = [...other.failed.keys()].filter((id) => ref.failed.has(id));
  const lines = [
    '# The gate on the other-layout deployment vs the reference (compose mode, same machine)',
    '',
    `false reds (fail only on the other layout): ${falseRed.length}`,
    ...falseRed.map(([id, why]) => `- ${id}: ${why.replace(/\n/g, ' ')}`),
    '',
    `fail only on the reference: ${onlyRef.length}`,
    ...onlyRef.map(([id, why]) => `- ${id}: ${why.replace(/\n/g, ' ')}`),
    '',
    `fail on both (the machine, not the layout – e.g. host lines in compose mode): ${both.length}${both.length ? `: ${both.join(', ')}` : ''}`,
    '',
    `wall time: reference ${ref.seconds.toFixed(0)} s, other layout ${other.seconds.toFixed(0)} s`,
  ];
  writeFileSync(join(OUT, 'compare.md'), `${lines.join('\n')}\n`);
  console.log(`\n${lines.join('\n')}\n\ncompare: ${join(OUT, 'compare.md')}`);
  process.exit(falseRed.length === 0 && onlyRef.length === 0 && !ref.broke && !other.broke ? 0 : 1);
}

main();
