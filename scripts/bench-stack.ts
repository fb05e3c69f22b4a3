/**
 * `npm run bench:stack`: how long the walking skeleton takes on this machine.
 * Prints set-up time (repeated run; a fresh-machine figure needs a fresh machine: pass --setup-log with the
 * log of a first run of scripts/setup to include it), image build time (forced rebuild of the application
 * images, and the no-op rebuild), stack start-to-healthy and teardown, each measured, not estimated.
 *
 * Usage: tsx scripts/bench-stack.ts [--runs 3] [--setup-log /tmp/setup-first.log]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { defaultProjectName, loadConfig, prepareContainerRuntimeEnv } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';
import { startTarget } from '../testcontainers/target.ts';
import { composeDown } from '../testcontainers/stack.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const setupLog = args.includes('--setup-log') ? args[args.indexOf('--setup-log') + 1] : undefined;

function timed(cmd: string, argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)]!;
  return `median ${med.toFixed(1)} s (min ${s[0]!.toFixed(1)}, max ${s.at(-1)!.toFixed(1)}, n=${s.length})`;
}

async function main(): Promise<void> {
  defaultProjectName('raggate-bench');
  prepareContainerRuntimeEnv();
  const rows: Array<[string, string]> = [];
  if (setupLog) {
    const m = /set-up complete in (\d+)s/.exec(readFileSync(setupLog, 'utf8'));
    rows.push(['set-up, first run (from log)', m ? `${m[1]} s` : 'no "set-up complete" line in the log']);
  }
  rows.push(['set-up, repeated run (bash scripts/setup)', `${timed('bash', ['scripts/setup']).toFixed(1)} s`]);
  rows.push(['image build, app images forced (--force --no-prepare)', `${timed('node_modules/.bin/tsx', ['scripts/build-images.ts', '--force', '--no-prepare', 'rag-backend', 'frontend', 'ollama']).toFixed(1)} s`]);
  rows.push(['image build, nothing changed', `${timed('node_modules/.bin/tsx', ['scripts/build-images.ts', '--no-prepare']).toFixed(1)} s`]);
  const startS: number[] = [];
  const downS: number[] = [];
  const config = loadConfig();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const target = await startTarget(config);
    startS.push((performance.now() - t0) / 1000);
    const t1 = performance.now();
    await composeDown(target.deployDir!, target.projectName!, target.composeEnvironment ?? {});
    downS.push((performance.now() - t1) / 1000);
  }
  rows.push(['stack start-to-healthy (prepare + monitoring + production)', stats(startS)]);
  rows.push(['stack teardown (down -v, both files)', stats(downS)]);
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nbench:stack on ${execFileSync('nproc').toString().trim()} cores, docker ${execFileSync('docker', ['version', '-f', '{{.Server.Version}}']).toString().trim()}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
