/** Unit tests of the integration specs' pure decisions (checks/answers.ts, lib/rag-api.ts, fixtures/browser.ts), with bad inputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attributionProblems, containsFact, errorAnswerProblem, eventOrderProblems, excerptOccursVerbatim, listedUploadProblems, namesField } from '../checks/answers.ts';
import { healthAnswerProblems } from '../core/contract.ts';
import { newRunMarker, type ProgressEvent, type QueryResult } from '../lib/rag-api.ts';
import { spkiPin } from '../fixtures/browser.ts';
import { plantedDocuments, QUESTIONS } from '../fixtures/documents/index.ts';
import { schemaErrors } from '../lib/schemas.ts';
import { canFail } from './helpers.ts';

const ev = (status: ProgressEvent['status'], progress: number, s: number, doc = 'd1'): ProgressEvent => ({
  task_id: 't1', filename: 'a.txt', status, progress, message: '', error: status === 'failed' ? 'boom' : null, doc_id: doc,
  timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString(),
});
const good = [ev('pending', 0, 0), ev('validating', 5, 1), ev('processing', 15, 2), ev('processing', 30, 3), ev('indexing', 90, 4), ev('completed', 100, 5)];

test('events in order: a complete, ordered sequence passes', () => {
  assert.deepEqual(eventOrderProblems(good), []);
});

test('events in order: each kind of disorder is caught', canFail('P3-INTEG-1'), () => {
  assert.match(eventOrderProblems([]).join(), /no progress events/);
  assert.match(eventOrderProblems(good.slice(0, -1)).join(), /last event is "indexing"/);
  assert.match(eventOrderProblems([good[0]!, good[2]!, good[1]!, good[5]!]).join(), /went back from processing/);
  assert.match(eventOrderProblems([ev('pending', 0, 0), ev('processing', 40, 1), ev('processing', 30, 2), ev('completed', 100, 3)]).join(), /progress went back/);
  assert.match(eventOrderProblems([ev('pending', 0, 5), ev('completed', 100, 1)]).join(), /timestamp/);
  assert.match(eventOrderProblems([...good, ev('indexing', 100, 6)]).join(), /after the terminal event/);
  assert.match(eventOrderProblems([ev('pending', 0, 0), ev('failed', 100, 1)]).join(), /processing failed: boom/);
  assert.match(eventOrderProblems([ev('pending', 0, 0), ev('completed', 95, 1)]).join(), /reports 95%/);
  assert.match(eventOrderProblems([ev('pending', 0, 0), ev('completed', 100, 1, 'd2')]).join(), /2 documents mixed/);
  assert.match(eventOrderProblems([ev('pending', 0, 0), { ...ev('completed', 100, 1), status: 'done' as never }]).join(), /unknown status "done"/);
});

test('excerpt occurs verbatim: exact slices pass, paraphrases and empty excerpts fail', () => {
  const text = 'The Quillon lighthouse was built in 1887 by the engineer Maren Tolliver.\nIt is 41 metres tall.';
  assert.equal(excerptOccursVerbatim('built in 1887 by the engineer Maren Tolliver.', text), true);
  assert.equal(excerptOccursVerbatim('  It is 41 metres tall. ', text), true);
  assert.equal(excerptOccursVerbatim('built in 1887 by engineer Maren Tolliver.', text), false, 'a dropped word is not verbatim');
  assert.equal(excerptOccursVerbatim('The quillon lighthouse', text), false, 'case changes are not verbatim');
  assert.equal(excerptOccursVerbatim('1887 by the engineer Maren Tolliver. It is', text), false, 'whitespace rewritten across lines is not verbatim');
  assert.equal(excerptOccursVerbatim('   ', text), false);
});

test('facts: case, spacing and thousands separators are ignored; different numbers are not', canFail('P3-QUERY-1'), () => {
  assert.equal(containsFact('They harvested 4,210  Tonnes of apples', '4210 tonnes'), true);
  assert.equal(containsFact('MAREN TOLLIVER built it', 'Maren Tolliver'), true);
  assert.equal(containsFact('41.5 metres', '41 metres'), false);
  assert.equal(containsFact('It is 14 metres', '41 metres'), false);
  assert.equal(containsFact('anything', ''), false);
});

test('attribution: a correct answer passes; each kind of wrong attribution is caught', canFail('P3-QUERY-2', 'P3-QUERY-3', 'P3-QUERY-4', 'P3-UPLOAD-5'), () => {
  const known = [{ doc_id: 'q', title: 'quillon.txt', text: 'The Quillon lighthouse was built in 1887 by Maren Tolliver.' }, { doc_id: 'h', title: 'hallam.txt', text: 'The Hallam lighthouse is 29 metres tall.' }];
  const ok: QueryResult = { answer: 'It was built in 1887 by Maren Tolliver.', sources: [{ doc_id: 'q', title: 'quillon.txt', score: 0.8, excerpt: 'built in 1887 by Maren Tolliver.' }], context_used: 1 };
  const exp = { known, existing: new Set(['q', 'h']), mustCite: ['q'], facts: ['Maren Tolliver'] };
  assert.deepEqual(attributionProblems(ok, exp), { problems: [], unverifiableExcerpts: [] });

  const gone = attributionProblems(ok, { ...exp, existing: new Set(['h']) });
  assert.match(gone.problems.join(), /does not exist/);
  const paraphrased = attributionProblems({ ...ok, sources: [{ ...ok.sources[0]!, excerpt: 'Maren Tolliver built it in 1887.' }] }, exp);
  assert.match(paraphrased.problems.join(), /not occur verbatim/);
  const wrongDoc = attributionProblems({ ...ok, sources: [{ doc_id: 'h', title: 'hallam.txt', score: 0.5, excerpt: 'built in 1887 by Maren Tolliver.' }] }, exp);
  assert.match(wrongDoc.problems.join('|'), /not occur verbatim.*\|.*does not cite quillon\.txt/);
  const wrongTitle = attributionProblems({ ...ok, sources: [{ ...ok.sources[0]!, title: 'other.txt' }] }, exp);
  assert.match(wrongTitle.problems.join(), /title "other.txt"/);
  const noFact = attributionProblems({ ...ok, answer: 'I could not find it.' }, exp);
  assert.match(noFact.problems.join(), /does not state "Maren Tolliver"/);
  const foreign = attributionProblems({ ...ok, sources: [...ok.sources, { doc_id: 'x', title: 'x.txt', score: 0.2, excerpt: 'whatever' }] }, { ...exp, existing: new Set(['q', 'x']) });
  assert.deepEqual(foreign.problems, []);
  assert.equal(foreign.unverifiableExcerpts.length, 1, 'a source the suite did not plant is reported as not checkable, not passed silently');
});

test('a 400 names the field', canFail('P3-INTEG-3'), () => {
  assert.equal(namesField('similarity_threshold must be between 0 and 1, got 1.5', 'similarity_threshold'), true);
  assert.equal(namesField('invalid settings', 'similarity_threshold'), false);
  assert.equal(namesField(undefined, 'chunk_size'), false);
});

test('an API upload: absent from the list, or listed under another name, type or size, fails', canFail('P3-UPLOAD-2'), () => {
  const file = { filename: 'raggate-x-beacon.txt', content: 'Zanfield Beacon Notice\n' };
  const listed = { doc_id: 'd1', title: 'raggate-x-beacon.txt', file_type: 'txt', file_size: 23 };
  assert.deepEqual(listedUploadProblems(listed, file, 'GET /api/v1/documents'), []);
  assert.deepEqual(listedUploadProblems(undefined, file, 'GET /api/v1/documents'), ['raggate-x-beacon.txt is not in GET /api/v1/documents']);
  assert.deepEqual(listedUploadProblems({ ...listed, title: 'upload', file_type: 'application/octet-stream', file_size: 0 }, file, 'the list'), [
    'd1 is listed as "upload", not under its file name raggate-x-beacon.txt',
    'raggate-x-beacon.txt is listed with file_type "application/octet-stream", not as text',
    'raggate-x-beacon.txt is listed with file_size 0, but 23 bytes were uploaded',
  ]);
});

test('error answers: a wrong status, a body that is not JSON and a JSON body without a message each fail, naming the request', canFail('P3-INTEG-4'), () => {
  assert.equal(errorAnswerProblem('malformed JSON to /query', [400], 400, '{"detail":"the body is not valid JSON"}'), undefined);
  assert.equal(errorAnswerProblem('malformed JSON to /query', [400], 200, '{"answer":"no documents to search","sources":[]}'), 'malformed JSON to /query: expected 400, got 200: {"answer":"no documents to search","sources":[]}');
  assert.equal(errorAnswerProblem('status of an unknown doc id', [404], 404, '<html>Not Found</html>'), 'status of an unknown doc id: 404 without a JSON body: <html>Not Found</html>');
  assert.match(errorAnswerProblem('upload of a .exe', [415], 415, '{}') ?? '', /^upload of a \.exe: 415 body lacks a message: /);
});

test('run markers are unique and safe in file names', () => {
  const a = newRunMarker();
  const b = newRunMarker();
  assert.notEqual(a, b);
  assert.match(a, /^raggate-\d{14}-[0-9a-f]{6}$/);
});

test('planted documents: marker in name and text, every fact and question fact actually in the text', () => {
  const docs = plantedDocuments('raggate-MARK');
  for (const d of Object.values(docs)) {
    assert.ok(d.filename.includes('raggate-MARK') && d.text.includes('raggate-MARK'), d.filename);
    for (const [k, f] of Object.entries(d.facts)) assert.ok(d.text.includes(f), `${d.key}.${k} "${f}" is in the text`);
  }
  assert.ok(QUESTIONS.factual.facts.every((f) => f in docs[QUESTIONS.factual.doc].facts));
  // Each distinctive fact belongs to one document only (else citing the wrong document could still pass).
  const all = Object.values(docs).flatMap((d) => Object.values(d.facts).map((f) => [d.key, f] as const));
  for (const [key, f] of all) for (const d of Object.values(docs)) if (d.key !== key) assert.ok(!d.text.includes(f), `"${f}" of ${key} also in ${d.key}`);
});

test('SPKI pin: equals the recipe Chromium documents (openssl x509 -pubkey | pkey -outform der | dgst -sha256 | base64)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spki-'));
  const certFor = (name: string) => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-subj', '/CN=localhost', '-days', '1'], { stdio: 'ignore' });
    return readFileSync(join(dir, `${name}.crt`));
  };
  const a = certFor('a');
  const oracle = execFileSync('bash', ['-c', `openssl x509 -in ${join(dir, 'a.crt')} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`], { encoding: 'utf8' }).trim();
  assert.equal(spkiPin(a), oracle);
  assert.notEqual(spkiPin(certFor('b')), spkiPin(a), 'another key gives another pin: only our certificate is trusted');
  assert.throws(() => spkiPin('not a certificate'));
});

test('schemas: contract bodies pass, broken ones fail with a reason', () => {
  assert.equal(schemaErrors('query', { answer: 'a', sources: [{ doc_id: 'd', title: 't', score: 0.5, excerpt: 'e' }], context_used: 1 }), null);
  assert.match(schemaErrors('query', { answer: 'a', sources: [{ doc_id: 'd', title: 't', score: 0.5 }], context_used: 1 }) ?? '', /excerpt/);
  assert.match(schemaErrors('document-status', { doc_id: 'd', status: 'done', processing_progress: 100, error_message: null, last_updated: '2025-01-01T00:00:00Z' }) ?? '', /allowed values/);
  assert.equal(schemaErrors('ws-event', { type: 'ping', timestamp: 'x' }), null);
  assert.equal(schemaErrors('ws-event', good[0]), null);
  assert.notEqual(schemaErrors('ws-event', { ...good[0], progress: 101 }), null);
  assert.notEqual(schemaErrors('ws-event', { doc_id: 'd' }), null);
  assert.notEqual(schemaErrors('error', { detail: '' }), null);
  assert.notEqual(schemaErrors('settings', { similarity_threshold: 2, max_context_tokens: 1, chunk_size: 1, chunk_overlap: 0 }), null);
  assert.equal(schemaErrors('bulk-delete', { success_count: 1, error_count: 0, total_chunks_deleted: 2, errors: [] }), null);
  assert.notEqual(schemaErrors('upload', { documents: [] }), null, 'an upload that accepted nothing is not a success');
});

test('health answers: the reference\'s own pass, an empty object or body does not (prove:hostile ok-empty)', canFail('P2-HEALTH-2', 'P2-HEALTH-4'), () => {
  // reference/deploy/nginx/conf.d/snippets/health.inc and reference/app/src/frontend/main.ts.
  assert.deepEqual(healthAnswerProblems('{"status":"healthy"}\n', 'Nginx /health'), []);
  assert.deepEqual(healthAnswerProblems(JSON.stringify({ status: 'ok', service: 'frontend', version: '1.0.0', timestamp: new Date().toISOString() }), '/_health'), []);
  assert.deepEqual(healthAnswerProblems('{"status": true, "db": true}', '/_health'), []);
  assert.deepEqual(healthAnswerProblems('OK\n', 'Nginx /health'), []);
  assert.deepEqual(healthAnswerProblems('healthy', 'Nginx /health'), []);
  assert.match(healthAnswerProblems('{}', 'Nginx /health').join(), /does not say it is healthy \(status missing/);
  assert.match(healthAnswerProblems('', 'Nginx /health').join(), /\(empty body\)/);
  assert.match(healthAnswerProblems('{"status":"unhealthy"}', '/_health').join(), /status "unhealthy"/);
  assert.equal(healthAnswerProblems('<html>Welcome to nginx!</html>', 'Nginx /health').length, 1);
  assert.equal(healthAnswerProblems('[]', 'Nginx /health').length, 1);
});

test('Ollama\'s /api/version: a version is required (an empty object is not Ollama)', canFail('PRE-OLLAMA-1', 'PRE-NETWORK-3'), () => {
  assert.equal(schemaErrors('ollama-version', { version: '0.5.7' }), null);
  assert.match(schemaErrors('ollama-version', {}) ?? '', /version/);
  assert.match(schemaErrors('ollama-version', { version: '' }) ?? '', /version/);
});
