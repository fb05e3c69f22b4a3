/**
 * From a test on a checklist line to its page in the Allure 3 report, for the renderers.
 *
 *   const ids = readAllureResultIds(join(reportsDir, 'allure-results'));
 *   `<a href="${allureTestUrl(ids, test)}">Allure</a>`
 *
 * The report (reports/allure-report/, beside the rendered checklist) opens a result at `index.html#<id>`, where
 * `<id>` is the MD5 of the result's `uuid` in allure-results – new on every run, so it cannot be derived from the
 * test. The run's allure-results name each result by `fullName` (the spec file relative to tests/, then the
 * titles, joined with ' › ' – Playwright's JSON report has the same file and titles) and a `Project` parameter;
 * reading them once gives every test its own page. Without a result (a results-only run) the link searches the
 * report for the test's title.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestOutcome } from './results.ts';

/** The test as the checklist names it: Playwright project, spec file (relative to tests/) and titles. */
export type AllureTestRef = Pick<TestOutcome, 'project' | 'file' | 'fullTitle' | 'title'>;

/** Where the rendered checklist (reports/checklist.*) finds the Allure report. */
export const ALLURE_REPORT_INDEX = 'allure-report/index.html';

function key(project: string, fullName: string): string {
  return `${project}\u0000${fullName}`;
}

interface AllureResultFile {
  uuid?: unknown;
  fullName?: unknown;
  stop?: unknown;
  parameters?: Array<{ name?: unknown; value?: unknown }>;
}

/**
 * Report ids (MD5 of the uuid) of the results in an allure-results directory, by project and full name; of a
 * test's retries the last one, which is the one the report shows. A missing directory gives an empty map.
 */
export function readAllureResultIds(resultsDir: string): Map<string, string> {
  const latest = new Map<string, { id: string; stop: number }>();
  if (!existsSync(resultsDir)) return new Map();
  for (const name of readdirSync(resultsDir)) {
    if (!name.endsWith('-result.json')) continue;
    let r: AllureResultFile;
    try {
      r = JSON.parse(readFileSync(join(resultsDir, name), 'utf8')) as AllureResultFile;
    } catch {
      continue;
    }
    if (typeof r.uuid !== 'string' || typeof r.fullName !== 'string') continue;
    const project = r.parameters?.find((p) => p.name === 'Project')?.value;
    const k = key(typeof project === 'string' ? project : '', r.fullName);
    const stop = typeof r.stop === 'number' ? r.stop : 0;
    const seen = latest.get(k);
    if (!seen || stop >= seen.stop) latest.set(k, { id: createHash('md5').update(r.uuid).digest('hex'), stop });
  }
  return new Map([...latest].map(([k, v]) => [k, v.id]));
}

/** The test's page in the Allure report (relative to reports/), or a search for its title when it has none. */
export function allureTestUrl(ids: ReadonlyMap<string, string>, test: AllureTestRef, index: string = ALLURE_REPORT_INDEX): string {
  const id = ids.get(key(test.project, `${test.file} › ${test.fullTitle}`));
  return id ? `${index}#${id}` : `${index}?query=${encodeURIComponent(test.title)}`;
}

/**
 * Allure 3.18's report page loads Google Analytics (`<script async src="https://www.googletagmanager.com/…">` and
 * a `gtag(…)` call; the awesome plugin sets it on, with no option to turn it off). A release gate's report must not
 * tell a third party that a customer ran it, and it must open where it is read: on a machine without internet the
 * async script holds the page's load event until the connection gives up – a CI run once waited 30 s for the
 * report to render. `offlineHtml` removes both scripts; `externalRefs` names any other address outside the file.
 */
const ANALYTICS_SCRIPTS = [
  /<script\b[^>]*\bsrc="https:\/\/www\.googletagmanager\.com\/[^"]*"[^>]*>\s*<\/script>/g,
  /<script\b[^>]*>\s*window\.dataLayer\s*=[\s\S]*?<\/script>/g,
];

export function offlineHtml(html: string): { html: string; removed: number } {
  let removed = 0;
  let out = html;
  for (const re of ANALYTICS_SCRIPTS) {
    out = out.replace(re, () => {
      removed += 1;
      return '';
    });
  }
  return { html: out, removed };
}

/** Addresses the page would load from elsewhere: `src`/`href` attributes with http(s) or protocol-relative URLs. */
export function externalRefs(html: string): string[] {
  const refs = new Set<string>();
  for (const m of html.matchAll(/\b(?:src|href)\s*=\s*["']((?:https?:)?\/\/[^"']+)["']/gi)) refs.add(m[1]!);
  return [...refs];
}
