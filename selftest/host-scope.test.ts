/**
 * Unit tests of the one decision whether host lines judge this machine (checks/host.ts hostScope): the mode,
 * RAG_DEPLOY_DIR, RAG_ON_DEPLOYMENT_HOST and the signs of a container (the runner image is not the deployment host).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSign, hostScope, targetHostScope, type Whereabouts } from '../checks/host.ts';
import { ConfigError, loadConfig } from '../core/config.ts';

const onHost: Whereabouts = { setting: undefined, container: undefined };
const inContainer: Whereabouts = { setting: undefined, container: '/.dockerenv' };
const noFacts = { dockerenv: false, containerenv: false, cgroup: '' };

test('a container shows itself by /.dockerenv, /run/.containerenv or a container cgroup of PID 1; a host does not', () => {
  assert.equal(containerSign({ ...noFacts, dockerenv: true, containerenv: true }), '/.dockerenv');
  assert.equal(containerSign({ ...noFacts, containerenv: true }), '/run/.containerenv');
  assert.equal(containerSign({ ...noFacts, cgroup: '12:memory:/docker/3f2a9c0d1e\n0::/\n' }), '/proc/1/cgroup: 12:memory:/docker/3f2a9c0d1e');
  assert.match(containerSign({ ...noFacts, cgroup: '0::/system.slice/docker-3f2a9c0d1e4b.scope\n' })!, /docker-3f2a9c0d1e4b\.scope/);
  assert.match(containerSign({ ...noFacts, cgroup: '0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-ab.scope\n' })!, /kubepods/);
  assert.match(containerSign({ ...noFacts, cgroup: '0::/machine.slice/libpod-ab12.scope\n' })!, /libpod/);
  // A host's init, and a container with its own cgroup namespace (nothing to see there: /.dockerenv decides).
  assert.equal(containerSign({ ...noFacts, cgroup: '1:name=systemd:/init.scope\n0::/init.scope\n' }), undefined);
  assert.equal(containerSign({ ...noFacts, cgroup: '0::/system.slice/containerd.service\n' }), undefined);
  assert.equal(containerSign({ ...noFacts, cgroup: '4:memory:/\n0::/\n' }), undefined);
  assert.equal(containerSign(noFacts), undefined);
});

test('live mode with RAG_DEPLOY_DIR in a container: host lines are not verified, with why and how to fix it', () => {
  const s = hostScope('live', '/deploy', inContainer);
  assert.equal(s.decides, false);
  assert.equal(s.which, 'the container running the gate');
  assert.match(s.reason!, /^live: the gate runs in a container \(\/\.dockerenv\), not on the deployment host – its tools, services and ports are the container's/);
  assert.match(s.reason!, /run the gate on the host, or set RAG_ON_DEPLOYMENT_HOST=1 if the container shares the host's view/);
  assert.match(hostScope('live', '/deploy', { setting: undefined, container: '/proc/1/cgroup: 0::/kubepods' }).reason!, /runs in a container \(\/proc\/1\/cgroup: 0::\/kubepods\)/);
});

test('live mode with RAG_DEPLOY_DIR on a machine that shows no container: host lines decide, as before', () => {
  const s = hostScope('live', '/srv/rag', onHost);
  assert.equal(s.decides, true);
  assert.equal(s.reason, undefined);
  assert.equal(s.which, 'the deployment host (live mode run on the host, RAG_DEPLOY_DIR set)');
});

test('RAG_ON_DEPLOYMENT_HOST=1 decides host lines in a container; =0 keeps them undecided anywhere', () => {
  const forced = hostScope('live', '/deploy', { setting: true, container: '/.dockerenv' });
  assert.equal(forced.decides, true);
  assert.match(forced.which, /RAG_ON_DEPLOYMENT_HOST=1/);
  const off = hostScope('live', '/srv/rag', { setting: false, container: undefined });
  assert.equal(off.decides, false);
  assert.match(off.reason!, /^live: RAG_ON_DEPLOYMENT_HOST=0 – the gate does not run on the deployment host/);
  assert.equal(hostScope('live', '/deploy', { setting: false, container: '/.dockerenv' }).decides, false);
  // Without the deployment directory nothing changes: the host lines need it.
  for (const at of [onHost, inContainer, { setting: true, container: undefined }]) {
    const s = hostScope('live', undefined, at);
    assert.equal(s.decides, false);
    assert.match(s.reason!, /RAG_DEPLOY_DIR=<deployment directory>/);
  }
});

test('hermetic and compose mode decide as before, whatever the machine shows or RAG_ON_DEPLOYMENT_HOST says', () => {
  for (const setting of [undefined, true, false]) {
    for (const container of [undefined, '/.dockerenv']) {
      assert.deepEqual(hostScope('compose', '/srv/rag', { setting, container }), { decides: true, which: 'the deployment host (compose mode runs on it)' });
      const h = hostScope('hermetic', '/tmp/copy', { setting, container });
      assert.equal(h.decides, false);
      assert.match(h.reason!, /^hermetic: the Docker host is a test machine, not the deployment host/);
    }
  }
  // The specs' entry point reads this machine's signs, which these modes ignore.
  assert.equal(targetHostScope({ mode: 'compose', raw: { deployDir: '/srv/rag' }, config: {} }).decides, true);
  assert.equal(targetHostScope({ mode: 'hermetic', raw: { deployDir: '/tmp/copy' }, config: { onDeploymentHost: true } }).decides, false);
});

test('RAG_ON_DEPLOYMENT_HOST is a boolean: unset is auto, anything else is refused with the variable name', () => {
  const live = { RAG_BASE_URL: 'https://rag.example.com' };
  assert.equal(loadConfig(live).onDeploymentHost, undefined);
  assert.equal(loadConfig({ ...live, RAG_ON_DEPLOYMENT_HOST: '1' }).onDeploymentHost, true);
  assert.equal(loadConfig({ ...live, RAG_ON_DEPLOYMENT_HOST: 'no' }).onDeploymentHost, false);
  assert.throws(() => loadConfig({ ...live, RAG_ON_DEPLOYMENT_HOST: 'auto' }), (e: unknown) => e instanceof ConfigError && /^RAG_ON_DEPLOYMENT_HOST: "auto" is not a boolean/.test(e.message));
});
