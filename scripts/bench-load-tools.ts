/**
 * Retired: `npm run bench:load -- --vs-tools [URL]` (scripts/bench-load.ts) – k6 against ab and wrk (Debian packages
 * apache2-utils, wrk) on the same request: one `/health` URL, the same concurrency and duration, keep-alive on for all
 * three; prints requests/s, p50/p95 latency and client CPU per request for each, and the ratios. Runs the tools one
 * after another (never in parallel: on a 2-core machine they would measure each other).
 *
 *   npm run bench:load -- --vs-tools [URL] [--connections N] [--duration 10] [--no-keepalive]
 *   Without --connections it runs twice: 10 connections (the checklist's concurrency: throughput) and 1 connection
 *   (one request at a time: latency without client-side CPU contention). URL (or env BENCH_URL): a loopback /health
 *   URL, e.g. the hermetic stack's http://127.0.0.1:<port>/health.
 *
 * Its targets (k6's p50 within ±20 % of ab's, k6's requests/s at least half of wrk's) are retired: k6 spends about 10×
 * the client CPU per request of wrk by design, which says nothing about whether the latency it reports is the one the
 * server delivered – that is what `npm run bench:load` now measures (k6 against Nginx's $request_time). Kept as a
 * diagnostic of the client's cost.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../core/paths.ts';
import { K6_BIN, k6Missing } from '../lib/k6.ts';

interface Result {
  tool: string;
  rps: number;
  p50: number;
  p95: number;
  requests: number;
  errors: number;
  /** CPU seconds the tool itself used (user + system, from the reaped child's times), divided per request. */
  cpuUsPerReq?: number;
  note?: string;
}

/** CPU seconds used so far by this process's reaped children (proc(5): /proc/self/stat cutime + cstime). */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17, in clock ticks (USER_HZ = 100 on Linux)
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Runs a tool to completion; cpuSeconds is the CPU it used itself (user + system). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const cpu0 = childCpuSeconds();
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { ...r, cpuSeconds: childCpuSeconds() - cpu0 };
}
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Runs k6, ab and wrk one after another with `connections` connections for `duration` seconds each. */
function benchAll(url: string, connections: number, duration: number, keepAlive: boolean): { results: Result[]; skipped: string[] } {
  const work = mkdtempSync(join(tmpdir(), 'bench-load-'));
  const results: Result[] = [];
  const skipped: string[] = [];
  // ---- k6
  const k6Why = k6Missing();
  if (k6Why) skipped.push(`k6: ${k6Why}`);
  else {
    const r = run(K6_BIN, ['run', '--quiet', '--no-color', join(REPO_ROOT, 'load', 'bench-health.ts')], {
      ...process.env,
      BENCH_URL: url,
      CONNECTIONS: String(connections),
      DURATION: `${duration}s`,
      SUMMARY_DIR: work,
      K6_NO_USAGE_REPORT: 'true',
      ...(keepAlive ? {} : { K6_NO_CONNECTION_REUSE: 'true' }),
    });
    const file = join(work, 'bench-health.json');
    if (!existsSync(file)) skipped.push(`k6: no summary (exit ${r.status}): ${r.stderr.slice(-500)}`);
    else {
      const m = JSON.parse(readFileSync(file, 'utf8')).metrics;
      const d = m.http_req_duration.values;
      results.push({ cpuUsPerReq: (r.cpuSeconds * 1e6) / m.http_reqs.values.count, tool: 'k6', rps: m.http_reqs.values.rate, p50: d.med, p95: d['p(95)'], requests: m.http_reqs.values.count, errors: Math.round((m.http_req_failed?.values.rate ?? 0) * m.http_reqs.values.count) });
    }
  }

  // ---- ab (ApacheBench): time-limited like the others; -e writes the percentile table
  if (!have('ab')) skipped.push('ab: not installed (apt-get install apache2-utils; scripts/setup does it)');
  else {
    const csv = join(work, 'ab.csv');
    const r = run('ab', [...(keepAlive ? ['-k'] : []), '-q', '-c', String(connections), '-t', String(duration), '-n', '10000000', '-e', csv, url]);
    const rps = Number(/Requests per second:\s+([\d.]+)/.exec(r.stdout)?.[1]);
    const complete = Number(/Complete requests:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
    const failed = Number(/Failed requests:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
    if (!existsSync(csv) || !Number.isFinite(rps)) skipped.push(`ab: no result (exit ${r.status}): ${(r.stderr || r.stdout).slice(-400)}`);
    else {
      const pct = new Map<number, number>();
      for (const line of readFileSync(csv, 'utf8').split('\n').slice(1)) {
        const [p, ms] = line.split(',');
        if (p && ms) pct.set(Number(p), Number(ms));
      }
      results.push({ cpuUsPerReq: (r.cpuSeconds * 1e6) / complete, tool: 'ab', rps, p50: pct.get(50)!, p95: pct.get(95)!, requests: complete, errors: failed + non2xx });
    }
  }

  // ---- wrk: 2 threads (the machine's cores), percentiles from its Lua done() hook (its --latency has no p95)
  if (!have('wrk')) skipped.push('wrk: not installed (apt-get install wrk; scripts/setup does it)');
  else {
    const lua = join(work, 'report.lua');
    writeFileSync(
      lua,
      `${keepAlive ? '' : 'wrk.headers["Connection"] = "close"\n'}done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), e.connect + e.read + e.write + e.status + e.timeout))
  end
  `,
    );
    const threads = Math.min(2, connections);
    const r = run('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${duration}s`, '-s', lua, url]);
    const m = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(r.stdout);
    if (!m) skipped.push(`wrk: no result (exit ${r.status}): ${(r.stderr || r.stdout).slice(-400)}`);
    else {
      const [, reqs, durUs, p50Us, p95Us, errs] = m.map(Number) as [number, number, number, number, number, number];
      results.push({ cpuUsPerReq: (r.cpuSeconds * 1e6) / reqs, tool: 'wrk', rps: reqs / (durUs / 1e6), p50: p50Us / 1000, p95: p95Us / 1000, requests: reqs, errors: errs });
    }
  }
  rmSync(work, { recursive: true, force: true });
  return { results, skipped };
}

/** Runs the comparison against `url` (argv: the options after --vs-tools); returns the exit code. */
export function benchVsTools(url: string, argv: string[]): number {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    console.error(`bench:load --vs-tools: "${url}" is not a URL (BENCH_URL or the first argument)`);
    return 2;
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
    console.error(`bench:load --vs-tools: ${parsed.hostname} is not a loopback address; this benchmark saturates its target and only runs against 127.0.0.1/localhost`);
    return 2;
  }
  const opt = (name: string, def: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
  };
  const connectionsArg = argv.includes('--connections') ? Number(opt('--connections', '10')) : undefined;
  const duration = Number(opt('--duration', '10'));
  const keepAlive = !argv.includes('--no-keepalive');
  const f = (n: number | undefined, d = 2) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(d));
  const phases = connectionsArg ? [connectionsArg] : [10, 1];
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`\nGET ${url}: ${duration} s per tool, keep-alive ${keepAlive ? 'on' : 'off'}, tools run one after another; load average before: ${load()}`);
  let complete = true;
  for (const connections of phases) {
    const { results, skipped } = benchAll(url, connections, duration, keepAlive);
    complete &&= results.length === 3;
    console.log(`\n${connections} connection${connections > 1 ? 's' : ''}${connections === 10 ? ' (the checklist\'s concurrency; throughput)' : connections === 1 ? ' (one request at a time; latency)' : ''}`);
    console.log('tool   requests/s   p50 ms   p95 ms   requests   errors   client CPU µs/request');
    for (const r of results) console.log(`${r.tool.padEnd(5)} ${f(r.rps, 0).padStart(11)} ${f(r.p50, 3).padStart(8)} ${f(r.p95, 3).padStart(8)} ${String(r.requests).padStart(10)} ${String(r.errors).padStart(8)} ${f(r.cpuUsPerReq, 1).padStart(23)}`);
    const by = Object.fromEntries(results.map((r) => [r.tool, r]));
    const k6 = by.k6;
    if (k6 && by.ab) {
      const p50Ratio = k6.p50 / by.ab.p50;
      console.log(`k6/ab  p50 ratio ${f(p50Ratio)} (retired target 0.80–1.20: ${p50Ratio >= 0.8 && p50Ratio <= 1.2 ? 'met' : 'NOT met'}), p95 ratio ${f(k6.p95 / by.ab.p95)}, requests/s ratio ${f(k6.rps / by.ab.rps)}`);
    }
    if (k6 && by.wrk) {
      const rpsRatio = k6.rps / by.wrk.rps;
      console.log(`k6/wrk requests/s ratio ${f(rpsRatio)} (retired target >= 0.50: ${rpsRatio >= 0.5 ? 'met' : 'NOT met'}), p50 ratio ${f(k6.p50 / by.wrk.p50)}, p95 ratio ${f(k6.p95 / by.wrk.p95)}`);
    }
    if (k6?.cpuUsPerReq && by.ab?.cpuUsPerReq && by.wrk?.cpuUsPerReq)
      console.log(`client CPU per request: k6 ${f(k6.cpuUsPerReq / by.ab.cpuUsPerReq, 1)}× ab's, ${f(k6.cpuUsPerReq / by.wrk.cpuUsPerReq, 1)}× wrk's (on ${cpus().length} cores shared with the server, the client's CPU per request bounds its requests/s)`);
    if (by.ab && by.wrk) console.log(`ab/wrk requests/s ratio ${f(by.ab.rps / by.wrk.rps)}, p50 ratio ${f(by.ab.p50 / by.wrk.p50)}`);
    for (const sk of skipped) console.log(`skipped ${sk}`);
  }
  console.log(`\nload average after: ${load()} (${cpus().length} cores; figures taken on a busy machine are not comparable)`);
  return complete ? 0 : 1;
}
