/**
 * Resolves the run's target in each mode and records it in a state file that the setup project writes and
 * every worker reads: mode, deployment directory, URLs, container names, CA and env file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import { loadConfig, prepareContainerRuntimeEnv, type Config, type Mode } from '../core/config.ts';
import { COMPOSE_SERVICES, containerName, type ServiceName } from '../core/contract.ts';
import { REPO_ROOT, STATE_DIR } from '../core/paths.ts';
import { CONTRACT_FILES } from '../core/profile.ts';
import { envMap } from '../lib/envfile.ts';
import { IMAGE_CHOICE_FILE, OVERRIDE_DIR, OVERRIDE_FILES, imageOverride, imageProfiles, localChoice, overridePath, type ImageChoice, type OverrideOptions } from './images.ts';
import { RagStack, composeEnvironmentFor, randomPortEnvironment, stackServices, type StackTimings } from './stack.ts';
import { ollamaModelsNeeded } from './view.ts';

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
  /** Hermetic: which images the stack ran, the set-up's decision in one line (testcontainers/images.ts). */
  images?: string;
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

// ------------------------------------------------------------------------------------------------ image source

/** The image source the set-up recorded (scripts/build-images.ts); the local builds when it recorded none. */
export function readImageChoice(file: string = resolve(REPO_ROOT, IMAGE_CHOICE_FILE)): ImageChoice {
  if (!existsSync(file)) return localChoice(`no choice recorded in ${IMAGE_CHOICE_FILE} (the set-up's image step has not run here)`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ImageChoice;
  } catch (e) {
    throw new Error(`${IMAGE_CHOICE_FILE} cannot be read (${(e as Error).message}): run bash scripts/setup again, or delete it to run the local builds`);
  }
}

const REDIS_ENTRYPOINT = resolve(REPO_ROOT, 'reference', 'images', 'redis', 'entrypoint.sh');

/** `user:<bcrypt hash>` as `htpasswd -B` writes it, the password given on stdin (never on a command line). */
function bcryptLine(user: string, password: string): string {
  const r = spawnSync('htpasswd', ['-niB', user], { input: `${password}\n`, encoding: 'utf8' });
  if (r.error || r.status !== 0 || !r.stdout.startsWith(`${user}:`)) {
    throw new Error(`the official Prometheus, Alertmanager and Nginx images have no htpasswd, so their bcrypt basic-auth line is written on this machine, where htpasswd does not run (${r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`)}): install apache2-utils (bash scripts/setup does)`);
  }
  return r.stdout.trim();
}

/**
 * With the official images: writes into the hermetic copy the compose overrides (images.ts imageOverride) and the
 * files they mount – the bcrypt basic-auth line for the copy's ADMIN_USER/ADMIN_PASSWORD (Prometheus' and
 * Alertmanager's web.yml, Nginx's htpasswd) and our Redis entry point. Nothing with the local builds.
 */
export function writeImageOverrides(deployDir: string, choice: ImageChoice, options: OverrideOptions = {}): void {
  if (choice.source !== 'official') return;
  const env = envMap(join(deployDir, '.env.production'));
  const password = env.get('ADMIN_PASSWORD')?.value;
  if (!password) throw new Error(`${join(deployDir, '.env.production')} has no ADMIN_PASSWORD: the official images' basic auth cannot be written`);
  const line = bcryptLine(env.get('ADMIN_USER')?.value || 'admin', password);
  const colon = line.indexOf(':');
  mkdirSync(join(deployDir, OVERRIDE_DIR), { recursive: true });
  // Readable by the images' user nobody: it holds the hash only, as Prometheus' web configuration always does.
  writeFileSync(join(deployDir, OVERRIDE_FILES.webConfig), `basic_auth_users:\n  ${line.slice(0, colon)}: "${line.slice(colon + 1)}"\n`, { mode: 0o644 });
  writeFileSync(join(deployDir, OVERRIDE_FILES.htpasswd), `${line}\n`, { mode: 0o600 });
  cpSync(REDIS_ENTRYPOINT, join(deployDir, OVERRIDE_FILES.redisEntrypoint));
  for (const file of ['monitoring', 'production'] as const) writeFileSync(join(deployDir, overridePath(file)), imageOverride(choice, file, options)!);
}

/** The last line a progress-printing command left (carriage returns and terminal escapes dropped). */
function lastLine(output: string): string {
  const lines = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? '(no output)';
}

/**
 * Official images: Ollama starts with no model. Pulls each model the gate checks that it does not have yet (`ollama
 * pull` in its container; one kept in the models directory from an earlier run is not fetched again), within
 * `timeoutMs` in all. Problems in words, [] when every model is there.
 */
export async function pullOllamaModels(ollama: StartedTestContainer, models: string[], timeoutMs: number): Promise<string[]> {
  const problems: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (const model of models) {
    if ((await ollama.exec(['ollama', 'show', model])).exitCode === 0) continue;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((done) => {
      timer = setTimeout(() => done(undefined), Math.max(0, deadline - Date.now()));
    });
    const r = await Promise.race([ollama.exec(['ollama', 'pull', model]), timeout]);
    clearTimeout(timer);
    if (!r) problems.push(`ollama: pulling ${model} did not finish within ${Math.max(0, Math.round(timeoutMs / 1000))} s of the set-up; it goes on in the container, and an earlier run's download is resumed`);
    else if (r.exitCode !== 0) problems.push(`ollama: \`ollama pull ${model}\` failed (exit ${r.exitCode}): ${lastLine(r.output)}`);
  }
  return problems;
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

/** How often a hermetic start picks new free ports when Docker finds one of them taken. */
const PORT_ATTEMPTS = 3;

/**
 * A failed `docker-compose up` as the setup line should say it: Compose's own `ERROR:` lines first (its output starts
 * with warnings, e.g. "Found orphan containers", that are not the cause), the whole output after them.
 */
export function composeFailure(e: unknown): { error: Error; lines: string[]; portTaken: boolean } {
  const message = e instanceof Error ? e.message : String(e);
  const lines = [...new Set(message.split('\n').map((l) => l.trim()).filter((l) => /^ERROR:/.test(l)).map((l) => l.replace(/^ERROR:\s*/, '')))];
  const portTaken = /port is already allocated|address already in use/i.test(message);
  if (lines.length === 0) return { error: e instanceof Error ? e : new Error(message), lines: [message.split('\n')[0]!], portTaken };
  const error = new Error(`docker-compose up failed: ${lines.join(' | ')}\n\n${message}`);
  if (e instanceof Error && e.stack) error.stack = `${error.message}\n${e.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n')}`;
  return { error, lines, portTaken };
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
  // Only the hermetic copy (the gate's own deployment) runs what the set-up chose; a compose directory runs as written.
  const images = config.mode === 'hermetic' ? readImageChoice() : undefined;
  if (images) {
    process.stdout.write(`${images.line}\n`);
    // Ollama's models are kept per project between runs (a model is fetched once); the backend asks for the configured one.
    writeImageOverrides(deployDir, images, { ollamaModel: config.ollamaModel, ollamaDir: resolve(REPO_ROOT, '.cache', 'ollama', config.projectName) });
  }
  const prepareMs = Date.now() - t0;
  const profiles = images ? imageProfiles(images) : [];
  const randomPorts = config.mode === 'hermetic' || config.randomPorts;
  let composeEnvironment: Record<string, string> = {};
  let started: Awaited<ReturnType<RagStack['start']>> | undefined;
  for (let attempt = 1; !started; attempt++) {
    composeEnvironment = {
      ...(randomPorts ? await randomPortEnvironment() : {}),
      // In the environment (not a --profile flag) so that the teardown, another process, brings the same services down.
      ...(profiles.length ? { COMPOSE_PROFILES: profiles.join(',') } : {}),
    };
    const stack = new RagStack(deployDir)
      .withProjectName(config.projectName)
      .withEnvironment(composeEnvironment)
      .withStartupTimeout(config.startupTimeoutS * 1000)
      .withTolerantStartup();
    await stack.removeLeftovers();
    // Recorded before start-up so that the teardown project can remove a half-started stack.
    saveTarget({ mode: config.mode, projectName: config.projectName, deployDir, composeEnvironment: composeEnvironmentFor(config.projectName, composeEnvironment), urls: {}, containers: {}, startedAt, owned: true });
    try {
      started = await stack.start();
    } catch (e) {
      const failure = composeFailure(e);
      // The free ports were probed, not held: another stack (a lane, a shard, a parallel run) can take one before
      // Docker binds it. Ours to choose again – a deployment's own fixed ports are never changed.
      if (randomPorts && failure.portTaken && attempt < PORT_ATTEMPTS) {
        process.stdout.write(`rag-gate: a chosen port was taken before Docker bound it (${failure.lines[0]}); starting again on other free ports (attempt ${attempt + 1} of ${PORT_ATTEMPTS})\n`);
        continue;
      }
      throw failure.error;
    }
  }
  const startupProblems = [...started.getStartupProblems()];
  if (images?.source === 'official' && images.refs.ollama) {
    const env = envMap(join(deployDir, '.env.production'));
    const { models } = ollamaModelsNeeded(config.ollamaModel, (key) => env.get(key)?.value);
    // Within the set-up project's own bound (twice the start-up timeout, and a minute: tests/00-setup/stack.setup.ts).
    const budgetMs = config.startupTimeoutS * 1000 * 2 - (Date.now() - t0);
    try {
      startupProblems.push(...(await pullOllamaModels(started.getContainer('ollama'), models, budgetMs)));
    } catch (e) {
      startupProblems.push(`ollama: ${models.join(', ')} could not be pulled: ${(e as Error).message}`);
    }
  }
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const name of stackServices(profiles)) {
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
    startupProblems,
    images: images?.line,
  };
}
