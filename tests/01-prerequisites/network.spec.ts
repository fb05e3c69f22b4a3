/**
 * Pre-Deployment Requirements › Infrastructure Requirements › Network Configuration.
 * Before deployment the checklist's ports must be free; after it each must be owned by the expected
 * container (Docker API port bindings), and only 80/443 may listen beyond loopback.
 */
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import { projectContainers } from '../../lib/docker.ts';
import { answeringServices } from '../../lib/preflight.ts';
import { dnsProblems, internalListenersBeyondLoopback, listeners, liveHolders, portOwnership, publishedBeyondLoopback, targetHostScope } from '../../checks/host.ts';
import { facesOutside, INTERNAL_PORTS, isLoopback, ownerOfPort } from '../../core/contract.ts';
import { OLLAMA_PORT, PUBLIC_PORTS, SERVICE_PORTS } from '../../core/thresholds.ts';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { schemaErrors } from '../../lib/schemas.ts';
import { spawnSync } from 'node:child_process';

/**
 * For each port: which host listener has it and whether that is the expected service's (checks/host.ts portOwnership).
 * The holders are the compose project's containers; live on the host there is no project to ask, so a port is the
 * deployment's when the service that owns it answers at its configured URL there (liveHolders). hermetic: container
 * ports are published on random loopback ports, so the check is "published by the right container"; the host's own
 * 80/443/… are then reported, not decided.
 */
async function checkPorts(ports: readonly number[], target: TargetView, testInfo: TestInfo): Promise<{ problems: string[]; facts: string[] }> {
  const { text, list } = listeners();
  await testInfo.attach('ss -tuln', { body: text || '(ss not available)', contentType: 'text/plain' });
  const project = target.raw.projectName;
  const holders = project ? await projectContainers(project) : target.mode === 'live' ? liveHolders(target.raw.urls, await answeringServices(target.raw.urls, target.raw.caFile)) : [];
  return portOwnership(ports, list, holders, ownerOfPort, { randomPorts: randomPorts(target), project: !!project });
}

/** The stack was started on random loopback ports (hermetic, or compose with RAG_RANDOM_PORTS=1): the checklist's host ports are not in play. */
function randomPorts(target: TargetView): boolean {
  return target.mode === 'hermetic' || (target.mode === 'compose' && target.config.randomPorts);
}
function why(target: TargetView): string {
  return target.mode === 'hermetic' ? 'hermetic: the stack publishes on random loopback ports' : 'compose with RAG_RANDOM_PORTS=1: the stack publishes on random loopback ports';
}

test.describe('Network configuration', () => {
  test('ports 80 and 443 available and owned by Nginx', verifies('PRE-NETWORK-1'), async ({ target, http, evidence }, testInfo) => {
    const r = await checkPorts(PUBLIC_PORTS, target, testInfo);
    const url = target.url('nginxHttp');
    if (url) await evidence('GET /health through port 80', await http.fetch(`${url}/health`));
    const scope = targetHostScope(target);
    if (target.mode === 'live' && !scope.decides) return notVerified(testInfo, `${scope.reason}; port ownership can only be seen there (this machine: ${r.facts.join('; ')})`);
    annotate.info(testInfo, `measured: ${r.facts.join('; ')}`);
    expect(r.problems).toHaveNoProblems('ports 80/443 not available to Nginx');
    if (randomPorts(target)) return notVerified(testInfo, `${why(target)}, so whether the host's own ports 80/443 are available for production is not this machine's question; measured: ${r.facts.join('; ')}`);
  });

  test('ports 3000, 8000, 8001, 8002 available and owned by the services', verifies('PRE-NETWORK-2'), async ({ target }, testInfo) => {
    const r = await checkPorts(SERVICE_PORTS, target, testInfo);
    const scope = targetHostScope(target);
    if (target.mode === 'live' && !scope.decides) return notVerified(testInfo, `${scope.reason}; port ownership can only be seen there (this machine: ${r.facts.join('; ')})`);
    annotate.info(testInfo, `measured: ${r.facts.join('; ')}`);
    expect(r.problems).toHaveNoProblems(`ports ${SERVICE_PORTS.join(', ')} not available to their services`);
    if (randomPorts(target)) return notVerified(testInfo, `${why(target)}; host ports 3000/8000/8001/8002 are not the production host's; measured: ${r.facts.join('; ')}`);
  });

  test('port 11434 accessible for Ollama', verifies('PRE-NETWORK-3'), async ({ target, http, evidence }, testInfo) => {
    const r = await checkPorts([OLLAMA_PORT], target, testInfo);
    const url = target.url('ollama');
    if (!url) return notVerified(testInfo, `${target.mode}: Ollama's port is not reachable from here; set RAG_OLLAMA_URL`);
    const ex = await http.fetch(`${url}/api/version`);
    await evidence('GET /api/version', ex);
    expect(ex.status, `Ollama should answer on its port (${url}), got ${ex.status}`).toBe(200);
    // Something answering 200 is not yet Ollama: its /api/version names a version.
    expect(schemaErrors('ollama-version', http.json(ex)), `the service on Ollama's port (${url}) does not answer /api/version as Ollama does: ${ex.body.slice(0, 120)}`).toBeNull();
    expect(r.problems, `${r.problems.join('; ') || 'ports'} (measured: ${r.facts.join('; ')})`).toEqual([]);
    if (randomPorts(target)) return notVerified(testInfo, `${why(target)}: Ollama answers on its published loopback port, but host port 11434 itself is not the production host's; measured: ${r.facts.join('; ')}`);
  });

  test('firewall: only 80/443 of the deployment listen beyond loopback', verifies('PRE-NETWORK-4'), async ({ target, evidence }, testInfo) => {
    const containers = target.raw.projectName ? await projectContainers(target.raw.projectName) : [];
    const exposed = publishedBeyondLoopback(containers, facesOutside);
    const { list } = listeners();
    const external = list.filter((l) => !isLoopback(l.address)).map((l) => `${l.proto} ${l.address}:${l.port}`);
    const fw = spawnSync('sh', ['-c', 'nft list ruleset 2>/dev/null | head -60 || iptables -S 2>/dev/null | head -60'], { encoding: 'utf8' });
    await evidence('host listeners beyond loopback and firewall rules', `non-loopback listeners on this machine:\n${external.join('\n') || '(none)'}\n\nfirewall rules (first lines):\n${fw.stdout || '(no nft/iptables output)'}`);
    expect(exposed).toHaveNoProblems('deployment ports published beyond loopback other than Nginx 80/443 (an internal service reachable from outside)');
    if (target.mode === 'hermetic') return notVerified(testInfo, `hermetic: the deployment publishes nothing beyond loopback (checked); the host firewall belongs to a test machine – its non-loopback listeners (${external.length}) are shown, not judged`);
    const scope = targetHostScope(target);
    if (target.mode === 'live' && !scope.decides) return notVerified(testInfo, `${scope.reason}; the firewall can only be inspected there`);
    expect(internalListenersBeyondLoopback(list, INTERNAL_PORTS)).toHaveNoProblems('internal service ports listening beyond loopback on the host', { evidence: 'host listeners beyond loopback and firewall rules' });
  });

  test('DNS resolution of the configured host name', verifies('PRE-NETWORK-5'), async ({ target, evidence }, testInfo) => {
    if (target.mode !== 'live') return notVerified(testInfo, `${target.mode}: the deployment is reached as localhost; no domain name is configured to resolve`);
    const name = new URL(target.publicUrl).hostname.replace(/^\[|\]$/g, '');
    // An address needs no resolving: looking it up would pass without checking anything.
    if (isIP(name)) return notVerified(testInfo, `live: the deployment is addressed by its IP address ${name} (RAG_BASE_URL); there is no domain name to resolve – set RAG_BASE_URL to its domain name to check DNS`);
    const addrs = await lookup(name, { all: true }).catch((err: Error) => err);
    await evidence('DNS lookup', `${name} → ${addrs instanceof Error ? addrs.message : addrs.map((a) => a.address).join(', ')}`);
    expect(dnsProblems(name, addrs)).toHaveNoProblems('configured host name does not resolve');
  });
});
