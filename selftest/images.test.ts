/**
 * The image list's two sources (testcontainers/images.ts): local builds without a registry, the official images –
 * pinned by digest once the lock has one – with a registry; the lock never silently follows a moved tag. How the
 * hermetic stack runs the official images: the compose override of each file, validated structurally and – where
 * docker-compose is installed – merged by compose itself (`config`, which starts nothing). And the checklist
 * comparison (scripts/compare-checklists.ts) the runner image's proof uses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StartedTestContainer } from 'testcontainers';
import { parse as parseYaml } from 'yaml';
import { fileSecretProblems } from '../checks/security.ts';
import { chooseImageSource, imageOverride, imageProfiles, IMAGES, localChoice, OFFICIAL_IMAGES, OVERRIDE_FILES, overridePath, pinnedRef, recordDigests, type ImageChoice, type ImageLock } from '../testcontainers/images.ts';
import { composeFiles, MONITORING_FILE, PRODUCTION_FILE, STACK_SERVICES, stackServices } from '../testcontainers/stack.ts';
import { pullOllamaModels, readImageChoice, writeImageOverrides } from '../testcontainers/target.ts';
import { compareChecklists } from '../scripts/compare-checklists.ts';
import { deploymentCopies } from './deploy-copies.ts';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const NO_REGISTRY = { reachable: false, detail: 'nginx:1.22.1: dial tcp: lookup registry-1.docker.io: no such host' };
const REGISTRY = { reachable: true, detail: `nginx:1.22.1 is ${DIGEST_A}`, digest: DIGEST_A };

test('official images: every one pinned to a tag (no latest), each local build it names exists', () => {
  const local = new Set(IMAGES.map((i) => i.name));
  for (const i of OFFICIAL_IMAGES) {
    assert.match(i.ref, /^[a-z0-9./-]+:[A-Za-z0-9._-]+$/, `${i.service}: ${i.ref} is not repository:tag`);
    assert.doesNotMatch(i.ref, /:(latest|main|stable)$/, `${i.service}: ${i.ref} floats`);
    if (i.local) assert.ok(local.has(i.local), `${i.service}: no local build named ${i.local}`);
  }
  assert.deepEqual(OFFICIAL_IMAGES.map((i) => i.service).sort(), ['alertmanager', 'blackbox-exporter', 'chroma', 'grafana', 'nginx', 'node-exporter', 'ollama', 'prometheus', 'redis']);
});

const WITH_MODEL = { source: 'auto', ollamaModel: 'qwen2.5:0.5b' } as const;

test('no registry: local builds, and the line says why', () => {
  const c = chooseImageSource(NO_REGISTRY, { 'nginx:1.22.1': DIGEST_A });
  assert.equal(c.source, 'local');
  assert.deepEqual(c.refs, {});
  assert.match(c.line, /^images: local builds .*no registry answers \(nginx:1\.22\.1: dial tcp: lookup registry-1\.docker\.io: no such host\)$/);
  assert.doesNotMatch(c.line, /\n/);
});

test('a registry: official images, by digest where the lock has one, by tag until the first pull', () => {
  const c = chooseImageSource(REGISTRY, { 'nginx:1.22.1': DIGEST_A }, WITH_MODEL);
  assert.equal(c.source, 'official');
  assert.equal(c.refs.nginx, `nginx:1.22.1@${DIGEST_A}`);
  assert.equal(c.refs.redis, 'redis:7.0.15');
  assert.match(c.line, /^images: official, pinned in testcontainers\/images\.lock\.json – 1 by digest, 8 by tag until their first pull/);
  const all = Object.fromEntries(OFFICIAL_IMAGES.map((i) => [i.ref, DIGEST_A]));
  assert.match(chooseImageSource(REGISTRY, all, WITH_MODEL).line, /all 9 by digest; ollama\/ollama with qwen2\.5:0\.5b/);
  assert.equal(pinnedRef(OFFICIAL_IMAGES[0]!, {}), OFFICIAL_IMAGES[0]!.ref);
});

test('Ollama\'s official image only with a model named; RAG_IMAGE_SOURCE=local and =official', () => {
  const c = chooseImageSource(REGISTRY, {});
  assert.equal(c.source, 'official');
  assert.equal(c.refs.ollama, undefined, 'no model named: the stand-in, not llama2:7b (3.8 GB) on the CPU');
  assert.equal(Object.keys(c.refs).length, 8);
  assert.match(c.line, /Ollama: the stand-in \(RAG_OLLAMA_MODEL=<a small model> runs ollama\/ollama with it\)/);
  const production = parseYaml(imageOverride(c, 'production')!) as { services: Record<string, unknown> };
  assert.equal(production.services.ollama, undefined, 'the compose file\'s stand-in runs');
  assert.ok(production.services.nginx);
  assert.match(chooseImageSource(REGISTRY, {}, { source: 'local' }).line, /^images: local builds .*RAG_IMAGE_SOURCE=local$/);
  assert.throws(() => chooseImageSource(NO_REGISTRY, {}, { source: 'official' }), /RAG_IMAGE_SOURCE=official, but no registry answers \(nginx:1\.22\.1: dial tcp.*unset RAG_IMAGE_SOURCE/);
});

test('the lock records new digests and refuses a moved tag or a non-digest', () => {
  const lock: ImageLock = { 'nginx:1.22.1': DIGEST_A };
  const r = recordDigests(lock, { 'nginx:1.22.1': DIGEST_A, 'redis:7.0.15': DIGEST_B });
  assert.deepEqual(r.added, ['redis:7.0.15']);
  assert.deepEqual(r.problems, []);
  assert.equal(r.lock['redis:7.0.15'], DIGEST_B);
  assert.deepEqual(lock, { 'nginx:1.22.1': DIGEST_A }, 'the input lock is not changed');
  const moved = recordDigests(lock, { 'nginx:1.22.1': DIGEST_B, 'redis:7.0.15': 'latest' });
  assert.equal(moved.lock['nginx:1.22.1'], DIGEST_A, 'a moved tag keeps its pin');
  assert.equal(moved.problems.length, 2);
  assert.match(moved.problems[0]!, /nginx:1\.22\.1 now resolves to sha256:b+, but .* pins sha256:a+: the tag moved upstream/);
  assert.match(moved.problems[1]!, /redis:7\.0\.15: the registry gave "latest", which is not a sha256 digest/);
});

// ---------------------------------------------------------------------------------------------- the stack's override

const OFFICIAL: ImageChoice = chooseImageSource(REGISTRY, { 'nginx:1.22.1': DIGEST_A, 'grafana/grafana-oss:10.4.2': DIGEST_B }, WITH_MODEL);
const APP_SERVICES = ['rag-backend', 'reflex-frontend', 'container-exporter'];

interface OverrideService {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test?: string[] };
}
function servicesOf(yaml: string | undefined): Record<string, OverrideService> {
  assert.ok(yaml, 'an override was expected');
  return (parseYaml(yaml) as { services: Record<string, OverrideService> }).services;
}

/** Strings in which compose would interpolate a `$` (one that is not written `$$`). */
function interpolated(value: unknown): string[] {
  if (typeof value === 'string') return value.replace(/\$\$/g, '').includes('$') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(interpolated);
  if (value && typeof value === 'object') return Object.values(value).flatMap(interpolated);
  return [];
}

test('the local builds: no override, no extra profile, each compose file alone', () => {
  const local = localChoice('no registry answers (x)');
  assert.equal(imageOverride(local, 'monitoring'), undefined);
  assert.equal(imageOverride(local, 'production', { ollamaModel: 'qwen2.5:0.5b' }), undefined);
  assert.deepEqual(imageProfiles(local), []);
  assert.deepEqual(composeFiles(tmpdir(), MONITORING_FILE), [MONITORING_FILE]);
  assert.ok(!STACK_SERVICES.includes('grafana'));
});

test('the official images: each infrastructure service by its pinned reference in its own file, our application images untouched, Grafana enabled', () => {
  for (const file of ['monitoring', 'production'] as const) {
    const services = servicesOf(imageOverride(OFFICIAL, file));
    assert.deepEqual(Object.keys(services).sort(), OFFICIAL_IMAGES.filter((i) => i.file === file).map((i) => i.service).sort(), `${file}: the services of that file only (an override naming another file's service would create it)`);
    for (const [name, svc] of Object.entries(services)) {
      assert.equal(svc.image, OFFICIAL.refs[name], `${name}: the pinned reference`);
      assert.ok(svc.healthcheck?.test?.length, `${name}: a health check the image can run (the stack waits for every container's health)`);
    }
    for (const app of APP_SERVICES) assert.equal(services[app], undefined, `${app} keeps its own image`);
  }
  const monitoring = servicesOf(imageOverride(OFFICIAL, 'monitoring'));
  assert.equal(monitoring.grafana!.image, `grafana/grafana-oss:10.4.2@${DIGEST_B}`, 'by digest where the lock has one');
  assert.equal(monitoring.redis!.image, 'redis:7.0.15', 'by tag until its first pull records the digest');
  assert.equal(servicesOf(imageOverride(OFFICIAL, 'production')).nginx!.image, `nginx:1.22.1@${DIGEST_A}`);
  assert.deepEqual(imageProfiles(OFFICIAL), ['grafana']);
  assert.ok(stackServices(imageProfiles(OFFICIAL)).includes('grafana'), 'its URL is collected');
});

test('every `$` of a script reaches the container as written (compose would interpolate a single one)', () => {
  for (const file of ['monitoring', 'production'] as const) assert.deepEqual(interpolated(parseYaml(imageOverride(OFFICIAL, file)!)), [], file);
  // The check can fail: the table's scripts as written, before the override doubles them.
  assert.ok(interpolated(OFFICIAL_IMAGES.find((i) => i.service === 'prometheus')!.patch).length > 0);
});

test('Ollama: the models directory kept between runs; a configured model reaches the backend (environment only)', () => {
  const plain = servicesOf(imageOverride(OFFICIAL, 'production'));
  assert.equal(plain['rag-backend'], undefined);
  assert.equal(plain.ollama!.environment!.OLLAMA_MODELS, '/root/.ollama/models', "OLLAMA_MODELS is the directory for Ollama, not the stand-in's model list");
  assert.equal(plain.ollama!.environment!.OLLAMA_HOST, '0.0.0.0:11434');
  const tuned = servicesOf(imageOverride(OFFICIAL, 'production', { ollamaModel: 'qwen2.5:0.5b', ollamaDir: '/cache/ollama/p1' }));
  assert.deepEqual(tuned['rag-backend'], { environment: { OLLAMA_MODEL: 'qwen2.5:0.5b' } });
  assert.ok(tuned.ollama!.volumes!.includes('/cache/ollama/p1:/root/.ollama'));
  assert.equal(servicesOf(imageOverride(OFFICIAL, 'monitoring', { ollamaModel: 'qwen2.5:0.5b' }))['rag-backend'], undefined);
});

test('a recorded choice that predates the image list is refused with the fix', () => {
  const old: ImageChoice = { ...OFFICIAL, refs: Object.fromEntries(Object.entries(OFFICIAL.refs).filter(([s]) => s !== 'chroma')) };
  assert.throws(() => imageOverride(old, 'production'), /names no image for chroma: .*run bash scripts\/setup again/);
});

test('the override carries no credential: the gate scans every deployment file (P4-DATA-4)', () => {
  for (const file of ['monitoring', 'production'] as const) {
    const text = imageOverride(OFFICIAL, file, { ollamaModel: 'm' })!;
    assert.deepEqual(fileSecretProblems(overridePath(file), text, [['ADMIN_PASSWORD', 'Zq8xV3mK9pL2wN7r']], true), [], file);
  }
});

test('the recorded choice: none is the local builds; an unreadable one names the fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-choice-'));
  try {
    const absent = readImageChoice(join(dir, 'none.json'));
    assert.equal(absent.source, 'local');
    assert.match(absent.line, /^images: local builds .*no choice recorded/);
    writeFileSync(join(dir, 'bad.json'), '{');
    assert.throws(() => readImageChoice(join(dir, 'bad.json')), /cannot be read .*run bash scripts\/setup again, or delete it/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(OFFICIAL));
    assert.deepEqual(readImageChoice(join(dir, 'ok.json')), OFFICIAL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An Ollama container that answers `ollama show` for the models it has and `ollama pull` as told. */
function fakeOllama(has: string[], pull: (model: string) => Promise<{ output: string; exitCode: number }>): { container: StartedTestContainer; pulled: string[] } {
  const pulled: string[] = [];
  const exec = async (cmd: string[]) => {
    if (cmd[1] === 'show') return { output: '', exitCode: has.includes(cmd[2]!) ? 0 : 1 };
    pulled.push(cmd[2]!);
    return pull(cmd[2]!);
  };
  return { container: { exec } as unknown as StartedTestContainer, pulled };
}

test('Ollama models: pulled only when missing; a failed or unfinished pull is a start-up problem in words', async () => {
  const ok = fakeOllama(['llama2:7b'], async () => ({ output: 'success', exitCode: 0 }));
  assert.deepEqual(await pullOllamaModels(ok.container, ['llama2:7b', 'nomic-embed-text'], 5000), []);
  assert.deepEqual(ok.pulled, ['nomic-embed-text'], 'a model it has is not fetched again');
  const failing = fakeOllama([], async () => ({ output: 'pulling manifest \x1b[?25l\rpulling manifest\nError: pull model manifest: file does not exist\n', exitCode: 1 }));
  assert.deepEqual(await pullOllamaModels(failing.container, ['no-such:1b'], 5000), ['ollama: `ollama pull no-such:1b` failed (exit 1): Error: pull model manifest: file does not exist']);
  const slow = fakeOllama([], () => new Promise((done) => setTimeout(() => done({ output: '', exitCode: 0 }), 1000)));
  const [late] = await pullOllamaModels(slow.container, ['llama2:7b'], 50);
  assert.match(late!, /^ollama: pulling llama2:7b did not finish within 0 s of the set-up/);
});

const copy = deploymentCopies('images');
const have = (cmd: string, args: string[]): boolean => !spawnSync(cmd, args, { stdio: 'ignore' }).error;

test('written into a prepared copy: the files the overrides mount, and each compose file merged with its override by docker-compose', (t) => {
  if (!have('htpasswd', ['-h'])) return t.skip('htpasswd is not installed here (apache2-utils; scripts/setup installs it)');
  const dir = copy();
  writeImageOverrides(dir, OFFICIAL, { ollamaDir: join(dir, 'ollama-cache') });
  const env = Object.fromEntries(readFileSync(join(dir, '.env.production'), 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  // The bcrypt line checks against the copy's ADMIN_PASSWORD (htpasswd -v reads it on stdin).
  const verify = spawnSync('htpasswd', ['-v', '-i', join(dir, OVERRIDE_FILES.htpasswd), env.ADMIN_USER!], { input: `${env.ADMIN_PASSWORD}\n`, encoding: 'utf8' });
  assert.equal(verify.status, 0, `the htpasswd line does not verify: ${verify.stderr}`);
  assert.equal(statSync(join(dir, OVERRIDE_FILES.htpasswd)).mode & 0o777, 0o600);
  const web = parseYaml(readFileSync(join(dir, OVERRIDE_FILES.webConfig), 'utf8')) as { basic_auth_users: Record<string, string> };
  assert.match(web.basic_auth_users[env.ADMIN_USER!]!, /^\$2[aby]\$\d\d\$/, 'a bcrypt hash, as Prometheus requires');
  assert.ok(!readFileSync(join(dir, OVERRIDE_FILES.webConfig), 'utf8').includes(env.ADMIN_PASSWORD!), 'the password itself is not written');
  assert.ok(existsSync(join(dir, OVERRIDE_FILES.redisEntrypoint)));
  assert.deepEqual(composeFiles(dir, PRODUCTION_FILE), [PRODUCTION_FILE, overridePath('production')]);

  if (!have('docker-compose', ['version'])) return t.skip('docker-compose is not installed here: the merge is not checked');
  for (const [file, which] of [[MONITORING_FILE, 'monitoring'], [PRODUCTION_FILE, 'production']] as const) {
    const args = composeFiles(dir, file).flatMap((f) => ['-f', f]);
    const r = spawnSync('docker-compose', [...args, 'config'], { cwd: dir, encoding: 'utf8', env: { ...process.env, RAG_NETWORK: 'images-selftest_net', COMPOSE_PROFILES: 'grafana' } });
    assert.equal(r.status, 0, `docker-compose ${args.join(' ')} config: ${r.stderr}`);
    const merged = (parseYaml(r.stdout) as { services: Record<string, { image: string; command?: string[]; extra_hosts?: unknown; environment?: Record<string, string> }> }).services;
    for (const i of OFFICIAL_IMAGES.filter((x) => x.file === which)) assert.equal(merged[i.service]?.image, OFFICIAL.refs[i.service], `${which}: ${i.service}`);
    if (which === 'monitoring') {
      // `config` writes env_file out as environment (values not shown here).
      assert.ok('ADMIN_PASSWORD' in merged.prometheus!.environment!, "the compose file's own settings stay (env_file)");
      assert.ok(merged.alertmanager!.extra_hosts, "the compose file's own settings stay (extra_hosts)");
      assert.ok(merged.prometheus!.command!.includes('--web.config.file=/etc/rag-gate/web.yml'));
      assert.ok(merged['container-exporter']!.image.startsWith('rag-system/container-exporter:'));
    } else {
      assert.equal(merged.ollama!.environment!.OLLAMA_HOST, '0.0.0.0:11434', "the override's environment wins over env_file");
      assert.ok(merged['rag-backend']!.image.startsWith('rag-system/rag-backend:'));
      assert.ok(merged['reflex-frontend']!.image.startsWith('rag-system/frontend:'));
    }
  }
});

test('compare-checklists: the same statuses agree; another status, a missing item or another verdict is reported', () => {
  const a = { verdict: { result: 'PASSED', exitCode: 0 }, items: [{ id: 'X-1', status: 'passed', reason: null }, { id: 'X-2', status: 'not_verified', reason: 'live: no URL' }] };
  assert.deepEqual(compareChecklists(a, structuredClone(a)).statuses, []);
  const b = { verdict: { result: 'FAILED', exitCode: 1 }, items: [{ id: 'X-1', status: 'failed', reason: 'broke' }, { id: 'X-2', status: 'not_verified', reason: 'live: other' }, { id: 'X-3', status: 'passed' }] };
  const c = compareChecklists(a, b);
  assert.deepEqual(c.statuses.map((d) => d.id), ['X-1', 'X-3']);
  assert.equal(c.statuses[1]!.a, undefined);
  assert.deepEqual(c.reasons.map((d) => d.id), ['X-2']);
  assert.deepEqual(c.verdicts, { a: 'PASSED', b: 'FAILED' });
});
