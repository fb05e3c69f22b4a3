/**
 * Builds the reference deployment's images on a machine with no container registry.
 *
 * base  <- mmdebstrap --variant=minbase bookworm | docker import
 * every other image <- `docker build --network host` FROM its parent (passed as build-arg PARENT)
 *
 * Each image is tagged `rag-system/<name>:h-<hash>` where the hash covers its build inputs and its
 * parent's hash, so an image whose inputs have not changed is not rebuilt; it is also tagged with the
 * deployment version (`:1.0.0`), which is what the compose files use. Where a registry answers, it also pulls the
 * infrastructure services' official images and records that choice for the hermetic stack (chooseImages).
 *
 * --runner builds only the gate's own image instead, `rag-gate/runner:<package.json version>` (runner/Dockerfile, on
 * the base and the Prometheus image for promtool); the set-up does not build it (npm run image:runner).
 *
 * Usage: tsx scripts/build-images.ts [--base-only | --runner] [--no-prepare] [--force] [--version 1.0.0] [name...]
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, realpathSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { imageSource, ollamaModelSetting } from '../core/config.ts';
import { IMAGE_REPO, REFERENCE_VERSION } from '../core/contract.ts';
import { chooseImageSource, IMAGE_CHOICE_FILE, IMAGES, IMAGES_LOCK, localChoice, OFFICIAL_IMAGES, probeRegistry, recordDigests, type ImageChoice, type ImageLock, type ImageSpec } from '../testcontainers/images.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const force = args.includes('--force');
const baseOnly = args.includes('--base-only');
const runner = args.includes('--runner');
/** --no-prepare: use the app bundles as they are (e.g. while developing reference/app). */
const noPrepare = args.includes('--no-prepare');
const versionIdx = args.indexOf('--version');
const version = versionIdx >= 0 ? args[versionIdx + 1]! : REFERENCE_VERSION;
const only = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--version');

function log(msg: string): void {
  process.stdout.write(`[images] ${msg}\n`);
}

function fail(msg: string): never {
  process.stderr.write(`[images] ERROR: ${msg}\n`);
  process.exit(1);
}

function docker(argv: string[], opts: { input?: string } = {}): { ok: boolean; out: string } {
  const r = spawnSync('docker', argv, { encoding: 'utf8', input: opts.input, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function imageExists(ref: string): boolean {
  return docker(['image', 'inspect', '--format', '{{.Id}}', ref]).ok;
}

function hashPath(h: ReturnType<typeof createHash>, abs: string, rel: string): void {
  const st = statSync(abs);
  if (st.isDirectory()) {
    for (const entry of readdirSync(abs).sort()) {
      if (entry === 'node_modules' && !rel.includes('chroma')) continue;
      hashPath(h, join(abs, entry), join(rel, entry));
    }
  } else {
    h.update(`${rel}\0${st.mode & 0o111 ? 'x' : '-'}\0`);
    h.update(readFileSync(abs));
  }
}

function inputsHash(spec: ImageSpec, parentHash: string): string {
  const h = createHash('sha256');
  h.update(`parent:${parentHash}\n`);
  hashPath(h, join(ROOT, spec.dir), '.');
  for (const [src, dest] of spec.extra ?? []) {
    const abs = join(ROOT, src);
    if (!existsSync(abs)) fail(`image ${spec.name} needs ${src}, which does not exist. ${spec.extraHint ?? ''}`);
    hashPath(h, abs, dest);
  }
  return h.digest('hex').slice(0, 16);
}

const BASE_RECIPE = [
  'mmdebstrap',
  '--variant=minbase',
  '--include=ca-certificates',
  '--aptopt=Acquire::Retries "3"',
  'bookworm',
  '-',
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

function buildBase(): string {
  const hash = createHash('sha256').update(BASE_RECIPE.join(' ')).digest('hex').slice(0, 16);
  const ref = `${IMAGE_REPO}/base:h-${hash}`;
  if (!force && imageExists(ref)) {
    log(`base: up to date (${ref})`);
  } else {
    log(`base: mmdebstrap bookworm (about a minute) -> ${ref}`);
    const t0 = Date.now();
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `${BASE_RECIPE.map((a) => `'${a}'`).join(' ')} 2>/tmp/rag-gate-mmdebstrap.log | docker import - ${ref}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) {
      fail(`mmdebstrap | docker import failed (log: /tmp/rag-gate-mmdebstrap.log). Check that Debian's mirrors are reachable and that mmdebstrap is installed (apt-get install mmdebstrap).`);
    }
    log(`base: built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  docker(['tag', ref, `${IMAGE_REPO}/base:${version}`]);
  return hash;
}

/** Builds `ref` from a context `fill` assembles, unless an image of the same inputs exists; tags it `alias`. */
function buildFrom(name: string, ref: string, alias: string, hash: string, buildArgs: string[], fill: (ctx: string) => void): void {
  if (!force && imageExists(ref)) {
    log(`${name}: up to date (${ref})`);
  } else {
    const ctx = mkdtempSync(join(tmpdir(), `rag-gate-${name}-`));
    try {
      fill(ctx);
      log(`${name}: building ${ref}`);
      const t0 = Date.now();
      const r = spawnSync(
        'docker',
        ['build', '--network', 'host', ...buildArgs.flatMap((a) => ['--build-arg', a]), '--label', `org.rag-gate.inputs=${hash}`, '-t', ref, ctx],
        { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024 },
      );
      if (r.status !== 0) {
        process.stderr.write((r.stdout ?? '').split('\n').slice(-40).join('\n'));
        process.stderr.write(r.stderr ?? '');
        fail(`docker build of ${name} failed (last lines above).`);
      }
      log(`${name}: built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }
  docker(['tag', ref, alias]);
}

function buildImage(spec: ImageSpec, parentRef: string, parentHash: string): string {
  const hash = inputsHash(spec, parentHash);
  buildFrom(spec.name, `${IMAGE_REPO}/${spec.name}:h-${hash}`, `${IMAGE_REPO}/${spec.name}:${version}`, hash, [`PARENT=${parentRef}`], (ctx) => {
    cpSync(join(ROOT, spec.dir), ctx, { recursive: true });
    for (const [src, dest] of spec.extra ?? []) cpSync(join(ROOT, src), join(ctx, dest), { recursive: true });
  });
  return hash;
}

/** What of the repository the runner image carries: the suite and what it reads at run time (not selftest/, prove/, docs/). */
const RUNNER_SUITE = [
  'package.json', 'package-lock.json', 'tsconfig.json', 'playwright.config.ts', 'allurerc.ts',
  'core', 'checklist', 'lib', 'testcontainers', 'checks', 'fixtures', 'tests', 'load', 'scripts', 'attestations', 'waivers', 'reference/deploy',
];

/**
 * The gate's own image (runner/Dockerfile). Node.js is this machine's (Debian 12 ships 18, the suite needs 20 or
 * later): the running node binary and the npm beside it; node_modules are the repository's (npm ci by the set-up).
 */
function buildRunner(baseHash: string, prometheusHash: string): void {
  const nodeBin = process.execPath;
  const npmDir = resolve(dirname(nodeBin), '..', 'lib', 'node_modules', 'npm');
  const k6 = join(ROOT, '.tools', 'bin', 'k6');
  if (!existsSync(npmDir)) fail(`runner: no npm beside ${nodeBin} (looked for ${npmDir}); the image takes this machine's Node.js and npm.`);
  if (!existsSync(k6)) fail('runner: .tools/bin/k6 is missing: run bash scripts/setup (it builds k6).');
  if (!existsSync(join(ROOT, 'node_modules', '.bin', 'playwright'))) fail('runner: node_modules is not installed: run bash scripts/setup (or npm ci).');
  const h = createHash('sha256');
  h.update(`parent:${baseHash}\nprometheus:${prometheusHash}\nnode:${process.version}\n`);
  hashPath(h, join(ROOT, 'runner'), 'runner');
  hashPath(h, k6, 'k6');
  for (const entry of RUNNER_SUITE) hashPath(h, join(ROOT, entry), join('gate', entry));
  const hash = h.digest('hex').slice(0, 16);
  const gateVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const ref = `rag-gate/runner:h-${hash}`;
  const args = [`PARENT=${IMAGE_REPO}/base:h-${baseHash}`, `PROMETHEUS=${IMAGE_REPO}/prometheus:h-${prometheusHash}`];
  buildFrom('runner', ref, `rag-gate/runner:${gateVersion}`, hash, args, (ctx) => {
    cpSync(join(ROOT, 'runner'), ctx, { recursive: true });
    mkdirSync(join(ctx, 'node', 'bin'), { recursive: true });
    cpSync(nodeBin, join(ctx, 'node', 'bin', 'node'));
    cpSync(npmDir, join(ctx, 'node', 'lib', 'node_modules', 'npm'), { recursive: true });
    cpSync(k6, join(ctx, 'k6'));
    // The entries themselves resolved (a checkout whose node_modules is a link to another one's gave an image without
    // its packages), the links inside them kept as they are (node_modules/.bin).
    for (const entry of [...RUNNER_SUITE, 'node_modules']) cpSync(realpathSync(join(ROOT, entry)), join(ctx, 'gate', entry), { recursive: true, verbatimSymlinks: true });
  });
  log(`runner: rag-gate/runner:${gateVersion} (${ref}), Node ${process.version} from ${nodeBin}`);
}

/**
 * Which images the hermetic stack runs, decided, printed in one line and recorded (IMAGE_CHOICE_FILE) for its start.
 * Where a registry answers, the official images' digests are resolved and recorded in the lock the first time, and
 * the images are pulled by digest: one that cannot be pulled means the local builds, so a start never needs the
 * registry. The local builds are built either way: the application's images are ours, and the gate's `nginx -t` and
 * promtool checks run in the local Nginx and Prometheus images.
 */
async function chooseImages(): Promise<void> {
  const lockFile = join(ROOT, IMAGES_LOCK);
  const lock = existsSync(lockFile) ? (JSON.parse(readFileSync(lockFile, 'utf8')) as ImageLock) : {};
  const wish = { source: imageSource(), ollamaModel: ollamaModelSetting() };
  const probe = wish.source === 'local' ? { reachable: false, detail: 'not asked' } : await probeRegistry();
  let choice = chooseImageSource(probe, lock, wish);
  if (choice.source === 'official') {
    const resolved: ImageLock = {};
    for (const image of OFFICIAL_IMAGES.filter((i) => !lock[i.ref])) {
      const r = await probeRegistry(image.ref);
      if (r.digest) resolved[image.ref] = r.digest;
      else log(`${image.ref}: not resolved (${r.detail})`);
    }
    const next = recordDigests(lock, resolved);
    for (const p of next.problems) log(`warning: ${p}`);
    if (next.added.length) {
      writeFileSync(lockFile, `${JSON.stringify(next.lock, null, 2)}\n`);
      log(`recorded the digests of ${next.added.join(', ')} in ${IMAGES_LOCK}`);
    }
    choice = pullOfficial(chooseImageSource(probe, next.lock, wish));
  }
  log(choice.line);
  const choiceFile = join(ROOT, IMAGE_CHOICE_FILE);
  mkdirSync(dirname(choiceFile), { recursive: true });
  writeFileSync(choiceFile, `${JSON.stringify(choice, null, 2)}\n`);
}

/** Pulls the chosen official images that are not here yet; the local builds, and why, when one cannot be pulled. */
function pullOfficial(choice: ImageChoice): ImageChoice {
  for (const [service, ref] of Object.entries(choice.refs)) {
    if (imageExists(ref)) continue;
    log(`${service}: pulling ${ref}`);
    const r = docker(['pull', '--quiet', ref]);
    if (!r.ok) return localChoice(`pulling ${ref} failed (${r.out.trim().split('\n').at(-1)})`);
  }
  return choice;
}

async function main(): Promise<void> {
  if (!docker(['info', '--format', '{{.ServerVersion}}']).ok) {
    fail('no Docker engine answers. Run `bash scripts/setup` (it starts one) or start dockerd yourself.');
  }
  if (!runner && !baseOnly) await chooseImages();
  const prepared = new Set<string>();
  for (const spec of IMAGES) {
    if (spec.prepare && !noPrepare && !prepared.has(spec.prepare) && !baseOnly && !runner && (only.length === 0 || only.includes(spec.name))) {
      prepared.add(spec.prepare);
      log(`${spec.name}: preparing inputs (${spec.prepare})`);
      execFileSync('bash', ['-c', spec.prepare], { cwd: ROOT, stdio: 'inherit' });
    }
  }
  const hashes = new Map<string, string>();
  hashes.set('base', buildBase());
  if (baseOnly) return;
  if (runner) {
    const prometheus = IMAGES.find((i) => i.name === 'prometheus')!;
    buildRunner(hashes.get('base')!, buildImage(prometheus, `${IMAGE_REPO}/base:h-${hashes.get('base')}`, hashes.get('base')!));
    return;
  }
  const pending = [...IMAGES];
  while (pending.length) {
    const idx = pending.findIndex((s) => hashes.has(s.parent));
    if (idx < 0) fail(`unresolvable image parents: ${pending.map((s) => `${s.name}<-${s.parent}`).join(', ')}`);
    const spec = pending.splice(idx, 1)[0]!;
    const parentHash = hashes.get(spec.parent)!;
    if (only.length && !only.includes(spec.name)) {
      // Not asked for: its hash still names the parent of the images that are (when its inputs exist).
      const inputsPresent = (spec.extra ?? []).every(([src]) => existsSync(join(ROOT, src)));
      hashes.set(spec.name, inputsPresent ? inputsHash(spec, parentHash) : 'not-built');
      continue;
    }
    hashes.set(spec.name, buildImage(spec, `${IMAGE_REPO}/${spec.parent}:h-${parentHash}`, parentHash));
  }
}

await main();
