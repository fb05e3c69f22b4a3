/**
 * Phase 1 › Final System Checks › Resource Availability: free disk, memory use, load average, network.
 * These describe the deployment host (compose mode; live mode run on the host). Measured while the stack
 * under test is already running, so memory and load are upper bounds of the pre-deployment values.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import type { TestInfo } from '@playwright/test';
import type { Check } from '../../checks/check.ts';
import { checkFreeDisk, checkLoad, checkMemoryUse, connectivityProblems, describeHost, measureHost, targetHostScope } from '../../checks/host.ts';
import type { TargetView } from '../../testcontainers/view.ts';

/**
 * Measures the host, attaches the measurements and judges one figure; the line is decided only where the mode
 * decides host lines. `beforeDeployment` names what live mode cannot measure any more (the stack is already running).
 */
async function judgeHost(target: TargetView, testInfo: TestInfo, judge: (h: ReturnType<typeof measureHost>) => Check, what: string, beforeDeployment?: string): Promise<void> {
  const scope = targetHostScope(target);
  const h = measureHost(target.raw.deployDir ?? '/');
  await testInfo.attach('host measurements', { body: describeHost(h), contentType: 'text/plain' });
  const c = judge(h);
  if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${c.details[0]}`);
  if (beforeDeployment && target.mode === 'live') return notVerified(testInfo, `live: the deployment is already running, so ${beforeDeployment} cannot be measured; now: ${c.details[0]}`);
  if (beforeDeployment) annotate.info(testInfo, `measured with the stack under test running (an upper bound of the pre-deployment value): ${c.details[0]}`);
  expect(c.problems).toHaveNoProblems(`${what} on ${scope.which}`);
}

test.describe('Resource availability', () => {
  test('at least 50 GB free disk for the deployment', verifies('P1-RES-1'), async ({ target }, testInfo) => {
    await judgeHost(target, testInfo, (h) => checkFreeDisk(h.freeGb, h.storagePath), 'free disk');
  });

  test('memory use under 60 %', verifies('P1-RES-2'), async ({ target }, testInfo) => {
    await judgeHost(target, testInfo, (h) => checkMemoryUse(h.memoryUsedPercent), 'memory', '"before deployment"');
  });

  test('CPU load average under 2.0', verifies('P1-RES-3'), async ({ target }, testInfo) => {
    await judgeHost(target, testInfo, (h) => checkLoad(h.load), 'load', 'the pre-deployment load');
  });

  test('network connectivity stable: 20 consecutive requests to the entry point all answer', verifies('P1-RES-4'), async ({ target, http, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const url = target.url('nginxHttp') ?? target.publicUrl;
    const results: Array<{ status: number | string; ms: number }> = [];
    for (let i = 0; i < 20; i++) {
      try {
        const ex = await http.fetch(`${url}/health`, { timeoutMs: 5_000 });
        results.push({ status: ex.status, ms: ex.ms });
      } catch (err) {
        results.push({ status: (err as Error).message, ms: -1 });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const bad = results.filter((r) => r.status !== 200);
    const ms = results.filter((r) => r.ms >= 0).map((r) => r.ms).sort((a, b) => a - b);
    await evidence('connectivity probe', `${url}/health ×20: ${results.map((r) => r.status).join(' ')}\nlatency min/median/max ${ms[0]}/${ms[Math.floor(ms.length / 2)]}/${ms[ms.length - 1]} ms`);
    const answered = target.mode === 'hermetic' ? `the hermetic stack answered ${20 - bad.length}/20 probes over loopback` : `${url} answered ${20 - bad.length}/20 probes from this machine`;
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; ${answered}, which says nothing about the production host's network`);
    expect(connectivityProblems(results)).toHaveNoProblems(`requests to ${url}/health that failed (of 20)`);
  });
});
