/**
 * `npm run report` (and scripts/release-gate after the gate): the Allure 3 report of the run's results, as
 * allurerc.ts configures it, made to open offline – Allure's analytics scripts removed (checklist/allure.ts
 * offlineHtml). Exit 1 when Allure cannot build the report, or when the page still loads anything from another
 * host (it names the address).
 *
 *   npm run report                        reports/allure-report/index.html from reports/allure-results
 *   RAG_RESULTS_DIR=dir npm run report    the same beside dir's results
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { externalRefs, offlineHtml } from '../checklist/allure.ts';
import { resultsSettings } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';

const quiet = process.argv.includes('--quiet');
const built = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'allure', 'cli.js'), 'generate'], {
  cwd: REPO_ROOT,
  stdio: quiet ? 'pipe' : 'inherit',
  encoding: 'utf8',
});
if (built.status !== 0) {
  if (quiet) process.stderr.write(`${built.stdout ?? ''}${built.stderr ?? ''}`);
  console.error(`[report] allure generate failed (exit ${built.status ?? built.signal})`);
  process.exit(1);
}
const index = join(resultsSettings().dir, 'allure-report', 'index.html');
if (!existsSync(index)) {
  console.error(`[report] allure generate wrote no ${relative(REPO_ROOT, index)} (is allurerc.ts's output changed?)`);
  process.exit(1);
}
const { html, removed } = offlineHtml(readFileSync(index, 'utf8'));
writeFileSync(index, html);
const left = externalRefs(html);
if (left.length > 0) {
  console.error(`[report] ${relative(REPO_ROOT, index)} still loads from another host: ${left.join(', ')} – checklist/allure.ts offlineHtml must remove it`);
  process.exit(1);
}
if (!quiet) console.log(`[report] ${relative(REPO_ROOT, index)}: opens offline (${removed} analytics script(s) removed)`);
