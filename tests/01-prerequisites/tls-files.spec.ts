/**
 * Pre-Deployment Requirements › Security Setup › SSL/TLS Certificates – the deployment's certificate files (the
 * profile's, else those Nginx's ssl_certificate* directives name, else the contract's ssl/ names), parsed with
 * node:crypto (checks/tls.ts). The served certificate is checked in Phase 4 (security).
 */
import type { TestInfo } from '@playwright/test';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { checkCertificateValid, checkChain, checkDaysLeft, checkNamesCover, checkSslFilesPresent, tlsFiles, type TlsFiles } from '../../checks/tls.ts';
import { resolveFiles } from '../../checks/discover.ts';
import { describeSource } from '../../core/profile.ts';
import type { Check } from '../../checks/check.ts';
import type { TargetView } from '../../testcontainers/view.ts';

/** The deployment directory and its TLS files, each noted on the line with where that choice came from. */
function files(target: TargetView, testInfo: TestInfo): { dir: string; tls: TlsFiles } | undefined {
  const dir = target.raw.deployDir;
  if (!dir) {
    notVerified(testInfo, `${target.mode}: no deployment directory to read the certificate files from; set RAG_DEPLOY_DIR when running on the host`);
    return undefined;
  }
  const resolved = resolveFiles(dir, target.profile);
  const tls = tlsFiles(dir, resolved);
  for (const k of ['tlsCertificate', 'tlsKey', 'tlsChain', 'tlsCa'] as const) {
    const r = resolved[k];
    annotate.info(testInfo, k === 'tlsCa' && !tls.ca ? `${k}: none (${r.value} does not exist)` : `${k}: ${r.value} (${describeSource(r.source)})`);
  }
  return { dir, tls };
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
    const f = files(target, testInfo);
    if (!f) return;
    await report(testInfo, `${f.tls.certificate} validity and key`, checkCertificateValid(f.dir, f.tls));
    await report(testInfo, `names on ${f.tls.certificate}`, checkNamesCover(f.dir, f.tls, hostNames(target)));
  });

  test('certificates placed in ./ssl/', verifies('PRE-TLS-2'), async ({ target }, testInfo) => {
    const f = files(target, testInfo);
    if (!f) return;
    await report(testInfo, 'certificate files', checkSslFilesPresent(f.dir, f.tls));
  });

  test('at least 90 days left before expiry', verifies('PRE-TLS-3'), async ({ target }, testInfo) => {
    const f = files(target, testInfo);
    if (!f) return;
    const c = checkDaysLeft(f.dir, f.tls);
    for (const d of c.details) annotate.info(testInfo, d);
    await report(testInfo, 'certificate expiry dates', c);
  });

  test('certificate chain validates to ssl/ca.crt', verifies('PRE-TLS-4'), async ({ target }, testInfo) => {
    const f = files(target, testInfo);
    if (!f) return;
    const c = checkChain(f.dir, f.tls);
    for (const d of c.details.filter((x) => x.startsWith('CA:'))) annotate.info(testInfo, d);
    await report(testInfo, `certificate chain ${f.tls.chain}`, c);
  });
});
