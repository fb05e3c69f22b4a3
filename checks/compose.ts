/**
 * The services of a deployment's compose files as other containers reach them, and the check that a URL one
 * container uses for another names a service of the right kind on a port it listens on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
}

/** Reads the services of every docker-compose*.yml in a deployment directory (including profile-only ones). */
export function readComposeServices(deployDir: string): ComposeService[] {
  const out: ComposeService[] = [];
  const files = existsSync(deployDir) ? readdirSync(deployDir).filter((f) => /^docker-compose[^/]*\.ya?ml$/.test(f)).sort() : [];
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
      out.push({ name, image: String(svc.image ?? ''), names: [...names], ports: [...ports], file });
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
