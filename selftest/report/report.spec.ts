/**
 * reports/checklist.html in a real browser (the `report` project; no stack, no `setup`): rendered from the fixture
 * (selftest/report/fixture.ts) into reports/report-check/ as the gate renders it, opened from file://. Checks the
 * summary, the filters, the search, a line's evidence, the font-independent marks, the repaired headings and the
 * print to PDF; keeps screenshots and the PDF in reports/report-check/ (git-ignored; CI keeps them as artifacts).
 */
import { expect, test, type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadChecklist } from '../../checklist/load.ts';
import { PHASES } from '../../checklist/model.ts';
import { loadRecords } from '../../checklist/records.ts';
import { writeReports } from '../../checklist/render.ts';
import { evaluate, STATUSES, type GateResult, type Status } from '../../checklist/results.ts';
import { REPO_ROOT } from '../../core/paths.ts';
import { FIXTURE_DIR, fixtureReport } from './fixture.ts';

const OUT = join(REPO_ROOT, 'reports', 'report-check');
const PAGE_URL = pathToFileURL(join(OUT, 'checklist.html')).href;

let result: GateResult;

test.beforeAll(() => {
  const checklist = loadChecklist();
  const records = loadRecords(checklist, { attestations: join(FIXTURE_DIR, 'attestations'), waivers: join(FIXTURE_DIR, 'waivers') });
  result = evaluate(checklist, fixtureReport(), records, {
    mode: 'hermetic',
    target: 'https://localhost:44983',
    strict: false,
    resultsFile: 'selftest/report/fixture.ts',
    now: new Date('2026-03-01T12:00:00Z'),
  });
  writeReports(checklist, result, OUT);
});

async function open(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(PAGE_URL);
}

/** Every item line: its status, whether it is shown, and whether only as context for a match below it. */
function lines(page: Page): Promise<Array<{ id: string; status: string; visible: boolean; context: boolean }>> {
  return page.locator('li.item').evaluateAll((els) =>
    els.map((el) => ({ id: el.id, status: el.getAttribute('data-status') ?? '', visible: el.checkVisibility(), context: el.classList.contains('ctx') })),
  );
}

const idsWith = (status: Status): string[] => result.items.filter((r) => r.status === status).map((r) => r.id);

test('the fixture decides what the page must show', () => {
  const status = (id: string): Status => result.items.find((r) => r.id === id)!.status;
  expect([1, 2, 3, 4, 5, 6].map((n) => status(`P2-HEALTH-${n}`))).toEqual(['passed', 'passed', 'failed', 'waived', 'not_verified', 'passed']);
  expect(status('PRE-SECCONF-5')).toBe('attested');
  expect(result.verdict.result).toBe('FAILED');
});

test('summary: counts per phase and status, the verdict and the run\'s metadata', async ({ page }) => {
  await open(page);
  const shown = await page.locator('table.phases tr[data-phase]').evaluateAll((rows) =>
    Object.fromEntries(rows.map((tr) => [tr.getAttribute('data-phase'), Object.fromEntries(Array.from(tr.querySelectorAll('td[data-status]')).map((td) => [td.getAttribute('data-status'), Number(td.textContent)]))])),
  );
  const expected: Record<string, Record<string, number>> = {};
  for (const p of [...PHASES, 'all'] as const) {
    const items = p === 'all' ? result.items : result.items.filter((r) => r.phase === p);
    expected[p] = { ...Object.fromEntries(STATUSES.map((s) => [s, items.filter((r) => r.status === s).length])), total: items.length };
  }
  expect(shown).toMatchObject(expected);
  expect(shown.P2).toMatchObject({ failed: 2, waived: 1, not_verified: 1 }); // P2-HEALTH-3 and its parent P2-HEALTH
  await expect(page.locator('tr[data-phase="P2"] .bar')).toHaveAttribute('aria-label', /^P2: \d+ passed, 2 failed, 1 not verified, 1 waived, \d+ not run$/);
  await expect(page.locator('.verdict')).toContainText('FAILED (standard)');
  const meta = page.locator('dl.meta');
  for (const text of ['hermetic', 'https://localhost:44983', '2026-02-28 09:30:00Z', 'rag-gate', 'Playwright 1.65.1', result.run.resultsFile]) await expect(meta).toContainText(text);
  await expect(page.locator('section.blocking')).toContainText('P2-HEALTH-3');
  await page.screenshot({ path: join(OUT, 'summary.png') });
});

test('filters: "failed" shows only failed lines; "not verified" keeps a failed parent as dimmed context', async ({ page }) => {
  await open(page);
  await page.locator('button[data-filter="failed"]').click();
  await expect(page.locator('#shown')).toHaveText(`${idsWith('failed').length} of ${result.items.length} items`);
  const failed = (await lines(page)).filter((l) => l.visible);
  expect(failed.map((l) => l.id).sort()).toEqual(idsWith('failed').sort());
  expect(failed.every((l) => l.status === 'failed' && !l.context)).toBe(true);
  await expect(page.locator('main.doc > pre, main.doc > p, main.doc > table').filter({ visible: true })).toHaveCount(0);
  await page.screenshot({ path: join(OUT, 'filter-failed.png') });

  await page.locator('button[data-filter="not_verified"]').click();
  const nv = await lines(page);
  expect(nv.find((l) => l.id === 'P2-HEALTH-5')).toMatchObject({ visible: true, context: false });
  expect(nv.find((l) => l.id === 'P2-HEALTH')).toMatchObject({ visible: true, context: true, status: 'failed' });
  expect(nv.filter((l) => l.visible && !l.context).every((l) => l.status === 'not_verified')).toBe(true);
  await expect(page.locator('#P2-HEALTH-5 .why')).toHaveCSS('color', 'rgb(89, 99, 110)'); // neutral grey, not the failure red
  await expect(page.locator('#P2-HEALTH-3 .why')).toHaveCSS('color', 'rgb(207, 34, 46)');

  for (const [filter, id] of [['waived', 'P2-HEALTH-4'], ['attested', 'PRE-SECCONF-5']] as const) {
    await page.locator(`button[data-filter="${filter}"]`).click();
    expect((await lines(page)).filter((l) => l.visible && !l.context).map((l) => l.id)).toEqual(idsWith(filter));
    await expect(page.locator(`#${id}`)).toBeVisible();
  }
  await page.locator('button[data-filter="all"]').click();
  expect((await lines(page)).every((l) => l.visible)).toBe(true);
});

test('search: by ID and by text', async ({ page }) => {
  await open(page);
  await page.locator('#search').fill('p2-health-3');
  await expect(page.locator('#shown')).toHaveText(`1 of ${result.items.length} items`);
  await expect(page.locator('#P2-HEALTH-3')).toBeVisible();
  await expect(page.locator('#P2-HEALTH-1')).toBeHidden();
  await page.locator('#search').fill('Heartbeat');
  expect((await lines(page)).filter((l) => l.visible && !l.context).map((l) => l.id)).toEqual(['P2-HEALTH-3']);
  await page.locator('#search').fill('no such line anywhere');
  await expect(page.locator('#empty')).toBeVisible();
  await page.locator('#search').press('Escape');
  await expect(page.locator('#P2-HEALTH-1')).toBeVisible();
});

test('a line opens to its evidence: the test, its message, notes, screenshot and transcript', async ({ page }) => {
  await open(page);
  const line = page.locator('#P2-HEALTH-3');
  const evidence = line.locator(':scope > details > .evidence');
  await expect(evidence).toBeHidden();
  await line.locator(':scope > details > summary').click();
  await expect(evidence).toBeVisible();
  await expect(evidence.locator('.test-title')).toHaveText('Step 3: individual service health › ChromaDB heartbeat answers 200');
  await expect(evidence.locator('.msg-failed')).toContainText('410 Gone');
  const img = evidence.locator('.thumb img');
  await expect(img).toBeVisible();
  expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0); // the relative link resolves from reports/
  await evidence.locator('details.att > summary').click();
  const transcript = evidence.locator('details.att pre');
  await expect(transcript).toContainText('< 410 (9 ms)');
  await expect(transcript).toContainText('<script>alert(1)</script>'); // shown as text, not run
  await line.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(OUT, 'evidence.png') });

  const passed = page.locator('#P2-HEALTH-1');
  await passed.locator(':scope > details > summary').click();
  await expect(passed.locator('.n-measured')).toContainText('answered in 14 ms');
  await expect(passed.locator('.n-info')).toContainText('through nginx');
  const waived = page.locator('#P2-HEALTH-4');
  await waived.locator(':scope > details > summary').click();
  await expect(waived.locator('.record-waiver')).toContainText('valid until 2026-06-30');
  await expect(waived.locator('.n-warning')).toContainText('restart');
});

test('a link to a line (the Allure report\'s) opens it, even when a filter hides it', async ({ page }) => {
  await open(page);
  await page.locator('button[data-filter="failed"]').click();
  await page.evaluate(() => { location.hash = 'P2-HEALTH-1'; });
  await expect(page.locator('#P2-HEALTH-1 > details')).toHaveAttribute('open');
  await expect(page.locator('#P2-HEALTH-1 .n-measured')).toBeVisible();
  await expect(page.locator('button[data-filter="all"]')).toHaveAttribute('aria-pressed', 'true');
});

test('status marks are SVG shapes with text alternatives, never emoji; the garbled headings are repaired', async ({ page }) => {
  await open(page);
  const labels = await page.locator('svg.mark').evaluateAll((els) => [...new Set(els.map((el) => el.getAttribute('aria-label')))]);
  expect(labels.sort()).toEqual(['attested', 'failed', 'not run', 'not verified', 'passed', 'waived']);
  await expect(page.locator('#P2-HEALTH-3 > details > summary > svg.mark')).toHaveAttribute('aria-label', 'failed');
  // Every emoji on the page is the customer's own (in repaired headings): none is a status mark or a note.
  const emoji = await page.evaluate(() => {
    const copy = document.body.cloneNode(true) as HTMLElement;
    copy.querySelectorAll('.glyph, script').forEach((el) => el.remove());
    return [...new Set(copy.textContent!.match(/\p{Extended_Pictographic}/gu) ?? [])];
  });
  expect(emoji).toEqual([]);
  await expect(page.locator('#phase-PRE')).toHaveText(/^📋\s*Pre-Deployment Requirements$/);
  await expect(page.locator('#phase-RB')).toHaveText(/^⚠️\s*Rollback Procedures$/);
  const text = await page.locator('body').textContent();
  for (const garbled of ['üìã', '‚úÖ', '‚ö†Ô∏è']) expect(text).not.toContain(garbled);
});

test('print: no toolbar, every line whatever the filter, failed and waived evidence open, a PDF with a page per phase', async ({ page }) => {
  await open(page);
  await page.locator('button[data-filter="failed"]').click();
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.toolbar')).toBeHidden();
  expect((await lines(page)).every((l) => l.visible)).toBe(true);
  for (const [id, shown] of [['P2-HEALTH-3', true], ['P2-HEALTH-4', true], ['P2-HEALTH-1', false]] as const) {
    await expect(page.locator(`#${id} > details > .evidence`)).toBeVisible({ visible: shown });
  }
  await expect(page.locator('#P2-HEALTH-3 .atts')).toBeHidden(); // transcripts and screenshots stay in the page
  await page.screenshot({ path: join(OUT, 'print.png') });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  writeFileSync(join(OUT, 'checklist.pdf'), pdf);
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g)?.length ?? 0;
  expect(pages).toBeGreaterThan(PHASES.length); // the summary, then each phase from a new page
  await expect(page.locator('#P2-HEALTH-3 > details')).not.toHaveAttribute('open'); // opened for printing only
});
