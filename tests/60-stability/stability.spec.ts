/**
 * Stability Assessment › Daily Health Verification and User Experience Validation, compressed into a soak:
 * RAG_SOAK_SECONDS (default 120 s in CI; hours or a week in real use) of steady mixed load (health, list,
 * query, UI, an upload + delete every few iterations) while the memory and open file descriptors of every
 * container are sampled. Leak verdicts come from least-squares slopes (checks/stability.ts), never one reading.
 *
 * The soak runs once per Playwright run; its result is kept in reports/soak/ so that the tests reading it
 * survive a worker restart after a failed assertion. In live mode it runs only with RAG_ALLOW_DESTRUCTIVE=1.
 *
 * Log rotation and backups are checked for real: logrotate -d / -f on a copy of the deployment's logs with its
 * own logrotate config, backup.sh followed by restore.sh --verify-only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { REPORTS_DIR } from '../../core/paths.ts';
import { projectContainers } from '../../lib/docker.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import type { HttpClient } from '../../lib/http.ts';
import * as T from '../../core/thresholds.ts';
import { ContainerSampler } from '../../lib/containers.ts';
import { RagApi } from '../../lib/rag-api.ts';
import { soakSettings } from '../../core/config.ts';
import { askGolden, goldenSet, leakVerdict, mixedLoad, resourceSample, type GoldenResult, type LeakVerdict, type LoadStats, type ResourceSample } from '../../checks/stability.ts';
import { percentile, rotationProblems, soakHealthProblems, uiResponsivenessProblems, uploadRateProblems } from '../../checks/soak.ts';
import { checkBackupContents } from '../../checks/backup.ts';
import { resolveFiles } from '../../checks/discover.ts';
import { targetHostScope } from '../../checks/host.ts';

interface SoakResult {
  settings: ReturnType<typeof soakSettings>;
  startedAt: string;
  durationS: number;
  samples: ResourceSample[];
  samplerErrors: string[];
  health: Array<{ t: number; unhealthy: string[] }>;
  restarts: Record<string, number>;
  load: LoadStats;
  ui: { ok: number; failed: number; ms: number[] };
  goldenBefore: GoldenResult[];
  goldenAfter: GoldenResult[];
  memory: LeakVerdict[];
  fds: LeakVerdict[];
}

const SOAK_DIR = join(REPORTS_DIR, 'soak');

function soakFile(target: TargetView): string {
  // One soak per Playwright run: workers are children of the runner, so its pid names the run.
  return join(SOAK_DIR, `soak-${target.raw.projectName ?? 'live'}-${process.ppid}.json`);
}

async function runSoak(target: TargetView, http: HttpClient): Promise<SoakResult> {
  const settings = soakSettings();
  const api = new RagApi(http, target.url('backend')!, target.apiKey(), target.profile.api);
  const marker = `soak${Date.now().toString(36)}`;
  const golden = goldenSet(marker);
  const up = await api.uploadText(golden.filename, golden.text);
  if (!up.docId) throw new Error(`the golden document could not be uploaded (${up.ex.status}: ${up.ex.body.slice(0, 200)})`);
  const status = await api.waitProcessed(up.docId, T.MAX_UPLOAD_TO_SEARCHABLE_MS);
  if (status !== 'completed') throw new Error(`the golden document ended "${status}" instead of completed`);
  const goldenBefore = await askGolden(api, golden);

  const project = target.raw.projectName!;
  const first = await projectContainers(project);
  const restartsAtStart = Object.fromEntries(first.map((c) => [c.service, c.restartCount]));
  const sampler = new ContainerSampler(target.raw.containers, settings.sampleS * 1000, { fds: true });
  const health: SoakResult['health'] = [];
  const sample = async (): Promise<void> => {
    await sampler.sample();
    const cs = await projectContainers(project);
    health.push({ t: Date.now() / 1000, unhealthy: cs.filter((c) => !c.running || (c.health && c.health !== 'healthy')).map((c) => `${c.service} (${c.status}${c.health ? `, ${c.health}` : ''})`) });
  };
  const t0 = Date.now();
  const until = t0 + settings.durationS * 1000;
  await sample();
  let sampling: Promise<void> | undefined;
  const timer = setInterval(() => {
    sampling ??= sample().finally(() => (sampling = undefined));
  }, settings.sampleS * 1000);
  const ui = { ok: 0, failed: 0, ms: [] as number[] };
  const uiUrl = target.url('frontend');
  const uiLoop = (async () => {
    while (uiUrl && Date.now() < until) {
      const ex = await http.fetch(`${uiUrl}/`).catch(() => undefined);
      if (ex && ex.status < 400) ui.ok++;
      else ui.failed++;
      if (ex) ui.ms.push(ex.ms);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  })();
  let load: LoadStats;
  try {
    load = await mixedLoad(api, golden, until, { marker });
    await uiLoop;
  } finally {
    clearInterval(timer);
    await sampling;
  }
  await sample();
  const goldenAfter = await askGolden(api, golden);
  await api.deleteRaw(up.docId);
  const last = await projectContainers(project);
  const restarts = Object.fromEntries(last.map((c) => [c.service, c.restartCount - (restartsAtStart[c.service] ?? 0)]));

  const samples = sampler.samples.map(resourceSample);
  const samplerErrors = [...sampler.errors];
  const services = [...new Set(samples.map((s) => s.service))];
  const tol = settings.leakPctPerHour;
  const memory = services.map((s) => leakVerdict(`${s} memory (bytes)`, samples.filter((x) => x.service === s && x.running).map((x) => ({ t: x.t, y: x.memBytes })), { tolerancePctPerHour: tol, minAbsoluteGrowth: 2 * 1024 * 1024 }));
  const fds = services.map((s) => leakVerdict(`${s} open fds`, samples.filter((x) => x.service === s && x.running).map((x) => ({ t: x.t, y: x.fds })), { tolerancePctPerHour: tol, minAbsoluteGrowth: 8 }));
  const result: SoakResult = { settings, startedAt: new Date(t0).toISOString(), durationS: (Date.now() - t0) / 1000, samples, samplerErrors, health, restarts, load, ui, goldenBefore, goldenAfter, memory, fds };
  mkdirSync(SOAK_DIR, { recursive: true });
  writeFileSync(soakFile(target), JSON.stringify(result, null, 2));
  return result;
}

let soakPromise: Promise<SoakResult> | undefined;

/** The run's soak (started by the first test that needs it), or notVerified when it cannot run here. */
async function soak(target: TargetView, http: HttpClient, testInfo: TestInfo): Promise<SoakResult | undefined> {
  if (target.mode === 'live' && !target.allowDestructive) {
    notVerified(testInfo, 'live: the soak puts sustained load on the deployment and runs only with RAG_ALLOW_DESTRUCTIVE=1');
    return undefined;
  }
  if (!target.url('backend') || !target.raw.projectName) {
    notVerified(testInfo, `${target.mode}: the soak needs the backend URL and the deployment's containers (run on the Docker host; set RAG_BACKEND_URL)`);
    return undefined;
  }
  const file = soakFile(target);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SoakResult;
  test.setTimeout(soakSettings().durationS * 1000 + 5 * 60_000);
  soakPromise ??= runSoak(target, http);
  return soakPromise;
}

function verdictLine(v: LeakVerdict, unit: 'MB' | 'fds'): string {
  const perHour = unit === 'MB' ? `${(v.perHour / 1024 / 1024).toFixed(2)} MB/h` : `${v.perHour.toFixed(1)} fds/h`;
  const mean = unit === 'MB' ? `${(v.mean / 1024 / 1024).toFixed(1)} MB` : `${v.mean.toFixed(1)} fds`;
  return `${v.verdict.toUpperCase().padEnd(12)} ${v.series}: slope ${perHour} (${v.pctPerHour.toFixed(1)} %/h of mean ${mean}), r² ${v.r2.toFixed(2)}, ${v.samples} samples – ${v.reason}`;
}

test.describe('Stability soak', () => {
  test('no memory or file-descriptor leak in any container (least-squares slope over the soak)', verifies('STAB-DAILY-2'), async ({ target, http, evidence }, testInfo) => {
    const r = await soak(target, http, testInfo);
    if (!r) return;
    const lines = [...r.memory.map((v) => verdictLine(v, 'MB')), ...r.fds.map((v) => verdictLine(v, 'fds'))];
    await evidence('slopes', `soak ${r.durationS.toFixed(0)} s, sampling every ${r.settings.sampleS} s, tolerance ${r.settings.leakPctPerHour} %/h of the mean (first 20 % of samples = warm-up)\n\n${lines.join('\n')}`);
    await testInfo.attach('samples.csv', { body: ['t,service,container,running,mem_bytes,fds', ...r.samples.map((s) => `${s.t.toFixed(1)},${s.service},${s.container},${s.running},${s.memBytes},${s.fds}`)].join('\n'), contentType: 'text/csv' });
    for (const v of [...r.memory, ...r.fds]) annotate.measured(testInfo, verdictLine(v, v.series.endsWith('fds') ? 'fds' : 'MB'));
    expect(r.samplerErrors).toHaveNoProblems('sampling errors (Docker stats / top)');
    expect(r.memory.length, 'no container was sampled').toBeGreaterThan(0);
    expect([...r.memory, ...r.fds].filter((v) => v.verdict === 'leak').map((v) => v.reason && `${v.series}: ${v.reason}`)).toHaveNoProblems('series whose growth exceeds the tolerance', { evidence: 'slopes' });
    expect([...r.memory, ...r.fds].filter((v) => v.verdict === 'inconclusive').map((v) => `${v.series}: ${v.reason}`)).toHaveNoProblems('series with too few samples for a verdict (lengthen RAG_SOAK_SECONDS or shorten RAG_SOAK_SAMPLE_SECONDS)', { evidence: 'slopes' });
  });

  test('every service stays running and healthy through the soak, without restarts', verifies('STAB-DAILY-1'), async ({ target, http, evidence }, testInfo) => {
    const r = await soak(target, http, testInfo);
    if (!r) return;
    await evidence('health over the soak', r.health.map((h) => `${new Date(h.t * 1000).toISOString()} ${h.unhealthy.join(', ') || 'all healthy'}`).join('\n') + `\nrestarts during the soak: ${JSON.stringify(r.restarts)}`);
    expect(soakHealthProblems(r.health, r.restarts)).toHaveNoProblems('services not running/healthy or restarted during the soak', { evidence: 'health over the soak' });
  });

  test('performance stays stable over the soak (last quarter within 50 % of the first)', verifies('STAB-DAILY-5'), async ({ target, http, evidence }, testInfo) => {
    const r = await soak(target, http, testInfo);
    if (!r) return;
    const lines: string[] = [];
    const degraded: string[] = [];
    for (const [kind, s] of Object.entries(r.load.requests)) {
      const q = Math.max(1, Math.floor(s.ms.length / 4));
      const first = percentile(s.ms.slice(0, q), 50);
      const lastQ = percentile(s.ms.slice(-q), 50);
      const change = ((lastQ - first) / first) * 100;
      lines.push(`${kind}: ${s.ok} ok, ${s.failed} failed; median first quarter ${first.toFixed(1)} ms, last quarter ${lastQ.toFixed(1)} ms (${change >= 0 ? '+' : ''}${change.toFixed(0)} %), p95 ${percentile(s.ms, 95).toFixed(1)} ms`);
      // Sub-10 ms medians move by scheduler noise on a shared machine: a degradation must also be 10 ms or more.
      if (change > T.ROLLBACK_DEGRADATION_PERCENT && lastQ - first >= 10) degraded.push(lines[lines.length - 1]!);
      if (s.failed > 0) degraded.push(`${kind}: ${s.failed} failed requests`);
    }
    await evidence('latency over the soak', lines.join('\n'));
    expect(degraded).toHaveNoProblems(`request kinds that degraded by more than ${T.ROLLBACK_DEGRADATION_PERCENT} % or failed during the soak`, { evidence: 'latency over the soak' });
  });

  test('UI stays responsive through the soak', verifies('STAB-UX-1'), async ({ target, http, evidence }, testInfo) => {
    const r = await soak(target, http, testInfo);
    if (!r) return;
    if (r.ui.ok + r.ui.failed === 0) return notVerified(testInfo, `${target.mode}: the frontend (3000) is not reachable from here; set RAG_FRONTEND_URL`);
    const p95 = percentile(r.ui.ms, 95);
    await evidence('UI during the soak', `GET / on the frontend: ${r.ui.ok} ok, ${r.ui.failed} failed, p50 ${percentile(r.ui.ms, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
    expect(uiResponsivenessProblems(r.ui)).toHaveNoProblems('UI responsiveness during the soak', { evidence: 'UI during the soak' });
  });

  test(`document upload success rate stays above ${T.MIN_UPLOAD_SUCCESS_PERCENT} % through the soak`, verifies('STAB-UX-2'), async ({ target, http, evidence }, testInfo) => {
    const r = await soak(target, http, testInfo);
    if (!r) return;
    const { attempted, succeeded, failures } = r.load.uploads;
    const rate = attempted ? (succeeded / attempted) * 100 : 0;
    await evidence('uploads during the soak', `${succeeded}/${attempted} uploaded, processed to completed and deleted (${rate.toFixed(1)} %)\n${failures.join('\n')}`);
    expect(uploadRateProblems(r.load.uploads)).toHaveNoProblems('document uploads during the soak', { evidence: 'uploads during the soak' });
  });

  test('golden questions are still answered correctly at the end of the soak', verifies('STAB-UX-3'), async ({ target, http, evidence }, testInfo) => {
    const r = await soak(target, http, testInfo);
    if (!r) return;
    await evidence('golden answers', [...r.goldenBefore.map((g) => `before: ${g.ok ? 'OK ' : 'BAD'} ${g.question} -> ${g.answer}`), ...r.goldenAfter.map((g) => `after:  ${g.ok ? 'OK ' : 'BAD'} ${g.question} -> ${g.answer}`)].join('\n'));
    annotate.figure(testInfo, { key: 'soak.golden_accuracy', value: r.goldenAfter.length ? r.goldenAfter.filter((g) => g.ok).length / r.goldenAfter.length : undefined, unit: 'fraction', better: 'higher', of: r.goldenAfter.length });
    expect(r.goldenBefore.filter((g) => !g.ok).map((g) => `${g.question} (expected "${g.expect}", ${g.status}: ${g.answer.slice(0, 200)})`)).toHaveNoProblems('golden questions answered wrongly before the soak', { evidence: 'golden answers' });
    expect(r.goldenAfter.filter((g) => !g.ok).map((g) => `${g.question} (expected "${g.expect}", ${g.status}: ${g.answer.slice(0, 200)})`)).toHaveNoProblems('golden questions answered wrongly after the soak', { evidence: 'golden answers' });
  });
});

test.describe('Logs and backups', () => {
  test('log files rotate: logrotate accepts the deployment\'s config and rotates a copy of its logs', verifies('STAB-DAILY-3'), async ({ target, evidence }, testInfo) => {
    const deployDir = target.raw.deployDir;
    if (!deployDir) return notVerified(testInfo, `${target.mode}: no deployment directory here (set RAG_DEPLOY_DIR when running on the host)`);
    const conf = join(deployDir, 'logrotate', 'rag-system');
    expect(existsSync(conf), 'logrotate/rag-system should exist in the deployment directory').toBe(true);
    const logrotate = ['/usr/sbin/logrotate', '/sbin/logrotate'].find((p) => existsSync(p));
    if (!logrotate) return notVerified(testInfo, 'logrotate is not installed on this machine (apt-get install logrotate)');
    const work = mkdtempSync(join(tmpdir(), 'rag-logrotate-'));
    try {
      // The live logs are copied (never rotated in place): the configuration is pointed at the copy.
      cpSync(join(deployDir, 'logs'), join(work, 'logs'), { recursive: true });
      const found = ['nginx', 'app', 'monitoring'].flatMap((d) => (existsSync(join(work, 'logs', d)) ? readdirSync(join(work, 'logs', d)).filter((f) => f.endsWith('.log')).map((f) => `${d}/${f}`) : []));
      const nonEmpty = found.filter((f) => statSync(join(work, 'logs', f)).size > 0);
      expect(nonEmpty.length, `the deployment should be writing logs under logs/ (found ${found.join(', ') || 'none'})`).toBeGreaterThan(0);
      const text = readFileSync(conf, 'utf8').replaceAll('/opt/rag-system', work);
      const copyConf = join(work, 'rag-system.conf');
      writeFileSync(copyConf, text, { mode: 0o644 });
      const state = join(work, 'state');
      const debug = spawnSync(logrotate, ['-d', '-s', state, copyConf], { encoding: 'utf8' });
      await evidence('logrotate -d', `exit ${debug.status}\n${debug.stdout}${debug.stderr}`);
      expect(debug.status, `logrotate -d rejected the configuration:\n${debug.stderr.slice(-1500)}`).toBe(0);
      expect(`${debug.stdout}${debug.stderr}`, 'logrotate -d reported an error').not.toMatch(/^error:/m);
      const sizes = Object.fromEntries(nonEmpty.map((f) => [f, statSync(join(work, 'logs', f)).size]));
      const force = spawnSync(logrotate, ['-f', '-s', state, copyConf], { encoding: 'utf8' });
      const after = Object.fromEntries(['nginx', 'app', 'monitoring'].flatMap((d) => (existsSync(join(work, 'logs', d)) ? readdirSync(join(work, 'logs', d)).map((f) => [`${d}/${f}`, statSync(join(work, 'logs', d, f)).size]) : [])));
      await evidence('logrotate -f on the copy', `exit ${force.status}\n${force.stdout}${force.stderr}\nbefore: ${JSON.stringify(sizes)}\nafter: ${Object.entries(after).map(([f, n]) => `${f} ${n}`).join(', ')}`);
      expect(force.status, `logrotate -f failed:\n${force.stderr.slice(-1500)}`).toBe(0);
      expect(rotationProblems(sizes, after)).toHaveNoProblems('logs that logrotate -f did not rotate', { evidence: 'logrotate -f on the copy' });
      const scope = targetHostScope(target);
      if (scope.decides) {
        const installed = existsSync('/etc/logrotate.d') && readdirSync('/etc/logrotate.d').some((f) => readFileSync(join('/etc/logrotate.d', f), 'utf8').includes(join(deployDir, 'logs')));
        expect(installed, `no file in /etc/logrotate.d covers ${join(deployDir, 'logs')}: install logrotate/rag-system as its header says`).toBe(true);
      } else if (target.mode === 'hermetic') {
        annotate.info(testInfo, 'hermetic: the Docker host is not the deployment host, so installation in /etc/logrotate.d is not checked; the config was validated and rotation observed on a copy');
      } else {
        return notVerified(testInfo, `${scope.reason}; the config was validated and rotation observed on a copy, but whether the host's /etc/logrotate.d installs it is not seen from here`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('the backup job produces a backup that restore.sh verifies', verifies('STAB-DAILY-4'), async ({ target, evidence }, testInfo) => {
    const deployDir = target.raw.deployDir;
    if (!deployDir) return notVerified(testInfo, `${target.mode}: no deployment directory here (set RAG_DEPLOY_DIR when running on the host)`);
    if (target.mode === 'live' && !target.allowDestructive) return notVerified(testInfo, 'live: taking a backup writes into the deployment directory; run with RAG_ALLOW_DESTRUCTIVE=1');
    test.setTimeout(5 * 60_000);
    const files = resolveFiles(deployDir, target.profile);
    const out = execFileSync('bash', [join(deployDir, files.backupScript.value), deployDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const path = /backup: wrote (\S+)/.exec(out)?.[1];
    expect(path, `backup.sh did not say where it wrote the backup:\n${out}`).toBeDefined();
    try {
      const verify = spawnSync('bash', [join(deployDir, files.restoreScript.value), path!, deployDir, '--verify-only'], { encoding: 'utf8' });
      await evidence('backup.sh + restore.sh --verify-only', `${out}\nexit ${verify.status}\n${verify.stdout}${verify.stderr}`);
      expect(verify.status, `restore.sh --verify-only rejected a fresh backup:\n${verify.stderr}`).toBe(0);
      expect(checkBackupContents(path!).problems).toHaveNoProblems('the fresh backup', { evidence: 'backup.sh + restore.sh --verify-only' });
      if (target.mode !== 'hermetic') annotate.info(testInfo, 'the schedule of the backup job (cron/systemd timer) is not checked: backup.sh run once and verified');
    } finally {
      rmSync(path!, { recursive: true, force: true });
    }
  });
});
