/**
 * Phase 3 › End-to-End Functionality Tests › Document Upload Flow (P3-UPLOAD-1..5).
 *
 * Through the public HTTPS entry point (Nginx): the dashboard behind basic auth for the UI steps, the API
 * as the checklist's curl does (multipart field "files", or the profile's field and path) with the profile's
 * credential for the API steps. Every test document carries the run marker and is deleted afterwards
 * (lib/rag-api.ts DocumentJanitor). When the API upload fails, the lines that need its document say
 * "blocked: P3-UPLOAD-2 – <cause>".
 */
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { test, expect, verifies, openUi } from '../../fixtures/browser.ts';
import { needDocument } from '../../fixtures/api.ts';
import { annotate } from '../../fixtures/checklist.ts';
import { credentialName, markedFile, NO_AUTH, type DocumentJanitor, type UploadFile } from '../../lib/rag-api.ts';
import { attribution, listedUploadProblems } from '../../checks/answers.ts';
import { MAX_UPLOAD_TO_SEARCHABLE_MS } from '../../core/thresholds.ts';

/** One document uploaded through the API, shared by the API tests of this file (uploaded by the first that needs it). */
let apiDoc: { docId: string; file: UploadFile; code: string } | undefined;
/** Why that upload failed: the later lines that need the document say so instead of uploading again. */
let apiDocFailed: Error | undefined;
async function uploadApiDoc(janitor: DocumentJanitor): Promise<NonNullable<typeof apiDoc>> {
  if (apiDoc) return apiDoc;
  if (apiDocFailed) throw apiDocFailed;
  const code = `ZB-${randomBytes(4).toString('hex').toUpperCase()}`;
  const file = markedFile(janitor.marker, 'zanfield-beacon', `Zanfield Beacon Notice\n\nThe Zanfield beacon code is ${code}.\nThe beacon is serviced every spring.`);
  try {
    const r = await janitor.upload([file]);
    apiDoc = { docId: r.documents[0]!.doc_id, file, code };
    return apiDoc;
  } catch (e) {
    apiDocFailed = e as Error;
    throw e;
  }
}
/** The API document for a line that needs it: blocked by P3-UPLOAD-2 when the upload failed. */
const ensureApiDoc = (janitor: DocumentJanitor) => needDocument(() => uploadApiDoc(janitor));

test.afterAll(async ({ janitor }) => {
  const failed = await janitor.cleanup();
  expect(failed).toHaveNoProblems('test documents that could not be deleted');
});

async function openDashboard(page: Page) {
  await openUi(page, '/');
  await expect(page.getByRole('heading', { name: 'Documents' }), 'the dashboard should show its "Documents" heading').toBeVisible();
}

function rowFor(page: Page, title: string) {
  return page.getByRole('row').filter({ hasText: title });
}

async function trackRow(page: Page, title: string, janitor: DocumentJanitor): Promise<string> {
  const id = await rowFor(page, title).getAttribute('data-doc-id');
  expect(id, `the dashboard row of ${title} should carry its doc_id`).toBeTruthy();
  janitor.track(id!);
  return id!;
}

test.describe('Document upload flow', () => {
  test('a document chosen with the dashboard\'s file picker is uploaded, listed and processed to completed', verifies('P3-UPLOAD-1', 'P3-UPLOAD-3'), async ({ page, api, janitor }) => {
    const file = markedFile(janitor.marker, 'picker-upload', 'Picker upload check.\nThe Ostrel canal is 14 kilometres long.');
    await openDashboard(page);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByText('Choose files').click()]);
    await chooser.setFiles({ name: file.filename, mimeType: file.contentType, buffer: Buffer.from(file.content) });
    const row = rowFor(page, file.filename);
    await expect(row, `${file.filename} should appear in the dashboard after the upload`).toBeVisible();
    const id = await trackRow(page, file.filename, janitor);
    await expect(row.locator('.st-text, [class*=status]').first(), 'the row\'s status should reach completed without a reload').toHaveText(/completed/, { timeout: MAX_UPLOAD_TO_SEARCHABLE_MS });
    const status = await api.status(id);
    expect(status.status, 'the API agrees the UI-uploaded document is completed').toBe('completed');
    const listed = (await api.list()).documents.find((d) => d.doc_id === id);
    expect(listed?.title, 'the UI-uploaded document is in the API\'s document list under its file name').toBe(file.filename);
  });

  test('a document dropped onto the dashboard\'s drop zone is uploaded and processed', verifies('P3-UPLOAD-1'), async ({ page, api, janitor }) => {
    const file = markedFile(janitor.marker, 'dropped-upload', 'Drag and drop check.\nThe Pelmark ferry carries 60 cars.');
    await openDashboard(page);
    const dataTransfer = await page.evaluateHandle(({ name, type, text }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, { type }));
      return dt;
    }, { name: file.filename, type: file.contentType, text: String(file.content) });
    const zone = page.getByRole('region', { name: /drop files/i });
    await zone.dispatchEvent('dragenter', { dataTransfer });
    await zone.dispatchEvent('dragover', { dataTransfer });
    await zone.dispatchEvent('drop', { dataTransfer });
    const row = rowFor(page, file.filename);
    await expect(row, `${file.filename} should appear in the dashboard after the drop`).toBeVisible();
    const id = await trackRow(page, file.filename, janitor);
    await expect(row.locator('.st-text, [class*=status]').first(), 'the dropped file\'s status should reach completed without a reload').toHaveText(/completed/, { timeout: MAX_UPLOAD_TO_SEARCHABLE_MS });
    expect((await api.status(id)).status, 'the API agrees the dropped document is completed').toBe('completed');
  });

  test('upload via the API as the checklist\'s curl does (multipart "files") is accepted and listed', verifies.smoke('P3-UPLOAD-2'), async ({ api, janitor, target }) => {
    // The checklist's literal command has no credential: record what an anonymous upload gets (must not be accepted).
    const anon = await api.uploadRaw([markedFile(janitor.marker, 'anonymous', 'must be refused')], { auth: false });
    if (anon.status < 300) for (const d of (JSON.parse(anon.body) as { documents?: Array<{ doc_id?: string }> }).documents ?? []) if (d.doc_id) janitor.track(d.doc_id);
    const { auth } = target.profile;
    const refusal = auth.scheme === 'none' && anon.status < 300 ? `${NO_AUTH} (an anonymous upload answered ${anon.status})` : `an anonymous upload must be refused (the deployment authenticates with ${credentialName(auth)}), got ${anon.status}`;
    expect([401, 403], refusal).toContain(anon.status);
    const { docId, file } = await uploadApiDoc(janitor);
    const list = await api.list();
    expect(listedUploadProblems(list.documents.find((d) => d.doc_id === docId), file, `GET ${api.shape.documentsPath}`)).toHaveNoProblems(`${file.filename} (${docId}) in the document list`);
  });

  test('a document uploaded through the API appears in the dashboard', verifies('P3-UPLOAD-3'), async ({ page, janitor }) => {
    const { docId, file } = await ensureApiDoc(janitor);
    await openDashboard(page);
    const row = page.locator(`tr[data-doc-id="${docId}"]`);
    await expect(row, `the dashboard should list ${file.filename}`).toBeVisible();
    await expect(row, `the dashboard row should show the file name ${file.filename}`).toContainText(file.filename);
  });

  test('processing status of an API upload goes through the pipeline to completed', verifies('P3-UPLOAD-4'), async ({ api, janitor }) => {
    const { docId, file } = await ensureApiDoc(janitor);
    const { final, seen, ms } = await api.waitForTerminal(docId, MAX_UPLOAD_TO_SEARCHABLE_MS);
    annotate.info(test.info(), `statuses seen by polling: ${seen.join(' → ')}; terminal after ${ms} ms`);
    expect(final.status, `${file.filename} should reach completed (seen: ${seen.join(' → ')}; error: ${final.error_message ?? 'none'})`).toBe('completed');
    expect(final.processing_progress, 'a completed document reports 100 % progress').toBe(100);
    expect(final.error_message, 'a completed document has no error').toBeNull();
    const listed = (await api.list('status=completed&limit=1000')).documents.find((d) => d.doc_id === docId);
    expect(listed, 'the document is listed under ?status=completed').toBeDefined();
    expect(listed!.chunk_count, 'a completed document has at least one chunk').toBeGreaterThan(0);
  });

  test('an uploaded document is searchable: a query about its unique fact cites it', verifies.smoke('P3-UPLOAD-5'), async ({ api, janitor }) => {
    const { docId, file, code } = await ensureApiDoc(janitor);
    const { final } = await api.waitForTerminal(docId, MAX_UPLOAD_TO_SEARCHABLE_MS);
    expect(final.status, 'the document must be completed before it can be searched').toBe('completed');
    const result = await api.query('What is the Zanfield beacon code?');
    const { problems } = await attribution(api, result, { known: [{ doc_id: docId, title: file.filename, text: String(file.content) }], mustCite: [docId], facts: [code] });
    expect(problems).toHaveNoProblems(`the query for the uploaded document's code ${code}`);
  });
});

