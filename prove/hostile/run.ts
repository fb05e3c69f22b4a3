/**
 * `npm run prove:hostile`: the gate against targets that are no RAG System at all (prove/hostile/server.ts). For each
 * variant – `ok-empty` (200 `{}` everywhere), `error` (500 everywhere), `hang` (never answers) – it starts the server
 * on loopback (HTTP, and HTTPS with a certificate of a CA made for the run), runs the whole suite in live mode against
 * it (every service URL pointing at it, a generated .env.production so that the authenticated checks run too, its
 * own results folder and project name), evaluates the results with the results model and counts per variant
 * (prove/hostile/verdict.ts): passed lines (false greens), crashed tests (the gate itself broke), lines without a
 * reason, and the wall time. Writes reports/prove/hostile.{md,json}; exits 1 unless every count is 0 for every
 * variant (2: a run broke).
 *
 *   tsx prove/hostile/run.ts [--only ok-empty,error,hang]
 * Starts no container: live mode, RAG_COMPOSE_DIR and RAG_DEPLOY_DIR unset, nothing but 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { JSONReport } from '@playwright/test/reporter';
import { loadChecklist } from '../../checklist/load.ts';
import { collectTests, evaluate, type TestOutcome } from '../../checklist/results.ts';
import { SERVICES, SERVICE_NAMES } from '../../core/contract.ts';
import { REPO_ROOT } from '../../core/paths.ts';
import { REFERENCE_DEPLOY_DIR } from '../../testcontainers/target.ts';
import { VARIANTS, type Variant } from './server.ts';
import { EXEMPT, judge, type HostileVerdict } from './verdict.ts';

const OUT = resolve(REPO_ROOT, 'reports', 'prove');
const WORK = join(OUT, 'hostile');
/** The operator's files of the runs (throw-away secrets and CA key): kept out of reports/, which CI publishes. */
const FILES = resolve(REPO_ROOT, '.cache', 'prove', 'hostile');
/** One suite run may take this long; beyond it the run is stopped and counted as broken (an unbounded wait). */
const RUN_LIMIT_MS = 15 * 60_000;
/** The server outlives its run by at most this (it exits by itself after its lifetime). */
const SERVER_LIFETIME_S = RUN_LIMIT_MS / 1000 + 120;
/** A test slower than this against a hostile target is listed: it waited instead of deciding. */
const SLOW_TEST_MS = 20_000;

interface VariantResult {
  variant: Variant;
  url: string;
  httpsUrl: string;
  seconds: number;
  exitCode: number | null;
  broke?: string;
  verdict?: HostileVerdict;
  slow: Array<{ test: string; seconds: number; outcome: string }>;
  requests?: number;
}

/** Where the hostile server answers: plain HTTP, and HTTPS with a certificate of the run's own CA. */
interface Listening {
  url: string;
  httpsUrl: string;
}

/** The files of the run's operator: .env.production and ssl/ (CA, server certificate and key). */
interface DeployFiles {
  envFile: string;
  caFile: string;
  chain: string;
  key: string;
}

/**
 * The environment of a live run: no RAG_* of the caller's, every service at the hostile server – Nginx 443 at its
 * HTTPS listener (trusted through RAG_CA_FILE), Redis at its HTTP port (a Redis client must not take HTTP for Redis).
 */
function liveEnv(variant: Variant, at: Listening, files: DeployFiles, resultsDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(base).filter(([k]) => !k.startsWith('RAG_')));
  const port = new URL(at.url).port;
  for (const name of SERVICE_NAMES) {
    const s = SERVICES[name];
    env[s.urlVariable] = s.scheme === 'redis' ? `redis://127.0.0.1:${port}` : s.scheme === 'https' ? at.httpsUrl : at.url;
  }
  return {
    ...env,
    RAG_BASE_URL: at.url,
    RAG_CA_FILE: files.caFile,
    RAG_ENV_FILE: files.envFile,
    RAG_PROJECT: `hostile-${variant}`,
    RAG_RESULTS_DIR: resultsDir,
    RAG_RESULTS_ONLY: '1',
    // The checks that change the target run too (uploads, deletes): the target is ours and throw-away.
    RAG_ALLOW_DESTRUCTIVE: '1',
    RAG_SOAK_SECONDS: '30',
  };
}

/**
 * The operator's files, made as an operator makes them with the reference's own scripts: .env.production from its
 * template (generate-env.sh), a CA and a server certificate for 127.0.0.1 (generate-certs.sh). Never a deployment
 * directory: the run has no RAG_DEPLOY_DIR.
 */
function generateDeployFiles(dir: string): DeployFiles {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(REFERENCE_DEPLOY_DIR, '.env.production.template'), join(dir, '.env.production.template'));
  for (const script of ['generate-env.sh', 'generate-certs.sh']) {
    execFileSync('bash', [join(REFERENCE_DEPLOY_DIR, 'scripts', script), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { envFile: join(dir, '.env.production'), caFile: join(dir, 'ssl', 'ca.crt'), chain: join(dir, 'ssl', 'chain.pem'), key: join(dir, 'ssl', 'server.key') };
}

/** Starts the server as its own process (the suite runs beside it) and resolves with its URLs. */
function startServer(variant: Variant, files: DeployFiles): Promise<{ child: ChildProcess } & Listening> {
  const args = [join(REPO_ROOT, 'prove', 'hostile', 'server.ts'), variant, '--lifetime-s', String(SERVER_LIFETIME_S), '--tls-cert', files.chain, '--tls-key', files.key];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`the ${variant} server did not start within 30 s`)), 30_000);
    lines.on('line', (l) => {
      const m = /^listening (http:\/\/127\.0\.0\.1:\d+) (https:\/\/127\.0\.0\.1:\d+)/.exec(l);
      if (m) {
        clearTimeout(timer);
        ok({ child, url: m[1]!, httpsUrl: m[2]! });
      }
    });
    child.once('exit', (code) => fail(new Error(`the ${variant} server exited (${code}) before listening`)));
  });
}

async function stopServer(child: ChildProcess): Promise<number | undefined> {
  let requests: number | undefined;
  child.stdout?.on('data', (d: Buffer) => {
    const m = /after (\d+) request/.exec(d.toString());
    if (m) requests = Number(m[1]);
  });
  if (child.exitCode === null) {
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  return requests;
}

/** Runs the whole suite (own process group, stopped after RUN_LIMIT_MS); resolves with its exit code. */
function runSuite(env: NodeJS.ProcessEnv, log: string): Promise<{ code: number | null; timedOut: boolean }> {
  return new Promise((ok) => {
    const child = spawn('npx', ['playwright', 'test'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => out.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, RUN_LIMIT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      writeFileSync(log, Buffer.concat(out));
      ok({ code, timedOut });
    });
  });
}

async function runVariant(variant: Variant, files: DeployFiles): Promise<VariantResult> {
  const resultsDir = join(WORK, variant);
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const t0 = performance.now();
  const { child, ...at } = await startServer(variant, files);
  const url = at.url;
  let run: { code: number | null; timedOut: boolean };
  let requests: number | undefined;
  try {
    run = await runSuite(liveEnv(variant, at, files, resultsDir), join(resultsDir, 'output.txt'));
  } finally {
    requests = await stopServer(child);
  }
  const seconds = (performance.now() - t0) / 1000;
  const base: VariantResult = { variant, url, httpsUrl: at.httpsUrl, seconds, exitCode: run.code, slow: [], ...(requests !== undefined ? { requests } : {}) };
  const file = join(resultsDir, 'playwright.json');
  if (run.timedOut) return { ...base, broke: `the suite ran longer than ${RUN_LIMIT_MS / 60_000} min and was stopped` };
  if (!existsSync(file)) return { ...base, broke: `no results (exit ${run.code}); see ${relative(REPO_ROOT, join(resultsDir, 'output.txt'))}` };
  const report = JSON.parse(readFileSync(file, 'utf8')) as JSONReport;
  const checklist = loadChecklist();
  // No attestation or waiver records: nothing may turn a line of a hostile run into a pass.
  const result = evaluate(checklist, report, { attestations: [], waivers: [] }, { mode: 'live', target: url, strict: false, resultsFile: relative(REPO_ROOT, file) });
  const tests: TestOutcome[] = collectTests(report);
  const slow = tests
    .filter((t) => t.durationMs > SLOW_TEST_MS)
    .sort((a, b) => b.durationMs - a.durationMs)
    .map((t) => ({ test: `${t.project} › ${t.fullTitle}`, seconds: Math.round(t.durationMs / 1000), outcome: t.outcome }));
  return { ...base, verdict: judge(result, tests), slow };
}

function cell(s: string): string {
  return s.replace(/\|/g, '/').replace(/\n/g, ' ');
}

function table(results: VariantResult[]): string {
  const rows = results.map((r) => {
    const v = r.verdict;
    const counts = v ? `${v.counts.passed} / ${v.counts.failed} / ${v.counts.not_verified} / ${v.counts.not_run}` : '–';
    return `| ${r.variant} | ${v ? v.passed.length : '–'} | ${v ? v.crashed.length : '–'} | ${v ? v.noReason.length : '–'} | ${counts} | ${r.slow.length} | ${r.seconds.toFixed(0)} s | ${r.broke ? `❌ ${cell(r.broke)}` : v?.clean ? '✅' : '❌'} |`;
  });
  return ['| variant | passed lines | crashed tests | lines without a reason | lines passed / failed / not verified / not run | tests > 20 s | wall time | result |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

function details(r: VariantResult): string {
  const v = r.verdict;
  const out = [`## ${r.variant} (${r.url}, ${r.httpsUrl})`, ''];
  if (r.broke) out.push(`Run broke: ${r.broke}`, '');
  if (!v) return out.join('\n');
  const list = (title: string, lines: string[]): void => void out.push(`### ${title}: ${lines.length}`, '', ...(lines.length ? lines.map((l) => `- ${cell(l)}`) : ['none']), '');
  list('Passed lines (false greens)', v.passed.map((p) => `${p.id}: ${p.text}`));
  list('Crashed tests', v.crashed.map((c) => `${c.where}${c.ids.length ? ` [${c.ids.join(', ')}]` : ''}: ${c.reason}`));
  list('Lines without a reason', v.noReason.map((u) => `${u.id} (${u.status}): ${u.reason}`));
  list(`Tests slower than ${SLOW_TEST_MS / 1000} s`, r.slow.map((s) => `${s.test}: ${s.seconds} s (${s.outcome})`));
  if (v.exempted.length) list('Exempted passes', v.exempted.map((e) => `${e.id}: ${e.why}`));
  return out.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]?.split(',') : undefined;
  const unknown = (only ?? []).filter((v) => !(VARIANTS as readonly string[]).includes(v));
  if (unknown.length) {
    console.error(`unknown variant(s) ${unknown.join(', ')}; known: ${VARIANTS.join(', ')}`);
    process.exit(2);
  }
  const variants = VARIANTS.filter((v) => !only || only.includes(v));
  mkdirSync(WORK, { recursive: true });
  const files = generateDeployFiles(FILES);
  const t0 = performance.now();
  const results: VariantResult[] = [];
  for (const variant of variants) {
    process.stdout.write(`[hostile] ${variant} … `);
    const r = await runVariant(variant, files);
    results.push(r);
    const v = r.verdict;
    console.log(r.broke ? `RUN BROKE after ${r.seconds.toFixed(0)} s: ${r.broke}` : `${r.seconds.toFixed(0)} s: ${v!.passed.length} passed, ${v!.crashed.length} crashed, ${v!.noReason.length} without a reason`);
  }
  const total = (performance.now() - t0) / 1000;
  const clean = results.every((r) => !r.broke && r.verdict?.clean);
  const summary = `hostile targets: ${clean ? 'clean' : 'NOT CLEAN'} (${variants.length} variant(s), ${total.toFixed(0)} s)`;
  const exemptions = Object.entries(EXEMPT).map(([id, why]) => `- ${id}: ${why}`);
  writeFileSync(
    join(OUT, 'hostile.md'),
    [`# The gate against hostile targets`, '', summary, '', table(results), '', `Exempt lines (may pass against any target): ${exemptions.length ? '' : 'none'}`, ...exemptions, '', ...results.map(details)].join('\n'),
  );
  writeFileSync(join(OUT, 'hostile.json'), JSON.stringify({ clean, seconds: total, exempt: EXEMPT, variants: results }, null, 2));
  console.log(`\n${table(results)}\n\n${summary}\nreport: ${relative(process.cwd(), join(OUT, 'hostile.md'))}`);
  process.exit(results.some((r) => r.broke) ? 2 : clean ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(2);
});
