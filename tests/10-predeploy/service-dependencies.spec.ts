/**
 * Phase 1 › Final System Checks › Service Dependencies: Ollama and the Docker daemon running (systemd where
 * present, else process and socket – this machine has no systemd), the checklist's ports, DNS.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { hostScope, listeners, processesNamed, systemdActive } from '../../checks/host.ts';
import { projectContainers } from '../../lib/docker.ts';
import { PHASE1_PORTS } from '../../core/thresholds.ts';
import { getContainerRuntimeClient } from 'testcontainers';
import { existsSync, statSync } from 'node:fs';

const OWNER: Record<number, string> = { 80: 'nginx', 443: 'nginx', 3000: 'reflex-frontend', 8000: 'rag-backend', 8001: 'reflex-frontend', 8002: 'chroma', 11434: 'ollama' };

test.describe('Service dependencies', () => {
  test('Ollama service running (systemctl status ollama, else process/container and API)', verifies('P1-DEPS-1'), async ({ target, http, evidence }, testInfo) => {
    const scope = hostScope(target.mode, target.raw.deployDir);
    const sd = systemdActive('ollama');
    const procs = processesNamed('ollama');
    const containers = target.raw.projectName ? (await projectContainers(target.raw.projectName)).filter((c) => c.service === 'ollama') : [];
    const url = target.url('ollama');
    const ex = url ? await http.fetch(`${url}/api/version`).catch(() => undefined) : undefined;
    const facts = `${sd.output}; host processes named ollama: ${procs.length}; containers: ${containers.map((c) => `${c.name} ${c.status}${c.health ? ` (${c.health})` : ''}`).join(', ') || 'none'}; API ${url ?? '(no URL)'}: ${ex?.status ?? 'no answer'}`;
    await evidence('Ollama status', facts);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${facts}`);
    if (sd.systemd && sd.active !== undefined && procs.length + containers.length === 0) {
      expect(sd.active, `systemctl: ollama is not active (${sd.output})`).toBe(true);
    }
    expect(procs.length + containers.filter((c) => c.running).length + (sd.active ? 1 : 0), `no running Ollama: ${facts}`).toBeGreaterThan(0);
    expect(ex?.status, `Ollama does not answer its API: ${facts}`).toBe(200);
  });

  test('Docker daemon running (systemctl status docker, else dockerd process and socket)', verifies('P1-DEPS-2'), async ({ target, evidence }, testInfo) => {
    const scope = hostScope(target.mode, target.raw.deployDir);
    const sd = systemdActive('docker');
    const procs = processesNamed('dockerd');
    const sock = '/var/run/docker.sock';
    const sockOk = existsSync(sock) && statSync(sock).isSocket();
    const info = await (await getContainerRuntimeClient()).info;
    const facts = `${sd.output}; dockerd processes: ${procs.map((p) => `${p.pid} ${p.exe}`).join(', ') || 'none'}; ${sock}: ${sockOk ? 'socket' : 'missing'}; engine answers: API ${info.containerRuntime.serverVersion}`;
    await evidence('Docker daemon status', facts);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${facts}`);
    if (sd.systemd) expect(sd.active, `systemctl: docker is not active (${sd.output})`).toBe(true);
    else annotate.info(testInfo, 'no systemd on this host: checked the dockerd process, its socket and an API call instead of systemctl');
    expect(procs.length, `no dockerd process (${facts})`).toBeGreaterThan(0);
    expect(sockOk, `${sock} is not a socket (${facts})`).toBe(true);
  });

  test('port availability: each checklist port free or held by its own service', verifies('P1-DEPS-3'), async ({ target, evidence }, testInfo) => {
    const scope = hostScope(target.mode, target.raw.deployDir);
    const { text, list } = listeners();
    const containers = target.raw.projectName ? await projectContainers(target.raw.projectName) : [];
    const rows: string[] = [];
    const problems: string[] = [];
    for (const port of PHASE1_PORTS) {
      const on = list.filter((l) => l.port === port);
      const owner = containers.find((c) => c.ports.some((p) => p.hostPort === port));
      if (on.length === 0) rows.push(`${port}: free`);
      else if (owner && owner.service === OWNER[port]) rows.push(`${port}: held by ${owner.name} (${OWNER[port]}) on ${on.map((l) => l.address).join(', ')}`);
      else {
        rows.push(`${port}: in use by ${owner ? owner.name : 'something outside the deployment'} (${on.map((l) => `${l.proto} ${l.address}`).join(', ')})`);
        problems.push(`port ${port} is in use by ${owner ? `${owner.name}, not ${OWNER[port]}` : 'a process outside the deployment'}`);
      }
    }
    await evidence('ss -tuln | checklist ports', `${rows.join('\n')}\n\nss -tuln:\n${text}`);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}${target.mode === 'hermetic' ? '; the hermetic stack uses random loopback ports' : ''}; on this machine: ${rows.join('; ')}`);
    if (target.mode === 'compose' && target.config.randomPorts) return notVerified(testInfo, `compose with RAG_RANDOM_PORTS=1: the stack publishes on random loopback ports, so the checklist's ports are not in play; on this machine: ${rows.join('; ')}`);
    expect(problems).toHaveNoProblems(`checklist ports (${PHASE1_PORTS.join(', ')}) not available for the deployment`);
  });

  test('DNS resolution working: service names resolve inside the deployment network', verifies('P1-DEPS-4'), async ({ target, evidence }, testInfo) => {
    const scope = hostScope(target.mode, target.raw.deployDir);
    const name = target.container('rag-backend');
    if (!scope.decides && target.mode !== 'hermetic') return notVerified(testInfo, `${scope.reason}`);
    if (!name) return notVerified(testInfo, `${target.mode}: the deployment's containers are not visible from here`);
    const client = await getContainerRuntimeClient();
    const r = await client.container.exec(client.container.getById(name), ['sh', '-c', 'for h in ollama chroma redis prometheus alertmanager nginx reflex-frontend; do getent hosts $h >/dev/null && echo "$h ok" || echo "$h FAILED"; done']);
    await evidence(`getent hosts in ${name}`, r.output);
    expect(r.output.split('\n').filter((l) => /FAILED/.test(l))).toHaveNoProblems(`service names that do not resolve inside the deployment network (from ${name})`);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; inside the hermetic stack every service name resolves (checked); host DNS of the production machine not tested`);
  });
});
