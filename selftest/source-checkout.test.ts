/**
 * PRE-SOURCE-1/2/4 judge the deployment directory's own git checkout (checks/layout.ts deploymentCheckout): a
 * directory inside another repository's checkout is not a checkout, and that repository's commit is never reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploymentCheckout } from '../checks/layout.ts';
import { canFail } from './helpers.ts';

const made: string[] = [];
function tmp(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'source-selftest-')));
  made.push(d);
  return d;
}
test.after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function repo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { stdio: 'ignore' });
  git('init', '-q');
  writeFileSync(join(dir, 'README'), 'x\n');
  git('add', 'README');
  git('commit', '-q', '-m', 'init');
}

test('the deployment directory that is a checkout of its own is one (also reached through a symlink)', () => {
  const d = join(tmp(), 'rag-system');
  repo(d);
  assert.deepEqual(deploymentCheckout(d), { top: d });
  const link = join(tmp(), 'current');
  symlinkSync(d, link);
  assert.equal(deploymentCheckout(link).problem, undefined);
});

test('a deployment directory inside another repository\'s checkout is not a git checkout', canFail('PRE-SOURCE-1', 'PRE-SOURCE-2', 'PRE-SOURCE-4'), () => {
  const outer = tmp();
  repo(outer);
  const d = join(outer, 'deploy');
  mkdirSync(d);
  const c = deploymentCheckout(d);
  assert.equal(c.top, undefined);
  assert.equal(c.problem, `the deployment directory ${d} is not a git checkout: it lies inside another repository's checkout (${outer}), whose version is not the deployment's; clone the repository to the deployment location`);
});

test('a directory in no checkout at all is not a git checkout', canFail('PRE-SOURCE-1', 'PRE-SOURCE-2', 'PRE-SOURCE-4'), () => {
  const d = tmp();
  assert.match(deploymentCheckout(d).problem ?? '', /^the deployment directory .* is not a git checkout: clone the repository to the deployment location$/);
});
