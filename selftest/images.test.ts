/**
 * The image list's two sources (testcontainers/images.ts): local builds without a registry, the official images –
 * pinned by digest once the lock has one – with a registry; the lock never silently follows a moved tag. And the
 * checklist comparison (scripts/compare-checklists.ts) the runner image's proof uses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseImageSource, IMAGES, OFFICIAL_IMAGES, pinnedRef, recordDigests, type ImageLock } from '../testcontainers/images.ts';
import { compareChecklists } from '../scripts/compare-checklists.ts';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const NO_REGISTRY = { reachable: false, detail: 'nginx:1.22.1: dial tcp: lookup registry-1.docker.io: no such host' };
const REGISTRY = { reachable: true, detail: `nginx:1.22.1 is ${DIGEST_A}`, digest: DIGEST_A };

test('official images: every one pinned to a tag (no latest), each local build it names exists', () => {
  const local = new Set(IMAGES.map((i) => i.name));
  for (const i of OFFICIAL_IMAGES) {
    assert.match(i.ref, /^[a-z0-9./-]+:[A-Za-z0-9._-]+$/, `${i.service}: ${i.ref} is not repository:tag`);
    assert.doesNotMatch(i.ref, /:(latest|main|stable)$/, `${i.service}: ${i.ref} floats`);
    if (i.local) assert.ok(local.has(i.local), `${i.service}: no local build named ${i.local}`);
  }
  assert.deepEqual(OFFICIAL_IMAGES.map((i) => i.service).sort(), ['alertmanager', 'blackbox-exporter', 'chroma', 'grafana', 'nginx', 'node-exporter', 'ollama', 'prometheus', 'redis']);
});

test('no registry: local builds, and the line says why', () => {
  const c = chooseImageSource(NO_REGISTRY, { 'nginx:1.22.1': DIGEST_A });
  assert.equal(c.source, 'local');
  assert.deepEqual(c.refs, {});
  assert.match(c.line, /^images: local builds .*no registry answers \(nginx:1\.22\.1: dial tcp: lookup registry-1\.docker\.io: no such host\)$/);
  assert.doesNotMatch(c.line, /\n/);
});

test('a registry: official images, by digest where the lock has one, by tag until the first pull', () => {
  const c = chooseImageSource(REGISTRY, { 'nginx:1.22.1': DIGEST_A });
  assert.equal(c.source, 'official');
  assert.equal(c.refs.nginx, `nginx:1.22.1@${DIGEST_A}`);
  assert.equal(c.refs.redis, 'redis:7.0.15');
  assert.match(c.line, /^images: official, pinned in testcontainers\/images\.lock\.json – 1 by digest, 8 by tag until their first pull/);
  const all = Object.fromEntries(OFFICIAL_IMAGES.map((i) => [i.ref, DIGEST_A]));
  assert.match(chooseImageSource(REGISTRY, all).line, /all 9 by digest/);
  assert.equal(pinnedRef(OFFICIAL_IMAGES[0]!, {}), OFFICIAL_IMAGES[0]!.ref);
});

test('the lock records new digests and refuses a moved tag or a non-digest', () => {
  const lock: ImageLock = { 'nginx:1.22.1': DIGEST_A };
  const r = recordDigests(lock, { 'nginx:1.22.1': DIGEST_A, 'redis:7.0.15': DIGEST_B });
  assert.deepEqual(r.added, ['redis:7.0.15']);
  assert.deepEqual(r.problems, []);
  assert.equal(r.lock['redis:7.0.15'], DIGEST_B);
  assert.deepEqual(lock, { 'nginx:1.22.1': DIGEST_A }, 'the input lock is not changed');
  const moved = recordDigests(lock, { 'nginx:1.22.1': DIGEST_B, 'redis:7.0.15': 'latest' });
  assert.equal(moved.lock['nginx:1.22.1'], DIGEST_A, 'a moved tag keeps its pin');
  assert.equal(moved.problems.length, 2);
  assert.match(moved.problems[0]!, /nginx:1\.22\.1 now resolves to sha256:b+, but .* pins sha256:a+: the tag moved upstream/);
  assert.match(moved.problems[1]!, /redis:7\.0\.15: the registry gave "latest", which is not a sha256 digest/);
});

test('compare-checklists: the same statuses agree; another status, a missing item or another verdict is reported', () => {
  const a = { verdict: { result: 'PASSED', exitCode: 0 }, items: [{ id: 'X-1', status: 'passed', reason: null }, { id: 'X-2', status: 'not_verified', reason: 'live: no URL' }] };
  assert.deepEqual(compareChecklists(a, structuredClone(a)).statuses, []);
  const b = { verdict: { result: 'FAILED', exitCode: 1 }, items: [{ id: 'X-1', status: 'failed', reason: 'broke' }, { id: 'X-2', status: 'not_verified', reason: 'live: other' }, { id: 'X-3', status: 'passed' }] };
  const c = compareChecklists(a, b);
  assert.deepEqual(c.statuses.map((d) => d.id), ['X-1', 'X-3']);
  assert.equal(c.statuses[1]!.a, undefined);
  assert.deepEqual(c.reasons.map((d) => d.id), ['X-2']);
  assert.deepEqual(c.verdicts, { a: 'PASSED', b: 'FAILED' });
});
