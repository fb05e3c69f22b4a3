/**
 * The reference deployment's images: names, parents and build inputs, in one place. How they are named and
 * tagged (`rag-system/<name>:1.0.0`) is core/contract.ts's IMAGE_REPO, REFERENCE_VERSION and imageRef.
 */

export interface ImageSpec {
  name: string;
  /** Parent image name (built first); its reference is passed as build-arg PARENT. */
  parent: string;
  /** Directory holding the Dockerfile and its files, relative to the repository root. */
  dir: string;
  /** Extra inputs copied into the build context: [source relative to root, destination in context]. */
  extra?: Array<[string, string]>;
  /** Shell command run from the repository root before hashing, to produce `extra` inputs. */
  prepare?: string;
  extraHint?: string;
}

const APP_BUILD = 'npm --prefix reference/app ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm --prefix reference/app run build --silent';

/** An image built from reference/images/<name> on top of `parent`. */
const image = (name: string, parent: string, more: Partial<ImageSpec> = {}): ImageSpec => ({ name, parent, dir: `reference/images/${name}`, ...more });
/** One of the reference application's services: built from the bundled reference/app (its dist/ copied in). */
const appImage = (name: string): ImageSpec => image(name, 'node', { prepare: APP_BUILD, extra: [['reference/app/dist', 'dist']] });

/** In build order: Debian's servers on the base image, then the Node-based ones. */
export const IMAGES: ImageSpec[] = [
  ...['node', 'nginx', 'redis', 'prometheus', 'alertmanager', 'node-exporter', 'blackbox-exporter'].map((name) => image(name, 'base')),
  image('chroma', 'node', { prepare: 'npm --prefix reference/chroma ci --ignore-scripts --no-audit --no-fund --loglevel=error', extra: [['reference/chroma', 'chroma']] }),
  ...['rag-backend', 'frontend', 'ollama', 'container-exporter'].map(appImage),
];

// ------------------------------------------------------------------------------------------------ official images

/**
 * Each service's official image, pinned by tag: the same upstream version as the Debian package our local build
 * installs, where there is one. Digests are never written by hand: the first time a registry answers they are
 * resolved through the Docker engine and recorded in IMAGES_LOCK, and from then on the image is named by digest.
 * The reference application's images (rag-backend, frontend, container-exporter) are ours with either source.
 */
export interface OfficialImage {
  /** The compose service it runs (core/contract.ts), or the monitoring file's blackbox-exporter. */
  service: string;
  /** The local build (IMAGES) it stands for; none for Grafana, which cannot be built without a registry. */
  local?: string;
  /** repository:tag, never a floating tag. */
  ref: string;
}

export const OFFICIAL_IMAGES: OfficialImage[] = [
  { service: 'nginx', local: 'nginx', ref: 'nginx:1.22.1' },
  { service: 'redis', local: 'redis', ref: 'redis:7.0.15' },
  { service: 'prometheus', local: 'prometheus', ref: 'prom/prometheus:v2.42.0' },
  { service: 'alertmanager', local: 'alertmanager', ref: 'prom/alertmanager:v0.25.0' },
  { service: 'node-exporter', local: 'node-exporter', ref: 'prom/node-exporter:v1.5.0' },
  { service: 'blackbox-exporter', local: 'blackbox-exporter', ref: 'prom/blackbox-exporter:v0.23.0' },
  // The monitoring compose file's own default (GRAFANA_IMAGE).
  { service: 'grafana', ref: 'grafana/grafana-oss:10.4.2' },
  { service: 'ollama', local: 'ollama', ref: 'ollama/ollama:0.5.7' },
  // The server line of the chromadb-js-bindings our local chroma runs (1.0.x).
  { service: 'chroma', local: 'chroma', ref: 'chromadb/chroma:1.0.0' },
];

/** Digests resolved from a registry, by ref: `{ "nginx:1.22.1": "sha256:…" }`. Absent until a registry first answers. */
export const IMAGES_LOCK = 'testcontainers/images.lock.json';
export type ImageLock = Record<string, string>;

/** What the registry probe saw: the engine's answer for the first official image, in its words. */
export interface RegistryProbe {
  reachable: boolean;
  detail: string;
  /** The digest the registry gave for the probed ref, when it answered. */
  digest?: string;
}

export interface ImageChoice {
  source: 'local' | 'official';
  /** Per official image, what a run would name: ref@digest once locked, else the tag (locked at first pull). */
  refs: Record<string, string>;
  /** The decision in one line, for the set-up's log. */
  line: string;
}

/** The reference an official image is run by: pinned by digest once the lock has one, else by its tag. */
export function pinnedRef(image: OfficialImage, lock: ImageLock): string {
  const digest = lock[image.ref];
  return digest ? `${image.ref}@${digest}` : image.ref;
}

/** Local builds unless a registry answered; with a registry, the official images, by digest where locked. */
export function chooseImageSource(probe: RegistryProbe, lock: ImageLock, images: OfficialImage[] = OFFICIAL_IMAGES): ImageChoice {
  if (!probe.reachable) {
    return { source: 'local', refs: {}, line: `images: local builds (from the Debian base) – no registry answers (${probe.detail})` };
  }
  const refs = Object.fromEntries(images.map((i) => [i.service, pinnedRef(i, lock)]));
  const byTag = images.filter((i) => !lock[i.ref]).map((i) => i.ref);
  const pins = byTag.length ? `${images.length - byTag.length} by digest, ${byTag.length} by tag until their first pull records the digest (${byTag.join(', ')})` : `all ${images.length} by digest`;
  return { source: 'official', refs, line: `images: official, pinned in ${IMAGES_LOCK} – ${pins}; registry answered (${probe.detail})` };
}

/**
 * The lock with newly resolved digests added. A ref the lock already pins to another digest is a tag that moved
 * upstream: it is not overwritten (the pin is the point), it is returned as a problem.
 */
export function recordDigests(lock: ImageLock, resolved: ImageLock): { lock: ImageLock; added: string[]; problems: string[] } {
  const next = { ...lock };
  const added: string[] = [];
  const problems: string[] = [];
  for (const [ref, digest] of Object.entries(resolved)) {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) problems.push(`${ref}: the registry gave "${digest}", which is not a sha256 digest`);
    else if (!next[ref]) {
      next[ref] = digest;
      added.push(ref);
    } else if (next[ref] !== digest) {
      problems.push(`${ref} now resolves to ${digest}, but ${IMAGES_LOCK} pins ${next[ref]}: the tag moved upstream; keep the pin, or delete the line to accept the new image`);
    }
  }
  return { lock: next, added, problems };
}

/**
 * Asks the Docker engine (so its proxy and mirror settings count) for `ref`'s manifest: GET /distribution/<ref>/json,
 * which contacts the registry without pulling anything. Unreachable, refused or no answer within `timeoutMs`: not reachable.
 */
export async function probeRegistry(ref: string = OFFICIAL_IMAGES[0]!.ref, timeoutMs = 5000): Promise<RegistryProbe> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const client = await getContainerRuntimeClient();
    const info = await Promise.race([client.container.dockerode.getImage(ref).distribution(), timeout]);
    return { reachable: true, detail: `${ref} is ${info.Descriptor.digest}`, digest: info.Descriptor.digest };
  } catch (e) {
    const msg = ((e as { json?: { message?: string } }).json?.message ?? (e as Error).message).replace(/\s+/g, ' ').trim();
    return { reachable: false, detail: `${ref}: ${msg}` };
  } finally {
    clearTimeout(timer);
  }
}
