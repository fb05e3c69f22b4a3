/**
 * Bad-input tests of Phase 1's decisions (Pre-Deployment Checklist: resource availability, service dependencies,
 * backup of the current state) – checks/host.ts and checks/backup.ts as tests/10-predeploy/ calls them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BACKUP_CONFIG_FILES, checkBackedUp, checkConfigBackedUp } from '../checks/backup.ts';
import { connectivityProblems, dockerDaemonProblems, ollamaRunningProblems, parseSs, portAvailability, unresolvedNames } from '../checks/host.ts';
import { canFail } from './helpers.ts';

const made: string[] = [];
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A directory holding `files` (relative path → content). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'predeploy-selftest-'));
  made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

test('network connectivity: a probe that failed or answered other than 200 is named with what it got', canFail('P1-RES-4'), () => {
  assert.deepEqual(connectivityProblems(Array.from({ length: 20 }, () => ({ status: 200 }))), []);
  assert.deepEqual(connectivityProblems([{ status: 200 }, { status: 502 }, { status: 'connect ECONNREFUSED 127.0.0.1:80' }]), ['answered 502', 'no answer: connect ECONNREFUSED 127.0.0.1:80']);
});

const noSystemd = { systemd: false, output: 'no systemd on this machine (/run/systemd/system absent)' };

test('Ollama service: none running, an inactive unit, an API that does not answer each fail with the facts', canFail('P1-DEPS-1'), () => {
  const facts = 'host processes named ollama: 0; containers: none; API http://127.0.0.1:11434: no answer';
  assert.deepEqual(ollamaRunningProblems({ unit: noSystemd, processes: 0, containers: 1, runningContainers: 1, apiStatus: 200 }, facts), []);
  assert.deepEqual(ollamaRunningProblems({ unit: noSystemd, processes: 0, containers: 0, runningContainers: 0, apiStatus: undefined }, facts), [
    `no running Ollama: ${facts}`,
    `Ollama does not answer its API (no answer): ${facts}`,
  ]);
  const inactive = { systemd: true, active: false, output: 'systemctl is-active ollama: inactive' };
  assert.deepEqual(ollamaRunningProblems({ unit: inactive, processes: 0, containers: 0, runningContainers: 0, apiStatus: 200 }, facts), [
    'systemctl: ollama is not active (systemctl is-active ollama: inactive)',
    `no running Ollama: ${facts}`,
  ]);
  assert.match(ollamaRunningProblems({ unit: noSystemd, processes: 1, containers: 0, runningContainers: 0, apiStatus: 404 }, facts).join(), /does not answer its API \(404\)/);
});

test('Docker daemon: an inactive unit, no dockerd process and a missing socket each fail', canFail('P1-DEPS-2'), () => {
  const sock = { path: '/var/run/docker.sock', ok: true };
  assert.deepEqual(dockerDaemonProblems({ unit: noSystemd, processes: 1, socket: sock }, 'f'), []);
  assert.deepEqual(dockerDaemonProblems({ unit: { systemd: true, active: false, output: 'systemctl is-active docker: failed' }, processes: 0, socket: { ...sock, ok: false } }, 'facts'), [
    'systemctl: docker is not active (systemctl is-active docker: failed)',
    'no dockerd process (facts)',
    '/var/run/docker.sock is not a socket (facts)',
  ]);
});

test('port availability: a checklist port held by another container or by a process outside the deployment fails', canFail('P1-DEPS-3'), () => {
  const owner = { 80: 'nginx', 8000: 'rag-backend', 11434: 'ollama' };
  const ss = parseSs('tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:*\ntcp LISTEN 0 4096 127.0.0.1:8000 0.0.0.0:*\ntcp LISTEN 0 4096 127.0.0.1:11434 0.0.0.0:*\n');
  const containers = [{ name: 'rag-nginx', service: 'nginx', ports: [{ hostPort: 80 }] }, { name: 'rag-frontend', service: 'reflex-frontend', ports: [{ hostPort: 8000 }] }];
  const r = portAvailability([80, 8000, 11434, 8002], ss, containers, owner);
  assert.deepEqual(r.problems, ['port 8000 is in use by rag-frontend, not rag-backend', 'port 11434 is in use by a process outside the deployment']);
  assert.deepEqual(r.rows, ['80: held by rag-nginx (nginx) on 0.0.0.0', '8000: in use by rag-frontend (tcp 127.0.0.1)', '11434: in use by something outside the deployment (tcp 127.0.0.1)', '8002: free']);
});

test('DNS inside the deployment network: each service name getent could not resolve is named', canFail('P1-DEPS-4'), () => {
  assert.deepEqual(unresolvedNames('ollama ok\nchroma ok\n'), []);
  assert.deepEqual(unresolvedNames('ollama ok\nchroma FAILED\nredis ok\nalertmanager FAILED\n'), ['chroma does not resolve', 'alertmanager does not resolve']);
});

test('documents backed up: a document the backup lacks, or a backup without data/documents, fails', canFail('P1-BACKUP-1'), () => {
  const deploy = tree({ 'data/documents/a.txt': 'a', 'data/documents/b.txt': 'b' });
  assert.deepEqual(checkBackedUp(deploy, tree({ 'data/documents/a.txt': 'a', 'data/documents/b.txt': 'b' }), 'data/documents', true).problems, []);
  assert.deepEqual(checkBackedUp(deploy, tree({ 'data/documents/a.txt': 'a' }), 'data/documents', true).problems, ['data/documents/b.txt is in the deployment but not in the backup']);
  assert.deepEqual(checkBackedUp(deploy, tree({ 'config/nginx/nginx.conf': 'x' }), 'data/documents', false).problems, ['the backup has no data/documents']);
});

test('vector database backed up: a backup without chroma.sqlite3 of a deployment that has one fails', canFail('P1-BACKUP-2'), () => {
  const deploy = tree({ 'data/chroma/chroma.sqlite3': 'v', 'data/chroma/chroma.sqlite3-journal': 'j' });
  assert.deepEqual(checkBackedUp(deploy, tree({ 'data/chroma/chroma.sqlite3': 'v' }), 'data/chroma', true).problems, [], 'a journal is transient');
  assert.deepEqual(checkBackedUp(deploy, tree({ 'data/chroma/other.bin': 'x' }), 'data/chroma', false).problems, ["the backup's data/chroma has no chroma.sqlite3 (files: other.bin)"]);
  assert.equal(checkBackedUp(tree({ 'data/chroma/.gitkeep': '' }), tree({ 'data/documents/a.txt': 'a' }), 'data/chroma', true).ok, true, 'an empty vector database has nothing to back up');
});

test('configuration backed up: a missing configuration file and a plaintext secret in the backup fail', canFail('P1-BACKUP-3'), () => {
  assert.deepEqual(checkConfigBackedUp([...BACKUP_CONFIG_FILES, 'data/documents/a.txt']).problems, []);
  assert.deepEqual(checkConfigBackedUp([...BACKUP_CONFIG_FILES.filter((f) => !f.endsWith('alertmanager.yml')), 'config/.env.production', 'config/ssl/server.key']).problems, [
    'configuration files missing from the backup: config/monitoring/alertmanager/alertmanager.yml',
    'config/.env.production is a plaintext secret in the backup (.env.production and private keys stay out of backups)',
    'config/ssl/server.key is a plaintext secret in the backup (.env.production and private keys stay out of backups)',
  ]);
});
