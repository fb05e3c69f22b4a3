/**
 * The set-up plan (scripts/setup-plan.ts) over machine profiles (selftest/setup-plan/*.json): Debian 12 before and
 * after set-up (this project's CI machine), a GitHub ubuntu-24.04 runner, a CI job's container without systemd and
 * without an engine, and a machine without apt-get. Each plan is checked line by line where it matters: what is
 * installed (and what never is: docker.io beside another engine), what is started, linked and built, and whether
 * the set-up can complete.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../core/paths.ts';
import {
  BROWSER_CANDIDATES,
  holdsSysAdmin,
  parseOsRelease,
  pinIn,
  planLines,
  planSetup,
  shellAssignments,
  type MachineProfile,
  type Plan,
  type PlanOptions,
} from '../scripts/setup-plan.ts';

const FIXTURES = join(REPO_ROOT, 'selftest', 'setup-plan');

function profile(name: string): MachineProfile {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as MachineProfile;
}

const OPTIONS: PlanOptions = {
  mode: 'hermetic',
  skipDistro: false,
  skipImages: false,
  skipK6: false,
  gateOnly: false,
  playwrightBrowser: false,
  k6Version: 'v1.8.1',
  actionlintVersion: 'v1.7.12',
};

/** What a user's CI asks for in live mode (action.yml): no images, only the gate's tools. */
const LIVE_GATE: Partial<PlanOptions> = { mode: 'live', skipImages: true, gateOnly: true };

function plan(name: string | MachineProfile, options: Partial<PlanOptions> = {}): Plan {
  return planSetup(typeof name === 'string' ? profile(name) : name, { ...OPTIONS, ...options });
}

function line(p: Plan, topic: string): string {
  const d = p.decisions.find((x) => x.topic === topic);
  assert.ok(d, `no decision about ${topic}: ${planLines(p).join('\n')}`);
  return d.line;
}

function blocking(p: Plan): string[] {
  return p.decisions.filter((d) => d.blocking).map((d) => d.topic);
}

test('Debian 12, bare: the very apt-get install the first set-up ran here, dockerd in the background, k6 and actionlint built', () => {
  const p = plan('debian12-bare');
  // /var/log/apt/history.log of this machine's first `bash scripts/setup` (2026-11-29), the package-name set-up's decision.
  assert.deepEqual(p.packages, ['docker.io', 'docker-compose', 'mmdebstrap', 'chromium', 'apache2-utils', 'wrk', 'iptables', 'testssl.sh', 'logrotate']);
  assert.match(line(p, 'engine'), /^engine: absent – install docker\.io \(Debian\) and start dockerd in the background \(no systemd/);
  assert.equal(line(p, 'compose'), 'compose: absent – install docker-compose (Debian)');
  assert.equal(line(p, 'browser'), 'browser: none – install chromium (Debian)');
  assert.equal(line(p, 'k6'), 'k6: absent – build v1.8.1 with Go (go1.26.8) into .tools/bin/k6');
  assert.match(line(p, 'actionlint'), /^actionlint: absent – build v1\.7\.12 with Go/);
  assert.equal(p.ok, true);
  assert.equal(p.sudo, false);
  const sh = shellAssignments(p);
  assert.match(sh, /^PLAN_ENGINE='background'$/m);
  assert.match(sh, /^PLAN_BUILD='k6 actionlint'$/m);
  assert.match(sh, /^PLAN_IMAGES='1'$/m);
  assert.match(sh, /^PLAN_COMPOSE_LINK=''$/m);
});

test('with nothing present, Debian gets the package-name set-up\'s full list, in its order', () => {
  const bare = profile('debian12-bare');
  const p = plan({ ...bare, tools: [], docker: { dockerd: false, packages: [] } });
  const legacy = ['docker.io', 'docker-compose', 'mmdebstrap', 'chromium', 'apache2-utils', 'wrk', 'openssl', 'iptables', 'ca-certificates', 'curl', 'git',
    'wget', 'testssl.sh', 'logrotate'];
  assert.deepEqual(p.packages, [...legacy, 'debian-archive-keyring']);
});

test('Debian 12, set up (recorded on this machine): nothing to install, start, link or build', () => {
  const p = plan('debian12-set-up');
  assert.deepEqual(p.packages, []);
  assert.equal(line(p, 'engine'), 'engine: present (Docker 20.10.24+dfsg1) – not installing');
  assert.equal(line(p, 'compose'), 'compose: docker-compose 1.29.2 present – using it');
  assert.match(line(p, 'browser'), /^browser: \/usr\/bin\/chromium present \(Chromium \d[\d.]+\) – using it$/);
  assert.equal(line(p, 'k6'), 'k6: v1.8.1 at .tools/bin/k6 – not building');
  assert.deepEqual(p.decisions.flatMap((d) => d.actions), [{ kind: 'images' }]);
  assert.equal(line(p, 'privileges'), 'privileges: root – nothing here needs root');
  assert.equal(p.ok, true);
});

test('GitHub ubuntu-24.04 runner: its engine and Chromium are used, docker.io is never installed beside docker-ce, Compose v2 is linked', () => {
  const p = plan('github-ubuntu-24.04');
  assert.equal(line(p, 'engine'), 'engine: present (Docker Engine - Community 27.5.1) – not installing');
  assert.ok(!p.packages.some((x) => /^docker/.test(x)), `no docker package: ${p.packages.join(' ')}`);
  assert.equal(
    line(p, 'compose'),
    'compose: v2 plugin 2.32.4 present – using `docker compose`; the suite runs `docker-compose`: ' +
      'linking /usr/local/bin/docker-compose to /usr/libexec/docker/cli-plugins/docker-compose',
  );
  assert.match(line(p, 'browser'), /^browser: \/usr\/bin\/chromium present/);
  // mmdebstrap on Ubuntu needs Debian's keyring to check the bookworm mirrors.
  assert.deepEqual(p.packages, ['mmdebstrap', 'wrk', 'testssl.sh', 'debian-archive-keyring']);
  assert.equal(p.sudo, true);
  assert.match(line(p, 'privileges'), /^privileges: not root, passwordless sudo – apt-get install, the \/usr\/local\/bin\/docker-compose link with sudo$/);
  assert.match(line(p, 'k6'), /^k6: absent – build v1\.8\.1 with Go/);
  assert.equal(p.ok, true);
  assert.match(shellAssignments(p), /^PLAN_SUDO='sudo'$/m);
});

test('GitHub runner with Google Chrome only: Chrome is used', () => {
  const runner = profile('github-ubuntu-24.04');
  const p = plan({ ...runner, browsers: runner.browsers.filter((b) => b.path.includes('google-chrome')) });
  assert.equal(line(p, 'browser'), 'browser: /usr/bin/google-chrome present (Google Chrome 132.0.6834.83) – using it');
});

test('GitHub runner, the action in live mode: only testssl.sh is installed; no images, no link, no actionlint', () => {
  const p = plan('github-ubuntu-24.04', LIVE_GATE);
  assert.deepEqual(p.packages, ['testssl.sh']);
  assert.equal(line(p, 'compose'), 'compose: v2 plugin 2.32.4 present, not needed (live mode with RAG_SETUP_SKIP_IMAGES=1 starts nothing) – not linking docker-compose');
  assert.match(line(p, 'privileges'), /^privileges: not root, passwordless sudo – apt-get install with sudo$/);
  assert.equal(line(p, 'images'), 'images: skipped (RAG_SETUP_SKIP_IMAGES=1) – building none');
  assert.equal(line(p, 'actionlint'), 'actionlint: not needed to run the gate (--gate-only) – not building');
  const notNeeded = 'tools: missing, not needed – mmdebstrap (RAG_SETUP_SKIP_IMAGES=1), debian-keyring (RAG_SETUP_SKIP_IMAGES=1), wrk (--gate-only)';
  assert.ok(p.decisions.some((d) => d.line === notNeeded));
  assert.equal(p.ok, true);
});

test('a container without systemd and without an engine: said plainly, no docker-in-docker, the set-up stops', () => {
  const p = plan('container-no-systemd');
  assert.ok(
    line(p, 'engine').startsWith('engine: absent, and this is an unprivileged container (/.dockerenv, no CAP_SYS_ADMIN) – ' +
      'no engine can run inside it, and set-up does not set up docker-in-docker.'),
    line(p, 'engine'),
  );
  assert.match(line(p, 'engine'), /docker\.sock.*dind.*RAG_SETUP_SKIP_IMAGES=1/);
  assert.ok(!p.packages.includes('docker.io'));
  assert.equal(shellAssignments(p).match(/^PLAN_ENGINE=(.*)$/m)?.[1], "''");
  assert.deepEqual(blocking(p), ['engine', 'k6']);
  assert.equal(p.ok, false);
  assert.match(planLines(p).at(-1)!, /^plan: cannot complete on this machine – engine, k6/);
});

test('the same container in live mode, with k6 provided: no engine needed, Debian\'s chromium and the gate\'s tools installed', () => {
  const p = plan({ ...profile('container-no-systemd'), k6: 'v1.8.1' }, LIVE_GATE);
  assert.match(line(p, 'engine'), /^engine: absent, not needed \(live mode with RAG_SETUP_SKIP_IMAGES=1 starts nothing\) – not installing, not starting$/);
  assert.deepEqual(p.packages, ['chromium', 'iptables', 'testssl.sh', 'logrotate']);
  assert.equal(p.ok, true);
});

test('no apt-get (Alpine): every missing piece named with how to provide it, and the plan fails', () => {
  const p = plan('alpine-no-apt');
  assert.equal(p.ok, false);
  assert.deepEqual(p.packages, []);
  assert.match(line(p, 'engine'), /^engine: absent – no apt-get to install it: install Docker Engine 20\.10 or newer .*apk add docker/);
  assert.match(line(p, 'browser'), /apk add chromium.*\/usr\/bin\/chromium/);
  assert.match(line(p, 'openssl'), /^openssl: missing – no apt-get to install it; needed, for the certificate checks: provide it \(Debian package openssl\)$/);
  assert.match(line(p, 'wrk'), /optional/);
  assert.deepEqual(blocking(p), ['engine', 'compose', 'browser', 'mmdebstrap', 'debian-keyring', 'openssl', 'curl', 'git', 'k6']);
  assert.ok(!blocking(p).includes('wrk') && !blocking(p).includes('actionlint'), 'optional tools do not stop the set-up');
});

test('other capabilities: a stopped dockerd is started (systemd), a refused user is told, docker-ce gets its own Compose plugin', () => {
  const runner = profile('github-ubuntu-24.04');
  const stopped = plan({ ...runner, docker: { ...runner.docker, server: undefined, platform: undefined } });
  assert.equal(line(stopped, 'engine'), 'engine: installed, not running – start it with systemctl');
  assert.match(shellAssignments(stopped), /^PLAN_ENGINE='systemd'$/m);
  const denied = plan({ ...runner, docker: { ...runner.docker, server: undefined, denied: true } });
  assert.match(line(denied, 'engine'), /refuses this user.*docker group/);
  assert.equal(denied.ok, false);
  const noCompose = plan({ ...runner, compose: {} });
  assert.match(line(noCompose, 'compose'), /^compose: absent – install docker-compose-plugin \(Docker's repository, beside docker-ce\)/);
  assert.ok(noCompose.packages.includes('docker-compose-plugin') && !noCompose.packages.includes('docker-compose'));
  const cliOnly = plan({ ...runner, docker: { dockerd: false, packages: ['docker-ce-cli'], client: '27.5.1' } });
  assert.match(line(cliOnly, 'engine'), /^engine: absent – install docker-ce \(Docker's repository, beside docker-ce-cli\)/);
  const noSudo = plan({ ...runner, sudo: false });
  assert.match(line(noSudo, 'privileges'), /^privileges: not root, no passwordless sudo – .* need root/);
  assert.equal(noSudo.ok, false);
});

test('other capabilities: old Node, old Go, a stale k6, RAG_SETUP_SKIP_DEBIAN, Playwright\'s Chromium, Ubuntu without a browser', () => {
  const bare = profile('debian12-bare');
  assert.equal(plan({ ...bare, node: '18.19.0' }).ok, false);
  assert.match(line(plan({ ...bare, go: 'go1.19.8' }), 'k6'), /Go go1\.19\.8 is too old – install Go 1\.21 or newer/);
  assert.match(line(plan({ ...bare, k6: 'v1.7.0' }), 'k6'), /^k6: v1\.7\.0 at \.tools\/bin\/k6, pinned v1\.8\.1 – build v1\.8\.1 with Go/);
  assert.equal(line(plan(bare, { skipK6: true }), 'k6'), 'k6: skipped (RAG_SETUP_SKIP_K6=1) – not building; the load checks are not verified without it');
  const skipped = plan(bare, { skipDistro: true });
  assert.deepEqual(skipped.packages, []);
  assert.match(line(skipped, 'engine'), /not installing \(RAG_SETUP_SKIP_DEBIAN=1\)/);
  assert.equal(skipped.ok, false);
  const pw = plan('debian12-set-up', { playwrightBrowser: true });
  assert.match(line(pw, 'browser'), /RAG_USE_PLAYWRIGHT_BROWSER=1.*npx playwright install --with-deps chromium/);
  const runner = profile('github-ubuntu-24.04');
  const ubuntu = plan({ ...runner, browsers: [{ path: '/usr/bin/chromium-browser' }] });
  assert.match(line(ubuntu, 'browser'), /^browser: none \(\/usr\/bin\/chromium-browser does not start\) – npx playwright install --with-deps chromium \(Ubuntu's chromium is a snap/);
  assert.ok(!ubuntu.packages.includes('chromium'));
});

test('the plan\'s browsers are the ones playwright.config.ts launches, in the same order', () => {
  const config = readFileSync(join(REPO_ROOT, 'playwright.config.ts'), 'utf8');
  const list = /const SYSTEM_CHROMIUM = \[([^\]]*)\]/.exec(config)?.[1];
  assert.ok(list, 'playwright.config.ts: no SYSTEM_CHROMIUM list');
  assert.deepEqual([...list.matchAll(/'([^']+)'/g)].map((m) => m[1]), BROWSER_CANDIDATES);
});

test('facts: os-release, CAP_SYS_ADMIN, the install scripts\' pins', () => {
  assert.deepEqual(parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04.3 LTS"\n'), {
    id: 'ubuntu',
    idLike: ['debian'],
    versionId: '24.04',
    prettyName: 'Ubuntu 24.04.3 LTS',
  });
  assert.equal(holdsSysAdmin('CapEff:\t000001fffeffffff\n'), true);
  assert.equal(holdsSysAdmin('CapEff:\t00000000a80425fb\n'), false, 'Docker\'s default capabilities lack CAP_SYS_ADMIN');
  assert.match(pinIn('install-k6.sh', 'K6_VERSION'), /^v\d+\.\d+\.\d+$/);
  assert.match(pinIn('install-actionlint.sh', 'ACTIONLINT_VERSION'), /^v\d+\.\d+\.\d+$/);
});

test('the CLI: a recorded profile\'s plan, its exit code, and shell assignments bash can source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'setup-plan-'));
  try {
    const cli = (fixture: string, ...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'setup-plan.ts'), '--profile', join(FIXTURES, `${fixture}.json`), ...args], {
        encoding: 'utf8',
        cwd: REPO_ROOT,
      });
    const bad = cli('alpine-no-apt', '--mode', 'hermetic');
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /^plan: cannot complete on this machine/m);
    const shell = join(dir, 'plan.sh');
    const good = cli('debian12-bare', '--mode', 'hermetic', '--prefix', '[setup]    ', '--shell', shell);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /^\[setup\] {4}engine: absent – install docker\.io/m);
    const vars = execFileSync('bash', ['-c', `set -u; . '${shell}'; printf '%s|%s|%s' "$PLAN_OK" "$PLAN_ENGINE" "$PLAN_PACKAGES"`], { encoding: 'utf8' });
    assert.equal(vars, '1|background|docker.io docker-compose mmdebstrap chromium apache2-utils wrk iptables testssl.sh logrotate');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
