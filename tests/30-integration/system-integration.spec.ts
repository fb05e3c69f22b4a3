/**
 * Phase 3 › End-to-End Functionality Tests › System Integration (P3-INTEG-1..4): WebSocket progress events,
 * document management, settings, error handling and recovery. Through the public HTTPS entry point (Nginx);
 * every document carries the run marker and is deleted afterwards; settings are restored in a finally;
 * container restarts only with target.allowDestructive. Diagnose, don't chain: a line whose document cannot be
 * made says "blocked: P3-UPLOAD-2 (or P3-UPLOAD-4) – <cause>", and the probes that need no document (an unknown
 * id in a bulk delete, malformed requests, anonymous requests) run before any document is planted.
 */
import { randomUUID } from 'node:crypto';
import { test, expect, verifies, notVerified, openUi } from '../../fixtures/browser.ts';
import { needDocument, PROCESSING_LINE } from '../../fixtures/api.ts';
import { annotate } from '../../fixtures/checklist.ts';
import { EventSocket, eventually, markedFile, WAIT, type DocumentJanitor, type RagApi } from '../../lib/rag-api.ts';
import { serviceContainer } from '../../lib/containers.ts';
import { errorAnswerProblem, eventOrderProblems, namesField } from '../../checks/answers.ts';
import { schemaErrors } from '../../lib/schemas.ts';
import { MAX_UPLOAD_TO_SEARCHABLE_MS } from '../../core/thresholds.ts';

/**
 * Uploads one marked document with a distinctive sentence and waits until it is completed; a failed upload or
 * processing fails the calling line as blocked by P3-UPLOAD-2 or P3-UPLOAD-4.
 */
async function plant(api: RagApi, janitor: DocumentJanitor, stem: string, fact: string): Promise<{ docId: string; filename: string; chunks: number }> {
  const file = markedFile(janitor.marker, stem, `${stem} note\n\n${fact}`);
  const r = await needDocument(() => janitor.upload([file]));
  const docId = r.documents[0]!.doc_id;
  await needDocument(async () => {
    const { final, seen } = await api.waitForTerminal(docId, MAX_UPLOAD_TO_SEARCHABLE_MS);
    if (final.status !== 'completed') throw new Error(`${file.filename} was not processed to completed (${seen.join(' → ')}; ${final.error_message ?? 'no error message'})`);
  }, PROCESSING_LINE);
  const listed = (await api.list()).documents.find((d) => d.doc_id === docId);
  return { docId, filename: file.filename, chunks: listed?.chunk_count ?? 0 };
}

test.afterAll(async ({ janitor }) => {
  const failed = await janitor.cleanup();
  expect(failed).toHaveNoProblems('test documents that could not be deleted');
});

test.describe('WebSocket connections (real-time updates)', () => {
  test('an upload\'s progress events arrive over wss:// through Nginx in order, ending completed, and keep-alive pings arrive', verifies('P3-INTEG-1'), async ({ target, api, janitor, evidence }) => {
    test.setTimeout(MAX_UPLOAD_TO_SEARCHABLE_MS + WAIT.wsPingMs + 30_000);
    const sock = await EventSocket.open(target.publicUrl, `raggate-${janitor.marker}-a`, target.raw.caFile, undefined, api.shape.documentsPath);
    try {
      const r = await needDocument(() => janitor.upload([markedFile(janitor.marker, 'ws-progress', 'WebSocket progress check.\nThe Tarrow bridge has 7 arches.')]));
      const docId = r.documents[0]!.doc_id;
      const done = await sock.waitUntil(() => sock.eventsFor(docId).some((e) => e.status === 'completed' || e.status === 'failed'), MAX_UPLOAD_TO_SEARCHABLE_MS);
      const events = sock.eventsFor(docId);
      expect(done, `no terminal event for ${docId} within ${MAX_UPLOAD_TO_SEARCHABLE_MS / 1000} s; received: ${events.map((e) => e.status).join(' → ') || 'nothing'}`).toBe(true);
      const invalid = sock.messages.map((m) => schemaErrors('ws-event', m.data ?? m.raw)).filter((e): e is string => e !== null);
      expect(invalid).toHaveNoProblems('WebSocket messages that break the event contract');
      expect(eventOrderProblems(events)).toHaveNoProblems(`progress events of ${docId}`, { evidence: 'WebSocket transcript' });
      expect(events.length, 'processing reports progress, not only the end state').toBeGreaterThanOrEqual(3);
      // Keep-alive: the reference pings every WS_PING_INTERVAL_MS (15 s by default); wait at most WAIT.wsPingMs from the open.
      const left = Math.max(0, WAIT.wsPingMs - (Date.now() - sock.openedAt));
      const pinged = await sock.waitUntil(() => sock.pings().length > 0, left);
      expect(pinged, `no {"type":"ping"} keep-alive within ${WAIT.wsPingMs / 1000} s of connecting`).toBe(true);
      annotate.info(test.info(), `first keep-alive ping ${((sock.pings()[0]!.at - sock.openedAt) / 1000).toFixed(1)} s after connecting`);
      expect(sock.closed, 'the socket stays open while pinging').toBeNull();
    } finally {
      sock.close();
      await evidence('WebSocket transcript', sock.transcript());
    }
  });

  test('a dropped WebSocket connection reconnects and still sees the document\'s final state', verifies('P3-INTEG-1'), async ({ target, api, janitor, evidence }) => {
    test.setTimeout(MAX_UPLOAD_TO_SEARCHABLE_MS * 2 + 30_000);
    const clientId = `raggate-${janitor.marker}-b`;
    const first = await EventSocket.open(target.publicUrl, clientId, target.raw.caFile, undefined, api.shape.documentsPath);
    let second: EventSocket | undefined;
    try {
      const r = await needDocument(() => janitor.upload([markedFile(janitor.marker, 'ws-reconnect', 'WebSocket reconnect check.\nThe Orrin tunnel is 3 kilometres long.')]));
      const docId = r.documents[0]!.doc_id;
      const gotOne = await first.waitUntil(() => first.eventsFor(docId).length > 0, 10_000);
      expect(gotOne, 'the first connection receives at least one event before it is dropped').toBe(true);
      first.drop();
      second = await EventSocket.open(target.publicUrl, clientId, target.raw.caFile, undefined, api.shape.documentsPath);
      const s2 = second;
      const sawFinal = await s2.waitUntil(() => s2.eventsFor(docId).some((e) => e.status === 'completed'), MAX_UPLOAD_TO_SEARCHABLE_MS);
      expect(sawFinal, `after reconnecting, the client should see ${docId} completed (snapshot or live); received: ${s2.eventsFor(docId).map((e) => e.status).join(' → ') || 'nothing'}`).toBe(true);
      const combined = [...first.eventsFor(docId), ...s2.eventsFor(docId)];
      const last = combined[combined.length - 1]!;
      expect(last.status, 'the last event across both connections is the final state').toBe('completed');
      expect((await api.status(docId)).status, 'the API agrees on the final state').toBe('completed');
    } finally {
      first.close();
      second?.close();
      await evidence('WebSocket transcript (dropped)', first.transcript());
      if (second) await evidence('WebSocket transcript (reconnected)', second.transcript());
    }
  });

  test('the dashboard shows a new document and its progress to completed without a reload', verifies('P3-INTEG-1'), async ({ page, janitor }) => {
    await openUi(page, '/');
    await expect(page.getByLabel('Live updates'), 'the dashboard\'s live connection').toHaveText(/live/i, { timeout: 10_000 });
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    const r = await needDocument(() => janitor.upload([markedFile(janitor.marker, 'live-dashboard', 'Live dashboard check.\nThe Selby aqueduct carries 9 million litres a day.')]));
    const row = page.locator(`tr[data-doc-id="${r.documents[0]!.doc_id}"]`);
    await expect(row, 'the API-uploaded document should appear on the open dashboard by itself').toBeVisible({ timeout: MAX_UPLOAD_TO_SEARCHABLE_MS });
    await expect(row.locator('.st-text').first(), 'the row\'s status should reach completed on the open dashboard').toHaveText(/completed/, { timeout: MAX_UPLOAD_TO_SEARCHABLE_MS });
    expect(navigations, 'the page was not reloaded or navigated').toBe(0);
  });
});

test.describe('Document management operations', () => {
  test('deleting one document removes it (404 afterwards) and only it', verifies('P3-INTEG-2'), async ({ api, janitor }) => {
    const victim = await plant(api, janitor, 'delete-one', 'The Wendle mill grinds 300 sacks a week.');
    const bystander = await plant(api, janitor, 'delete-bystander', 'The Corrie weir is 4 metres high.');
    const del = await api.delete(victim.docId);
    expect(del.deleted_chunks, 'deleted_chunks should be the document\'s chunk count').toBe(victim.chunks);
    const after = await api.raw(api.docPath(victim.docId, 'status'));
    expect(after.status, 'the deleted document\'s status is 404').toBe(404);
    expect(schemaErrors('error', JSON.parse(after.body)), 'the 404 body does not match the error contract').toBeNull();
    const list = await api.list();
    expect(list.documents.map((d) => d.doc_id), 'the list no longer contains the deleted document').not.toContain(victim.docId);
    expect(list.documents.map((d) => d.doc_id), 'the list still contains the other document').toContain(bystander.docId);
    const again = await api.deleteRaw(victim.docId);
    expect(again.status, 'deleting it again is 404').toBe(404);
    const q = await api.query('How many sacks does the Wendle mill grind?');
    expect(q.sources.map((s) => s.doc_id), 'a deleted document is no longer cited').not.toContain(victim.docId);
  });

  test('bulk delete removes exactly the listed documents and reports an unknown id', verifies('P3-INTEG-2'), async ({ api, janitor }) => {
    test.setTimeout(MAX_UPLOAD_TO_SEARCHABLE_MS * 4 + 30_000);
    // Needs no document: a bulk delete of an unknown id alone is answered and reports it (a bulk route shadowed
    // by the /{id} route fails here, whether or not documents can be planted).
    const alone = randomUUID();
    const probe = await api.bulkDelete([alone]);
    expect(probe.errors.map((e) => e.doc_id), `a bulk delete of the unknown id ${alone} alone should report it in errors (success_count ${probe.success_count}, error_count ${probe.error_count})`).toEqual([alone]);
    const victims = [
      await plant(api, janitor, 'bulk-1', 'The Ambry lock lifts boats 2 metres.'),
      await plant(api, janitor, 'bulk-2', 'The Ambry quay is 180 metres long.'),
      await plant(api, janitor, 'bulk-3', 'The Ambry basin holds 40 barges.'),
    ];
    const bystander = await plant(api, janitor, 'bulk-bystander', 'The Ambry chandlery opened in 1931.');
    const countBefore = (await api.list()).total_count;
    const unknown = randomUUID();
    const r = await api.bulkDelete([...victims.map((v) => v.docId), unknown]);
    expect(r.success_count, 'all three listed documents are deleted').toBe(3);
    expect(r.error_count, 'the unknown id is reported, not silently ignored').toBe(1);
    expect(r.errors.map((e) => e.doc_id), `errors should name exactly the unknown id ${unknown}; they name ${r.errors.map((e) => e.doc_id).join(', ') || 'nothing'}`).toEqual([unknown]);
    expect(r.total_chunks_deleted, 'total_chunks_deleted is the sum of their chunks').toBe(victims.reduce((n, v) => n + v.chunks, 0));
    const list = await api.list();
    const ids = list.documents.map((d) => d.doc_id);
    for (const v of victims) expect(ids, `${v.filename} is gone from the list`).not.toContain(v.docId);
    expect(ids, 'the bystander survives a bulk delete it was not part of').toContain(bystander.docId);
    expect(list.total_count, 'total_count dropped by exactly three').toBe(countBefore - 3);
    expect((await api.status(bystander.docId)).status, 'the bystander is still completed after the bulk delete').toBe('completed');
  });
});

test.describe('Settings configuration and updates', () => {
  test('settings can be read and updated, out-of-range values are refused naming the field, and they are restored', verifies('P3-INTEG-3'), async ({ api }) => {
    const original = await api.getSettings();
    try {
      const wanted = { similarity_threshold: original.similarity_threshold >= 0.5 ? 0.2 : 0.35, max_context_tokens: original.max_context_tokens === 3000 ? 3500 : 3000 };
      const updated = await api.postSettings(wanted);
      expect(updated, 'POST /settings answers the merged settings').toEqual({ ...original, ...wanted });
      expect(await api.getSettings(), 'GET /settings reflects the update').toEqual({ ...original, ...wanted });
      for (const [field, value] of [['similarity_threshold', 1.5], ['similarity_threshold', -0.1], ['chunk_size', 10], ['max_context_tokens', 'many']] as const) {
        const ex = await api.postSettingsRaw({ [field]: value });
        expect(ex.status, `${field}=${JSON.stringify(value)} must be refused with 400, got ${ex.status}: ${ex.body}`).toBe(400);
        const body = JSON.parse(ex.body) as { detail?: string };
        expect(schemaErrors('error', body), 'the 400 body does not match the error contract').toBeNull();
        expect(namesField(body.detail, field), `the 400 message should name ${field}: "${body.detail}"`).toBe(true);
      }
      expect(await api.getSettings(), 'refused updates change nothing').toEqual({ ...original, ...wanted });
      const anon = await api.raw('/settings', { method: 'POST', json: { similarity_threshold: 0.5 } });
      expect([401, 403], `an anonymous settings update must be refused, got ${anon.status}`).toContain(anon.status);
    } finally {
      await api.postSettings(original);
    }
    expect(await api.getSettings(), 'the settings are restored').toEqual(original);
  });

  test('a settings change takes effect on the next query', verifies('P3-INTEG-3'), async ({ api, janitor }) => {
    const doc = await plant(api, janitor, 'settings-effect', 'The Kestle observatory telescope has a 90 centimetre mirror.');
    const question = 'How large is the mirror of the Kestle observatory telescope?';
    const original = await api.getSettings();
    const before = await api.query(question);
    expect(before.sources.map((s) => s.doc_id), 'with the current settings the document is cited').toContain(doc.docId);
    try {
      await api.postSettings({ similarity_threshold: 1 });
      const strict = await api.query(question);
      expect(strict.sources.map((s) => s.doc_id)).toHaveNoProblems('documents cited although similarity_threshold 1 lets no passage qualify');
    } finally {
      await api.postSettings(original);
    }
    const after = await api.query(question);
    expect(after.sources.map((s) => s.doc_id), 'after restoring, the document is cited again').toContain(doc.docId);
  });
});

test.describe('Error handling and recovery', () => {
  test('malformed requests get the right 4xx with a message', verifies('P3-INTEG-4'), async ({ api, target, janitor }) => {
    const { queryPath, questionField, uploadPath, uploadField } = api.shape;
    const probes: Array<{ what: string; ex: Awaited<ReturnType<RagApi['raw']>>; want: number[] }> = [
      { what: `malformed JSON to ${queryPath}`, ex: await api.raw(queryPath, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"${questionField}": "unterminated` }), want: [400] },
      { what: `missing ${questionField}`, ex: await api.raw(queryPath, { method: 'POST', json: { max_chunks: 3 } }), want: [400, 422] },
      { what: `wrong content type (text/plain) to ${queryPath}`, ex: await api.raw(queryPath, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'What documents are available?' }), want: [415, 400] },
      { what: 'status of an unknown doc id', ex: await api.raw(api.docPath(randomUUID(), 'status')), want: [404] },
      { what: 'delete of an unknown doc id', ex: await api.deleteRaw(randomUUID()), want: [404] },
      { what: 'bulk delete without doc_ids', ex: await api.raw(api.docPath('bulk'), { method: 'DELETE', headers: target.apiKey(), json: { ids: [] } }), want: [400, 422] },
      { what: 'upload of a .exe', ex: await api.uploadRaw([{ filename: `tool-${janitor.marker}.exe`, contentType: 'application/octet-stream', content: Buffer.from('MZ\u0090\u0000 not a document') }]), want: [415] },
      { what: 'upload of a .txt sent as application/pdf', ex: await api.uploadRaw([markedFile(janitor.marker, 'mismatch', 'text', '.txt', 'application/pdf')]), want: [415] },
      { what: `upload without the "${uploadField}" field`, ex: await api.raw(uploadPath, { method: 'POST', headers: { ...target.apiKey(), 'content-type': 'application/json' }, json: { [uploadField]: [] } }), want: [400, 415, 422] },
    ];
    const problems: string[] = [];
    for (const { what, ex, want } of probes) {
      if (ex.status < 300 && /upload/.test(ex.url)) for (const d of (JSON.parse(ex.body) as { documents?: Array<{ doc_id: string }> }).documents ?? []) janitor.track(d.doc_id);
      const problem = errorAnswerProblem(what, want, ex.status, ex.body);
      if (problem) problems.push(problem);
    }
    expect(problems).toHaveNoProblems('error answers of the API');
  });

  for (const service of ['redis', 'chroma'] as const) {
    test(`a restarted ${service === 'redis' ? 'Redis' : 'ChromaDB'} container is survived: documents remain and queries still work`, verifies('P3-INTEG-4'), async ({ api, http, target, janitor, evidence }, testInfo) => {
      test.setTimeout(MAX_UPLOAD_TO_SEARCHABLE_MS + WAIT.serviceRecoversMs * 2 + 30_000);
      if (!target.allowDestructive) return notVerified(testInfo, `${target.mode}: restarting ${service} is destructive; set RAG_ALLOW_DESTRUCTIVE=1 to run it`);
      const container = await serviceContainer(target, service);
      if (!container) return notVerified(testInfo, `${target.mode}: the suite cannot see the ${service} container (needs the deployment's Docker engine)`);
      const fact = service === 'redis' ? 'The Harrowgate ferry crossing takes 25 minutes.' : 'The Penhallow quarry yields 800 tonnes of slate a month.';
      const question = service === 'redis' ? 'How long does the Harrowgate ferry crossing take?' : 'How much slate does the Penhallow quarry yield?';
      const token = service === 'redis' ? '25 minutes' : '800 tonnes';
      const doc = await plant(api, janitor, `restart-${service}`, fact);
      try {
        await container.restart();
      } finally {
        await container.start();
      }
      const { ms } = await eventually(`the API to answer the query with the document after ${container.name} restarted`, WAIT.serviceRecoversMs, async () => {
        const r = await api.query(question);
        return r.sources.some((s) => s.doc_id === doc.docId) && r.answer.includes(token) ? r : undefined;
      }, 1000);
      annotate.info(testInfo, `queries answered again ${(ms / 1000).toFixed(1)} s after ${container.name} restarted`);
      const status = await api.status(doc.docId);
      expect(status.status, 'the document survived the restart, still completed').toBe('completed');
      expect((await api.list()).documents.map((d) => d.doc_id), 'the document is still listed').toContain(doc.docId);
      const backend = target.url('backend');
      if (backend) await evidence(`GET backend ${api.shape.healthPath} after the restart`, await http.fetch(`${backend}${api.shape.healthPath}`));
    });
  }
});
