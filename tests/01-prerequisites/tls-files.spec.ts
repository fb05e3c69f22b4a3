/**
 * Pre-Deployment Requirements › Security Setup › SSL/TLS Certificates – the files in ./ssl/, parsed with
 * node:crypto (checks/tls.ts). The served certificate is checked in Phase 4 (security).
 */
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { checkCertificateValid, checkChain, checkDaysLeft, checkNamesCover, checkSslFilesPresent } from '../../checks/tls.ts';
import type { Check } from '../../checks/check.ts';
import type { TargetView } from '../../testcontainers/view.ts';
import { join } from 'node:path';

function sslDir(target: TargetView, testInfo: TestInfo): string | undefined {
  if (!target.raw.deployDir) {
    notVerified(testInfo, `${target.mode}: no deployment directory to read ssl/ from; set RAG_DEPLOY_DIR when running on the host`);
    return undefined;
  }
  return join(target.raw.deployDir, 'ssl');
}

async function report(testInfo: TestInfo, what: string, c: Check): Promise<void> {
  await testInfo.attach(what, { body: [...c.details, ...c.problems.map((p) => `PROBLEM: ${p}`)].join('\n'), contentType: 'text/plain' });
  expect(c.problems).toHaveNoProblems(what);
}

/** The names clients use: localhost in hermetic/compose mode, the public host name in live mode. */
function hostNames(target: TargetView): string[] {
  const names = new Set<string>();
  for (const u of [target.url('nginxHttps'), target.url('nginxHttp')]) if (u) names.add(new URL(u).hostname);
  if (target.mode !== 'live') names.add('localhost');
  return [...names];
}

test.describe('SSL/TLS certificate files', () => {
  test('a valid server certificate with its matching private key', verifies('PRE-TLS-1'), async ({ target }, testInfo) => {
    const dir = sslDir(target, testInfo);
    if (!dir) return;
    await report(testInfo, 'ssl/server.crt validity and key', checkCertificateValid(dir));
    await report(testInfo, 'names on ssl/server.crt', checkNamesCover(dir, hostNames(target)));
  });

  test('certificates placed in ./ssl/', verifies('PRE-TLS-2'), async ({ target }, testInfo) => {
    const dir = sslDir(target, testInfo);
    if (!dir) return;
    await report(testInfo, 'files in ssl/', checkSslFilesPresent(dir));
  });

  test('at least 90 days left before expiry', verifies('PRE-TLS-3'), async ({ target }, testInfo) => {
    const dir = sslDir(target, testInfo);
    if (!dir) return;
    const c = checkDaysLeft(dir);
    for (const d of c.details) annotate.info(testInfo, d);
    await report(testInfo, 'certificate expiry dates', c);
  });

  test('certificate chain validates to ssl/ca.crt', verifies('PRE-TLS-4'), async ({ target }, testInfo) => {
    const dir = sslDir(target, testInfo);
    if (!dir) return;
    await report(testInfo, 'certificate chain', checkChain(dir));
  });
});
