/**
 * The k6 scripts of load/ split over several instances and judged as one run (lib/k6.ts, lib/k6-merge.ts):
 *
 *   npm run load -- --instances 2 [health-basic uploads queries]     (load/run.sh calls this; BASE_URL, API_KEY, …)
 *   tsx scripts/load-split.ts [--summary-dir DIR] --merge health-basic <pod-1>/health-basic.json.gz <pod-2>/…
 *
 * --instances N runs N k6 processes side by side here, each with its execution segment and --no-thresholds, and
 * judges the script's thresholds over all their samples. --merge judges the raw samples of instances that ran
 * elsewhere (the runners of load/k8s/testrun.yaml) the same way. Prints the thresholds, the requests sent and the
 * summary's place (--summary-dir: load/run.sh passes its SUMMARY_DIR; default reports/k6); exit 0 only when every
 * script passed. The environment reaches k6 as a whole, as in load/run.sh.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, REPORTS_DIR } from '../core/paths.ts';
import { describeExit, failedThresholds, judgeMerged, runK6, thresholdLines, type K6Summary } from '../lib/k6.ts';
import { emptyRaw, readRawOutput, requestCount, type RawResults } from '../lib/k6-merge.ts';

const { values: opt, positionals } = parseArgs({ options: { instances: { type: 'string' }, merge: { type: 'string' }, 'summary-dir': { type: 'string' } }, allowPositionals: true });
const summaryDir = resolve(opt['summary-dir'] ?? join(REPORTS_DIR, 'k6'));
mkdirSync(summaryDir, { recursive: true });

/** A path as the repository's when inside it. */
const shown = (f: string) => (f.startsWith(`${REPO_ROOT}/`) ? relative(REPO_ROOT, f) : f);

/** `100 requests (health 100)`: every request, and those of each endpoint tag. */
function requests(raw: RawResults): string {
  const endpoints = [...new Set(raw.points.filter((p) => p.metric === 'http_reqs' && p.tags.endpoint).map((p) => p.tags.endpoint!))].sort();
  return `${requestCount(raw)} requests (${endpoints.map((e) => `${e} ${requestCount(raw, e)}`).join(', ')})`;
}

async function main(): Promise<number> {
  if (opt.merge) {
    // A runner's own summary beside its samples (the TestRun's SUMMARY_DIR) gives k6's run length, setup included.
    const own = positionals.map((f) => join(dirname(f), `${opt.merge}.json`)).filter((f) => existsSync(f));
    const durationMs = Math.max(0, ...own.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as K6Summary).state?.testRunDurationMs ?? 0));
    const { summary, raw } = await judgeMerged(opt.merge, positionals, process.env, durationMs);
    const file = join(summaryDir, `${opt.merge}.json`);
    writeFileSync(file, JSON.stringify(summary, null, 2));
    console.log(`[load] ${opt.merge}: ${positionals.length} instances' samples merged: ${requests(raw)}\n${thresholdLines(summary).join('\n')}\n[load] summary in ${shown(file)}`);
    return failedThresholds(summary).length ? 99 : 0;
  }
  const instances = Number(opt.instances ?? 2);
  const scripts = positionals.length ? positionals : ['health-basic', 'uploads', 'queries'];
  const failed: string[] = [];
  for (const script of scripts) {
    console.log(`[load] k6 run load/${script}.ts split over ${instances} instances`);
    const run = await runK6(script, process.env, undefined, { instances, summaryDir, timeoutMs: 10 * 60_000 });
    const raw = emptyRaw();
    for (let i = 0; i < instances; i++) if (existsSync(join(summaryDir, `${script}-split`, `${i}.json.gz`))) await readRawOutput(join(summaryDir, `${script}-split`, `${i}.json.gz`), i, raw);
    console.log(`${run.stdout}[load] ${script}: ${requests(raw)}, ${describeExit(run.exitCode)}`);
    if (run.exitCode !== 0) failed.push(script);
  }
  console.log(`[load] summaries in ${shown(summaryDir)}`);
  if (failed.length) console.log(`[load] failed: ${failed.join(' ')}`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`[load] ${e.message}`);
    process.exit(2);
  },
);
