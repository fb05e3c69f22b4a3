/**
 * Resolves the run's target in each mode and records it in a state file that the setup project writes and
 * every worker reads: mode, deployment directory, URLs, container names, CA and env file.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, prepareContainerRuntimeEnv, type Config, type Mode } from '../core/config.ts';
import { COMPOSE_SERVICES, containerName, type ServiceName } from '../core/contract.ts';
import { REPO_ROOT, STATE_DIR } from '../core/paths.ts';
import { CONTRACT_FILES } from '../core/profile.ts';
import { RagStack, composeEnvironmentFor, randomPortEnvironment, STACK_SERVICES, type StackTimings } from './stack.ts';

export interface Target {
  mode: Mode;
  projectName?: string;
  deployDir?: string;
  /** Environment used for compose interpolation (ports, network); needed to bring the stack down. */
  composeEnvironment?: Record<string, string>;
  urls: Partial<Record<ServiceName, string>>;
  /** Container name by compose service, where the suite can see the containers. */
  containers: Record<string, string>;
  caFile?: string;
  envFile?: string;
  startedAt: string;
  timings?: StackTimings & { prepareMs: number };
  /** Whether this run started the stack (and so must remove it). */
  owned: boolean;
  /** Containers that did not become healthy during start-up (the health specs fail on them). */
  startupProblems?: string[];
}

/** One state file and one hermetic directory per project, so that several stacks can coexist. */
function stateFile(): string {
  return join(STATE_DIR, `target-${loadConfig().projectName}.json`);
}
export function hermeticDir(projectName: string): string {
  return resolve(REPO_ROOT, '.cache', 'hermetic', projectName);
}
export const REFERENCE_DEPLOY_DIR = resolve(REPO_ROOT, 'reference', 'deploy');

export function saveTarget(t: Target): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(stateFile(), JSON.stringify(t, null, 2), { mode: 0o600 });
}

export function readTarget(): Target {
  const STATE_FILE = stateFile();
  if (!existsSync(STATE_FILE)) {
    throw new Error(`No target recorded at ${STATE_FILE}: the "setup" project did not run. Run the whole suite (npx playwright test), or a project together with its dependencies.`);
  }
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as Target;
}

export function targetRecorded(): boolean {
  return existsSync(stateFile());
}

export function clearTarget(): void {
  rmSync(stateFile(), { force: true });
}

/**
 * Alertmanager's webhook receiver in a hermetic run is the suite itself, listening on the Docker host
 * (reachable from containers as host.docker.internal) on a port derived from the project name so that
 * parallel stacks do not collide.
 */
export function alertWebhookUrl(deployDir: string): string {
  let h = 0;
  for (const c of deployDir) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `http://host.docker.internal:${20000 + (h % 10000)}/rag-alerts`;
}

/** Copies the reference deployment directory and fills in its secrets and certificates, as an operator would. */
export function prepareHermeticDeployDir(dest: string): string {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  cpSync(REFERENCE_DEPLOY_DIR, dest, {
    recursive: true,
    filter: (src) => !/\/(\.env\.production|backups\/backup-[^/]*|data\/[^/]+\/.+|logs\/[^/]+\/.+\.log.*)$/.test(src) && !/\/ssl\/.+\.(crt|key|pem|srl)$/.test(src),
  });
  for (const script of ['generate-env.sh', 'generate-certs.sh']) {
    const path = join(dest, 'scripts', script);
    if (!existsSync(path)) throw new Error(`The reference deployment has no scripts/${script}; it is needed to create the hermetic deployment's secrets and certificates.`);
    execFileSync('bash', [path, dest], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ALERT_WEBHOOK_URL: alertWebhookUrl(dest) } });
  }
  return dest;
}

function containerNames(project: string): Record<string, string> {
  const names: Record<string, string> = {};
  for (const service of Object.keys(COMPOSE_SERVICES)) names[service] = containerName(project, service);
  return names;
}

/** The CA certificate the run trusts, in the deployment directory: the profile's (files.tlsCa), else the contract's ssl/ca.crt. */
function caOf(config: Config): string {
  return config.profile.files.tlsCa ?? CONTRACT_FILES.tlsCa;
}

/** Starts (hermetic, compose) or attaches to (live) the target. */
export async function startTarget(config: Config): Promise<Target> {
  const startedAt = new Date().toISOString();
  if (config.mode === 'live') {
    const base = config.baseUrl!;
    const urls: Partial<Record<ServiceName, string>> = {};
    for (const [k, v] of Object.entries(config.serviceUrls)) urls[k as ServiceName] = v.toString().replace(/\/$/, '');
    const origin = base.origin;
    if (base.protocol === 'https:') urls.nginxHttps ??= origin;
    else urls.nginxHttp ??= origin;
    const deployDir = config.deployDir;
    return {
      mode: 'live',
      deployDir,
      urls,
      containers: {},
      caFile: config.caFile ?? (deployDir && existsSync(join(deployDir, caOf(config))) ? join(deployDir, caOf(config)) : undefined),
      envFile: config.envFile ?? (deployDir && existsSync(join(deployDir, '.env.production')) ? join(deployDir, '.env.production') : undefined),
      startedAt,
      owned: false,
    };
  }
  prepareContainerRuntimeEnv();
  const t0 = Date.now();
  const deployDir = config.mode === 'hermetic' ? prepareHermeticDeployDir(hermeticDir(config.projectName)) : config.deployDir!;
  const prepareMs = Date.now() - t0;
  const composeEnvironment = config.mode === 'hermetic' || config.randomPorts ? await randomPortEnvironment() : {};
  const stack = new RagStack(deployDir)
    .withProjectName(config.projectName)
    .withEnvironment(composeEnvironment)
    .withStartupTimeout(config.startupTimeoutS * 1000)
    .withTolerantStartup();
  await stack.removeLeftovers();
  // Recorded before start-up so that the teardown project can remove a half-started stack.
  saveTarget({ mode: config.mode, projectName: config.projectName, deployDir, composeEnvironment: composeEnvironmentFor(config.projectName, composeEnvironment), urls: {}, containers: {}, startedAt, owned: true });
  const started = await stack.start();
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const name of STACK_SERVICES) {
    try {
      urls[name] = started.getUrl(name);
    } catch {
      /* a service the deployment does not run: its checks report "not verified" */
    }
  }
  return {
    mode: config.mode,
    projectName: config.projectName,
    deployDir,
    composeEnvironment: composeEnvironmentFor(config.projectName, composeEnvironment),
    urls,
    containers: containerNames(config.projectName),
    caFile: join(deployDir, caOf(config)),
    envFile: join(deployDir, '.env.production'),
    startedAt,
    timings: { prepareMs, ...started.getTimings() },
    owned: true,
    startupProblems: started.getStartupProblems(),
  };
}
