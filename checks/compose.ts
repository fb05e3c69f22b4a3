/**
 * The services of a deployment's compose files as other containers reach them, and the check that a URL one
 * container uses for another names a service of the right kind on a port it listens on; what each service takes
 * from the environment (env_file, environment, ${VAR} interpolation), and whether a variable of .env.production
 * reaches a service at all.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { check, type Check } from './check.ts';

/** A service of the deployment's compose files, as other containers on its network reach it. */
export interface ComposeService {
  name: string;
  image: string;
  /** Names that resolve to it on the compose network: the service name, container_name, hostname, aliases. */
  names: string[];
  /** Container-side ports it publishes or exposes. */
  ports: number[];
  file: string;
  /** Its `env_file` entries as written (a string, a list, or `{path}` items), in order. */
  envFiles: string[];
  /**
   * Its `environment` entries as written: the value, or null for a bare `NAME` (Compose passes on the value of the
   * environment it runs in). Values may hold `${VAR}` references.
   */
  environment: Record<string, string | null>;
  /** Variables its definition interpolates (`${VAR}`, `${VAR:-x}`, `$VAR`; not `$$VAR`, which is literal). */
  interpolates: string[];
  /** Its bind mounts: host path (relative to the deployment directory as written, or absolute) → container path. */
  mounts: Array<{ source: string; target: string }>;
}

/** Compose files by Compose's own names (compose.yaml, compose.yml, docker-compose.yml) and the checklist's docker-compose.<x>.yml. */
export const COMPOSE_FILE = /^(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml$/;

/** Bind mounts of a service's `volumes` (short `./a:/b:ro` and long `{type: bind, source, target}` syntax); named volumes are not files here. */
function mountsOf(value: unknown): Array<{ source: string; target: string }> {
  const out: Array<{ source: string; target: string }> = [];
  for (const v of Array.isArray(value) ? value : []) {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      if (source && target && /^[./~]/.test(source)) out.push({ source, target });
    } else if (v && typeof v === 'object') {
      const m = v as { type?: string; source?: string; target?: string };
      if (m.source && m.target && (m.type === 'bind' || /^[./]/.test(m.source))) out.push({ source: m.source, target: m.target });
    }
  }
  return out;
}

/** `${VAR}`, `${VAR:-default}`, `${VAR?err}`, `$VAR` – not `$$…`, which Compose writes as a literal `$`. */
const INTERPOLATION = /(?<!\$)(?:\$\$)*\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** The variables a compose text interpolates. */
export function interpolatedNames(text: string): string[] {
  return [...new Set([...text.matchAll(INTERPOLATION)].map((m) => (m[1] ?? m[2])!))];
}

function envFilesOf(value: unknown): string[] {
  const entries = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return entries.map((e) => (typeof e === 'object' && e !== null ? String((e as { path?: unknown }).path ?? '') : String(e))).filter((p) => p !== '');
}

function environmentOf(value: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(value)) {
    for (const e of value) {
      const text = String(e);
      const eq = text.indexOf('=');
      if (eq < 0) out[text.trim()] = null;
      else out[text.slice(0, eq).trim()] = text.slice(eq + 1);
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

/** Reads the services of every compose file in a deployment directory (COMPOSE_FILE; including profile-only services). */
export function readComposeServices(deployDir: string): ComposeService[] {
  const out: ComposeService[] = [];
  const files = existsSync(deployDir) ? readdirSync(deployDir).filter((f) => COMPOSE_FILE.test(f)).sort() : [];
  for (const file of files) {
    let doc: { services?: Record<string, Record<string, unknown>> };
    try {
      doc = parseYaml(readFileSync(join(deployDir, file), 'utf8')) as typeof doc;
    } catch {
      continue; // compose validity is PRE-SVCCONF-3's line
    }
    for (const [name, svc] of Object.entries(doc?.services ?? {})) {
      const names = new Set([name]);
      for (const k of ['container_name', 'hostname']) if (typeof svc[k] === 'string') names.add(svc[k] as string);
      const nets = svc.networks;
      if (nets && typeof nets === 'object' && !Array.isArray(nets)) {
        for (const n of Object.values(nets as Record<string, { aliases?: string[] } | null>)) for (const a of n?.aliases ?? []) names.add(a);
      }
      const ports = new Set<number>();
      for (const p of [...((svc.ports as unknown[]) ?? []), ...((svc.expose as unknown[]) ?? [])]) {
        const target = typeof p === 'object' && p !== null ? (p as { target?: number }).target : String(p).split('/')[0]!.split(':').pop();
        const n = Number(target);
        if (Number.isInteger(n) && n > 0) ports.add(n);
      }
      out.push({
        name,
        image: String(svc.image ?? ''),
        names: [...names],
        ports: [...ports],
        file,
        envFiles: envFilesOf(svc.env_file),
        environment: environmentOf(svc.environment),
        interpolates: interpolatedNames(JSON.stringify(svc)),
        mounts: mountsOf(svc.volumes),
      });
    }
  }
  return out;
}

/**
 * A URL that one container uses to reach another: a bare name must be a compose service of the right kind, on a
 * port that service listens on; loopback is the calling container itself and is refused. host.docker.internal,
 * other addresses and dotted names are outside the compose project; they are accepted here and judged where the
 * service is actually reached.
 */
export function checkServiceUrl(what: string, u: URL, services: ComposeService[], wanted: (s: ComposeService) => boolean, kind: string): Check {
  const host = u.hostname;
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const svc = services.find((s) => s.names.includes(host));
  if (!svc) {
    if (host === 'localhost' || /^127\./.test(host) || host === '[::1]') return check([`${what} points at ${u.host}: inside a container that is the container itself; use the compose service name (or host.docker.internal for a ${kind} on the host)`]);
    if (host === 'host.docker.internal' || host.includes('.') || host.includes(':')) return check([], [`${what}: ${u.host} is outside the compose project (reachability is judged where it is used)`]);
    const candidates = services.filter(wanted).map((s) => `${s.name}:${s.ports.join('/') || '?'}`);
    return check([`${what} points at ${u.host}, but no service of the compose files is called "${host}"${candidates.length ? ` (${kind} runs as ${candidates.join(', ')})` : ''}`]);
  }
  const problems: string[] = [];
  if (!wanted(svc)) problems.push(`${what} points at ${u.host}: service "${svc.name}" (${svc.image}) is not ${kind}`);
  else if (svc.ports.length > 0 && !svc.ports.includes(port)) problems.push(`${what} points at ${u.host}, but service "${svc.name}" listens on ${svc.ports.join(', ')}, not ${port}`);
  return check(problems, [`${what}: ${u.host} is compose service "${svc.name}" (${svc.image}, ${svc.file}), ports ${svc.ports.join(', ') || 'not declared'}`]);
}

// ---- what reaches a service from .env.production -----------------------------------------------------------

/** Whether an env_file entry names the deployment's `.env.production` (relative to the compose files, or absolute). */
export function namesEnvProduction(entry: string, deployDir?: string): boolean {
  if (basename(entry) !== '.env.production') return false;
  return deployDir === undefined || resolve(deployDir, entry) === resolve(deployDir, '.env.production');
}

/**
 * How `key` of .env.production reaches `svc`, or why it does not (in words, without the service's name). `fileValue`
 * is the file's value: a literal in the service's `environment` overrides env_file, and only a different value means
 * the file's is not what the service runs with.
 */
export function envVarReaches(svc: ComposeService, key: string, fileValue: string | undefined, deployDir?: string): { reaches: boolean; how: string } {
  const readsFile = svc.envFiles.some((f) => namesEnvProduction(f, deployDir));
  const own = Object.prototype.hasOwnProperty.call(svc.environment, key) ? svc.environment[key] : undefined;
  if (own === null) return { reaches: true, how: `its environment passes ${key} on from the environment Compose runs in (--env-file)` };
  if (own !== undefined) {
    if (interpolatedNames(own).includes(key)) return { reaches: true, how: `its environment sets ${key} from \${${key}}` };
    if (readsFile && own === fileValue) return { reaches: true, how: 'env_file: .env.production (its environment repeats the same value)' };
    return {
      reaches: false,
      how: readsFile ? `its environment sets ${key} itself, which overrides env_file: .env.production` : `its environment sets ${key} itself, and it has no env_file: .env.production`,
    };
  }
  if (readsFile) return { reaches: true, how: 'env_file: .env.production' };
  if (svc.interpolates.includes(key)) return { reaches: true, how: `interpolates \${${key}}` };
  return { reaches: false, how: `no env_file: .env.production, no \${${key}}` };
}
