/** Unit tests of the host checks (checks/host.ts): versions, minimums, OS family, resources, ss parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCompose,
  checkDocker,
  checkFreeDisk,
  checkLoad,
  checkMemoryUse,
  checkOs,
  checkServerMinimum,
  compareVersions,
  defaultRoutes,
  dnsProblems,
  externalAddresses,
  generationProblems,
  internalListenersBeyondLoopback,
  liveHolders,
  localNetworkProblems,
  ollamaConfiguredProblems,
  ollamaFromContainerProblems,
  portAvailability,
  portOwnership,
  prometheusConfigProblems,
  promtoolFailures,
  publishedBeyondLoopback,
  memoryUsedPercent,
  parseOsRelease,
  parseSs,
  parseVersion,
  probe,
  recommendedShortfalls,
  type ToolProbe,
} from '../checks/host.ts';
import { facesOutside, INTERNAL_PORTS, ownerOfPort } from '../core/contract.ts';
import { canFail } from './helpers.ts';

const found = (tool: string, version: string): ToolProbe => ({ tool, command: `${tool} version`, found: true, output: version, version });

test('versions compare numerically, not as text', () => {
  assert.equal(compareVersions('20.10.24', '24.0'), -1);
  assert.equal(compareVersions('24.0.7', '24.0'), 1);
  assert.equal(compareVersions('24.0', '24.0.0'), 0);
  assert.equal(compareVersions('1.29.2', '2.0'), -1);
  assert.equal(compareVersions('2.20.2', '2.0'), 1);
  assert.equal(parseVersion('Docker version 20.10.24+dfsg1, build 297e128'), '20.10.24');
  assert.equal(parseVersion('Docker Compose version v2.27.0'), '2.27.0');
  assert.equal(parseVersion('docker-compose version 1.29.2, build unknown'), '1.29.2');
  assert.equal(parseVersion('git version 2.39.5'), '2.39.5');
});

test("this machine's Docker 20.10 and compose 1.29 fail; 24.0 and 2.x pass", canFail('PRE-SOFTWARE-1', 'PRE-SOFTWARE-2'), () => {
  assert.match(checkDocker(found('docker', '20.10.24')).problems.join(), /docker 20\.10\.24 is installed; the checklist requires 24\.0 or later/);
  assert.equal(checkDocker(found('docker', '24.0.7')).ok, true);
  assert.match(checkCompose([found('docker-compose', '1.29.2')]).problems.join(), /1\.29\.2 is installed; the checklist requires 2\.0 or later/);
  assert.equal(checkCompose([found('docker-compose', '1.29.2'), found('docker compose (plugin)', '2.27.0')]).ok, true);
  assert.match(checkCompose([{ tool: 'docker-compose', command: 'docker-compose version', found: false, output: 'not found' }]).problems.join(), /not installed/);
});

test('a tool that is not installed, or does not run, is not found (git, curl, wget), with what the command said', canFail('PRE-SOFTWARE-3', 'PRE-SOFTWARE-4'), () => {
  const missing = probe('git', ['rag-gate-no-such-tool', '--version']);
  assert.deepEqual([missing.found, missing.version, missing.command], [false, undefined, 'rag-gate-no-such-tool --version']);
  const broken = probe('curl', ['sh', '-c', 'echo "curl: error while loading shared libraries: libcurl.so.4" >&2; exit 127']);
  assert.equal(broken.found, false);
  assert.match(broken.output, /error while loading shared libraries: libcurl\.so\.4/);
  assert.equal(probe('wget', ['sh', '-c', 'echo "GNU Wget 1.21.3 built on linux-gnu."']).version, '1.21.3');
});

test('server minimum: 2 cores fail, 7.8 GB reported for an 8 GB server passes', canFail('PRE-SERVER-1'), () => {
  assert.match(checkServerMinimum({ ramGb: 23.5, cores: 2, storageGb: 252 }).problems.join(), /2 CPU cores; the checklist's minimum is 4/);
  assert.equal(checkServerMinimum({ ramGb: 7.8, cores: 4, storageGb: 100 }).ok, true);
  assert.equal(checkServerMinimum({ ramGb: 4, cores: 4, storageGb: 100 }).ok, false);
  assert.equal(checkServerMinimum({ ramGb: 8, cores: 4, storageGb: 99 }).ok, false);
  assert.deepEqual(recommendedShortfalls({ ramGb: 32, cores: 8, storageGb: 600, rotational: false }), []);
  assert.equal(recommendedShortfalls({ ramGb: 8, cores: 4, storageGb: 100, rotational: true }).length, 4);
});

test('recommendation (PRE-SERVER-2, advisory): a 2-core host on a rotational disk falls short, in words', canFail('PRE-SERVER-2'), () => {
  // The line fails on these (as "not met (advisory)"); it can no longer pass whatever the host.
  assert.deepEqual(recommendedShortfalls({ ramGb: 23.5, cores: 2, storageGb: 252, rotational: true }), [
    '2 CPU cores is below the recommended 8',
    'storage 252 GB is below the recommended 500 GB',
    'storage is a rotational disk; the recommendation is SSD',
  ]);
  assert.deepEqual(recommendedShortfalls({ ramGb: 15.4, cores: 8, storageGb: 512, rotational: false }), [], '16 GB as the kernel reports it is 16 GB');
});

test('OS: Debian 12 and Ubuntu 22.04 qualify, Ubuntu 18.04 and non-Linux do not', canFail('PRE-SERVER-4'), () => {
  const deb = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n');
  assert.equal(checkOs(deb, 'linux').ok, true);
  assert.equal(checkOs(parseOsRelease('ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04"'), 'linux').ok, true);
  assert.match(checkOs(parseOsRelease('ID=ubuntu\nVERSION_ID="18.04"\nPRETTY_NAME="Ubuntu 18.04"'), 'linux').problems.join(), /older than required/);
  assert.match(checkOs(deb, 'darwin').problems.join(), /not Linux/);
});

test('resources: free disk, memory and load against 50 GB, 60 %, 2.0', canFail('P1-RES-1', 'P1-RES-2', 'P1-RES-3'), () => {
  assert.equal(checkFreeDisk(73.4, '/').ok, true);
  assert.match(checkFreeDisk(20, '/srv').problems.join(), /only 20 GB free on \/srv; the checklist requires at least 50 GB/);
  assert.equal(memoryUsedPercent('MemTotal:       1000 kB\nMemFree: 1 kB\nMemAvailable:    250 kB\n'), 75);
  assert.match(checkMemoryUse(75).problems.join(), /memory use is 75 %; the checklist requires under 60 %/);
  assert.equal(checkMemoryUse(59.9).ok, true);
  assert.match(checkLoad([5, 2.5, 1]).problems.join(), /5-minute load average is 2\.5/);
  assert.equal(checkLoad([3, 1.2, 1]).ok, true);
});

test('ss -tulnH parsing keeps protocol, address and port', () => {
  const text = 'tcp   LISTEN 0      4096       127.0.0.1:8000       0.0.0.0:*\ntcp   LISTEN 0      511          0.0.0.0:443        0.0.0.0:*\ntcp   LISTEN 0      4096            [::]:80           [::]:*\nudp   UNCONN 0      0      127.0.0.53%lo:53         0.0.0.0:*\n';
  assert.deepEqual(parseSs(text), [
    { proto: 'tcp', address: '127.0.0.1', port: 8000 },
    { proto: 'tcp', address: '0.0.0.0', port: 443 },
    { proto: 'tcp', address: '::', port: 80 },
    { proto: 'udp', address: '127.0.0.53', port: 53 },
  ]);
});

test('live mode: a port answered by the expected service at its configured URL on this host belongs to the deployment', canFail('P1-DEPS-3'), () => {
  const holders = liveHolders({ backend: 'http://127.0.0.1:8000', prometheus: 'http://10.1.2.3:9090', chroma: 'http://localhost:8002' }, new Set(['backend', 'prometheus'] as const));
  assert.deepEqual(holders.map((h) => [h.service, h.ports[0]!.hostPort]), [['rag-backend', 8000]], 'prometheus is on another host, chroma did not answer');
  const listening = [{ proto: 'tcp', address: '127.0.0.1', port: 8000 }, { proto: 'tcp', address: '127.0.0.1', port: 8002 }] as never;
  const r = portAvailability([8000, 8002], listening, holders, { 8000: 'rag-backend', 8002: 'chroma' });
  assert.match(r.rows.join('\n'), /8000: held by rag-backend \(answers at http:\/\/127\.0\.0\.1:8000\)/);
  assert.deepEqual(r.problems, ['port 8002 is in use by a process outside the deployment'], 'a port no configured service answers on stays foreign');
});

test('local network: no non-loopback address and no default route fail, each in words', canFail('PRE-SERVER-3'), () => {
  const route = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\nens3\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\nens3\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\n';
  assert.equal(defaultRoutes(route).length, 1);
  assert.deepEqual(defaultRoutes(route.split('\n').filter((l) => !l.includes('\t00000000\t0101')).join('\n')), []);
  const ifs = { lo: [{ address: '127.0.0.1', internal: true }], ens3: [{ address: '192.168.1.20', internal: false }] };
  assert.deepEqual(externalAddresses(ifs), ['ens3 192.168.1.20']);
  assert.deepEqual(localNetworkProblems(externalAddresses(ifs), defaultRoutes(route), 'facts'), []);
  assert.deepEqual(localNetworkProblems(externalAddresses({ lo: ifs.lo }), [], 'non-loopback addresses: none; default route: none'), [
    'the host has no non-loopback network address (non-loopback addresses: none; default route: none)',
    'the host has no default route (non-loopback addresses: none; default route: none)',
  ]);
});

test('Ollama configured: OLLAMA_HOST unset and Ollama not answering 200 fail, naming the URL', canFail('PRE-SOFTWARE-5'), () => {
  assert.deepEqual(ollamaConfiguredProblems({ ollamaHost: 'http://ollama:11434', url: 'http://127.0.0.1:11434', status: 200 }, 'f'), []);
  assert.deepEqual(ollamaConfiguredProblems({ ollamaHost: undefined, url: 'http://127.0.0.1:11434', status: 502 }, 'host binary: none'), [
    'OLLAMA_HOST is not configured in .env.production',
    'Ollama does not answer at http://127.0.0.1:11434 (host binary: none)',
  ]);
  assert.match(ollamaConfiguredProblems({ ollamaHost: 'http://ollama:11434', url: undefined, status: undefined }, 'f').join(), /does not answer at its URL/);
});

const tcp = (address: string, port: number) => ({ proto: 'tcp' as const, address, port });

test('ports 80/443 and 3000/8000/8001/8002: a port held by something else fails; live, a port its own service answers on is the deployment\'s', canFail('PRE-NETWORK-1', 'PRE-NETWORK-2'), () => {
  const fixed = { randomPorts: false, project: false };
  // Live on the host: Nginx answers at https://127.0.0.1 (443); port 80 is held by a process no configured service answers for.
  const live = liveHolders({ nginxHttps: 'https://127.0.0.1', backend: 'http://127.0.0.1:8000' }, new Set(['nginxHttps', 'backend'] as const));
  const r = portOwnership([80, 443], [tcp('0.0.0.0', 80), tcp('0.0.0.0', 443)], live, ownerOfPort, fixed);
  assert.deepEqual(r.problems, ['host port 80 is taken by something outside the deployment (0.0.0.0:80); nginx cannot have it']);
  assert.match(r.facts[1]!, /^443: owned by nginx \(answers at https:\/\/127\.0\.0\.1\)/);
  assert.deepEqual(portOwnership([8000], [tcp('127.0.0.1', 8000)], live, ownerOfPort, fixed).problems, [], 'the backend answering at its URL holds 8000');
  // A compose project: another container publishes the backend's port, and the frontend publishes nothing on its own.
  const containers = [
    { name: 'rag_redis_1', service: 'redis', ports: [{ containerPort: 6379, hostPort: 8000, hostIp: '127.0.0.1' }] },
    { name: 'rag_reflex-frontend_1', service: 'reflex-frontend', ports: [{ containerPort: 3000, hostPort: 13000, hostIp: '127.0.0.1' }] },
  ];
  assert.deepEqual(portOwnership([8000, 3000], [tcp('127.0.0.1', 8000)], containers, ownerOfPort, { randomPorts: false, project: true }).problems, [
    'host port 8000 is published by rag_redis_1 instead of rag-backend',
    'reflex-frontend does not publish port 3000 on the host (its bindings: 127.0.0.1:13000)',
  ]);
  // Random ports (hermetic): only "published by the right container" is judged.
  assert.deepEqual(portOwnership([3000], [tcp('0.0.0.0', 3000)], containers, ownerOfPort, { randomPorts: true, project: true }).problems, []);
  assert.deepEqual(portOwnership([8002], [], containers, ownerOfPort, { randomPorts: true, project: true }).problems, ['chroma does not publish its port 8002']);
});

test('firewall: an internal port published or listening beyond loopback fails; Nginx on 0.0.0.0:443 does not', canFail('PRE-NETWORK-4'), () => {
  const containers = [
    { name: 'n', service: 'nginx', ports: [{ containerPort: 443, hostPort: 443, hostIp: '0.0.0.0' }] },
    { name: 'b', service: 'rag-backend', ports: [{ containerPort: 8000, hostPort: 8000, hostIp: '0.0.0.0' }] },
    { name: 'r', service: 'redis', ports: [{ containerPort: 6379, hostPort: 6379, hostIp: '127.0.0.1' }] },
  ];
  assert.deepEqual(publishedBeyondLoopback(containers, facesOutside), ['rag-backend:8000 on 0.0.0.0:8000']);
  assert.deepEqual(internalListenersBeyondLoopback([tcp('0.0.0.0', 443), tcp('127.0.0.1', 8000), tcp('::', 6379), { proto: 'udp', address: '0.0.0.0', port: 8002 }], INTERNAL_PORTS), [':::6379']);
});

test('DNS: a host name that does not resolve fails with the resolver\'s answer', canFail('PRE-NETWORK-5'), () => {
  assert.deepEqual(dnsProblems('rag.example.com', [{ address: '203.0.113.7' }]), []);
  assert.deepEqual(dnsProblems('rag.example.invalid', new Error('getaddrinfo ENOTFOUND rag.example.invalid')), ['rag.example.invalid does not resolve: getaddrinfo ENOTFOUND rag.example.invalid']);
  assert.match(dnsProblems('rag.example.com', []).join(), /does not resolve \(the lookup returned no address\)/);
});

test('Ollama from the backend\'s container: OLLAMA_HOST unset, curl failing or a non-200 answer fail, naming the address', canFail('PRE-OLLAMA-3'), () => {
  assert.deepEqual(ollamaFromContainerProblems('rag-backend', 0, 'OLLAMA_HOST=http://ollama:11434\n200 0.004s'), []);
  assert.deepEqual(ollamaFromContainerProblems('rag-backend', 0, 'OLLAMA_HOST=\n000 0.000s'), ['OLLAMA_HOST is not set in the environment of rag-backend: OLLAMA_HOST=\n000 0.000s']);
  assert.match(ollamaFromContainerProblems('rag-backend', 7, 'OLLAMA_HOST=http://ollama:11435\ncurl: (7) Failed to connect to ollama port 11435\n000 0.001s').join(), /^curl \$OLLAMA_HOST\/api\/tags \(http:\/\/ollama:11435\) from inside rag-backend failed \(exit 7\)/);
  // A port number 200 in the address is no answer 200.
  assert.match(ollamaFromContainerProblems('rag-backend', 0, 'OLLAMA_HOST=http://10.0.0.200:11434\n404 0.002s').join(), /did not answer 200 at http:\/\/10\.0\.0\.200:11434\/api\/tags .* \(got 404\)/);
});

test('generation round trip: 200 {} is no generation, a slow one and a failing chat fail', canFail('PRE-OLLAMA-4'), () => {
  const ok = { status: 200, ms: 900, body: { response: 'A list of checks.', done: true }, text: '{"response":"A list of checks.","done":true}' };
  const chat = { status: 200, ms: 400, text: '{}' };
  assert.deepEqual(generationProblems('llama2', ok, chat), []);
  assert.deepEqual(generationProblems('llama2', { ...ok, body: {}, text: '{}' }, chat), ['generation with llama2 did not complete (done is absent, not true): {}']);
  assert.deepEqual(generationProblems('llama2', { ...ok, body: undefined, text: '<html>' }, chat), ['generation with llama2 did not complete (done is absent, not true): <html>']);
  assert.deepEqual(generationProblems('llama2', { ...ok, body: { response: ' ', done: true } }, chat), ['the model llama2 returned an empty answer']);
  assert.deepEqual(generationProblems('llama2', { ...ok, ms: 31_000 }, { status: 404, ms: 5, text: '{"error":"model not found"}' }), [
    'generation took 31000 ms; bound 30000 ms',
    'POST /api/chat with llama2 should answer 200, got 404: {"error":"model not found"}',
  ]);
  assert.match(generationProblems('llama3:8b', { status: 404, ms: 3, body: {}, text: '{"error":"model \'llama3:8b\' not found"}' }, chat).join(), /POST \/api\/generate with llama3:8b should answer 200, got 404/);
});

test('promtool check config: the FAILED line is the cause on the line; the running Prometheus failing its reload fails too', canFail('PRE-MONSTACK-1'), () => {
  // As runInImage gives it: promtool's stdout ("Checking …"), then its stderr ("  FAILED: …").
  const missing = 'Checking prometheus.yml\n\n  FAILED: "rules/rag-recording.yml" does not point to an existing file';
  assert.deepEqual(promtoolFailures(missing), ['"rules/rag-recording.yml" does not point to an existing file']);
  assert.deepEqual(prometheusConfigProblems({ ok: false, output: missing }, 'monitoring/prometheus/prometheus.yml', true), [
    'promtool check config rejects monitoring/prometheus/prometheus.yml: "rules/rag-recording.yml" does not point to an existing file',
  ]);
  const badRule = 'Checking prometheus.yml\n  SUCCESS: 1 rule files found\n SUCCESS: prometheus.yml is valid prometheus config file syntax\n\nChecking rules/rag-alerts.yml\n  FAILED:\nrules/rag-alerts.yml: 9:15: group "rag", rule 1, "HighMemoryUsage": could not parse expression: 1:40: parse error: unexpected right parenthesis \')\'\n';
  assert.deepEqual(promtoolFailures(badRule), ['rules/rag-alerts.yml: 9:15: group "rag", rule 1, "HighMemoryUsage": could not parse expression: 1:40: parse error: unexpected right parenthesis \')\'']);
  assert.deepEqual(promtoolFailures('docker: Error response from daemon: pull access denied'), ['docker: Error response from daemon: pull access denied']);
  assert.deepEqual(prometheusConfigProblems({ ok: true, output: 'Checking prometheus.yml\n SUCCESS: prometheus.yml is valid prometheus config file syntax' }, 'prometheus.yml', true), []);
  assert.deepEqual(prometheusConfigProblems({ ok: true, output: '' }, 'prometheus.yml', false), ['the running Prometheus failed to load its configuration (reloadConfigSuccess: false)']);
});
