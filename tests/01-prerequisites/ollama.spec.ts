/**
 * Pre-Deployment Requirements › External Dependencies › Ollama Setup: the service answers, the model is
 * there, a generation completes within a bound, and the backend's containers can reach it.
 * (Hermetic: the reference deployment's stand-in speaks Ollama's HTTP API; no weights can be downloaded here.)
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { getContainerRuntimeClient } from 'testcontainers';
import { projectContainers } from '../../lib/docker.ts';
import { generationProblems, OLLAMA_GENERATE_BOUND_MS, ollamaFromContainerProblems, processesNamed } from '../../checks/host.ts';
import { schemaErrors } from '../../lib/schemas.ts';

test.describe('Ollama setup', () => {
  test('Ollama service running', verifies('PRE-OLLAMA-1'), async ({ target, http, evidence }, testInfo) => {
    const url = target.url('ollama');
    if (target.mode === 'hermetic') return notVerified(testInfo, 'hermetic: Ollama is the reference deployment\'s stand-in container, not a service on the deployment host');
    if (!url) return notVerified(testInfo, `${target.mode}: Ollama's port is not reachable from here; set RAG_OLLAMA_URL`);
    const ex = await http.fetch(`${url}/api/version`);
    await evidence('GET /api/version', ex);
    expect(ex.status, `Ollama does not answer at ${url}/api/version (got ${ex.status})`).toBe(200);
    // Something answering 200 is not yet Ollama: its /api/version names a version.
    const version = http.json<{ version?: string }>(ex);
    expect(schemaErrors('ollama-version', version), `the service at ${url} does not answer /api/version as Ollama does: ${ex.body.slice(0, 120)}`).toBeNull();
    const containers = target.raw.projectName ? (await projectContainers(target.raw.projectName)).filter((c) => c.service === 'ollama') : [];
    const procs = processesNamed('ollama');
    annotate.info(testInfo, `Ollama ${version.version} answers; runs as ${containers.length ? `container ${containers.map((c) => `${c.name} (${c.status})`).join(', ')}` : procs.length ? `host process(es) ${procs.map((p) => p.pid).join(', ')}` : 'an external service'}`);
  });

  test('required model is listed by /api/tags', verifies('PRE-OLLAMA-2'), async ({ target, http, evidence }, testInfo) => {
    const url = target.url('ollama');
    if (!url) return notVerified(testInfo, `${target.mode}: Ollama's port is not reachable from here; set RAG_OLLAMA_URL`);
    const ex = await http.fetch(`${url}/api/tags`);
    await evidence('GET /api/tags', ex);
    expect(ex.status, `GET /api/tags should answer 200, got ${ex.status}`).toBe(200);
    const names = (http.json<{ models?: Array<{ name: string; model?: string }> }>(ex).models ?? []).flatMap((m) => [m.name, m.model ?? m.name]);
    const { models, source } = target.ollamaModels;
    const missing = models.filter((want) => !(names.includes(want) || (!want.includes(':') && names.includes(`${want}:latest`))));
    annotate.info(testInfo, `needs ${models.join(', ')} (${source}); Ollama has ${[...new Set(names)].join(', ') || 'no models'}`);
    expect(missing, `model(s) ${missing.join(', ')} (${source}) not downloaded; Ollama has: ${[...new Set(names)].join(', ') || 'no models'} (run: ${missing.map((m) => `ollama pull ${m}`).join('; ')})`).toEqual([]);
  });

  test(`a generation round trip completes within ${OLLAMA_GENERATE_BOUND_MS / 1000} s`, verifies('PRE-OLLAMA-4'), async ({ target, http, evidence }, testInfo) => {
    const url = target.url('ollama');
    if (!url) return notVerified(testInfo, `${target.mode}: Ollama's port is not reachable from here; set RAG_OLLAMA_URL`);
    test.setTimeout(OLLAMA_GENERATE_BOUND_MS * 2 + 10_000);
    const model = target.ollamaModels.models[0]!;
    const gen = await http.fetch(`${url}/api/generate`, { method: 'POST', json: { model, prompt: 'Reply with one short sentence: what is a release checklist?', stream: false, options: { num_predict: 32 } }, timeoutMs: OLLAMA_GENERATE_BOUND_MS + 5_000 });
    await evidence('POST /api/generate', gen);
    // The chat round trip needs nothing of the generation: it is asked whatever the generation gave.
    const chat = await http.fetch(`${url}/api/chat`, { method: 'POST', json: { model, messages: [{ role: 'user', content: 'Say OK.' }], stream: false, options: { num_predict: 16 } }, timeoutMs: OLLAMA_GENERATE_BOUND_MS + 5_000 });
    await evidence('POST /api/chat', chat);
    let body: unknown;
    try {
      body = JSON.parse(gen.body);
    } catch {
      body = undefined; // not JSON: generationProblems says the generation did not complete, with the body
    }
    const g = (body ?? {}) as { eval_count?: number; eval_duration?: number };
    const tps = g.eval_count && g.eval_duration ? (g.eval_count / (g.eval_duration / 1e9)).toFixed(1) : '?';
    annotate.info(testInfo, `generate ${gen.ms} ms, chat ${chat.ms} ms, ${tps} tokens/s (bound ${OLLAMA_GENERATE_BOUND_MS} ms each)`);
    expect(generationProblems(model, { ...gen, body, text: gen.body }, { ...chat, text: chat.body })).toHaveNoProblems(`generation round trip with ${model}`);
    if (target.mode === 'hermetic') annotate.warning(testInfo, 'hermetic: measured on the stand-in model service, not on real llama2 weights');
  });

  test("reachable from inside the backend's container at OLLAMA_HOST", verifies('PRE-OLLAMA-3'), async ({ target, evidence }, testInfo) => {
    const name = target.container('rag-backend');
    if (!name) return notVerified(testInfo, `${target.mode}: the backend's container is not visible from here (live mode); run on the host to check in-network reachability`);
    const client = await getContainerRuntimeClient();
    const container = client.container.getById(name);
    const r = await client.container.exec(container, ['sh', '-c', 'echo "OLLAMA_HOST=$OLLAMA_HOST"; curl -sS -m 10 -o /dev/null -w "%{http_code} %{time_total}s" "$OLLAMA_HOST/api/tags"']);
    await evidence(`exec curl in ${name}`, `exit ${r.exitCode}\n${r.output}`);
    expect(ollamaFromContainerProblems(name, r.exitCode, r.output)).toHaveNoProblems(`Ollama not reachable at OLLAMA_HOST from inside ${name}`);
  });
});
