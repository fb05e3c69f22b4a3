/**
 * Pre-Deployment Requirements › Environment Setup › Repository and Code. The deployment directory must be a
 * git checkout of the expected version (RAG_EXPECTED_VERSION, default v1.0.0) with a clean status. The
 * hermetic copy of reference/deploy is generated, not cloned: those lines are not verified there.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { checkFilesPresent, deploymentCheckout, git } from '../../checks/layout.ts';
import { resolveFiles } from '../../checks/discover.ts';

const HERMETIC = 'hermetic: the deployment directory is a generated copy of reference/deploy (secrets and certificates filled in), not a git checkout; run in compose mode on a cloned deployment to check this line';

test.describe('Source code', () => {
  test('repository cloned to the deployment location', verifies('PRE-SOURCE-1'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (target.mode === 'hermetic') return notVerified(testInfo, HERMETIC);
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const co = deploymentCheckout(dir);
    const remote = co.top ? git(dir, 'remote', '-v').out : '';
    await evidence('git checkout', `deployment directory: ${dir}\nwork tree: ${co.top ?? co.problem}\nremotes:\n${remote || '(none)'}`);
    expect(co.problem === undefined, co.problem).toBe(true);
  });

  test(`expected version checked out`, verifies('PRE-SOURCE-2'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (target.mode === 'hermetic') return notVerified(testInfo, HERMETIC);
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const want = target.config.expectedVersion;
    const co = deploymentCheckout(dir);
    expect(co.problem === undefined, `${co.problem}, so its version cannot be known`).toBe(true);
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
    const c = checkFilesPresent(dir, resolveFiles(dir, target.profile));
    await evidence('required files', c.details.concat(c.problems).join('\n'));
    expect(c.problems).toHaveNoProblems('required files');
  });

  test('git status clean', verifies('PRE-SOURCE-4'), async ({ target, evidence }, testInfo) => {
    const dir = target.raw.deployDir;
    if (target.mode === 'hermetic') return notVerified(testInfo, HERMETIC);
    if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory; set RAG_DEPLOY_DIR on the host`);
    const co = deploymentCheckout(dir);
    expect(co.problem === undefined, co.problem).toBe(true);
    // Generated files (.env.production, ssl/, data/, logs/, backups/) are ignored by the deployment's .gitignore.
    const st = git(dir, 'status', '--porcelain', '--', '.');
    await evidence('git status --porcelain', st.out || '(clean)');
    expect(st.out.split('\n').filter(Boolean)).toHaveNoProblems(`uncommitted changes in ${dir}`);
  });
});
