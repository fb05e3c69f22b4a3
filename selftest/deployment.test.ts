/** Bad-input tests of the Deployment Phase's decisions (checks/deployment.ts, as tests/20-deployment/ calls them). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeStackProblems, grafanaHealthProblems, grepContainerProblems, heartbeatProblems, prometheusHealthyProblems } from '../checks/deployment.ts';
import type { ContainerState } from '../lib/docker.ts';
import { canFail } from './helpers.ts';

const running = (service: string, extra: Partial<ContainerState> = {}): ContainerState => ({
  name: `rag-${service}-1`, service, image: `rag-system/${service}:1.0.0`, running: true, health: 'healthy', restartCount: 0, status: 'running', ports: [], ...extra,
});

/** The grep lines of tests/20-deployment/containers.spec.ts: item, the checklist's grep word. */
const GREP_LINES: Array<[string, string]> = [
  ['P2-MONSVC-1', 'prometheus'],
  ['P2-MONSVC-2', 'grafana'],
  ['P2-MONSVC-3', 'redis'],
  ['P2-APPSVC-1', 'chroma'],
  ['P2-APPSVC-2', 'rag-backend'],
  ['P2-APPSVC-3', 'reflex'],
  ['P2-APPSVC-4', 'nginx'],
];

for (const [id, grep] of GREP_LINES) {
  test(`docker ps | grep ${grep}: no matching container, or one that is not running, fails`, canFail(id), () => {
    const service = grep === 'reflex' ? 'reflex-frontend' : grep;
    assert.deepEqual(grepContainerProblems([running(service)], grep, 'rag'), []);
    assert.deepEqual(grepContainerProblems([running('other-service')], grep, 'rag'), [`no running container matches "${grep}" in project rag: rag-other-service-1`]);
    assert.deepEqual(grepContainerProblems([running(service, { running: false, status: 'exited', health: undefined })], grep, 'rag'), [`rag-${service}-1 (rag-system/${service}:1.0.0): exited, 0 restarts: not running`]);
  });
}

/** The compose lines: item, compose file, its services. */
const STACK_LINES: Array<[string, string, string[]]> = [
  ['P2-MONSVC-4', 'docker-compose.monitoring.yml', ['prometheus', 'alertmanager', 'redis']],
  ['P2-APPSVC-5', 'docker-compose.production.yml', ['chroma', 'rag-backend', 'nginx']],
];

for (const [id, file, services] of STACK_LINES) {
  test(`docker-compose -f ${file} ps: a service without a container, unhealthy or restarted fails; a profile-only service may be absent`, canFail(id), () => {
    const defined = new Map([...services.map((s) => [s, { profiles: false }] as const), ['grafana', { profiles: true }]]);
    assert.deepEqual(composeStackProblems(services.map((s) => running(s)), defined, file), []);
    const [a, b, c] = services as [string, string, string];
    assert.deepEqual(composeStackProblems([running(a, { health: 'unhealthy' }), running(b, { restartCount: 2 })], defined, file), [
      `${c} (${file}) has no running container`,
      `rag-${a}-1 (rag-system/${a}:1.0.0): running, unhealthy, 0 restarts: not healthy`,
      `rag-${b}-1 (rag-system/${b}:1.0.0): running, healthy, 2 restarts: restarted`,
    ]);
  });
}

test('ChromaDB heartbeat: a non-200 answer or a 200 without "nanosecond heartbeat" fails', canFail('P2-HEALTH-3'), () => {
  const url = 'http://127.0.0.1:8002/api/v1/heartbeat';
  assert.deepEqual(heartbeatProblems({ url, status: 200, body: '{"nanosecond heartbeat": 1736000000000000000}' }), []);
  assert.deepEqual(heartbeatProblems({ url, status: 502, body: 'Bad Gateway' }), [`ChromaDB heartbeat ${url} should answer 200, got 502: Bad Gateway`]);
  assert.deepEqual(heartbeatProblems({ url, status: 200, body: '{}' }), [`ChromaDB heartbeat ${url} answered 200 without a "nanosecond heartbeat" number: {}`]);
});

test('Prometheus /-/healthy: a refusal of the credentials or a 200 that does not say Healthy fails', canFail('P2-HEALTH-5'), () => {
  const url = 'http://127.0.0.1:9090/-/healthy';
  assert.deepEqual(prometheusHealthyProblems({ url, status: 200, body: 'Prometheus Server is Healthy.\n' }), []);
  assert.match(prometheusHealthyProblems({ url, status: 401, body: 'Unauthorized' }).join(), /should answer 200 with the admin credentials, got 401/);
  assert.match(prometheusHealthyProblems({ url, status: 200, body: '{}' }).join(), /without saying it is Healthy: \{\}/);
});

test('Grafana /api/health: a non-200 answer or a database that is not "ok" fails', canFail('P2-HEALTH-6'), () => {
  const url = 'http://127.0.0.1:3001/api/health';
  assert.deepEqual(grafanaHealthProblems({ url, status: 200, body: '{"commit":"abc","database":"ok","version":"11.0.0"}' }), []);
  assert.match(grafanaHealthProblems({ url, status: 503, body: '' }).join(), /should answer 200, got 503/);
  assert.match(grafanaHealthProblems({ url, status: 200, body: '{"database":"failing"}' }).join(), /reports its database "failing", not "ok"/);
  assert.match(grafanaHealthProblems({ url, status: 200, body: '{}' }).join(), /reports its database not at all/);
});
