/**
 * One run of the suite against a deployment directory in compose mode (on free loopback ports, results only),
 * as the planted-defect matrix and the layout comparison make it: the failed items with their first reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONReport } from '@playwright/test/reporter';
import { collectTests } from '../checklist/results.ts';
import { REPO_ROOT } from '../core/paths.ts';

export interface RunResult {
  failed: Map<string, string>;
  broke?: string;
  seconds: number;
}

/** Runs the given projects against a deployment directory in compose mode and returns the failed items. */
export function runSuite(out: string, name: string, dir: string, projects: string[], grep?: string): RunResult {
  const resultsDir = join(out, name);
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const t0 = performance.now();
  const r = spawnSync('npx', ['playwright', 'test', ...projects.flatMap((p) => ['--project', p]), ...(grep ? ['--grep', grep] : [])], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      RAG_COMPOSE_DIR: dir,
      RAG_RANDOM_PORTS: '1',
      RAG_PROJECT: `prove-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
      RAG_RESULTS_DIR: resultsDir,
      RAG_RESULTS_ONLY: '1',
      RAG_BASE_URL: '',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(resultsDir, 'output.txt'), `${r.stdout}\n${r.stderr}`);
  const file = join(resultsDir, 'playwright.json');
  if (!existsSync(file)) return { failed: new Map(), broke: `no results (exit ${r.status}): ${(r.stderr || r.stdout).split('\n').slice(-5).join(' ')}`, seconds };
  const report = JSON.parse(readFileSync(file, 'utf8')) as JSONReport;
  const failed = new Map<string, string>();
  let broke: string | undefined;
  for (const t of collectTests(report)) {
    if (t.outcome !== 'failed') continue;
    if (t.ids.length === 0) broke = `${t.project} › ${t.title}: ${t.reason ?? ''}`.slice(0, 300);
    for (const id of t.ids) if (!failed.has(id)) failed.set(id, (t.reason ?? t.title).slice(0, 200));
  }
  return { failed, broke, seconds };
}

