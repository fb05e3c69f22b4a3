/**
 * Planted defects in the application itself: behaviours of a bad backend release, not of its configuration.
 * Each is a defective build (prove/builds.ts): the released bundle reference/app/dist/backend.mjs with small
 * exact text patches at realistic places (a debugging sleep left in, an event not forwarded, a dependency
 * made optional, an off-by-one, an allow-list extended, an unbounded buffer, a wrong field compared),
 * mounted over the image's bundle in a copy of the deployment. Same interface as prove/defects.ts.
 *
 * The patch texts are esbuild's output of reference/app/src/backend/*.ts (the bundle is not minified);
 * when the source changes a patch stops matching and applying the defect throws, naming the patch.
 */
import type { Defect } from './defects.ts';
import { defectiveBackend } from './builds.ts';

/** Items that fail when queries stop being answered correctly from the planted documents. */
const QUERY_ITEMS = ['P3-QUERY-1', 'P3-QUERY-2', 'P3-QUERY-3', 'P3-QUERY-4'];

/**
 * Items that may fail with a quality defect besides the metric it moves: the other answer-checking lines of the
 * integration project (chat, searchability, load, settings and restart checks ask questions and look at the
 * answer's sources) and STAB-UX-3, which compares the evaluation figures with the previous release's baseline.
 */
const ANSWER_ITEMS = ['P3-QUERY-1', 'P3-UPLOAD-5', 'P3-LOAD-2', 'P3-LOAD-3', 'P3-BENCH-1', 'P3-BENCH-2', 'P3-INTEG-3', 'P3-INTEG-4', 'STAB-UX-3'];

/**
 * Answer-quality defects: each moves the metrics its comment names below their thresholds in the answer-quality spec
 * (tests/30-integration/answer-quality.spec.ts, checks/quality.ts), which decides P3-QUERY-3 and P3-QUERY-4.
 */
const QUALITY_DEFECTS: Defect[] = [
  {
    id: 'app-retrieval-random',
    title: 'defective build: retrieval ignores the question (candidate chunks in random order, similarity threshold skipped)',
    expect: ['P3-QUERY-3', 'P3-QUERY-4'],
    // The model gets unrelated passages: it says it found nothing (hit@k, MRR and fact recall collapse), and
    // every other check that asks a question fails with it; a similarity threshold of 1 no longer empties the sources.
    mayAlsoFail: ANSWER_ITEMS,
    projects: ['integration'],
    apply: defectiveBackend('app-retrieval-random', [
      {
        name: 'rankCandidates: random order, no threshold',
        find: '  for (const h of [...ranked].sort((a, b) => a.distance - b.distance)) {\n    if (1 - h.distance < threshold) break;\n',
        replace: '  for (const h of [...ranked].sort(() => Math.random() - 0.5)) {\n',
      },
    ]),
  },
  {
    id: 'app-citations-first-doc',
    title: 'defective build: every source of an answer is attributed to the document of its first source (multi-document answers cite the wrong document)',
    expect: ['P3-QUERY-3', 'P3-QUERY-4'],
    // Only answers drawing on several documents change: comparison and combined questions. Their second side's
    // excerpt is attributed to a document that does not contain it (citation precision, verbatim), and the
    // second document is never cited (a comparison's document recall).
    mayAlsoFail: ANSWER_ITEMS,
    projects: ['integration'],
    apply: defectiveBackend('app-citations-first-doc', [
      {
        name: 'query sources: doc_id/title of the first cited chunk',
        find: 'sources: cited.map((c) => ({ doc_id: c.doc.doc_id, title: c.doc.title, score:',
        replace: 'sources: cited.map((c) => ({ doc_id: cited[0].doc.doc_id, title: cited[0].doc.title, score:',
      },
    ]),
  },
  {
    id: 'app-invented-fact',
    title: 'defective build: every answer ends with a sentence no document says (a name and a year invented by a prompt-template leftover)',
    expect: ['P3-QUERY-3'],
    // The facts asked for are still stated and the sources are right: only groundedness drops. The query
    // section's own checks (P3-QUERY-3 with P3-QUERY-4) may see the added sentence too.
    mayAlsoFail: ['P3-QUERY-4', ...ANSWER_ITEMS],
    projects: ['integration'],
    apply: defectiveBackend('app-invented-fact', [
      {
        name: 'query answer: invented sentence appended',
        find: '      answer,\n      sources: cited.map((c) =>',
        replace: '      answer: cited.length ? `${answer} This was confirmed in 1987 by the Harwick county survey.` : answer,\n      sources: cited.map((c) =>',
      },
    ]),
  },
  {
    id: 'app-answers-unanswerable',
    title: 'defective build: when the model finds no answer, the backend answers with the best-matching passage and cites it (never "not found")',
    expect: ['P3-QUERY-4'],
    // Unanswerable questions get a confident answer with a source (refusal correctness); answerable ones are unchanged.
    mayAlsoFail: ['P3-QUERY-3', ...ANSWER_ITEMS],
    projects: ['integration'],
    apply: defectiveBackend('app-answers-unanswerable', [
      {
        name: 'query: a refused answer replaced by the best passage',
        find: '    const cited = isRefusal(answer) ? [] : supportingChunks(answer, chosen);\n',
        replace: '    const cited = isRefusal(answer) ? chosen.slice(0, 1) : supportingChunks(answer, chosen);\n',
      },
      {
        name: 'query answer: the best passage instead of the refusal',
        find: '      answer,\n      sources: cited.map((c) =>',
        replace: '      answer: isRefusal(answer) ? `According to ${chosen[0].doc.title}: ${excerptOf(chosen[0].text, question)}` : answer,\n      sources: cited.map((c) =>',
      },
    ]),
  },
  {
    id: 'app-distractors-first',
    title: 'defective build: the retrieved passages are used weakest first (the ranking reversed after the threshold), so distractors fill the context',
    expect: ['P3-QUERY-3'],
    // The expected documents come late or not at all (hit@k, MRR); the model, given distractors, often says it
    // found nothing, so fact recall (P3-QUERY-4) drops as well.
    mayAlsoFail: ['P3-QUERY-4', ...ANSWER_ITEMS],
    projects: ['integration'],
    apply: defectiveBackend('app-distractors-first', [
      {
        name: 'rankCandidates: reversed',
        find: '    if (out.length >= maxChunks * 3) break;\n  }\n  return out;\n',
        replace: '    if (out.length >= maxChunks * 3) break;\n  }\n  return out.reverse();\n',
      },
    ]),
  },
];

export const APP_DEFECTS: Defect[] = [
  {
    id: 'app-query-slow-3s',
    title: 'defective build: every /query takes 3 s longer (a debugging sleep left in the handler)',
    expect: ['P3-BENCH-2', 'P3-LOAD-3'],
    // Searchability is proven with queries (upload → searchable < 30 s); a UI chat answer takes 3 s more; the
    // soak's latency and UI figures see it too.
    mayAlsoFail: ['P3-BENCH-1', 'P3-LOAD-2', 'P3-UPLOAD-5', 'P3-QUERY-1', 'P3-BENCH-3', 'STAB-DAILY-5', 'STAB-UX-1', 'MON-APPMET-1'],
    projects: ['integration'],
    apply: defectiveBackend('app-query-slow-3s', [
      {
        name: 'POST /query: 3 s sleep before answering',
        find: 'app.post("/query", async (req) => {\n',
        replace: 'app.post("/query", async (req) => {\n    await new Promise((r) => setTimeout(r, 3e3));\n',
      },
    ]),
  },
  {
    id: 'app-ws-no-completed',
    title: 'defective build: the WebSocket never sends the "completed" event (status is stored, the event is dropped)',
    // The dashboard's live status comes over the WebSocket: a document never turns "completed" there, so the UI
    // upload lines fail too (seen in the matrix: "the row's status should reach completed without a reload").
    expect: ['P3-INTEG-1', 'P3-UPLOAD-1', 'P3-UPLOAD-3'],
    mayAlsoFail: ['P3-BENCH-3', 'STAB-UX-1'],
    projects: ['integration'],
    apply: defectiveBackend('app-ws-no-completed', [
      {
        name: 'pipeline emit: completed events not published',
        // Up to the fields esbuild may rename (message2, error2) when another module declares the same name.
        find: '    this.hub.publish({ task_id: doc.task_id, filename: doc.title, status, progress,',
        replace: '    if (status !== "completed") this.hub.publish({ task_id: doc.task_id, filename: doc.title, status, progress,',
      },
    ]),
  },
  {
    id: 'app-health-ignores-chroma',
    title: 'defective build: /health answers 200 "healthy" while ChromaDB is down (ChromaDB treated as optional)',
    expect: ['P2-HEALTH-1'],
    // While ChromaDB is stopped by the dependency spec, whatever reads the backend's health sees "healthy".
    mayAlsoFail: ['P2-APPSVC-5', 'MON-ALERTS-3'],
    projects: ['deployment'],
    apply: defectiveBackend('app-health-ignores-chroma', [
      {
        name: '/health: chromadb not required',
        find: 'const required = components.redis && components.chromadb && components.ollama;',
        replace: 'const required = components.redis && components.ollama;',
      },
    ]),
  },
  {
    id: 'app-wrong-citations',
    title: 'defective build: answers cite a document that does not contain the excerpt (off-by-one in the source lookup)',
    expect: ['P3-QUERY-3'],
    // Every answer's sources are wrong: the factual/summary/comparison and chat checks look at sources too,
    // as do searchability (the fact's document must be cited), the soak's golden questions, and the settings and
    // restart-recovery checks, which watch the planted document being cited.
    mayAlsoFail: ['P3-QUERY-1', 'P3-QUERY-2', 'P3-QUERY-4', 'P3-UPLOAD-5', 'P3-LOAD-2', 'P3-BENCH-1', 'P3-LOAD-3', 'P3-BENCH-2', 'STAB-UX-3', 'P3-INTEG-3', 'P3-INTEG-4'],
    projects: ['integration'],
    apply: defectiveBackend('app-wrong-citations', [
      {
        name: 'query sources: doc_id/title of the next completed document',
        find: 'sources: cited.map((c) => ({ doc_id: c.doc.doc_id, title: c.doc.title, score:',
        replace:
          'sources: cited.map((c) => ({ ...(() => { const l = [...completed.values()]; const d = l[(l.indexOf(c.doc) + 1) % l.length] ?? c.doc; return { doc_id: d.doc_id, title: d.title }; })(), score:',
      },
    ]),
  },
  {
    id: 'app-bulk-delete-extra',
    title: 'defective build: bulk delete removes one document more than asked (the newest other one)',
    expect: ['P3-INTEG-2'],
    // The extra document may be one another spec planted: its queries and clean-up then fail.
    mayAlsoFail: [...QUERY_ITEMS, 'P3-UPLOAD-3', 'P3-UPLOAD-4', 'P3-UPLOAD-5', 'P3-INTEG-1', 'P3-INTEG-4', 'P3-LOAD-2', 'P3-BENCH-1', 'P3-LOAD-3', 'P3-BENCH-2'],
    projects: ['integration'],
    apply: defectiveBackend('app-bulk-delete-extra', [
      {
        name: 'bulk delete: asked ids plus the newest other document',
        find: '    for (const id2 of [...new Set(b.doc_ids)]) {\n',
        replace:
          '    const asked = [...new Set(b.doc_ids)];\n    const extra = (await store.allDocs()).reverse().map((d) => d.doc_id).find((x) => !asked.includes(x));\n    for (const id2 of extra ? [...asked, extra] : asked) {\n',
      },
    ]),
  },
  {
    id: 'app-exe-accepted',
    title: 'defective build: .exe accepted as upload (added to the allowed types, only PDFs checked for their header)',
    expect: ['P4-ACCESS-3'],
    projects: ['security'],
    apply: defectiveBackend('app-exe-accepted', [
      {
        name: 'FILE_TYPES: .exe allowed',
        find: '  { ext: ".csv", fileType: "csv",',
        replace:
          '  { ext: ".exe", fileType: "exe", canonical: "application/x-msdownload", accepted: ["application/x-msdownload", "application/x-msdos-program", "application/vnd.microsoft.portable-executable"], maxBytes: 10 * MB, binary: true },\n  { ext: ".csv", fileType: "csv",',
      },
      {
        name: 'validateUpload: %PDF- header required of .pdf only',
        find: 'if (!startsWith(data, [37, 80, 68, 70, 45])) throw',
        replace: 'if (type.ext === ".pdf" && !startsWith(data, [37, 80, 68, 70, 45])) throw',
      },
    ]),
  },
  {
    id: 'app-memory-leak',
    title: 'defective build: memory grows with every request (a 512 KB per-request trace kept in a never-trimmed array)',
    expect: ['STAB-DAILY-2'],
    // Enough growth over a long soak reaches the container's limit: restarts, slower answers, high memory.
    mayAlsoFail: ['STAB-DAILY-1', 'STAB-DAILY-5', 'P3-BENCH-4', 'P3-LOAD-4', 'MON-ALERTS-1'],
    projects: ['stability'],
    apply: defectiveBackend('app-memory-leak', [
      {
        name: 'onResponse hook: per-request trace retained',
        find: '  app.addHook("onResponse", async (req, reply) => {\n',
        replace:
          '  const requestTraces = [];\n  app.addHook("onResponse", async (req, reply) => {\n    requestTraces.push({ url: req.url, at: Date.now(), trace: Buffer.alloc(512 * 1024, 1) });\n',
      },
    ]),
  },
  {
    id: 'app-processing-fails',
    title: 'defective build: document processing always fails (stored size compared with chunk_count instead of file_size)',
    expect: ['P3-UPLOAD-4', 'P3-UPLOAD-5'],
    // Nothing is ever indexed: UI uploads never complete, planted documents never complete (every query
    // check), the WebSocket ends in "failed", uploads under load fail, and the processing-failure alert may fire.
    mayAlsoFail: ['P3-UPLOAD-1', 'P3-UPLOAD-3', ...QUERY_ITEMS, 'P3-INTEG-1', 'P3-INTEG-2', 'P3-INTEG-3', 'P3-INTEG-4', 'P3-LOAD-2', 'P3-BENCH-1', 'P3-LOAD-3', 'P3-BENCH-2', 'MON-ALERTS-5'],
    projects: ['integration'],
    apply: defectiveBackend('app-processing-fails', [
      {
        name: 'pipeline: size check against chunk_count',
        find: 'if (data.length !== doc.file_size) throw new Error(`stored file has ${data.length} bytes, expected ${doc.file_size}`);',
        replace: 'if (data.length !== doc.chunk_count) throw new Error(`stored file has ${data.length} bytes, expected ${doc.chunk_count}`);',
      },
    ]),
  },
  ...QUALITY_DEFECTS,
];
