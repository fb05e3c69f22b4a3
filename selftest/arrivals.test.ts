import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arrivals } from '../lib/arrivals.ts';

test('until() resolves on the arrival that makes the condition true, long before the re-check interval', async () => {
  const a = new Arrivals();
  const seen: number[] = [];
  setTimeout(() => {
    seen.push(1);
    a.notify();
  }, 20);
  const t0 = Date.now();
  assert.equal(await a.until(() => seen.length > 0, 5_000, undefined, 10_000), true);
  assert.ok(Date.now() - t0 < 1_000, 'woken by notify(), not by the 10 s re-check');
});

test('until() answers false when the time is up, and stops early when stop() says so', async () => {
  const a = new Arrivals();
  assert.equal(await a.until(() => false, 50), false);
  const t0 = Date.now();
  assert.equal(await a.until(() => false, 5_000, () => true), false);
  assert.ok(Date.now() - t0 < 100);
});
