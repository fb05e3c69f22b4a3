// Container exporter (port 9338): per-container memory and CPU of this deployment in Prometheus format,
// read from the Docker engine's API – the series cAdvisor would give (container_memory_usage_bytes,
// container_cpu_usage_seconds_total, container_spec_memory_limit_bytes), for hosts where no cAdvisor image
// can be had. Only containers of the compose project named by COMPOSE_PROJECT are reported.
import { createServer, request, type IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { int, optional, str } from '../common/env.js';

const port = int('PORT', 9338, 1, 65535);
const socketPath = str('DOCKER_SOCKET', '/var/run/docker.sock');
/** The compose project to report: COMPOSE_PROJECT, else the one this container itself belongs to. */
let project = optional('COMPOSE_PROJECT');

function dockerGet<T>(path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: 5000 }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) return reject(new Error(`docker ${path}: ${res.statusCode} ${body.slice(0, 200)}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`docker ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
}
interface Stats {
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  cpu_stats: { cpu_usage: { total_usage: number } };
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

async function ownProject(): Promise<string | undefined> {
  try {
    const self = await dockerGet<{ Config: { Labels: Record<string, string> } }>(`/containers/${hostname()}/json`);
    return self.Config.Labels['com.docker.compose.project'];
  } catch {
    return undefined;
  }
}

async function collect(): Promise<string> {
  project ??= await ownProject();
  const filter = project ? `?filters=${encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }))}` : '';
  const containers = await dockerGet<ContainerSummary[]>(`/containers/json${filter}`);
  const lines = [
    '# HELP container_memory_usage_bytes Memory in use by the container (cgroup usage minus page cache).',
    '# TYPE container_memory_usage_bytes gauge',
    '# HELP container_spec_memory_limit_bytes Memory the container may use (the host memory when unlimited).',
    '# TYPE container_spec_memory_limit_bytes gauge',
    '# HELP container_cpu_usage_seconds_total CPU time consumed by the container.',
    '# TYPE container_cpu_usage_seconds_total counter',
    '# HELP container_running Whether the container of a service is running (1) or not (0).',
    '# TYPE container_running gauge',
  ];
  const results = await Promise.allSettled(containers.map(async (c) => ({ c, s: await dockerGet<Stats>(`/containers/${c.Id}/stats?stream=false&one-shot=true`) })));
  for (const r of results) {
    if (r.status !== 'fulfilled') continue;
    const { c, s } = r.value;
    const labels = `name="${esc(c.Names[0]?.replace(/^\//, '') ?? c.Id)}",service="${esc(c.Labels['com.docker.compose.service'] ?? '')}"`;
    const cache = s.memory_stats.stats?.total_inactive_file ?? s.memory_stats.stats?.inactive_file ?? 0;
    if (s.memory_stats.usage !== undefined) lines.push(`container_memory_usage_bytes{${labels}} ${Math.max(0, s.memory_stats.usage - cache)}`);
    if (s.memory_stats.limit !== undefined) lines.push(`container_spec_memory_limit_bytes{${labels}} ${s.memory_stats.limit}`);
    lines.push(`container_cpu_usage_seconds_total{${labels}} ${(s.cpu_stats.cpu_usage.total_usage / 1e9).toFixed(6)}`);
    lines.push(`container_running{${labels}} ${c.State === 'running' ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

createServer((req, res) => {
  if (req.url === '/metrics') {
    collect().then(
      (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body),
      (err: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`# docker API unavailable: ${err.message}\n`),
    );
  } else if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
  } else {
    res.writeHead(404).end();
  }
}).listen(port, '0.0.0.0', () => console.log(JSON.stringify({ level: 'info', msg: `container exporter on :${port}`, project: project ?? '(all)' })));
