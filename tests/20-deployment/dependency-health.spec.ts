/**
 * Phase 2, Step 3: the backend's /health must tell the truth about its dependencies. Stopping ChromaDB must
 * turn it non-200 naming chromadb; starting ChromaDB again must bring it back to healthy within a bound.
 * Destructive: runs only with target.allowDestructive (hermetic/compose, or live with RAG_ALLOW_DESTRUCTIVE=1
 * and access to the Docker engine); ChromaDB is started again in a finally, whatever happened.
 */
import { test, expect, verifies, notVerified } from '../../fixtures/api.ts';
import { annotate } from '../../fixtures/checklist.ts';
import { serviceContainer } from '../../lib/containers.ts';
import { eventually, WAIT } from '../../lib/rag-api.ts';
import { schemaErrors } from '../../lib/schemas.ts';

interface Health {
  status: string;
  components: Record<string, unknown>;
}

const down = (v: unknown) => v === false || (typeof v === 'object' && v !== null && ((v as { healthy?: boolean }).healthy === false || /down|unhealthy|error/i.test(String((v as { status?: string }).status ?? ''))));

test('backend /health reports a stopped ChromaDB (not 200, names chromadb) and recovers when it is back', verifies('P2-HEALTH-1'), async ({ target, http, evidence }, testInfo) => {
  test.setTimeout(WAIT.healthReportsDownMs + WAIT.healthRecoversMs + 60_000);
  const url = target.url('backend');
  if (!url) return notVerified(testInfo, `${target.mode}: the backend port 8000 is not reachable from here; set RAG_BACKEND_URL to check it`);
  if (!target.allowDestructive) return notVerified(testInfo, `${target.mode}: stopping ChromaDB is destructive; set RAG_ALLOW_DESTRUCTIVE=1 to run it`);
  const chroma = await serviceContainer(target, 'chroma');
  if (!chroma) return notVerified(testInfo, `${target.mode}: the suite cannot see the ChromaDB container (needs the deployment's Docker engine)`);

  const health = `${url}${target.profile.api.healthPath}`;
  const before = await http.fetch(health);
  await evidence('GET /health before', before);
  expect(before.status, `backend /health should be 200 before the test, got ${before.status}`).toBe(200);

  try {
    await chroma.stop();
    const { value: sick, ms } = await eventually('backend /health to report ChromaDB down', WAIT.healthReportsDownMs, async () => {
      const ex = await http.fetch(health);
      return ex.status !== 200 ? ex : undefined;
    });
    await evidence(`GET /health with ${chroma.name} stopped (${ms} ms)`, sick);
    expect(sick.status, 'an unhealthy backend must not answer 200 (and must still answer)').toBeGreaterThanOrEqual(500);
    const body = http.json<Health>(sick);
    expect(schemaErrors('health', body), 'the unhealthy /health body must still match the contract').toBeNull();
    expect(body.status, 'overall status with ChromaDB stopped').toBe('unhealthy');
    const chromaKey = Object.keys(body.components).find((k) => /chroma/i.test(k));
    expect(chromaKey, `/health components should name ChromaDB: ${Object.keys(body.components).join(', ')}`).toBeDefined();
    expect(down(body.components[chromaKey!]), `/health should report ${chromaKey} down, reports ${JSON.stringify(body.components[chromaKey!])}`).toBe(true);
    const othersDown = Object.entries(body.components).filter(([k, v]) => k !== chromaKey && down(v)).map(([k]) => k);
    expect(othersDown).toHaveNoProblems('components reported down although only ChromaDB was stopped');
  } finally {
    await chroma.start();
  }
  const { value: healthy, ms } = await eventually('backend /health to be healthy again after ChromaDB started', WAIT.healthRecoversMs, async () => {
    const ex = await http.fetch(health);
    return ex.status === 200 && http.json<Health>(ex).status === 'healthy' ? ex : undefined;
  }, 1000);
  await evidence(`GET /health after ${chroma.name} started (${ms} ms)`, healthy);
  annotate.info(testInfo, `healthy again ${(ms / 1000).toFixed(1)} s after ChromaDB was started`);
});
