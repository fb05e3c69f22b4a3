/**
 * A failed hermetic start-up says its cause first (testcontainers/target.ts composeFailure): Compose v1 prints
 * warnings before its errors, and the setup line used to show the first one – "Found orphan containers" – while the
 * cause was a port another stack had taken between our probe and Docker's bind (three lanes starting at once).
 * Such a collision is ours to retry on other free ports; any other failure is not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeFailure } from '../testcontainers/target.ts';

// As Testcontainers rethrew it in a full gate run's drill lane (bench --repeat 3, run 1), shortened.
const PORT_TAKEN = `Found orphan containers (p-drill_prometheus_1, p-drill_redis_1) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.
Creating p-drill_nginx_1 ... done
Creating p-drill_reflex-frontend_1 ... 
Host is already in use by another container
Creating p-drill_reflex-frontend_1 ... error

ERROR: for p-drill_reflex-frontend_1  Cannot start service reflex-frontend: driver failed programming external connectivity on endpoint p-drill_reflex-frontend_1 (f63f): Bind for 127.0.0.1:45873 failed: port is already allocated

ERROR: for reflex-frontend  Cannot start service reflex-frontend: driver failed programming external connectivity on endpoint p-drill_reflex-frontend_1 (f63f): Bind for 127.0.0.1:45873 failed: port is already allocated
Encountered errors while bringing up the project.`;

test('the ERROR lines lead the message, the warnings and the whole output follow; a taken port is retryable', () => {
  const f = composeFailure(new Error(PORT_TAKEN));
  assert.equal(f.portTaken, true);
  assert.equal(f.lines.length, 2);
  assert.match(f.error.message, /^docker-compose up failed: for p-drill_reflex-frontend_1 {2}Cannot start service reflex-frontend: .*Bind for 127\.0\.0\.1:45873 failed: port is already allocated \| for reflex-frontend /);
  assert.ok(f.error.message.indexOf('Found orphan containers') > f.error.message.indexOf('port is already allocated'), 'the warning comes after the cause');
});

test('another failure is not retried, and a message without ERROR lines stays as it was', () => {
  const image = composeFailure(new Error('Pulling nginx ...\nERROR: pull access denied for rag-system/nginx, repository does not exist'));
  assert.equal(image.portTaken, false);
  assert.match(image.error.message, /^docker-compose up failed: pull access denied for rag-system\/nginx/);
  const plain = new Error('connect ENOENT /var/run/docker.sock');
  const f = composeFailure(plain);
  assert.equal(f.error, plain);
  assert.equal(f.portTaken, false);
});
