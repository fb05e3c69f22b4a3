/**
 * A hermetic stack's published ports (testcontainers/stack.ts randomPortEnvironment): distinct, loopback, and below
 * the kernel's ephemeral range, where outgoing connections take their source ports – in that range a probed port was
 * taken before Docker bound it twice in eighteen side-by-side lane start-ups.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomPortEnvironment } from '../testcontainers/stack.ts';

test('every service gets its own free loopback port below the ephemeral range', async () => {
  const env = await randomPortEnvironment();
  assert.equal(env.RAG_BIND_PUBLIC, '127.0.0.1');
  const ports = Object.entries(env).filter(([k]) => k.endsWith('_PORT')).map(([, v]) => Number(v));
  assert.ok(ports.length >= 10, `${ports.length} ports`);
  assert.equal(new Set(ports).size, ports.length, 'distinct');
  for (const p of ports) assert.ok(p >= 20000 && p <= 32767, `${p} in 20000–32767`);
});
