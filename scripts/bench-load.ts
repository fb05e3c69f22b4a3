/**
 * `npm run bench:load`: is the latency k6 reports the latency the server delivered? For each of the checklist's loads
 * – load/health-basic.ts (`ab -n 100 -c 10`: 100 × GET /health, 10 at a time), load/queries.ts (10 concurrent
 * queries), load/uploads.ts (5 simultaneous uploads) – it runs the k6 script as the gate does (lib/k6.ts runK6, the
 * same environment) with every request marked (REQUEST_MARK: User-Agent `<mark> (<endpoint>)`, core/request-mark.ts),
 * then reads the lines of exactly those requests from Nginx's JSON access log and compares k6's p95 of
 * `http_req_duration` (from its raw samples, `--out json`: the figure k6's summary gives) with the p95 of Nginx's
 * `$request_time` (seconds → ms) over the same requests: per endpoint tag and over all the run's requests. Target:
 * within max(10 %, 5 ms) of Nginx's (lib/nginx-log.ts), on as many requests on both sides. Judged: each load's own
 * endpoint (health, query, upload) and all its requests; the other endpoints (seed, status, delete) are shown.
 *
 *   npm run bench:load -- --project <name>     a running stack: the state file the setup project wrote,
 *                                              .cache/state/target-<name>.json (URLs, deployment dir, CA, env file);
 *                                              RAG_PROJECT=<name> RAG_KEEP_STACK=1 npx playwright test --project setup
 *                                              starts one and keeps it
 *   npm run bench:load -- --deploy-dir DIR --base-url URL [--health-url URL] [--ca-file F] [--env-file F]
 *                                              a deployment on this host (live: one query round per client, as the gate)
 *   [--access-log FILE]   default <deployment dir>/logs/nginx/access.log (the reference's bind mount of
 *                         /var/log/nginx, where nginx.conf's `access_log … json_safe` writes)
 *   [--only health-basic,queries,uploads]
 *
 * The k6 summaries, raw samples and reports/bench/load-fidelity.json (the figures) go to reports/bench/. Exit 0 when
 * every judged comparison agrees, 1 when one does not or a load could not run, 2 on a usage error. The loads upload
 * and delete documents (as the gate does in every mode).
 *
 * `--vs-tools [URL]` runs the earlier comparison of k6 with ab and wrk on one /health URL (scripts/bench-load-tools.ts);
 * its targets are retired – k6 spends ~10× the client CPU per request of wrk by design, which says nothing about
 * whether its latency is the server's – and it is kept as a diagnostic of the client's cost.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchUrl } from '../core/config.ts';
import { REPO_ROOT, REPORTS_DIR, STATE_DIR } from '../core/paths.ts';
import { contractProfile, CONTRACT_FILES, loadProfile, PROFILE_FILE, type Profile } from '../core/profile.ts';
import { apiShapeEnv, describeExit, k6Missing, runK6 } from '../lib/k6.ts';
import { emptyRaw, readRawOutput } from '../lib/k6-merge.ts';
import { agreement, FIDELITY_FLOOR_MS, FIDELITY_RELATIVE, markedRequests, p95, parseAccessLog, type Agreement } from '../lib/nginx-log.ts';
import { Secrets } from '../lib/secrets.ts';
import type { Target } from '../testcontainers/target.ts';
import { benchVsTools } from './bench-load-tools.ts';

/** The checklist's loads, the endpoint tag of the requests each is about, and the line it stands for. */
const LOADS = [
  { script: 'health-basic', endpoint: 'health', line: 'ab -n 100 -c 10 /health', needsKey: false },
  { script: 'queries', endpoint: 'query', line: '10 concurrent queries', needsKey: true },
  { script: 'uploads', endpoint: 'upload', line: '5 simultaneous uploads', needsKey: true },
] as const;
type Load = (typeof LOADS)[number];

const OUT_DIR = join(REPORTS_DIR, 'bench');
const WORK_DIR = join(OUT_DIR, 'load-fidelity');
/** How long Nginx may take to write the last lines after k6 has its answers. */
const LOG_SETTLE_MS = 5000;

const shown = (f: string) => (f.startsWith(`${REPO_ROOT}/`) ? relative(REPO_ROOT, f) : f);

class UsageError extends Error {}

interface Setup {
  description: string;
  env: Record<string, string | undefined>;
  accessLog: string;
  secrets: Secrets;
  /** Why the loads that upload cannot run, when they cannot. */
  noKey?: string;
}

/** The target from a state file (--project) or from a deployment dir and URL, as the k6 environment the gate builds. */
function setUp(opt: Record<string, string | boolean | undefined>): Setup {
  const str = (k: string) => (typeof opt[k] === 'string' ? (opt[k] as string) : undefined);
  let target: Pick<Target, 'mode' | 'deployDir' | 'urls' | 'caFile' | 'envFile'>;
  let description: string;
  if (str('project')) {
    const file = join(STATE_DIR, `target-${str('project')}.json`);
    if (!existsSync(file)) throw new UsageError(`no state file ${shown(file)}: no stack of project ${str('project')} is recorded; start one with RAG_PROJECT=${str('project')} RAG_KEEP_STACK=1 npx playwright test --project setup`);
    target = JSON.parse(readFileSync(file, 'utf8')) as Target;
    description = `project ${str('project')} (${target.mode}, ${shown(file)})`;
  } else if (str('deploy-dir') && str('base-url')) {
    const deployDir = resolve(str('deploy-dir')!);
    const base = new URL(str('base-url')!).origin;
    target = { mode: 'live', deployDir, urls: base.startsWith('https:') ? { nginxHttps: base } : { nginxHttp: base } };
    description = `${base}, deployment ${shown(deployDir)}`;
  } else {
    throw new UsageError('give the target: --project <name> (a running stack the setup project recorded) or --deploy-dir DIR --base-url URL');
  }
  const deployDir = target.deployDir;
  const profile: Profile = deployDir && existsSync(join(deployDir, PROFILE_FILE)) ? loadProfile(join(deployDir, PROFILE_FILE)) : contractProfile();
  const inDeploy = (rel: string) => (deployDir && existsSync(join(deployDir, rel)) ? join(deployDir, rel) : undefined);
  const caFile = str('ca-file') ?? target.caFile ?? inDeploy(profile.files.tlsCa ?? CONTRACT_FILES.tlsCa);
  const envFile = str('env-file') ?? target.envFile ?? inDeploy('.env.production');
  const accessLog = str('access-log') ?? (deployDir ? join(deployDir, 'logs', 'nginx', 'access.log') : undefined);
  if (!accessLog) throw new UsageError(`${description}: no deployment directory, so no access log; give --access-log FILE (Nginx's JSON access log)`);
  if (!existsSync(accessLog)) throw new UsageError(`no access log at ${shown(accessLog)}: the reference's Nginx writes /var/log/nginx/access.log, bind-mounted to <deployment dir>/logs/nginx; give --access-log FILE`);

  const base = target.urls.nginxHttps ?? target.urls.nginxHttp;
  if (!base) throw new UsageError(`${description}: the target has no Nginx URL`);
  const secrets = Secrets.fromFile(envFile);
  const apiKey = secrets.get(profile.auth.secret);
  return {
    description,
    accessLog,
    secrets,
    noKey: profile.auth.scheme !== 'none' && !apiKey ? `no ${profile.auth.secret} (${envFile ? `not in ${shown(envFile)}` : 'no .env.production; give --env-file'}): the load uploads documents` : undefined,
    // As the gate's (tests/30-integration/performance.spec.ts k6Env).
    env: {
      BASE_URL: base,
      HEALTH_URL: str('health-url') ?? `${target.urls.nginxHttp ?? base}${profile.api.healthPath}`,
      SSL_CERT_FILE: base.startsWith('https:') ? caFile : undefined,
      ...apiShapeEnv(profile.api, profile.auth),
      API_KEY: apiKey,
      QUERIES_PER_CLIENT: target.mode === 'live' ? '1' : undefined,
    },
  };
}

/** The bytes of `file` from `offset` on (from the start when it is shorter now: rotated or truncated). */
function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  const from = size >= offset ? offset : 0;
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

interface Row extends Agreement {
  endpoint: string;
  judged: boolean;
}

/** k6's parts of a request: sending + waiting + receiving make http_req_duration; the others come before it. */
const PARTS = ['http_req_blocked', 'http_req_connecting', 'http_req_tls_handshaking', 'http_req_sending', 'http_req_waiting', 'http_req_receiving'];

interface LoadResult {
  script: string;
  line: string;
  mark: string;
  k6Exit?: string;
  rows: Row[];
  /** k6's p95 of each part (PARTS) of the load's own endpoint's requests, ms: where a difference comes from. */
  partsP95?: Record<string, number | undefined>;
  /** Access-log lines written during the run that are no JSON entry. */
  malformed: number;
  problem?: string;
}

async function measure(load: Load, setup: Setup, runId: string): Promise<LoadResult> {
  const mark = `rag-gate-bench/${runId}/${load.script}`;
  const base: LoadResult = { script: load.script, line: load.line, mark, rows: [], malformed: 0 };
  if (load.needsKey && setup.noKey) return { ...base, problem: `not run: ${setup.noKey}` };
  const rawFile = join(WORK_DIR, `${load.script}.raw.json`);
  rmSync(rawFile, { force: true });
  const offset = statSync(setup.accessLog).size;
  const run = await runK6(load.script, { ...setup.env, REQUEST_MARK: mark }, undefined, { secrets: setup.secrets, summaryDir: WORK_DIR, flags: ['--out', `json=${rawFile}`], timeoutMs: 10 * 60_000 });
  const k6Exit = `${describeExit(run.exitCode)} after ${(run.durationMs / 1000).toFixed(1)} s`;
  if (!existsSync(rawFile)) return { ...base, k6Exit, problem: `k6 wrote no samples: ${run.logs.filter((l) => l.level === 'error').map((l) => l.msg).slice(0, 2).join(' | ') || run.stderr.slice(-300)}` };

  const raw = emptyRaw();
  await readRawOutput(rawFile, 0, raw);
  const own = (metric: string) => raw.points.filter((p) => p.metric === metric && p.tags.endpoint === load.endpoint).map((p) => p.value);
  const partsP95 = Object.fromEntries(PARTS.map((m) => [m.replace('http_req_', ''), p95(own(m))]));
  const k6 = new Map<string, number[]>([['all', []]]);
  for (const p of raw.points) {
    if (p.metric !== 'http_req_duration') continue;
    const endpoint = p.tags.endpoint ?? '(untagged)';
    if (!k6.has(endpoint)) k6.set(endpoint, []);
    k6.get(endpoint)!.push(p.value);
    k6.get('all')!.push(p.value);
  }

  // Nginx writes a line once the answer is sent; wait until it has written as many as k6 made (or LOG_SETTLE_MS).
  const deadline = Date.now() + LOG_SETTLE_MS;
  let log = parseAccessLog(readFrom(setup.accessLog, offset));
  let nginx = markedRequests(log.entries, mark);
  const logged = () => [...nginx.values()].reduce((n, es) => n + es.length, 0);
  while (logged() < k6.get('all')!.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    log = parseAccessLog(readFrom(setup.accessLog, offset));
    nginx = markedRequests(log.entries, mark);
  }

  const endpoints = [...new Set([...k6.keys(), ...nginx.keys()])].filter((e) => e !== 'all').sort((a, b) => (a === load.endpoint ? -1 : b === load.endpoint ? 1 : a.localeCompare(b)));
  const nginxMs = (e: string) => (nginx.get(e) ?? []).map((x) => x.requestTimeMs);
  const rows: Row[] = [
    ...endpoints.map((e) => ({ endpoint: e, judged: e === load.endpoint, ...agreement(k6.get(e) ?? [], nginxMs(e)) })),
    { endpoint: 'all', judged: true, ...agreement(k6.get('all')!, [...nginx.values()].flat().map((x) => x.requestTimeMs)) },
  ];
  if (!endpoints.includes(load.endpoint)) rows.unshift({ endpoint: load.endpoint, judged: true, ...agreement([], []) });
  return { ...base, k6Exit, rows, partsP95, malformed: log.malformed };
}

const ms = (v: number | undefined, signed = false) => (v === undefined ? 'n/a' : `${signed && v >= 0 ? '+' : ''}${v.toFixed(1)}`);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function print(r: LoadResult): void {
  console.log(`\n${r.script} (${r.line})${r.k6Exit ? `: ${r.k6Exit}` : ''}`);
  if (r.problem) console.log(`  ${r.problem}`);
  if (!r.rows.length) return;
  console.log('  endpoint   k6 n  nginx n   k6 p95 ms  nginx p95 ms   diff ms  allowed ms  verdict');
  for (const row of r.rows) {
    const verdict = row.judged ? (row.ok ? 'PASS' : 'FAIL') : row.ok ? '(agrees)' : '(differs)';
    console.log(`  ${row.endpoint.padEnd(9)} ${String(row.k6Count).padStart(5)} ${String(row.nginxCount).padStart(8)} ${ms(row.k6P95).padStart(11)} ${ms(row.nginxP95).padStart(13)} ${ms(row.diffMs, true).padStart(9)} ${ms(row.allowedMs).padStart(11)}  ${verdict}${row.problem ? `: ${row.problem}` : ''}`);
  }
  if (r.partsP95) {
    const part = (k: string) => `${k} ${ms(r.partsP95![k])}`;
    console.log(`  k6's p95 per part (${r.rows[0]!.endpoint}, ms): ${['sending', 'waiting', 'receiving'].map(part).join(', ')} (the duration); before it: ${['blocked', 'connecting', 'tls_handshaking'].map(part).join(', ')}`);
  }
  if (r.malformed) console.log(`  ${r.malformed} access-log line(s) written during the run were no JSON entry: skipped`);
}

async function main(): Promise<number> {
  const { values: opt, positionals } = parseArgs({
    options: {
      project: { type: 'string' },
      'deploy-dir': { type: 'string' },
      'base-url': { type: 'string' },
      'health-url': { type: 'string' },
      'ca-file': { type: 'string' },
      'env-file': { type: 'string' },
      'access-log': { type: 'string' },
      only: { type: 'string' },
      'vs-tools': { type: 'boolean' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      'no-keepalive': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (opt['vs-tools']) {
    const url = positionals[0] ?? benchUrl();
    if (!url) throw new UsageError('--vs-tools: give the /health URL as argument or in BENCH_URL, e.g. npm run bench:load -- --vs-tools http://127.0.0.1:8080/health');
    return benchVsTools(url, process.argv.slice(2));
  }
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}: the URL argument is --vs-tools's; the k6-vs-Nginx comparison takes --project <name> or --deploy-dir DIR --base-url URL`);
  const missing = k6Missing();
  if (missing) throw new UsageError(missing);
  const only = opt.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((s) => !LOADS.some((l) => l.script === s));
  if (unknown?.length) throw new UsageError(`--only: no load ${unknown.join(', ')} (the loads: ${LOADS.map((l) => l.script).join(', ')})`);
  const setup = setUp(opt);
  mkdirSync(WORK_DIR, { recursive: true });

  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  console.log(`k6 against Nginx: p95 of k6's http_req_duration and of Nginx's $request_time over the same requests (marked rag-gate-bench/${runId}/<load>), bound max(${FIDELITY_RELATIVE * 100} %, ${FIDELITY_FLOOR_MS} ms)`);
  console.log(`target ${setup.description}; access log ${shown(setup.accessLog)}; load average before: ${loadavg()}`);
  const results: LoadResult[] = [];
  for (const load of LOADS.filter((l) => !only || only.includes(l.script))) {
    const r = await measure(load, setup, runId);
    print(r);
    results.push(r);
  }
  const judged = results.flatMap((r) => r.rows.filter((row) => row.judged));
  const passed = judged.filter((row) => row.ok).length;
  const complete = results.every((r) => !r.problem);
  const ok = complete && judged.length > 0 && passed === judged.length;
  const record = join(OUT_DIR, 'load-fidelity.json');
  writeFileSync(record, JSON.stringify({ at: new Date().toISOString(), target: setup.description, bound: { relative: FIDELITY_RELATIVE, floorMs: FIDELITY_FLOOR_MS }, ok, results }, null, 2));
  console.log(`\nload average after: ${loadavg()}; k6 summaries and raw samples in ${shown(WORK_DIR)}, figures in ${shown(record)}`);
  console.log(`k6 fidelity: ${ok ? 'PASS' : 'FAIL'} – ${passed} of ${judged.length} judged comparisons within max(${FIDELITY_RELATIVE * 100} %, ${FIDELITY_FLOOR_MS} ms)${complete ? '' : `; not measured: ${results.filter((r) => r.problem).map((r) => r.script).join(', ')}`}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`bench:load: ${e.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
