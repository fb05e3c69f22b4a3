/**
 * allure-playwright for `playwright merge-reports` (playwright.merge.config.ts). A merged run hands reporters a
 * configuration without projects, and allure-playwright's onConfigure reads the first project's output and snapshot
 * directories, so the merge ended with "Cannot read properties of undefined (reading 'outputDir')" in the report's
 * errors – which fails the merged gate although every test passed. Those two directories only serve visual snapshot
 * diffs, which the suite does not take; each test's own project comes from the merged suite tree, as in a single run.
 */
import { AllureReporter } from 'allure-playwright';
import type { FullConfig, FullProject } from '@playwright/test/reporter';

export default class AllureMergedReporter extends AllureReporter {
  override onConfigure(config: FullConfig): void {
    if (config.projects.length > 0) return super.onConfigure(config);
    const placeholder = { outputDir: '', snapshotDir: '' } as FullProject;
    super.onConfigure({ ...config, projects: [placeholder] });
  }
}
