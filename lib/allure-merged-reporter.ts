/**
 * allure-playwright for `playwright merge-reports` (playwright.merge.config.ts). Two things differ when a reporter
 * is fed a merged run instead of a live one:
 *   - the configuration has no projects, and allure-playwright's onConfigure reads the first project's output and
 *     snapshot directories, so the merge ended with "Cannot read properties of undefined (reading 'outputDir')" in
 *     the report's errors – which fails the merged gate although every test passed. Those two directories only serve
 *     visual snapshot diffs, which the suite does not take; each test's own project comes from the merged suite tree.
 *   - the tests are replayed, and allure-playwright stamps a result's start with the clock (stop = start + duration):
 *     every merged result started at the merge, the Allure timeline showed the run at the wrong time, and Allure's
 *     quality gate found the results outside the run that checklist.json describes ("no gate verdict for these
 *     results" – a disagreement warning after every lanes or shards merge). The start is the one Playwright recorded.
 */
import { AllureReporter } from 'allure-playwright';
import type { FullConfig, FullProject, Suite, TestCase, TestResult } from '@playwright/test/reporter';

type StartTest = (result: Record<string, unknown>, ...rest: unknown[]) => string;

export default class AllureMergedReporter extends AllureReporter {
  /** The recorded start of the test being begun (set around allure-playwright's onTestBegin). */
  private replayedStart: number | undefined;

  override onConfigure(config: FullConfig): void {
    if (config.projects.length > 0) return super.onConfigure(config);
    const placeholder = { outputDir: '', snapshotDir: '' } as FullProject;
    super.onConfigure({ ...config, projects: [placeholder] });
  }

  override onBegin(suite: Suite): void {
    super.onBegin(suite);
    // allure-playwright creates its runtime in onBegin; its startTest takes `start` from the result when given.
    const runtime = (this as unknown as { allureRuntime: { startTest: StartTest } }).allureRuntime;
    const startTest = runtime.startTest;
    runtime.startTest = (result, ...rest) => startTest(this.replayedStart === undefined ? result : { ...result, start: this.replayedStart }, ...rest);
  }

  // Playwright passes the result too; allure-playwright's signature names only the test.
  override onTestBegin(test: TestCase, result?: TestResult): void {
    this.replayedStart = result?.startTime.getTime();
    try {
      super.onTestBegin(test);
    } finally {
      this.replayedStart = undefined;
    }
  }
}
