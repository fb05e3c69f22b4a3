/**
 * Bad-input test of checks/layout.ts's Nginx server configuration as tests/01-prerequisites/service-config.spec.ts
 * decides PRE-SVCCONF-1 with it (a deployment directory that is no checkout of its own: selftest/source-checkout.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxServerConfigs } from '../checks/layout.ts';
import { canFail } from './helpers.ts';

test('an Nginx configuration with no server block and no conf.d/*.conf beside it has no server configuration', canFail('PRE-SVCCONF-1'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-selftest-'));
  try {
    mkdirSync(join(dir, 'nginx', 'conf.d'), { recursive: true });
    writeFileSync(join(dir, 'nginx', 'nginx.conf'), 'events {}\nhttp {\n  # server { listen 80; } (commented out)\n  include /etc/nginx/conf.d/*.conf;\n}\n');
    writeFileSync(join(dir, 'nginx', 'conf.d', 'README'), 'server configurations go here');
    assert.deepEqual(nginxServerConfigs(dir, 'nginx/nginx.conf'), []);
    writeFileSync(join(dir, 'nginx', 'conf.d', 'rag.conf'), 'server { listen 443 ssl; }\n');
    assert.deepEqual(nginxServerConfigs(dir, 'nginx/nginx.conf'), ['nginx/conf.d/rag.conf']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
