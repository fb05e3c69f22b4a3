/**
 * Phase 1 › Final System Checks › Service Dependencies: Ollama and the Docker daemon running (systemd where
 * present, else process and socket – this machine has no systemd), the checklist's ports, DNS.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { answeringServices } from '../../lib/preflight.ts';
import { dockerDaemonProblems, listeners, liveHolders, ollamaRunningProblems, portAvailability, processesNamed, systemdActive, targetHostScope, unresolvedNames } from '../../checks/host.ts';
import { projectContainers } from '../../lib/docker.ts';
import { PHASE1_PORTS } from '../../core/thresholds.ts';
import { getContainerRuntimeClient } from 'testcontainers';
import { existsSync, statSync } from 'node:fs';

const OWNER: Record<number, string> = { 80: 'nginx', 443: 'nginx', 3000: 'reflex-frontend', 8000: 'rag-backend', 8001: 'reflex-frontend', 8002: 'chroma', 11434: 'ollama' };

test.describe('Service dependencies', () => {
  test('Ollama service running (systemctl status ollama, else process/container and API)', verifies('P1-DEPS-1'), async ({ target, http, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const sd = systemdActive('ollama');
    const procs = processesNamed('ollama');
    const containers = target.raw.projectName ? (await projectContainers(target.raw.projectName)).filter((c) => c.service === 'ollama') : [];
    const url = target.url('ollama');
    const ex = url ? await http.fetch(`${url}/api/version`).catch(() => undefined) : undefined;
    const facts = `${sd.output}; host processes named ollama: ${procs.length}; containers: ${containers.map((c) => `${c.name} ${c.status}${c.health ? ` (${c.health})` : ''}`).join(', ') || 'none'}; API ${url ?? '(no URL)'}: ${ex?.status ?? 'no answer'}`;
    await evidence('Ollama status', facts);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${facts}`);
    expect(ollamaRunningProblems({ unit: sd, processes: procs.length, containers: containers.length, runningContainers: containers.filter((c) => c.running).length, apiStatus: ex?.status }, facts)).toHaveNoProblems('Ollama service status');
  });

  test('Docker daemon running (systemctl status docker, else dockerd process and socket)', verifies('P1-DEPS-2'), async ({ target, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const sd = systemdActive('docker');
    const procs = processesNamed('dockerd');
    const sock = '/var/run/docker.sock';
    const sockOk = existsSync(sock) && statSync(sock).isSocket();
    // No engine reachable from here (the runner image without the host's socket) is a fact, not a crash.
    const engine = await getContainerRuntimeClient().then((c) => `API ${c.info.containerRuntime.serverVersion}`, (e: Error) => `no (${e.message})`);
    const facts = `${sd.output}; dockerd processes: ${procs.map((p) => `${p.pid} ${p.exe}`).join(', ') || 'none'}; ${sock}: ${sockOk ? 'socket' : 'missing'}; engine answers: ${engine}`;
    await evidence('Docker daemon status', facts);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${facts}`);
    if (!sd.systemd) annotate.info(testInfo, 'no systemd on this host: checked the dockerd process, its socket and an API call instead of systemctl');
    expect(dockerDaemonProblems({ unit: sd, processes: procs.length, socket: { path: sock, ok: sockOk } }, facts)).toHaveNoProblems('Docker daemon status');
  });

  test('port availability: each checklist port free or held by its own service', verifies('P1-DEPS-3'), async ({ target, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const { text, list } = listeners();
    // Live on the host: no compose project to ask; a port is the deployment's when its service answers there.
    const containers = target.raw.projectName ? await projectContainers(target.raw.projectName) : liveHolders(target.raw.urls, await answeringServices(target.raw.urls, target.raw.caFile));
    const { rows, problems } = portAvailability(PHASE1_PORTS, list, containers, OWNER);
    await evidence('ss -tuln | checklist ports', `${rows.join('\n')}\n\nss -tuln:\n${text}`);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}${target.mode === 'hermetic' ? '; the hermetic stack uses random loopback ports' : ''}; on this machine: ${rows.join('; ')}`);
    if (target.mode === 'compose' && target.config.randomPorts) return notVerified(testInfo, `compose with RAG_RANDOM_PORTS=1: the stack publishes on random loopback ports, so the checklist's ports are not in play; on this machine: ${rows.join('; ')}`);
    expect(problems).toHaveNoProblems(`checklist ports (${PHASE1_PORTS.join(', ')}) not available for the deployment`);
  });

  test('DNS resolution working: service names resolve inside the deployment network', verifies('P1-DEPS-4'), async ({ target, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const name = target.container('rag-backend');
    if (!scope.decides && target.mode !== 'hermetic') return notVerified(testInfo, `${scope.reason}`);
    if (!name) return notVerified(testInfo, `${target.mode}: the deployment's containers are not visible from here`);
    const client = await getContainerRuntimeClient();
    const r = await client.container.exec(client.container.getById(name), ['sh', '-c', 'for h in ollama chroma redis prometheus alertmanager nginx reflex-frontend; do getent hosts $h >/dev/null && echo "$h ok" || echo "$h FAILED"; done']);
    await evidence(`getent hosts in ${name}`, r.output);
    expect(unresolvedNames(r.output)).toHaveNoProblems(`service names that do not resolve inside the deployment network (from ${name})`);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; inside the hermetic stack every service name resolves (checked); host DNS of the production machine not tested`);
  });
});
