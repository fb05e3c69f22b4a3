/**
 * Pre-Deployment Requirements › Infrastructure Requirements › Software Dependencies.
 * Versions are parsed and compared numerically; in hermetic mode the host is a test machine (not verified,
 * versions shown).
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { checkCompose, checkDocker, composeProbes, dockerProbe, ollamaConfiguredProblems, probe, processesNamed, targetHostScope, type ToolProbe } from '../../checks/host.ts';
import { envMap } from '../../lib/envfile.ts';
import { existsSync } from 'node:fs';

function show(p: ToolProbe): string {
  return p.found ? `${p.tool} ${p.version ?? '?'} (\`${p.command}\`: ${p.output})` : `${p.tool}: not found (\`${p.command}\`: ${p.output || 'no output'})`;
}

test.describe('Software dependencies', () => {
  test('Docker engine 24.0 or later', verifies('PRE-SOFTWARE-1'), async ({ target, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const p = dockerProbe();
    await evidence('docker version', show(p));
    const c = checkDocker(p);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${p.found ? `Docker ${p.version}` : 'no Docker'} (${c.ok ? 'meets' : 'below'} 24.0)`);
    expect(c.problems).toHaveNoProblems(`Docker on ${scope.which}`);
  });

  test('Docker Compose 2.0 or later', verifies('PRE-SOFTWARE-2'), async ({ target, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const ps = composeProbes();
    await evidence('compose versions', ps.map(show).join('\n'));
    const c = checkCompose(ps);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${ps.filter((p) => p.found).map((p) => `${p.tool} ${p.version}`).join(', ') || 'no compose'} (${c.ok ? 'meets' : 'below'} 2.0)`);
    expect(c.problems).toHaveNoProblems(`Docker Compose on ${scope.which}`);
  });

  test('git client installed', verifies('PRE-SOFTWARE-3'), async ({ target, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const p = probe('git', ['git', '--version']);
    await evidence('git --version', show(p));
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${show(p)}`);
    expect(p.found, `git is not installed on ${scope.which}: ${p.output}`).toBe(true);
    expect(p.version, `cannot read git's version from "${p.output}"`).toBeTruthy();
  });

  test('curl and wget installed for health checks', verifies('PRE-SOFTWARE-4'), async ({ target, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const ps = [probe('curl', ['curl', '--version']), probe('wget', ['wget', '--version'])];
    await evidence('curl/wget versions', ps.map(show).join('\n'));
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${ps.map((p) => (p.found ? `${p.tool} ${p.version}` : `${p.tool} missing`)).join(', ')}`);
    expect(ps.filter((p) => !p.found).map((p) => p.tool)).toHaveNoProblems(`health-check tools missing on ${scope.which}`);
  });

  test('Ollama installed and configured: OLLAMA_HOST set and Ollama answering there', verifies('PRE-SOFTWARE-5'), async ({ target, http, evidence }, testInfo) => {
    const scope = targetHostScope(target);
    const bin = ['/usr/local/bin/ollama', '/usr/bin/ollama'].find((p) => existsSync(p));
    const procs = processesNamed('ollama');
    const host = target.raw.envFile && existsSync(target.raw.envFile) ? envMap(target.raw.envFile).get('OLLAMA_HOST')?.value : undefined;
    const url = target.url('ollama');
    const ex = url ? await http.fetch(`${url}/api/version`) : undefined;
    if (ex) await evidence('GET /api/version', ex);
    const facts = `host binary: ${bin ?? 'none'}; host processes: ${procs.length}; OLLAMA_HOST=${host ?? '(unset)'}; Ollama API at ${url ?? '(no URL)'}: ${ex ? ex.status : 'not reachable'}`;
    annotate.info(testInfo, facts);
    if (!scope.decides) return notVerified(testInfo, `${scope.reason}; measured: ${facts}`);
    expect(ollamaConfiguredProblems({ ollamaHost: host, url, status: ex?.status }, facts)).toHaveNoProblems('Ollama not installed and configured');
    if (!bin && procs.length === 0) annotate.warning(testInfo, 'Ollama runs as the deployment\'s ollama container, not as a program installed on the host; OLLAMA_HOST points at that service');
  });
});
