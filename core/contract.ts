/**
 * The contract as data (docs/contract.md): each service of RAG System v1.0 once – the name the suite uses for
 * it, the compose service behind it, its container port and scheme, whether it faces outside, the variable
 * that gives its URL in live mode, the compose variable that publishes it, and the path that says it is up.
 * Every other table of services, ports or container names in the suite is derived from this one.
 *
 * Plain TypeScript without imports: nothing here touches the machine.
 */

/** The compose files a deployment directory holds, in the checklist's Phase 2 start-up order. */
export type ComposeFile = 'monitoring' | 'production';

/**
 * The deployment's compose services the suite knows, in start-up order (monitoring file first), with the file
 * that holds each. `profile`: started only with that compose profile (Grafana: no image on registry-less machines).
 * node-exporter publishes no port; it is listed so that a port it publishes is reported, not ignored.
 */
export const COMPOSE_SERVICES = {
  prometheus: { file: 'monitoring' },
  alertmanager: { file: 'monitoring' },
  'node-exporter': { file: 'monitoring' },
  redis: { file: 'monitoring' },
  grafana: { file: 'monitoring', profile: 'grafana' },
  chroma: { file: 'production' },
  ollama: { file: 'production' },
  'rag-backend': { file: 'production' },
  'reflex-frontend': { file: 'production' },
  nginx: { file: 'production' },
} as const satisfies Record<string, { file: ComposeFile; profile?: string }>;

export type ComposeService = keyof typeof COMPOSE_SERVICES;

export interface Endpoint {
  /** The compose service that serves it. */
  service: ComposeService;
  /** Its port inside the container (the port docs/contract.md names). */
  port: number;
  scheme: 'http' | 'https' | 'redis';
  /** Whether it faces outside. Only Nginx 80/443 do; everything else binds to loopback or the internal network. */
  public: boolean;
  /** Live mode: the variable that gives its URL (RAG_BASE_URL alone covers Nginx). */
  urlVariable: string;
  /** The variable the compose files publish it with (`${RAG_BACKEND_PORT-8000}:8000`); set to free ports for random-port runs. */
  portVariable: string;
  /** The path that says whether it is up (none for Redis, which answers PING). */
  health?: string;
}

/** Every URL the suite uses, by the name the suite uses for it (ServiceName). */
export const SERVICES = {
  nginxHttp: { service: 'nginx', port: 80, scheme: 'http', public: true, urlVariable: 'RAG_HTTP_URL', portVariable: 'RAG_HTTP_PORT', health: '/health' },
  nginxHttps: { service: 'nginx', port: 443, scheme: 'https', public: true, urlVariable: 'RAG_HTTPS_URL', portVariable: 'RAG_HTTPS_PORT', health: '/health' },
  backend: { service: 'rag-backend', port: 8000, scheme: 'http', public: false, urlVariable: 'RAG_BACKEND_URL', portVariable: 'RAG_BACKEND_PORT', health: '/health' },
  frontend: { service: 'reflex-frontend', port: 3000, scheme: 'http', public: false, urlVariable: 'RAG_FRONTEND_URL', portVariable: 'RAG_FRONTEND_PORT', health: '/_health' },
  // Some frontend versions serve /_health on the event port only (docs/contract.md, known traps).
  frontendEvent: { service: 'reflex-frontend', port: 8001, scheme: 'http', public: false, urlVariable: 'RAG_FRONTEND_EVENT_URL', portVariable: 'RAG_FRONTEND_EVENT_PORT', health: '/_health' },
  // The checklist's /api/v1/heartbeat answers 410 on ChromaDB >= 1.0, which serves this one.
  chroma: { service: 'chroma', port: 8002, scheme: 'http', public: false, urlVariable: 'RAG_CHROMA_URL', portVariable: 'RAG_CHROMA_PORT', health: '/api/v2/heartbeat' },
  prometheus: { service: 'prometheus', port: 9090, scheme: 'http', public: false, urlVariable: 'RAG_PROMETHEUS_URL', portVariable: 'RAG_PROMETHEUS_PORT', health: '/-/healthy' },
  alertmanager: { service: 'alertmanager', port: 9093, scheme: 'http', public: false, urlVariable: 'RAG_ALERTMANAGER_URL', portVariable: 'RAG_ALERTMANAGER_PORT', health: '/-/healthy' },
  grafana: { service: 'grafana', port: 3001, scheme: 'http', public: false, urlVariable: 'RAG_GRAFANA_URL', portVariable: 'RAG_GRAFANA_PORT', health: '/api/health' },
  ollama: { service: 'ollama', port: 11434, scheme: 'http', public: false, urlVariable: 'RAG_OLLAMA_URL', portVariable: 'RAG_OLLAMA_PORT', health: '/api/version' },
  redis: { service: 'redis', port: 6379, scheme: 'redis', public: false, urlVariable: 'RAG_REDIS_URL', portVariable: 'RAG_REDIS_PORT' },
} as const satisfies Record<string, Endpoint>;

export type ServiceName = keyof typeof SERVICES;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** Live mode: the variable that gives each service's URL. */
export const SERVICE_URL_VARS = Object.fromEntries(SERVICE_NAMES.map((n) => [n, SERVICES[n].urlVariable])) as Record<ServiceName, string>;

function endpointsOf(service: string): Endpoint[] {
  return Object.values<Endpoint>(SERVICES).filter((e) => e.service === service);
}

/** The container ports a compose service may publish on the host ([] for one that publishes none). */
export function portsOf(service: string): number[] {
  return endpointsOf(service).map((e) => e.port);
}

/** Whether a compose service's container port may face outside (only Nginx 80/443). */
export function facesOutside(service: string, port: number): boolean {
  return endpointsOf(service).some((e) => e.port === port && e.public);
}

/** The compose service whose container port this is. */
export function ownerOfPort(port: number): ComposeService | undefined {
  return Object.values<Endpoint>(SERVICES).find((e) => e.port === port)?.service;
}

/** Every container port the contract keeps off the outside (loopback or the internal network only). */
export const INTERNAL_PORTS: readonly number[] = Object.values<Endpoint>(SERVICES).filter((e) => !e.public).map((e) => e.port);

/** How Testcontainers keys a compose environment's containers: the container name without `<project>_`. */
export function composeContainerKey(service: string): string {
  return `${service}_1`;
}

/** The container of a compose service: compose v1 names it `<project>_<service>_1`. */
export function containerName(project: string, service: string): string {
  return `${project}_${composeContainerKey(service)}`;
}

// ---- images ----------------------------------------------------------------------------------------------

/** The repository of the reference deployment's images (the build inputs are in testcontainers/images.ts). */
export const IMAGE_REPO = 'rag-system';
/** The version of RAG System v1.0 the reference deployment carries (compose files use `:${RAG_VERSION}`). */
export const REFERENCE_VERSION = '1.0.0';

/** `rag-system/<image>:<version>`. */
export function imageRef(image: string, version: string = REFERENCE_VERSION): string {
  return `${IMAGE_REPO}/${image}:${version}`;
}

// ---- addresses -------------------------------------------------------------------------------------------

const IPV4_LOOPBACK = /^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Whether an address is this machine's loopback, i.e. "binds to loopback only" in the contract's sense: IPv4
 * 127.0.0.0/8, IPv6 ::1, an IPv4-mapped 127.x address (::ffff:127.0.0.1), or the name localhost. An empty
 * address (Docker's "all interfaces"), 0.0.0.0, :: or anything else is not.
 */
export function isLoopback(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice('::ffff:'.length) : a;
  return IPV4_LOOPBACK.test(v4);
}

// What a health endpoint's answer must say (docs/contract.md: /health, /_health, the checklist's curl lines).
/** The words a health answer says "up" with: a JSON `status` of healthy/ok/up/pass/true, or a text that starts with one. */
const HEALTHY = /^(healthy|ok|up|pass)$/i;

/**
 * What is wrong with a health endpoint's 200 answer that has no schema of its own (Nginx's /health, the frontend's
 * /_health): it must say it is healthy – a JSON object whose `status` is healthy, ok, up, pass or true, or a text
 * whose first word is one of those. An empty object, an empty body or anything else says nothing. [] = healthy.
 */
export function healthAnswerProblems(body: string, what: string): string[] {
  const text = body.trim();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const status = (data as Record<string, unknown>)['status'];
    if (status === true || (typeof status === 'string' && HEALTHY.test(status.trim()))) return [];
    return [`${what} answered 200, but its JSON does not say it is healthy (status ${status === undefined ? 'missing' : JSON.stringify(status)}; expected healthy, ok or true): ${text.slice(0, 120)}`];
  }
  // Plain text, or a JSON string ("healthy"): its first word.
  const words = typeof data === 'string' ? data.trim() : data === undefined ? text : '';
  if (HEALTHY.test(/^[A-Za-z]+/.exec(words)?.[0] ?? '')) return [];
  return [`${what} answered 200, but its body does not say it is healthy (expected a JSON status of healthy/ok, or the text OK/healthy): ${text.slice(0, 120) || '(empty body)'}`];
}

