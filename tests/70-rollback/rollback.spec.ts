/**
 * Rollback Procedures: the criteria as checks, and the execution steps as a timed drill.
 *
 * The drill (hermetic/compose; live only with RAG_ALLOW_DESTRUCTIVE=1): baseline → backup.sh → deploy a
 * changed version (images retagged 1.0.1-rc, a broken config change, a damaged stored document) → detect the
 * criteria → `docker-compose -f docker-compose.production.yml down` → preserve logs (checked for secrets) →
 * restore.sh --with-config (Redis stopped around it: it holds the documents' metadata) → previous version up →
 * verify integrity (document list, checksums, golden answers, configuration) and health. Every step's duration
 * and the total recovery time are annotations. The stack's host ports are fixed by the suite's compose
 * environment, so the restored stack answers on the same URLs; the drill checks that.
 *
 * 70-rollback runs last. Failure injection: a corrupted backup makes the restore step fail with the bad files named.
 */
import type { TestInfo } from '@playwright/test';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { REPORTS_DIR } from '../../core/paths.ts';
import { containerName } from '../../core/contract.ts';
import { projectContainers } from '../../lib/docker.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import type { HttpClient } from '../../lib/http.ts';
import type { Secrets } from '../../lib/secrets.ts';
import { RagApi, type DocumentList } from '../../lib/rag-api.ts';
import { schemaErrors } from '../../lib/schemas.ts';
import { askGolden, goldenSet, type GoldenSet } from '../../checks/stability.ts';
import { DrillError, compose, corruptBackup, documentChecksums, documentSizes, evaluateCriteria, filesWithSecrets, integrityProblems, median, notAtVersion, restoreStep, sha256File, unavailableServices, type Snapshot } from '../../checks/rollback.ts';
import { resolveFiles } from '../../checks/discover.ts';
import { describeSource } from '../../core/profile.ts';
import * as T from '../../core/thresholds.ts';

const PRODUCTION = 'docker-compose.production.yml';
const MONITORING = 'docker-compose.monitoring.yml';
const PREVIOUS = '1.0.0';
const CANDIDATE = '1.0.1-rc';
const PRODUCTION_IMAGES = ['chroma', 'ollama', 'rag-backend', 'frontend', 'nginx'];
/** The services of docker-compose.production.yml. */
const APPLICATION = ['chroma', 'ollama', 'rag-backend', 'reflex-frontend', 'nginx'];

/** A body as JSON, or undefined when it is not JSON. */
function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

async function snapshot(target: TargetView, http: HttpClient, golden: GoldenSet | undefined, opts: { upload: boolean }): Promise<Snapshot> {
  const backend = target.url('backend')!;
  const api = new RagApi(http, backend, target.apiKey(), target.profile.api);
  const blocking: string[] = [];
  const lat: Record<string, number[]> = { health: [], list: [], query: [] };
  let health = { code: 0, status: 'unreachable' };
  let docIds: string[] = [];
  for (let i = 0; i < 5; i++) {
    const h = await api.health(10_000).catch(() => undefined);
    if (h) {
      lat.health!.push(h.ms);
      try {
        health = { code: h.status, status: (JSON.parse(h.body) as { status?: string }).status ?? '?' };
      } catch {
        health = { code: h.status, status: h.body.slice(0, 80) };
      }
    }
    const l = await api.raw(`${api.shape.documentsPath}?limit=1000`, { timeoutMs: 10_000 }).catch(() => undefined);
    if (l) {
      lat.list!.push(l.ms);
      // A list that is not one per the contract lists nothing (the criteria then see the documents as lost).
      const listed = l.status === 200 ? parseJson(l.body) : undefined;
      if (listed !== undefined && schemaErrors('documents', listed) === null) docIds = (listed as DocumentList).documents.map((d) => d.doc_id).sort();
    }
  }
  if (golden) {
    for (let i = 0; i < 3; i++) {
      const answers = await askGolden(api, golden);
      for (const a of answers) {
        if (a.status) lat.query!.push(a.ms);
        if (!a.ok && i === 0) blocking.push(`golden question not answered correctly (${a.status}): ${a.question}`);
      }
    }
  }
  if (opts.upload) {
    const up = await api.uploadText(`rollback-probe-${Date.now()}.txt`, 'Rollback probe document. The probe animal is a heron.').catch((e: Error) => ({ ex: { status: 0, body: e.message }, docId: undefined }));
    if (!up.docId) blocking.push(`upload failed (${up.ex.status}: ${up.ex.body.slice(0, 120)})`);
    else {
      const st = await api.waitProcessed(up.docId, T.MAX_UPLOAD_TO_SEARCHABLE_MS);
      if (st !== 'completed') blocking.push(`uploaded document ended "${st}" instead of completed within ${T.MAX_UPLOAD_TO_SEARCHABLE_MS / 1000} s`);
      await api.deleteRaw(up.docId).catch(() => undefined);
    }
  }
  const containers = target.raw.projectName ? await projectContainers(target.raw.projectName) : [];
  const unavailable = unavailableServices(containers, [...APPLICATION, 'redis', 'prometheus', 'alertmanager']);
  return {
    at: new Date().toISOString(),
    health,
    unavailable,
    docIds,
    checksums: target.raw.deployDir ? documentChecksums(target.raw.deployDir) : {},
    latency: Object.fromEntries(Object.entries(lat).filter(([, v]) => v.length).map(([k, v]) => [k, median(v)])),
    blocking,
  };
}

async function waitProductionHealthy(project: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let bad: string[] = [];
  while (Date.now() < deadline) {
    bad = unavailableServices(await projectContainers(project), APPLICATION);
    if (bad.length === 0) return [];
    await new Promise((r) => setTimeout(r, 2_000));
  }
  return bad;
}

function drillAllowed(target: TargetView): string | undefined {
  if (target.mode === 'live' && !target.allowDestructive) return 'live: the rollback drill stops and restores the deployment; it runs only with RAG_ALLOW_DESTRUCTIVE=1';
  if (!target.raw.deployDir || !target.raw.projectName || !target.url('backend')) return `${target.mode}: the drill needs the deployment directory, the compose project and the backend URL (run on the Docker host with RAG_DEPLOY_DIR)`;
  return undefined;
}

/** The deployment's backup and restore scripts (profile, else found by name, else scripts/backup.sh and scripts/restore.sh), noted on the line. */
function scripts(target: TargetView, deployDir: string, testInfo: TestInfo): { backup: string; restore: string } {
  const { backupScript, restoreScript } = resolveFiles(deployDir, target.profile);
  annotate.info(testInfo, `backup script ${backupScript.value} (${describeSource(backupScript.source)}), restore script ${restoreScript.value} (${describeSource(restoreScript.source)})`);
  return { backup: backupScript.value, restore: restoreScript.value };
}

function scrubCopy(dir: string, secrets: Secrets): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) scrubCopy(p, secrets);
    else if (e.isFile()) writeFileSync(p, secrets.redact(readFileSync(p, 'latin1')), 'latin1');
  }
}

test.describe('Rollback criteria (checked on the running system)', () => {
  test('no data corruption or loss: every listed document has its stored file and the counts agree', verifies('RB-CRIT-2'), async ({ target, http, evidence }, testInfo) => {
    const backend = target.url('backend');
    if (!backend) return notVerified(testInfo, `${target.mode}: the backend is not reachable from here; set RAG_BACKEND_URL`);
    // The list is checked against the contract (status and schema) before anything is read from it.
    const api = new RagApi(http, backend, target.apiKey(), target.profile.api);
    const list = await api.list();
    const health = http.json<{ document_count?: number }>(await api.health());
    const problems = integrityProblems(list, health.document_count, target.raw.deployDir ? documentSizes(target.raw.deployDir) : undefined);
    await evidence('integrity', `${list.total_count} documents\n${problems.join('\n') || 'no problem found'}`);
    expect(problems).toHaveNoProblems('data corruption or loss', { evidence: 'integrity' });
  });

  test('no user-blocking failure: upload is processed and a query is answered', verifies('RB-CRIT-5'), async ({ target, http, evidence }, testInfo) => {
    if (!target.url('backend')) return notVerified(testInfo, `${target.mode}: the backend is not reachable from here; set RAG_BACKEND_URL`);
    if (target.mode === 'live' && !target.allowDestructive) return notVerified(testInfo, 'live: this check uploads (and deletes) a document; run with RAG_ALLOW_DESTRUCTIVE=1');
    const s = await snapshot(target, http, undefined, { upload: true });
    const q = await new RagApi(http, target.url('backend')!, target.apiKey(), target.profile.api).ask('What documents are available?');
    await evidence('query', q);
    const answered = q.status === 200 ? schemaErrors('query', parseJson(q.body)) : `query answered ${q.status}`;
    const blocking = [...s.blocking, ...(answered === null ? [] : [q.status === 200 ? `query answered 200 without an answer per the contract: ${answered}` : answered])];
    expect(blocking).toHaveNoProblems('user-blocking failures');
  });
});

test('rollback drill: backup, bad release, detect, down, preserve logs, restore, previous version up, verify', verifies('RB-IMMEDIATE-1', 'RB-IMMEDIATE-2', 'RB-RESTORE-1', 'RB-RESTORE-2', 'RB-RESTORE-3', 'RB-SERVICE-1', 'RB-SERVICE-2', 'RB-SERVICE-3', 'RB-CRIT-4'), async ({ target, http, secrets, evidence }, testInfo) => {
  const why = drillAllowed(target);
  if (why) return notVerified(testInfo, why);
  test.setTimeout(15 * 60_000);
  const deployDir = target.raw.deployDir!;
  const script = scripts(target, deployDir, testInfo);
  const project = target.raw.projectName!;
  const env = target.raw.composeEnvironment ?? {};
  const runDir = join(REPORTS_DIR, 'rollback', `${project}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  const durations: Array<[string, number]> = [];
  const log: string[] = [];
  const step = async <R>(name: string, fn: () => Promise<R> | R): Promise<R> => {
    const t0 = Date.now();
    try {
      return await test.step(name, async () => fn());
    } finally {
      const ms = Date.now() - t0;
      durations.push([name, ms]);
      annotate.measured(testInfo, `${name}: ${(ms / 1000).toFixed(1)} s`);
    }
  };
  const api = new RagApi(http, target.url('backend')!, target.apiKey(), target.profile.api);
  const golden = goldenSet(`rb${Date.now().toString(36)}`);
  const composeFile = join(deployDir, PRODUCTION);
  const composeSumBefore = sha256File(composeFile);
  let backup = '';
  let downDone = false;
  try {
    const baseline = await step('baseline (golden document, latencies, checksums)', async () => {
      const up = await api.uploadText(golden.filename, golden.text);
      if (!up.docId) throw new DrillError('baseline', `golden document upload answered ${up.ex.status}`);
      const st = await api.waitProcessed(up.docId, T.MAX_UPLOAD_TO_SEARCHABLE_MS);
      if (st !== 'completed') throw new DrillError('baseline', `golden document ended ${st}`);
      const s = await snapshot(target, http, golden, { upload: true });
      if (s.blocking.length || s.unavailable.length) throw new DrillError('baseline', `the system is not healthy before the drill: ${[...s.blocking, ...s.unavailable].join('; ')}`);
      return s;
    });
    log.push(`baseline: ${baseline.docIds.length} documents, ${Object.keys(baseline.checksums).length} stored files, latency ${JSON.stringify(baseline.latency)}`);

    backup = await step(`backup (${script.backup}, then ${script.restore} --verify-only)`, () => {
      const r = spawnSync('bash', [resolve(deployDir, script.backup), deployDir], { encoding: 'utf8' });
      const path = /backup: wrote (\S+)/.exec(r.stdout)?.[1];
      if (r.status !== 0 || !path) throw new DrillError('backup', `${script.backup} exited ${r.status}${r.status === 0 ? ' without naming the backup it wrote ("backup: wrote <dir>")' : ''}: ${r.stderr.slice(-500)}`);
      const v = spawnSync('bash', [resolve(deployDir, script.restore), path, deployDir, '--verify-only'], { encoding: 'utf8' });
      if (v.status !== 0) throw new DrillError('backup', `the fresh backup does not verify: ${v.stderr.slice(-500)}`);
      log.push(r.stdout.trim(), v.stdout.trim());
      return path;
    });

    await step(`deploy a changed version (${CANDIDATE}: retagged images, broken CHROMA_URL, one stored document damaged)`, async () => {
      for (const img of PRODUCTION_IMAGES) {
        const t = spawnSync('docker', ['tag', `rag-system/${img}:${PREVIOUS}`, `rag-system/${img}:${CANDIDATE}`], { encoding: 'utf8' });
        if (t.status !== 0) throw new DrillError('deploy', `docker tag ${img}: ${t.stderr}`);
      }
      const text = readFileSync(composeFile, 'utf8');
      if (!text.includes('CHROMA_URL: http://chroma:8002')) throw new DrillError('deploy', 'docker-compose.production.yml has no "CHROMA_URL: http://chroma:8002" line to change');
      writeFileSync(composeFile, text.replace('CHROMA_URL: http://chroma:8002', 'CHROMA_URL: http://chroma-v2:8002'));
      const victim = Object.keys(baseline.checksums)[0];
      if (victim) writeFileSync(join(deployDir, 'data', 'documents', victim), 'damaged by the release candidate\n');
      const up = compose(deployDir, project, { ...env, RAG_VERSION: CANDIDATE }, PRODUCTION, ['up', '-d']);
      log.push(up.output);
      if (!up.ok) throw new DrillError('deploy', up.output.slice(-800));
      await new Promise((r) => setTimeout(r, 15_000));
    });

    const triggered = await step('detect (rollback criteria against the baseline)', async () => {
      const now = await snapshot(target, http, golden, { upload: true });
      return evaluateCriteria(baseline, now);
    });
    await evidence('criteria triggered by the release candidate', triggered.map((c) => `${c.id} ${c.name}: ${c.detail}`).join('\n') || 'none');
    expect(triggered.length, 'the drill\'s bad release should trigger at least one rollback criterion').toBeGreaterThan(0);
    annotate.info(testInfo, `rollback criteria triggered: ${triggered.map((c) => `${c.id} ${c.name}`).join('; ')}`);

    const recoveryStart = Date.now();
    await step('stop current deployment (docker-compose -f docker-compose.production.yml down)', () => {
      // Container output disappears with the containers: keep it first.
      mkdirSync(join(runDir, 'container-logs'), { recursive: true });
      for (const svc of APPLICATION) {
        const l = spawnSync('docker', ['logs', containerName(project, svc)], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 });
        writeFileSync(join(runDir, 'container-logs', `${svc}.log`), `${l.stdout ?? ''}${l.stderr ?? ''}`, 'latin1');
      }
      const down = compose(deployDir, project, { ...env, RAG_VERSION: CANDIDATE }, PRODUCTION, ['down']);
      log.push(down.output);
      if (!down.ok) throw new DrillError('down', down.output.slice(-800));
      downDone = true;
    });

    const leaked = await step('preserve logs and debugging information', () => {
      cpSync(join(deployDir, 'logs'), join(runDir, 'logs'), { recursive: true });
      writeFileSync(join(runDir, 'criteria.json'), JSON.stringify({ baseline, triggered }, null, 2));
      const found = filesWithSecrets(runDir, secrets.credentialValues());
      scrubCopy(runDir, secrets); // the preserved copy is redacted either way
      return found;
    });
    await evidence('preserved logs', `${runDir}\nfiles containing secrets (before redaction of the copy): ${leaked.map((l) => `${l.file}: ${l.secrets.join(', ')}`).join('; ') || 'none'}`);
    expect(leaked.map((l) => `${l.file}: ${l.secrets.join(', ')}`)).toHaveNoProblems('preserved logs that contain secrets from .env.production (the copy was redacted; the deployment\'s logs were not)');

    await step('restore data and configuration (restore.sh --with-config; Redis stopped around it)', () => {
      const stop = compose(deployDir, project, env, MONITORING, ['stop', 'redis']);
      log.push(stop.output);
      try {
        log.push(restoreStep(deployDir, backup, true, script.restore));
      } finally {
        const start = compose(deployDir, project, env, MONITORING, ['start', 'redis']);
        log.push(start.output);
      }
    });

    await step(`deploy previous stable version (${PREVIOUS})`, async () => {
      const up = compose(deployDir, project, { ...env, RAG_VERSION: PREVIOUS }, PRODUCTION, ['up', '-d']);
      log.push(up.output);
      if (!up.ok) throw new DrillError('deploy previous', up.output.slice(-800));
      downDone = false;
      const bad = await waitProductionHealthy(project, 180_000);
      if (bad.length) throw new DrillError('deploy previous', `not healthy within 180 s: ${bad.join(', ')}`);
    });

    const after = await step('verify data integrity, configuration, health and functionality', async () => {
      // The baseline was measured on warm processes: one round first so that JIT/connection warm-up is not read as degradation.
      await snapshot(target, http, golden, { upload: false });
      return snapshot(target, http, golden, { upload: true });
    });
    const recoveryMs = Date.now() - recoveryStart;
    annotate.measured(testInfo, `total recovery (down → verified) ${(recoveryMs / 1000).toFixed(1)} s`);

    // Host ports: the suite fixed them in the compose environment, so the URLs recorded for later tests still hold.
    const cs = await projectContainers(project);
    const moved: string[] = [];
    for (const [name, url] of Object.entries(target.raw.urls)) {
      const port = Number(new URL(url!).port);
      if (port && !cs.some((c) => c.ports.some((p) => p.hostPort === port))) moved.push(`${name} ${url}`);
    }
    const versions = cs.filter((c) => APPLICATION.includes(c.service)).map((c) => `${c.service}=${c.image}`);
    await evidence('drill', [...log, '', `after: ${JSON.stringify({ ...after, checksums: Object.keys(after.checksums).length })}`, `images: ${versions.join(', ')}`, '', ...durations.map(([n, ms]) => `${(ms / 1000).toFixed(1).padStart(6)} s  ${n}`), `recovery ${(recoveryMs / 1000).toFixed(1)} s`].join('\n'));
    expect(notAtVersion(cs, APPLICATION, PREVIOUS)).toHaveNoProblems(`application containers not running ${PREVIOUS} again`);
    expect(sha256File(composeFile), 'docker-compose.production.yml should be the backed-up configuration again').toBe(composeSumBefore);
    expect(moved).toHaveNoProblems('URLs whose host port did not come back after the drill');
    const remaining = evaluateCriteria(baseline, after);
    expect(remaining.map((c) => `${c.id} ${c.name}: ${c.detail}`)).toHaveNoProblems('rollback criteria still met after the rollback (integrity, health, performance vs. the baseline, functionality)', { evidence: 'drill' });
    expect(after.docIds, 'the document list should be exactly the baseline\'s').toEqual(baseline.docIds);
  } finally {
    if (downDone) compose(deployDir, project, { ...env, RAG_VERSION: PREVIOUS }, PRODUCTION, ['up', '-d']);
    if (sha256File(composeFile) !== composeSumBefore && backup) spawnSync('bash', [resolve(deployDir, script.restore), backup, deployDir, '--with-config']);
    for (const img of PRODUCTION_IMAGES) spawnSync('docker', ['rmi', `rag-system/${img}:${CANDIDATE}`]);
    writeFileSync(join(runDir, 'durations.json'), JSON.stringify(durations, null, 2));
    if (backup && existsSync(backup)) rmSync(backup, { recursive: true, force: true });
  }
});

test('a corrupted backup fails the drill at the restore step, naming the damaged file, and restores nothing', verifies('RB-RESTORE-1', 'RB-RESTORE-2'), async ({ target, evidence }, testInfo) => {
  const why = drillAllowed(target);
  if (why) return notVerified(testInfo, why);
  const deployDir = target.raw.deployDir!;
  const script = scripts(target, deployDir, testInfo);
  const r = spawnSync('bash', [resolve(deployDir, script.backup), deployDir], { encoding: 'utf8' });
  const path = /backup: wrote (\S+)/.exec(r.stdout)?.[1];
  expect(path, `${script.backup} failed (exit ${r.status}): ${r.stderr}`).toBeDefined();
  try {
    const damaged = corruptBackup(path!);
    const before = documentChecksums(deployDir);
    let error: unknown;
    try {
      restoreStep(deployDir, path!, true, script.restore);
    } catch (e) {
      error = e;
    }
    await evidence('restore of a corrupted backup', `damaged: ${damaged}\n${String(error)}`);
    expect(error, 'restoring a corrupted backup should fail the drill').toBeInstanceOf(DrillError);
    expect((error as DrillError).step, `the drill should fail at its restore step; it failed at ${(error as DrillError).step}`).toBe('restore');
    expect((error as Error).message, 'the failure should name the damaged file').toContain(damaged);
    expect(documentChecksums(deployDir), 'nothing may be restored from a corrupted backup').toEqual(before);
  } finally {
    rmSync(path!, { recursive: true, force: true });
  }
});
