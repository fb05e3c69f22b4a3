/**
 * Builds the reference deployment's images on a machine with no container registry.
 *
 * base  <- mmdebstrap --variant=minbase bookworm | docker import
 * every other image <- `docker build --network host` FROM its parent (passed as build-arg PARENT)
 *
 * Each image is tagged `rag-system/<name>:h-<hash>` where the hash covers its build inputs and its
 * parent's hash, so an image whose inputs have not changed is not rebuilt; it is also tagged with the
 * deployment version (`:1.0.0`), which is what the compose files use.
 *
 * Usage: tsx scripts/build-images.ts [--base-only] [--no-prepare] [--force] [--version 1.0.0] [name...]
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { IMAGE_REPO, REFERENCE_VERSION } from '../core/contract.ts';
import { IMAGES, type ImageSpec } from '../testcontainers/images.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const force = args.includes('--force');
const baseOnly = args.includes('--base-only');
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

function buildImage(spec: ImageSpec, parentRef: string, parentHash: string): string {
  const hash = inputsHash(spec, parentHash);
  const ref = `${IMAGE_REPO}/${spec.name}:h-${hash}`;
  if (!force && imageExists(ref)) {
    log(`${spec.name}: up to date (${ref})`);
  } else {
    const ctx = mkdtempSync(join(tmpdir(), `rag-gate-${spec.name}-`));
    try {
      cpSync(join(ROOT, spec.dir), ctx, { recursive: true });
      for (const [src, dest] of spec.extra ?? []) cpSync(join(ROOT, src), join(ctx, dest), { recursive: true });
      log(`${spec.name}: building ${ref} from ${relative(ROOT, join(ROOT, spec.dir))}`);
      const t0 = Date.now();
      const r = spawnSync(
        'docker',
        ['build', '--network', 'host', '--build-arg', `PARENT=${parentRef}`, '--label', `org.rag-gate.inputs=${hash}`, '-t', ref, ctx],
        { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024 },
      );
      if (r.status !== 0) {
        process.stderr.write((r.stdout ?? '').split('\n').slice(-40).join('\n'));
        process.stderr.write(r.stderr ?? '');
        fail(`docker build of ${spec.name} failed (last lines above).`);
      }
      log(`${spec.name}: built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }
  docker(['tag', ref, `${IMAGE_REPO}/${spec.name}:${version}`]);
  return hash;
}

function main(): void {
  if (!docker(['info', '--format', '{{.ServerVersion}}']).ok) {
    fail('no Docker engine answers. Run `bash scripts/setup` (it starts one) or start dockerd yourself.');
  }
  const prepared = new Set<string>();
  for (const spec of IMAGES) {
    if (spec.prepare && !noPrepare && !prepared.has(spec.prepare) && !baseOnly && (only.length === 0 || only.includes(spec.name))) {
      prepared.add(spec.prepare);
      log(`${spec.name}: preparing inputs (${spec.prepare})`);
      execFileSync('bash', ['-c', spec.prepare], { cwd: ROOT, stdio: 'inherit' });
    }
  }
  const hashes = new Map<string, string>();
  hashes.set('base', buildBase());
  if (baseOnly) return;
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

main();
