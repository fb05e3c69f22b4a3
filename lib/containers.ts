/**
 * The stack's containers through the Docker API (Testcontainers' runtime client, i.e. dockerode):
 *
 * - `ContainerSampler`, the one sampler of the containers' memory, CPU and open descriptors: while a k6 load runs
 *   (the checklist's "System resource usage during load", peaks() and peakTotal()), through the soak (leak
 *   slopes, checks/stability.ts) and in bench:app (backend memory before/after 1,000 queries);
 * - `serviceContainer`, stop/start/restart of one compose service for the destructive checks.
 *
 *   const sampler = await new ContainerSampler(target.raw.containers, 1_000).start();  ...  await sampler.stop();
 *   const [backend] = await new ContainerSampler({ 'rag-backend': name }).sample();
 */
import { readdirSync } from 'node:fs';
import { getContainerRuntimeClient } from 'testcontainers';

// ---- resource sampling -------------------------------------------------------------------------------

export interface ContainerSample {
  /** epoch ms */
  t: number;
  service: string;
  container: string;
  running: boolean;
  /** Bytes in use, as `docker stats` counts it (usage minus inactive file cache). */
  memUsage: number;
  /**
   * Anonymous memory of the container (cgroup anon / rss; usage minus inactive page cache where the kernel gives
   * neither): heap and stacks, what a leak grows. Page cache (logs and documents written) is not a leak.
   */
  anonBytes: number;
  /** The container's memory limit; the Docker host's memory when the container has none. */
  memLimit: number;
  /** Whether memLimit is a limit set on the container (false: the host's memory). */
  limited: boolean;
  /** CPU use since the previous sample, in % of one core. */
  cpuPercent?: number;
  restartCount: number;
  oomKilled: boolean;
  /** Open file descriptors of every process in the container (only when the sampler counts them). */
  fds?: number;
}

export interface SamplerOptions {
  /** Count every container process's open descriptors (docker top, then the host's /proc); default false. */
  fds?: boolean;
}

interface RawStats {
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
}

interface RawTop {
  Titles: string[];
  Processes: string[][];
}

/** Open descriptors of every process of a container, counted on the host's /proc (the suite runs as root on the Docker host). */
function countFds(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      /* process ended between listing and counting */
    }
  }
  return total;
}

/**
 * Samples memory and CPU (and, with `fds`, open descriptors) of the given containers (service → container
 * name): one reading of each with sample(), or every `intervalMs` from start() until stop(). A container that
 * does not exist is skipped; a stopped one gives a sample with running false and no memory.
 */
export class ContainerSampler {
  readonly samples: ContainerSample[] = [];
  readonly errors: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> | undefined;
  private readonly lastCpu = new Map<string, { total: number; t: number }>();
  hostMemory = 0;

  constructor(
    private readonly containers: Record<string, string>,
    private readonly intervalMs = 1_000,
    private readonly opts: SamplerOptions = {},
  ) {}

  async start(): Promise<this> {
    await this.sample();
    this.timer = setInterval(() => {
      if (!this.inFlight) this.inFlight = this.sample().finally(() => (this.inFlight = undefined));
    }, this.intervalMs);
    return this;
  }

  async stop(): Promise<ContainerSample[]> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
    await this.sample();
    return this.samples;
  }

  /** One reading of every container; kept in `samples` (errors in `errors`) and returned. */
  async sample(): Promise<ContainerSample[]> {
    const client = await getContainerRuntimeClient();
    this.hostMemory ||= client.info.containerRuntime.memory;
    const taken: ContainerSample[] = [];
    await Promise.all(
      Object.entries(this.containers).map(async ([service, name]) => {
        const c = client.container.dockerode.getContainer(name);
        let inspect;
        try {
          inspect = await c.inspect();
        } catch {
          return; // a service this deployment does not run (e.g. grafana without an image)
        }
        const t = Date.now();
        const base = { t, service, container: name, running: inspect.State.Running, restartCount: inspect.RestartCount, oomKilled: inspect.State.OOMKilled };
        if (!inspect.State.Running) {
          taken.push({ ...base, memUsage: 0, anonBytes: 0, memLimit: this.hostMemory, limited: false, ...(this.opts.fds ? { fds: 0 } : {}) });
          return;
        }
        try {
          const [s, top] = await Promise.all([
            c.stats({ stream: false, 'one-shot': true }) as unknown as Promise<RawStats>,
            this.opts.fds ? (c.top({ ps_args: '-o pid' } as never) as unknown as Promise<RawTop>) : undefined,
          ]);
          const mem = s.memory_stats ?? {};
          const inactive = mem.stats?.inactive_file ?? mem.stats?.total_inactive_file ?? 0;
          const usage = Math.max(0, (mem.usage ?? 0) - inactive);
          // Anonymous memory (heap, stacks): what a leak grows. Page cache (logs and documents written) is not a leak.
          const anon = mem.stats?.anon ?? mem.stats?.total_rss ?? mem.stats?.rss;
          const hostLimit = this.hostMemory || mem.limit || 0;
          const limit = mem.limit && mem.limit > 0 && mem.limit < hostLimit ? mem.limit : hostLimit;
          const total = s.cpu_stats?.cpu_usage?.total_usage ?? 0;
          const prev = this.lastCpu.get(name);
          this.lastCpu.set(name, { total, t });
          const cpuPercent = prev && t > prev.t ? ((total - prev.total) / 1e6 / (t - prev.t)) * 100 : undefined;
          const pids = top?.Processes.map((p) => Number(p[0])).filter((p) => Number.isInteger(p) && p > 0);
          taken.push({ ...base, memUsage: usage, anonBytes: anon ?? usage, memLimit: limit, limited: limit !== hostLimit, cpuPercent, ...(pids ? { fds: countFds(pids) } : {}) });
        } catch (e) {
          this.errors.push(`${name}: ${(e as Error).message}`);
        }
      }),
    );
    this.samples.push(...taken);
    return taken;
  }
}

export interface ContainerPeak {
  service: string;
  container: string;
  samples: number;
  peakBytes: number;
  limitBytes: number;
  limited: boolean;
  peakFraction: number;
  peakCpuPercent?: number;
  restarts: number;
  oomKilled: boolean;
  stoppedDuringLoad: boolean;
}

/** Per container: peak memory vs its limit (or the host's memory), peak CPU, restarts, OOM kills. */
export function peaks(samples: ContainerSample[]): ContainerPeak[] {
  const by = new Map<string, ContainerSample[]>();
  for (const s of samples) by.set(s.container, [...(by.get(s.container) ?? []), s]);
  return [...by.values()].map((list) => {
    const peak = list.reduce((a, b) => (b.memUsage / b.memLimit > a.memUsage / a.memLimit ? b : a));
    const cpus = list.map((s) => s.cpuPercent).filter((x): x is number => x !== undefined);
    const restarts = Math.max(...list.map((s) => s.restartCount)) - Math.min(...list.map((s) => s.restartCount));
    return {
      service: peak.service,
      container: peak.container,
      samples: list.length,
      peakBytes: peak.memUsage,
      limitBytes: peak.memLimit,
      limited: peak.limited,
      peakFraction: peak.memLimit > 0 ? peak.memUsage / peak.memLimit : 0,
      peakCpuPercent: cpus.length ? Math.max(...cpus) : undefined,
      restarts,
      oomKilled: list.some((s) => s.oomKilled),
      stoppedDuringLoad: list.some((s) => !s.running),
    };
  });
}

/** The stack's total memory at each sampling instant (bucketed by interval), peak value. */
export function peakTotal(samples: ContainerSample[], intervalMs: number): { bytes: number; at: number } {
  const buckets = new Map<number, Map<string, number>>();
  for (const s of samples) {
    const b = Math.floor(s.t / intervalMs);
    const m = buckets.get(b) ?? new Map<string, number>();
    m.set(s.container, Math.max(m.get(s.container) ?? 0, s.memUsage));
    buckets.set(b, m);
  }
  let best = { bytes: 0, at: 0 };
  for (const [b, m] of buckets) {
    const total = [...m.values()].reduce((a, x) => a + x, 0);
    if (total > best.bytes) best = { bytes: total, at: b * intervalMs };
  }
  return best;
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---- control (destructive checks only) ---------------------------------------------------------------

export interface ServiceContainer {
  name: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  running(): Promise<boolean>;
}

/** What serviceContainer needs of the target (testcontainers/view.ts TargetView has it). */
export interface ContainerLookup {
  readonly mode: string;
  container(service: string): string | undefined;
}

/** The compose service's container through Testcontainers' runtime client, or undefined when the suite cannot see it. */
export async function serviceContainer(target: ContainerLookup, service: string): Promise<ServiceContainer | undefined> {
  const name = target.container(service);
  if (!name || target.mode === 'live') return undefined;
  const client = await getContainerRuntimeClient();
  const c = client.container.getById(name);
  const running = async () => (await c.inspect()).State.Running;
  return {
    name,
    running,
    stop: async () => {
      if (await running()) await client.container.stop(c, { timeout: 10 });
    },
    start: async () => {
      if (!(await running())) await client.container.start(c);
    },
    restart: async () => client.container.restart(c, { timeout: 10 }),
  };
}
