/**
 * Pre-Deployment Requirements › Environment Setup › Repository and Code. The deployment directory must be a
 * git checkout of the expected version (RAG_EXPECTED_VERSION, default v1.0.0) with a clean status. The
 * hermetic copy of reference/deploy is generated, not cloned: those lines are not verified there.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { checkFilesPresent } from '../../checks/layout.ts';
import { spawnSync } from 'node:child_process';

function git(dir: string, ...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** The checkout's top level when the deployment directory is inside a git work tree of its own. */
function checkout(dir: string): string | undefined {
  const top = git(dir, 'rev-parse', '--show-toplevel');
  return top.ok ? top.out : undefined;
}

const HERMETIC = 'hermetic: the deployment directory is a generated copy of reference/deploy (secrets and certificates filled in), not a git checkout; run in compose mode on a cloned deployment to check this line';

test.describe('Source code', () => {
  test('repository cloned to the deployment location', verifies('PRE-SOURCE-1'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (target.mode === 'hermetic') return notVerified(testInfo, HERMETIC);
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const top = checkout(dir);
    const remote = top ? git(dir, 'remote', '-v').out : '';
    await evidence('git checkout', `deployment directory: ${dir}\nwork tree: ${top ?? '(not a git checkout)'}\nremotes:\n${remote || '(none)'}`);
    expect(top, `${dir} is not a git checkout: clone the repository to the deployment location`).toBeTruthy();
  });

  test(`expected version checked out`, verifies('PRE-SOURCE-2'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (target.mode === 'hermetic') return notVerified(testInfo, HERMETIC);
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const want = target.config.expectedVersion;
    expect(checkout(dir), `${dir} is not a git checkout, so its version cannot be known`).toBeTruthy();
    const tags = git(dir, 'tag', '--points-at', 'HEAD').out.split('\n').filter(Boolean);
    const branch = git(dir, 'rev-parse', '--abbrev-ref', 'HEAD').out;
    const describe = git(dir, 'describe', '--tags', '--always').out;
    await evidence('checked-out version', `HEAD tags: ${tags.join(', ') || '(none)'}\nbranch: ${branch}\ndescribe: ${describe}`);
    annotate.figure(testInfo, { key: 'version.source', value: describe || undefined, unit: '', better: 'info' });
    expect(tags.includes(want) || branch === want, `${dir} has ${describe} (branch ${branch}) checked out; expected ${want} (RAG_EXPECTED_VERSION)`).toBe(true);
  });

  test('all required files present (compose files, configs, scripts)', verifies('PRE-SOURCE-3'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const c = checkFilesPresent(dir);
    await evidence('required files', c.details.concat(c.problems).join('\n'));
    expect(c.problems).toHaveNoProblems('required files');
  });

  test('git status clean', verifies('PRE-SOURCE-4'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (target.mode === 'hermetic') return notVerified(testInfo, HERMETIC);
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    expect(checkout(dir), `${dir} is not a git checkout`).toBeTruthy();
    // Generated files (.env.production, ssl/, data/, logs/, backups/) are ignored by the deployment's .gitignore.
    const st = git(dir, 'status', '--porcelain', '--', '.');
    await evidence('git status --porcelain', st.out || '(clean)');
    expect(st.out.split('\n').filter(Boolean)).toHaveNoProblems(`uncommitted changes in ${dir}`);
  });
});
