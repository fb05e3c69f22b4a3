/**
 * The RAG System v1.0 stack under Testcontainers: starts a deployment directory's
 * docker-compose.monitoring.yml, then docker-compose.production.yml (the checklist's Phase 2 order),
 * waits for every container's own health check and exposes the mapped loopback URLs.
 *
 * Follows testcontainers-node's shape: `new RagStack(dir).withX(...).start()` returns a StartedRagStack.
 */
import { DockerComposeEnvironment, getContainerRuntimeClient, type ContainerRuntimeClient, type StartedDockerComposeEnvironment, type StartedTestContainer } from 'testcontainers';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { COMPOSE_SERVICES, SERVICES, SERVICE_NAMES, composeContainerKey, type ComposeService, type ServiceName } from '../core/contract.ts';
import { overridePath } from './images.ts';
import { DiagnosingHealthCheck } from './wait.ts';

export const MONITORING_FILE = 'docker-compose.monitoring.yml';
export const PRODUCTION_FILE = 'docker-compose.production.yml';

/** The URLs a stack started with these compose profiles has: every service of the contract whose compose service starts without a profile or with one of them. */
export function stackServices(profiles: readonly string[]): ServiceName[] {
  return SERVICE_NAMES.filter((n) => {
    const s: { file: string; profile?: string } = COMPOSE_SERVICES[SERVICES[n].service];
    return !s.profile || profiles.includes(s.profile);
  });
}

/** The URLs a started stack has without a profile. */
export const STACK_SERVICES: ServiceName[] = stackServices([]);

/**
 * The files compose runs for one of the deployment's compose files: the file, and the images override the hermetic
 * set-up wrote beside it for the official images (testcontainers/images.ts overridePath), when there is one.
 */
export function composeFiles(deployDir: string, file: string): string[] {
  const override = overridePath(file === MONITORING_FILE ? 'monitoring' : 'production');
  return existsSync(join(deployDir, override)) ? [file, override] : [file];
}

/** The compose variables that publish each service's port (the reference compose files' `${RAG_<SERVICE>_PORT-...}`). */
const PORT_VARIABLES = SERVICE_NAMES.map((n) => SERVICES[n].portVariable);

/**
 * Ports for published services are drawn below Linux's default ephemeral range (32768–60999): a port the kernel hands
 * out for listen(0) is also what it hands out as the source port of outgoing connections – other stacks' tests, k6 –
 * so between our probe and Docker's bind one was taken twice in eighteen side-by-side lane start-ups.
 */
const PORT_RANGE = { from: 20000, to: 32767 } as const;

/** Whether `port` can be bound on loopback right now; the kernel's own pick when `port` is 0. */
function bindable(port: number): Promise<number | undefined> {
  return new Promise((resolvePort) => {
    const srv = createServer();
    srv.once('error', () => resolvePort(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as AddressInfo;
      srv.close(() => resolvePort(bound));
    });
  });
}

/** A loopback port that is free right now: a random one from PORT_RANGE, else one the kernel picks. */
async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await bindable(PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1)));
    if (port !== undefined) return port;
  }
  const port = await bindable(0);
  if (port === undefined) throw new Error('no free loopback port: binding 127.0.0.1:0 failed');
  return port;
}

/**
 * Environment for compose's variable interpolation that publishes every port on a free loopback port.
 * The ports are chosen here rather than left to Docker, so that a container restarted by a test (dependency
 * failure, rollback drill) comes back on the same host port.
 */
export async function randomPortEnvironment(): Promise<Record<string, string>> {
  const env: Record<string, string> = { RAG_BIND_PUBLIC: '127.0.0.1' };
  const taken = new Set<number>();
  for (const v of PORT_VARIABLES) {
    let p = await freePort();
    while (taken.has(p)) p = await freePort();
    taken.add(p);
    env[v] = String(p);
  }
  return env;
}

/**
 * Everything compose interpolates for one project: the caller's variables plus the project's own network
 * name, so that parallel stacks never share a network. One definition for start-up, leftovers and teardown.
 */
export function composeEnvironmentFor(projectName: string, environment: Record<string, string>): Record<string, string> {
  return { RAG_NETWORK: `${projectName}_net`, ...environment };
}

/** From the start of start(): when each compose file's services were up and healthy (they come up side by side). */
export interface StackTimings {
  monitoringMs: number;
  productionMs: number;
}

export class RagStack {
  private projectName = 'rag-system';
  private environment: Record<string, string> = {};
  private startupTimeoutMs = 180_000;
  private profiles: string[] = [];
  private problems: string[] | undefined;

  constructor(private readonly deployDir: string) {}

  withProjectName(name: string): this {
    this.projectName = name;
    return this;
  }

  withEnvironment(environment: Record<string, string>): this {
    this.environment = { ...this.environment, ...environment };
    return this;
  }

  withStartupTimeout(ms: number): this {
    this.startupTimeoutMs = ms;
    return this;
  }

  /**
   * Keep going when a container does not become healthy: the stack stays up as far as it came, and the
   * problems are reported by `getStartupProblems()` (a release gate must fail the health lines, not crash).
   */
  withTolerantStartup(): this {
    this.problems = [];
    return this;
  }

  withProfiles(...profiles: string[]): this {
    this.profiles.push(...profiles);
    return this;
  }

  private environmentFor(file: string): DockerComposeEnvironment {
    const env = new DockerComposeEnvironment(this.deployDir, composeFiles(this.deployDir, file))
      .withProjectName(this.projectName)
      .withEnvironment(composeEnvironmentFor(this.projectName, this.environment))
      .withDefaultWaitStrategy(new DiagnosingHealthCheck(this.problems))
      .withStartupTimeout(this.startupTimeoutMs)
      .withClientOptions({ executable: { standalone: true } });
    return this.profiles.length ? env.withProfiles(...this.profiles) : env;
  }

  /** Removes what an earlier, interrupted run of the same project left behind. */
  async removeLeftovers(): Promise<void> {
    await composeDown(this.deployDir, this.projectName, composeEnvironmentFor(this.projectName, this.environment));
  }

  /**
   * Both compose files side by side: the production file joins the network the monitoring file owns, so that one is
   * created first (`up --no-start`: the network and the monitoring containers, nothing started), then both come up at
   * once. One after the other they took 7 s + 12.5 s on 2 cores; the backend reconnects to Redis (monitoring file)
   * and reports itself unhealthy until it has, so its health check still gates the stack.
   */
  async start(): Promise<StartedRagStack> {
    const t0 = Date.now();
    const client = await getContainerRuntimeClient();
    const environment = composeEnvironmentFor(this.projectName, this.environment);
    await client.compose.up({
      filePath: this.deployDir,
      files: composeFiles(this.deployDir, MONITORING_FILE),
      projectName: this.projectName,
      environment: this.profiles.length ? { ...environment, COMPOSE_PROFILES: [environment.COMPOSE_PROFILES, ...this.profiles].filter(Boolean).join(',') } : environment,
      executable: { standalone: true },
      commandOptions: ['--no-start'],
    });
    const timed = async (file: string): Promise<[StartedDockerComposeEnvironment, number]> => {
      const env = await this.environmentFor(file).up();
      return [env, Date.now() - t0];
    };
    const [[monitoring, monitoringMs], [production, productionMs]] = await Promise.all([timed(MONITORING_FILE), timed(PRODUCTION_FILE)]);
    return new StartedRagStack(this.deployDir, this.projectName, monitoring, production, {
      monitoringMs,
      productionMs,
    }, environment, [...(this.problems ?? [])]);
  }
}

export class StartedRagStack {
  constructor(
    private readonly deployDir: string,
    private readonly projectName: string,
    private readonly monitoring: StartedDockerComposeEnvironment,
    private readonly production: StartedDockerComposeEnvironment,
    private readonly timings: StackTimings,
    private readonly environment: Record<string, string>,
    private readonly startupProblems: string[] = [],
  ) {}

  /** Containers that did not become healthy (tolerant start-up only). */
  getStartupProblems(): string[] {
    return this.startupProblems;
  }

  getTimings(): StackTimings {
    return this.timings;
  }

  getProjectName(): string {
    return this.projectName;
  }

  getDeployDir(): string {
    return this.deployDir;
  }

  /** The started container of a compose service (for exec and logs). */
  getContainer(service: ComposeService): StartedTestContainer {
    const env = COMPOSE_SERVICES[service].file === 'monitoring' ? this.monitoring : this.production;
    return env.getContainer(composeContainerKey(service));
  }

  getUrl(name: ServiceName): string {
    const { service, port, scheme } = SERVICES[name];
    const container = this.getContainer(service);
    const host = scheme === 'https' ? 'localhost' : '127.0.0.1';
    return `${scheme}://${host}:${container.getMappedPort(port)}`;
  }

  getUrls(): Partial<Record<ServiceName, string>> {
    const urls: Partial<Record<ServiceName, string>> = {};
    for (const name of STACK_SERVICES) urls[name] = this.getUrl(name);
    return urls;
  }

  async down(): Promise<void> {
    await composeDown(this.deployDir, this.projectName, this.environment);
  }
}

/**
 * `docker-compose down -v` for both files of a project (with their images override), production first (the reverse of start-up).
 * Usable from a process that did not start the stack (Playwright's teardown project).
 */
export async function composeDown(deployDir: string, projectName: string, environment: Record<string, string>): Promise<void> {
  const client = await getContainerRuntimeClient();
  for (const file of [PRODUCTION_FILE, MONITORING_FILE]) {
    if (!existsSync(join(deployDir, file))) continue;
    const options: Parameters<ContainerRuntimeClient['compose']['down']>[0] = {
      filePath: deployDir,
      files: composeFiles(deployDir, file),
      projectName,
      environment,
      executable: { standalone: true },
    };
    await client.compose.down(options, { removeVolumes: true, timeout: 5 });
  }
}
