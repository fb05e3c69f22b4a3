/** Prepared copies of the reference deployment for unit tests that judge a deployment directory (not every test needs Testcontainers loaded). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
/**
 * A prepared copy of the reference deployment (secrets and certificates generated) in a temporary directory that is
 * removed when the test file ends: `const copy = deploymentCopies('pre-tls'); … const d = copy();`.
 */
export function deploymentCopies(prefix: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-selftest-`));
    made.push(dir);
    return prepareHermeticDeployDir(join(dir, 'deploy'));
  };
}
