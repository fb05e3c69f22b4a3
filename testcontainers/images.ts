/**
 * The reference deployment's images: names, parents and build inputs, in one place. How they are named and
 * tagged (`rag-system/<name>:1.0.0`) is core/contract.ts's IMAGE_REPO, REFERENCE_VERSION and imageRef.
 * Beside them each infrastructure service's official image, and how the hermetic stack runs it instead of the
 * local build when the set-up chose the official images (imageOverride).
 */
import { stringify as toYaml } from 'yaml';
import { COMPOSE_SERVICES, type ComposeFile } from '../core/contract.ts';


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

/** What a service needs besides `image:` to run its official image where the local build ran: compose keys merged over the compose file's. */
export interface ServicePatch {
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  tmpfs?: string[];
  init?: boolean;
  healthcheck?: { test: string[]; interval: string; timeout: string; start_period: string; retries: number };
}

/**
 * Each service's official image, pinned by tag: the same upstream version as the Debian package our local build
 * installs, where there is one. Digests are never written by hand: the first time a registry answers they are
 * resolved through the Docker engine and recorded in IMAGES_LOCK, and from then on the image is named by digest.
 * The reference application's images (rag-backend, frontend, container-exporter) are ours with either source.
 */
export interface OfficialImage {
  /** The compose service it runs (core/contract.ts), or the monitoring file's blackbox-exporter. */
  service: string;
  /** The compose file that runs the service. */
  file: ComposeFile;
  /** The local build (IMAGES) it stands for; none for Grafana, which cannot be built without a registry. */
  local?: string;
  /** repository:tag, never a floating tag. */
  ref: string;
  /** How the official image differs from what the local build and the compose file expect, and what the override does about it. */
  differences: string[];
  patch: ServicePatch;
}

/** The directory of the hermetic copy that holds what the official images need: the compose overrides and the files they mount. */
export const OVERRIDE_DIR = 'official-images';
/**
 * Files the overrides mount, written into the hermetic copy before start-up (testcontainers/target.ts). Not named
 * like a compose file (checks/compose.ts COMPOSE_FILE), so the gate's checks of the deployment's files see the
 * compose files as the operator wrote them.
 */
export const OVERRIDE_FILES = {
  /** Prometheus' and Alertmanager's web configuration: the bcrypt hash of ADMIN_PASSWORD (their images have no htpasswd). */
  webConfig: `${OVERRIDE_DIR}/web.yml`,
  /** Nginx's basic-auth file, the same bcrypt line. */
  htpasswd: `${OVERRIDE_DIR}/htpasswd`,
  /** reference/images/redis/entrypoint.sh: the official Redis image (Debian) runs our own entry point as it is. */
  redisEntrypoint: `${OVERRIDE_DIR}/redis-entrypoint.sh`,
} as const;

/** The override of one compose file (OVERRIDE_DIR/<file>.yml), relative to the deployment directory. */
export function overridePath(file: ComposeFile): string {
  return `${OVERRIDE_DIR}/${file}.yml`;
}

/** The local images' Docker health checks (HEALTHCHECK in reference/images/<name>/Dockerfile), as a compose healthcheck. */
const health = (test: string[], startPeriod = '10s') => ({ test, interval: '5s', timeout: '3s', start_period: startPeriod, retries: 3 });
/** A check with busybox's wget (the Prometheus images and Grafana have no curl). */
const wget = (url: string, startPeriod?: string) => health(['CMD-SHELL', `wget -q -O /dev/null "${url}" || exit 1`], startPeriod);
/** Runs as the image's user (nobody) with a private, writable /run/<name> for what the entry point writes at start. */
const runDir = (name: string): string => `/run/${name}:uid=65534,gid=65534,mode=0700`;
/** What the local entry points do first: refuse an unset ADMIN_PASSWORD and keep it in /run/<name>/admin_password (the caller unsets it before exec). */
const keepAdminPassword = (name: string): string =>
  `if [ -z "\${ADMIN_PASSWORD:-}" ]; then echo "entrypoint: ADMIN_PASSWORD is not set; ${name} would be open to anyone. Set it in .env.production." >&2; exit 1; fi; ` +
  `umask 077; printf '%s' "$ADMIN_PASSWORD" > /run/${name}/admin_password`;
const webConfigMount = `./${OVERRIDE_FILES.webConfig}:/etc/rag-gate/web.yml:ro`;
const adminHealthy = (name: string, port: number) => wget(`http://admin:$(cat /run/${name}/admin_password)@127.0.0.1:${port}/-/healthy`);

export const OFFICIAL_IMAGES: OfficialImage[] = [
  {
    service: 'nginx', file: 'production', local: 'nginx', ref: 'nginx:1.22.1',
    differences: [
      'config paths, ports 80/443, mime.types and `user www-data` (a Debian user) are the same; the image logs to stdout, ./logs/nginx over /var/log/nginx keeps the files',
      'no htpasswd in the image: the bcrypt line is written before start-up and copied to /run/nginx/htpasswd (root:www-data 640) as our entry point does',
      'health check: curl is in the image (as in ours)',
    ],
    patch: {
      entrypoint: ['/bin/sh', '-c', 'mkdir -p /run/nginx && cp /etc/rag-gate/htpasswd /run/nginx/htpasswd && chown root:www-data /run/nginx/htpasswd && chmod 640 /run/nginx/htpasswd && exec /docker-entrypoint.sh "$@"', 'nginx'],
      command: ['nginx', '-g', 'daemon off;'],
      volumes: [`./${OVERRIDE_FILES.htpasswd}:/etc/rag-gate/htpasswd:ro`],
      healthcheck: health(['CMD-SHELL', 'curl -fsS http://127.0.0.1/health >/dev/null || exit 1'], '5s'),
    },
  },
  {
    service: 'redis', file: 'monitoring', local: 'redis', ref: 'redis:7.0.15',
    differences: [
      "the image's entry point would start Redis without the password: ours (reference/images/redis/entrypoint.sh) writes /run/redis/redis.conf from REDIS_PASSWORD and runs redis-server as redis – the image is Debian and has what it uses (setpriv, chown)",
      'health check: redis-cli is in the image, as in ours',
    ],
    patch: {
      entrypoint: ['/bin/sh', '/etc/rag-gate/redis-entrypoint.sh'],
      volumes: [`./${OVERRIDE_FILES.redisEntrypoint}:/etc/rag-gate/redis-entrypoint.sh:ro`],
      healthcheck: health(['CMD-SHELL', 'REDISCLI_AUTH="$(cat /run/redis/password 2>/dev/null)" redis-cli -h 127.0.0.1 ping | grep -q PONG || exit 1'], '5s'),
    },
  },
  {
    service: 'prometheus', file: 'monitoring', local: 'prometheus', ref: 'prom/prometheus:v2.42.0',
    differences: [
      '/etc/prometheus/prometheus.yml and /prometheus are the same paths; the image runs as nobody (our Debian build as prometheus)',
      "the image's default command has no web config, retention or lifecycle flags: our command, with the web config at /etc/rag-gate/web.yml (bcrypt, written before start-up: no htpasswd in the image)",
      'prometheus.yml reads /run/prometheus/admin_password: written at start from ADMIN_PASSWORD into a private tmpfs, as our entry point does',
      'health check: busybox wget instead of curl, with the same basic auth',
    ],
    patch: {
      entrypoint: ['/bin/sh', '-c', `${keepAdminPassword('prometheus')}; unset ADMIN_PASSWORD; exec /bin/prometheus "$@"`, 'prometheus'],
      command: ['--config.file=/etc/prometheus/prometheus.yml', '--web.config.file=/etc/rag-gate/web.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=15d', '--web.listen-address=0.0.0.0:9090', '--web.enable-lifecycle'],
      volumes: [webConfigMount],
      tmpfs: [runDir('prometheus')],
      healthcheck: adminHealthy('prometheus', 9090),
    },
  },
  {
    service: 'alertmanager', file: 'monitoring', local: 'alertmanager', ref: 'prom/alertmanager:v0.25.0',
    differences: [
      '/etc/alertmanager and /alertmanager are the same paths; the image runs as nobody',
      "no envsubst in the image: busybox awk puts ALERT_WEBHOOK_URL and ALERT_EMAIL_TO into a private copy of alertmanager.yml, as our entry point's envsubst does",
      'web config (bcrypt) at /etc/rag-gate/web.yml, written before start-up; the admin password for the health check in a private tmpfs',
      'health check: busybox wget instead of curl, with the same basic auth',
    ],
    patch: {
      entrypoint: ['/bin/sh', '-c',
        `${keepAdminPassword('alertmanager')}; ` +
        `awk '{ for (i = 1; i <= 2; i++) { n = i == 1 ? "ALERT_WEBHOOK_URL" : "ALERT_EMAIL_TO"; t = "\${" n "}"; while ((p = index($0, t)) > 0) $0 = substr($0, 1, p - 1) ENVIRON[n] substr($0, p + length(t)) } print }' ` +
        '/etc/alertmanager/alertmanager.yml > /run/alertmanager/alertmanager.yml; unset ADMIN_PASSWORD; exec /bin/alertmanager "$@"', 'alertmanager'],
      command: ['--config.file=/run/alertmanager/alertmanager.yml', '--web.config.file=/etc/rag-gate/web.yml', '--storage.path=/alertmanager', '--web.listen-address=0.0.0.0:9093', '--cluster.listen-address='],
      volumes: [webConfigMount],
      tmpfs: [runDir('alertmanager')],
      healthcheck: adminHealthy('alertmanager', 9093),
    },
  },
  {
    service: 'node-exporter', file: 'monitoring', local: 'node-exporter', ref: 'prom/node-exporter:v1.5.0',
    differences: ["the image's default command reads the container's /proc: our flags for the host's /host/proc, /host/sys, /host/root", 'health check: busybox wget'],
    patch: {
      command: ['--path.procfs=/host/proc', '--path.sysfs=/host/sys', '--path.rootfs=/host/root', '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)'],
      healthcheck: wget('http://127.0.0.1:9100/metrics', '5s'),
    },
  },
  {
    service: 'blackbox-exporter', file: 'monitoring', local: 'blackbox-exporter', ref: 'prom/blackbox-exporter:v0.23.0',
    differences: ['the image reads /etc/blackbox_exporter/config.yml: our flag for the mounted /etc/blackbox/blackbox.yml', 'health check: busybox wget'],
    patch: {
      command: ['--config.file=/etc/blackbox/blackbox.yml', '--web.listen-address=0.0.0.0:9115'],
      healthcheck: wget('http://127.0.0.1:9115/-/healthy', '5s'),
    },
  },
  // The monitoring compose file's own default (GRAFANA_IMAGE).
  {
    service: 'grafana', file: 'monitoring', ref: 'grafana/grafana-oss:10.4.2',
    differences: [
      'no local build: with the official images it runs (the compose file keeps it behind the grafana profile, which the stack enables); provisioning at /etc/grafana/provisioning as the compose file mounts it',
      'the compose file defines no health check and the image has none: busybox wget on /api/health',
    ],
    patch: { healthcheck: wget('http://127.0.0.1:3001/api/health', '60s') },
  },
  {
    service: 'ollama', file: 'production', local: 'ollama', ref: 'ollama/ollama:0.5.7',
    differences: [
      "OLLAMA_HOST from .env.production is the clients' address (http://ollama:11434); the server binds 0.0.0.0:11434",
      "OLLAMA_MODELS is the stand-in's list of served models; for Ollama it is the models directory: its default",
      'the image has no model: the set-up pulls the one the gate checks after start (testcontainers/target.ts pullOllamaModels)',
      'no curl in the image: `ollama list` asks the server',
    ],
    patch: {
      environment: { OLLAMA_HOST: '0.0.0.0:11434', OLLAMA_MODELS: '/root/.ollama/models' },
      healthcheck: health(['CMD', 'ollama', 'list']),
    },
  },
  // The server line of the chromadb-js-bindings our local chroma runs (1.0.x).
  {
    service: 'chroma', file: 'production', local: 'chroma', ref: 'chromadb/chroma:1.0.0',
    differences: [
      "the image listens on 8000; the contract's (and CHROMA_URL's) 8002 is kept with the same `chroma run --host --port --path` our build runs, data in /data as before",
      'no curl for certain in the image: bash asks /api/v2/heartbeat over /dev/tcp',
    ],
    patch: {
      entrypoint: ['chroma', 'run', '--host', '0.0.0.0', '--port', '8002', '--path', '/data'],
      init: true,
      healthcheck: health(['CMD', 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/8002 && printf \'GET /api/v2/heartbeat HTTP/1.0\\r\\n\\r\\n\' >&3 && head -n 1 <&3 | grep -q " 200 "']),
    },
  },
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

/** The local builds, and why. */
export function localChoice(why: string): ImageChoice {
  return { source: 'local', refs: {}, line: `images: local builds (from the Debian base) – ${why}` };
}

/** What the user asked for: RAG_IMAGE_SOURCE, and RAG_OLLAMA_MODEL (the only way the official Ollama runs: with a model named to pull). */
export interface ImageWish {
  source: 'auto' | 'local' | 'official';
  ollamaModel?: string;
}

/**
 * Local builds unless a registry answered (or RAG_IMAGE_SOURCE=local); with a registry, the official images, by digest
 * where locked. Ollama's official image joins only with a model named (RAG_OLLAMA_MODEL): without one it would pull
 * the deployment's OLLAMA_MODEL (llama2:7b, 3.8 GB) and answer on the CPU; the stand-in answers instead, and the line
 * says how to change that. RAG_IMAGE_SOURCE=official without a registry is an error that says so.
 */
export function chooseImageSource(probe: RegistryProbe, lock: ImageLock, wish: ImageWish = { source: 'auto' }, all: OfficialImage[] = OFFICIAL_IMAGES): ImageChoice {
  if (wish.source === 'local') return localChoice('RAG_IMAGE_SOURCE=local');
  if (!probe.reachable) {
    if (wish.source === 'official') throw new Error(`RAG_IMAGE_SOURCE=official, but no registry answers (${probe.detail}): let the Docker engine reach its registry, or unset RAG_IMAGE_SOURCE for the local builds`);
    return localChoice(`no registry answers (${probe.detail})`);
  }
  const images = all.filter((i) => i.service !== 'ollama' || wish.ollamaModel);
  const refs = Object.fromEntries(images.map((i) => [i.service, pinnedRef(i, lock)]));
  const byTag = images.filter((i) => !lock[i.ref]).map((i) => i.ref);
  const pins = byTag.length ? `${images.length - byTag.length} by digest, ${byTag.length} by tag until their first pull records the digest (${byTag.join(', ')})` : `all ${images.length} by digest`;
  const ollama = wish.ollamaModel ? `; ollama/ollama with ${wish.ollamaModel} (RAG_OLLAMA_MODEL)` : '; Ollama: the stand-in (RAG_OLLAMA_MODEL=<a small model> runs ollama/ollama with it)';
  return { source: 'official', refs, line: `images: official, pinned in ${IMAGES_LOCK} – ${pins}${ollama}; registry answered (${probe.detail})` };
}

/**
 * Where the set-up (scripts/build-images.ts) records its choice, relative to the repository root, for the hermetic
 * stack's start to read: absent (no set-up ran the image step) is the local builds.
 */
export const IMAGE_CHOICE_FILE = '.cache/image-choice.json';

/** The compose profiles the choice runs: with the official images, those of services only they can run (Grafana). */
export function imageProfiles(choice: ImageChoice): string[] {
  if (choice.source !== 'official') return [];
  const profiles = OFFICIAL_IMAGES.map((i) => (COMPOSE_SERVICES as Record<string, { profile?: string }>)[i.service]?.profile);
  return [...new Set(profiles.filter((p): p is string => !!p))];
}

export interface OverrideOptions {
  /** The model the gate checks when it is not the deployment's OLLAMA_MODEL (RAG_OLLAMA_MODEL, the profile's ollamaModel): the backend uses it too. */
  ollamaModel?: string;
  /** A host directory kept between runs for Ollama's models (/root/.ollama), so a model is pulled once per machine. */
  ollamaDir?: string;
}

/** Compose interpolates `$` in every value: a literal one is written `$$`. */
function composeLiteral<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$') as T;
  if (Array.isArray(value)) return value.map(composeLiteral) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, composeLiteral(v)])) as T;
  return value;
}

/**
 * The compose override (YAML) that runs one compose file's infrastructure services from their official images:
 * each by its pinned reference (by digest once locked), with what its image needs to stand where the local build
 * stood (OFFICIAL_IMAGES' patch), every difference as a comment. The application's images (rag-backend, frontend,
 * container-exporter) are left as the compose file names them. Undefined for the local builds: no override.
 */
export function imageOverride(choice: ImageChoice, file: ComposeFile, options: OverrideOptions = {}): string | undefined {
  if (choice.source !== 'official') return undefined;
  const blocks: string[] = [];
  for (const i of OFFICIAL_IMAGES.filter((x) => x.file === file)) {
    const ref = choice.refs[i.service];
    // Ollama is official only with a model named (chooseImageSource): otherwise the compose file's stand-in runs.
    if (!ref && i.service === 'ollama') continue;
    if (!ref) throw new Error(`the recorded image choice (${IMAGE_CHOICE_FILE}) names no image for ${i.service}: it predates this image list; run bash scripts/setup again`);
    const patch: ServicePatch & { image: string } = { image: ref, ...i.patch };
    if (i.service === 'ollama' && options.ollamaDir) patch.volumes = [...(patch.volumes ?? []), `${options.ollamaDir}:/root/.ollama`];
    blocks.push([`  # ${i.service}: ${i.ref} ${i.local ? `instead of the local build rag-system/${i.local}` : '(no local build)'}`, ...i.differences.map((d) => `  # - ${d}`), indent(toYaml({ [i.service]: composeLiteral(patch) }, { lineWidth: 0 }))].join('\n'));
  }
  if (file === 'production' && options.ollamaModel) {
    blocks.push(['  # rag-backend: our image; it asks Ollama for the model the gate checks (and the set-up pulled)', indent(toYaml({ 'rag-backend': { environment: composeLiteral({ OLLAMA_MODEL: options.ollamaModel }) } }, { lineWidth: 0 }))].join('\n'));
  }
  return [
    `# Written by rag-gate (testcontainers/images.ts imageOverride) for a hermetic run with the official images:`,
    `#   docker-compose -f docker-compose.${file}.yml -f ${overridePath(file)} ...`,
    `# ${choice.line}`,
    'services:',
    ...blocks,
    '',
  ].join('\n');
}

function indent(yaml: string): string {
  return yaml.trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
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
