/**
 * `npm run prove`: the gate proves itself. Every planted defect of prove/defects.ts is applied to a fresh
 * copy of the reference deployment, which the suite then checks in compose mode; the defect is detected when
 * each of its expected checklist items fails. Items that also fail on an unmodified copy (the baseline – on a
 * small test machine some host lines truly fail in compose mode) are not counted either way; anything else
 * that fails is collateral. Prints the detection matrix and "detected N/M", writes reports/prove/matrix.{json,md}.
 *
 *   tsx prove/run.ts [--fast] [--only id1,id2] [--list] [--deployment reference|other-layout]
 * `--deployment other-layout` plants the same defects in prove/variant.ts's deployment (other file and alert names,
 * upload field, auth header; its own profile) – its baseline is the "0 false reds" check on foreign ground.
 * Exit 1 when a defect is missed, when there is collateral, or when a run broke.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { statesCause } from '../checklist/cause.ts';
import { prepareContainerRuntimeEnv } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
import { CONFIG_DEFECTS, type Defect } from './defects.ts';
import { APP_DEFECTS } from './defects-app.ts';
import { runSuite, type RunResult } from './suite.ts';
import { mapPaths } from './mutate.ts';
import { prepareVariantDeployDir, variantPath } from './variant.ts';

const DEFECTS: Defect[] = [...CONFIG_DEFECTS, ...APP_DEFECTS];

let OUT = resolve(REPO_ROOT, 'reports', 'prove');
let WORK = resolve(REPO_ROOT, '.cache', 'prove');
let prepare: (dir: string) => string = prepareHermeticDeployDir;

interface Row {
  defect: Defect;
  detected: boolean;
  missed: string[];
  inconclusive: string[];
  collateral: string[];
  caughtOn: Array<[string, string]>;
  /** Lines that caught the defect without stating its cause in their first 200 characters (a reviewer could not act). */
  noCause: string[];
  seconds: number;
  broke?: string;
}

type Deployment = 'reference' | 'other-layout';

function parseArgs(argv: string[]): { fast: boolean; only?: string[]; list: boolean; deployment: Deployment } {
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]?.split(',') : undefined;
  const deployment = (argv.includes('--deployment') ? argv[argv.indexOf('--deployment') + 1] : 'reference') as Deployment;
  if (!['reference', 'other-layout'].includes(deployment)) {
    console.error(`--deployment ${deployment}: unknown; use reference (the bundled one) or other-layout (prove/variant.ts: the same system laid out and named otherwise)`);
    process.exit(2);
  }
  return { fast: argv.includes('--fast'), only, list: argv.includes('--list'), deployment };
}

function freshCopy(name: string): string {
  return prepare(join(WORK, name));
}

function main(): void {
  prepareContainerRuntimeEnv();
  const args = parseArgs(process.argv.slice(2));
  if (args.deployment === 'other-layout') {
    // The same defects, planted in the deployment laid out and named otherwise, found through its own profile.
    OUT = resolve(REPO_ROOT, 'reports', 'prove-other-layout');
    WORK = resolve(REPO_ROOT, '.cache', 'prove-other-layout');
    prepare = prepareVariantDeployDir;
    mapPaths(variantPath);
  }
  let defects = args.fast ? DEFECTS.filter((d) => d.fast) : DEFECTS;
  if (args.only) {
    const unknown = args.only.filter((id) => !DEFECTS.some((d) => d.id === id));
    if (unknown.length) {
      console.error(`unknown defect id(s): ${unknown.join(', ')}; known: ${DEFECTS.map((d) => d.id).join(', ')}`);
      process.exit(2);
    }
    defects = DEFECTS.filter((d) => args.only!.includes(d.id));
  }
  if (args.list) {
    for (const d of defects) console.log(`${d.id.padEnd(30)} ${d.fast ? 'fast ' : '     '} ${d.expect.join(',').padEnd(28)} ${d.title}`);
    return;
  }
  mkdirSync(OUT, { recursive: true });
  /**
   * The fast subset (CI) runs only the tests of the items its defects name, in the baseline and in the
   * defect runs alike; collateral is then looked for among those tests only. The full matrix runs whole projects.
   */
  const grepFor = (key: string): string | undefined => {
    if (!args.fast) return undefined;
    const ids = new Set(defects.filter((d) => [...d.projects].sort().join('+') === key).flatMap((d) => [...d.expect, ...(d.mayAlsoFail ?? [])]));
    return [...ids].map((id) => `@${id.replace(/\./g, '\\.')}(?![\\d.])`).join('|');
  };
  const baselines = new Map<string, RunResult>();
  const rows: Row[] = [];
  for (const defect of defects) {
    const key = [...defect.projects].sort().join('+');
    if (!baselines.has(key)) {
      process.stdout.write(`[prove] baseline (${key}) on an unmodified copy … `);
      const b = runSuite(OUT, `baseline-${key}`, freshCopy(`baseline-${key}`), defect.projects, grepFor(key));
      baselines.set(key, b);
      console.log(`${b.seconds.toFixed(0)} s, ${b.failed.size} item(s) fail without any defect${b.failed.size ? `: ${[...b.failed.keys()].join(', ')}` : ''}${b.broke ? ` – RUN BROKE: ${b.broke}` : ''}`);
    }
    const baseline = baselines.get(key)!;
    process.stdout.write(`[prove] ${defect.id}: ${defect.title} … `);
    let result: RunResult;
    try {
      const dir = freshCopy(defect.id);
      defect.apply(dir);
      result = runSuite(OUT, defect.id, dir, defect.projects, grepFor(key));
    } catch (err) {
      result = { failed: new Map(), broke: (err as Error).message, seconds: 0 };
    }
    const inconclusive = defect.expect.filter((id) => baseline.failed.has(id));
    const missed = defect.expect.filter((id) => !baseline.failed.has(id) && !result.failed.has(id));
    const allowed = new Set([...defect.expect, ...(defect.mayAlsoFail ?? [])]);
    const collateral = [...result.failed.keys()].filter((id) => !allowed.has(id) && !baseline.failed.has(id));
    const row: Row = {
      defect,
      detected: missed.length === 0 && inconclusive.length < defect.expect.length && !result.broke,
      missed,
      inconclusive,
      collateral,
      caughtOn: defect.expect.filter((id) => result.failed.has(id)).map((id) => [id, result.failed.get(id)!]),
      noCause: defect.expect.filter((id) => result.failed.has(id) && !statesCause(result.failed.get(id))),
      seconds: result.seconds,
      broke: result.broke,
    };
    rows.push(row);
    console.log(`${row.detected ? 'DETECTED' : 'MISSED'} in ${result.seconds.toFixed(0)} s${missed.length ? `; not failed: ${missed.join(', ')}` : ''}${collateral.length ? `; collateral: ${collateral.join(', ')}` : ''}${result.broke ? `; run broke: ${result.broke}` : ''}${row.noCause.length ? `; no cause stated on: ${row.noCause.join(', ')}` : ''}`);
  }
  const detected = rows.filter((r) => r.detected).length;
  const table = [
    '| defect | expected to fail | result | caught on | collateral | s |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.defect.id}: ${r.defect.title} | ${r.defect.expect.join(', ')} | ${r.detected ? '✅ detected' : '❌ missed'}${r.inconclusive.length ? ` (fails in baseline: ${r.inconclusive.join(', ')})` : ''}${r.missed.length ? ` (not failed: ${r.missed.join(', ')})` : ''}${r.broke ? ` (run broke: ${r.broke.replace(/\|/g, '/')})` : ''} | ${r.caughtOn.map(([id, why]) => `${id}: ${why.replace(/\|/g, '/').replace(/\n/g, ' ')}`).join('<br>')} | ${r.collateral.join(', ') || '–'} | ${r.seconds.toFixed(0)} |`,
    ),
  ].join('\n');
  const summary = `detected ${detected}/${rows.length}`;
  writeFileSync(join(OUT, 'matrix.md'), `# Planted-defect detection matrix\n\n${summary}\n\n${table}\n`);
  writeFileSync(
    join(OUT, 'matrix.json'),
    JSON.stringify(
      {
        summary: { detected, total: rows.length, collateral: rows.filter((r) => r.collateral.length).length },
        baselines: Object.fromEntries([...baselines].map(([k, b]) => [k, { failed: [...b.failed.keys()], broke: b.broke, seconds: b.seconds }])),
        defects: rows.map((r) => ({ id: r.defect.id, title: r.defect.title, expect: r.defect.expect, detected: r.detected, missed: r.missed, inconclusive: r.inconclusive, collateral: r.collateral, caughtOn: Object.fromEntries(r.caughtOn), noCause: r.noCause, seconds: r.seconds, broke: r.broke })),
      },
      null,
      2,
    ),
  );
  console.log(`\n${table}\n\n${summary}${rows.some((r) => r.collateral.length) ? `, collateral failures in ${rows.filter((r) => r.collateral.length).length}` : ''}`);
  console.log(`matrix: ${join(OUT, 'matrix.md')}`);
  const ok = detected === rows.length && rows.every((r) => r.collateral.length === 0 && r.noCause.length === 0) && [...baselines.values()].every((b) => !b.broke);
  process.exit(ok ? 0 : 1);
}

main();
