/**
 * The machine set-up as a plan, decided by what the machine can do rather than by which package names dpkg lists:
 * a Docker engine that answers is used whoever installed it (Debian's docker.io, Docker's docker-ce, the engine of
 * a GitHub runner – installing docker.io beside the last two conflicts), a Compose that runs is used whatever its
 * version, a browser that starts is used wherever it came from.
 *
 * planSetup() is pure: a MachineProfile (facts gathered with read-only commands; selftest/setup-plan/*.json are
 * recorded ones) and the set-up's options in, one decision per concern out – the line scripts/setup prints and
 * what it then does (distribution packages to install, the engine to start, a link, a build). What is missing and
 * cannot be provided here is said with how to provide it, and the plan is not ok (exit 1).
 *
 *   tsx scripts/setup-plan.ts               this machine's plan (`npm run setup:plan` runs it through scripts/setup,
 *                                           which passes the RAG_SETUP_SKIP_* settings as flags)
 *   tsx scripts/setup-plan.ts --record      this machine's profile as JSON (to record a fixture)
 *   tsx scripts/setup-plan.ts --profile F   the plan for a recorded profile
 *   --shell FILE     also write the plan as shell assignments (scripts/setup sources them)
 *   --skip-distro --skip-images --skip-k6 --gate-only --mode hermetic|compose|live --k6-version V --prefix TEXT
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, processFact, usePlaywrightBrowser, type Mode } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';

// ---------------------------------------------------------------------------------------------- the facts

export interface OsRelease {
  /** ID= of /etc/os-release: debian, ubuntu, alpine. */
  id: string;
  /** ID_LIKE=, split. */
  idLike: string[];
  versionId?: string;
  prettyName?: string;
}

export interface MachineProfile {
  /** What the profile is; a recorded fixture also says where and how it was taken. */
  name: string;
  /** /etc/os-release; absent when the file is missing. */
  os?: OsRelease;
  root: boolean;
  /** Not root: `sudo -n true` works (passwordless sudo, as on a GitHub runner). */
  sudo: boolean;
  /** apt-get is there (a Debian-like distribution). */
  apt: boolean;
  /** systemd is PID 1 (/run/systemd/system exists). */
  systemd: boolean;
  /** A container's marker file (/.dockerenv, /run/.containerenv), and whether this process holds CAP_SYS_ADMIN (an engine can run). */
  container?: { marker: string; privileged: boolean };
  /** process.versions.node */
  node: string;
  docker: {
    /** The docker command's version, when there is one. */
    client?: string;
    /** The engine's version and platform name, when it answers this user. */
    server?: string;
    platform?: string;
    /** An engine refused this user (permission denied on its socket). */
    denied?: boolean;
    /** A dockerd binary exists. */
    dockerd: boolean;
    /** Installed engine packages (dpkg) among ENGINE_PACKAGES. */
    packages: string[];
  };
  compose: {
    /** `docker compose version --short`, and the plugin's file. */
    plugin?: { version: string; path?: string };
    /** `docker-compose version --short` (v1, or v2 run standalone). */
    standalone?: string;
  };
  /** The BROWSER_CANDIDATES that exist, with what `--version` printed (no version: it did not start). */
  browsers: Array<{ path: string; version?: string }>;
  /** Playwright's own Chromium is in its cache (~/.cache/ms-playwright). */
  playwrightChromium: boolean;
  /** The TOOLS found, by name. */
  tools: string[];
  /** `go env GOVERSION` */
  go?: string;
  /** What .tools/bin/k6 and .tools/bin/actionlint report. */
  k6?: string;
  actionlint?: string;
}

/**
 * The system browsers the suite launches, in playwright.config.ts's order (selftest/setup-plan.test.ts keeps the two
 * lists equal): Debian's chromium, the GitHub runner's Chromium and Google Chrome.
 */
export const BROWSER_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Engine packages whose presence changes which package provides a missing engine or Compose. */
export const ENGINE_PACKAGES = ['docker.io', 'docker-ce', 'docker-ce-cli', 'moby-engine', 'moby-cli', 'containerd.io', 'podman-docker'];

/** Where the suite finds `docker-compose` when only the v2 plugin is installed (the suite runs Compose standalone). */
export const COMPOSE_LINK = '/usr/local/bin/docker-compose';

const PLUGIN_PACKAGE_FILE = '/usr/libexec/docker/cli-plugins/docker-compose';

export interface Tool {
  /** Its name in the plan and in a profile. */
  name: string;
  /** Commands that provide it (any one of them), or a file. */
  commands?: string[];
  file?: string;
  /** The Debian/Ubuntu package. */
  package: string;
  /** What needs it: building the images, the gate's checks, the benches. */
  use: 'images' | 'gate' | 'bench';
  /** Without it that use cannot work at all (else: some checks are not verified, or a bench skips a comparison). */
  required: boolean;
  why: string;
}

/** The tools one use needs, in the order the plan lists them. */
function neededFor(use: Tool['use'], tools: Array<Omit<Tool, 'use'>>): Tool[] {
  return tools.map((t) => ({ ...t, use }));
}

export const TOOLS: readonly Tool[] = [
  ...neededFor('images', [
    { name: 'mmdebstrap', commands: ['mmdebstrap'], package: 'mmdebstrap', required: true, why: 'building the Debian base image' },
    { name: 'debian-keyring', file: '/usr/share/keyrings/debian-archive-keyring.gpg', package: 'debian-archive-keyring', required: true,
      why: 'mmdebstrap\'s check of Debian\'s mirrors' },
  ]),
  ...neededFor('bench', [
    { name: 'ab', commands: ['ab'], package: 'apache2-utils', required: false, why: 'npm run bench:load\'s comparison with k6' },
    { name: 'wrk', commands: ['wrk'], package: 'wrk', required: false, why: 'npm run bench:load\'s comparison with k6' },
  ]),
  ...neededFor('gate', [
    { name: 'openssl', commands: ['openssl'], package: 'openssl', required: true, why: 'the certificate checks' },
    { name: 'iptables', commands: ['iptables'], package: 'iptables', required: false, why: 'the host\'s firewall checks' },
    { name: 'ca-certificates', file: '/etc/ssl/certs/ca-certificates.crt', package: 'ca-certificates', required: true,
      why: 'TLS to mirrors and registries' },
    { name: 'curl', commands: ['curl'], package: 'curl', required: true, why: 'the health-check tool checks' },
    { name: 'git', commands: ['git'], package: 'git', required: true, why: 'the source checkout checks' },
    { name: 'wget', commands: ['wget'], package: 'wget', required: false, why: 'the health-check tool checks' },
    { name: 'testssl.sh', commands: ['testssl', 'testssl.sh'], package: 'testssl.sh', required: false,
      why: 'the TLS deep scan (not verified without it)' },
    { name: 'logrotate', commands: ['logrotate'], package: 'logrotate', required: false, why: 'the log rotation checks' },
  ]),
];

/** The order scripts/setup has always installed its Debian packages in (one apt-get call); others follow. */
const PACKAGE_ORDER = [
  'docker.io', 'docker-compose', 'mmdebstrap', 'chromium', 'apache2-utils', 'wrk', 'openssl', 'iptables', 'ca-certificates', 'curl', 'git', 'wget',
  'testssl.sh', 'logrotate',
];

// ---------------------------------------------------------------------------------------------- the plan

export interface PlanOptions {
  /** The gate's mode the machine is set up for: live mode starts nothing, so it needs no engine unless images are built. */
  mode: Mode;
  /** RAG_SETUP_SKIP_DEBIAN=1: install no distribution packages. */
  skipDistro: boolean;
  /** RAG_SETUP_SKIP_IMAGES=1 */
  skipImages: boolean;
  /** RAG_SETUP_SKIP_K6=1 */
  skipK6: boolean;
  /** Only what running the gate needs: not the project's own development tools (actionlint) nor the benches' tools. */
  gateOnly: boolean;
  /** RAG_USE_PLAYWRIGHT_BROWSER=1 */
  playwrightBrowser: boolean;
  /** The pins of scripts/install-k6.sh and scripts/install-actionlint.sh. */
  k6Version: string;
  actionlintVersion: string;
}

export type Action =
  | { kind: 'start-engine'; how: 'systemd' | 'background' }
  | { kind: 'link-compose'; target: string }
  | { kind: 'playwright-chromium'; withDeps: boolean }
  | { kind: 'build'; tool: 'k6' | 'actionlint' }
  | { kind: 'images' };

export interface Decision {
  /** What it is about: node, engine, compose, browser, a tool's name, tools, k6, actionlint, images, privileges. */
  topic: string;
  /** The line scripts/setup prints: `<topic>: <state> – <what happens>`. */
  line: string;
  /** Distribution packages it installs. */
  packages: string[];
  actions: Action[];
  /** Missing, needed, and not provided here: the set-up cannot complete. */
  blocking: boolean;
}

export interface Plan {
  decisions: Decision[];
  /** One apt-get install, in PACKAGE_ORDER. */
  packages: string[];
  /** Not root: what needs root runs with sudo. */
  sudo: boolean;
  ok: boolean;
}

function decision(topic: string, state: string, then: string, more: Partial<Omit<Decision, 'topic' | 'line'>> = {}): Decision {
  return { topic, line: `${topic}: ${state} – ${then}`, packages: [], actions: [], blocking: false, ...more };
}

function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The distribution's name in a line: "install docker.io (Debian)". */
function distro(p: MachineProfile): string {
  return p.os ? capitalized(p.os.id) : 'the distribution';
}

function isAlpine(p: MachineProfile): boolean {
  return p.os?.id === 'alpine' || !!p.os?.idLike.includes('alpine');
}

/** Debian or a derivative that ships Debian's chromium package (Ubuntu's is a snap, which a CI machine cannot run). */
function hasDebianChromium(p: MachineProfile): boolean {
  if (!p.os) return false;
  if (p.os.id === 'debian') return true;
  return p.os.id !== 'ubuntu' && p.os.idLike.includes('debian') && !p.os.idLike.includes('ubuntu');
}

function canInstall(p: MachineProfile, o: PlanOptions): boolean {
  return p.apt && !o.skipDistro;
}

/** Why a missing package is not installed here (said in each line that names one). */
function cannotInstall(p: MachineProfile, o: PlanOptions): string {
  return p.apt && o.skipDistro ? 'not installing (RAG_SETUP_SKIP_DEBIAN=1)' : 'no apt-get to install it';
}

/** An engine is needed unless the gate runs in live mode and no images are built. */
function engineNeeded(o: PlanOptions): boolean {
  return o.mode !== 'live' || !o.skipImages;
}

const NOT_NEEDED_LIVE = 'not needed (live mode with RAG_SETUP_SKIP_IMAGES=1 starts nothing)';

function versionMajor(v: string): number {
  return Number(/(\d+)/.exec(v)?.[1] ?? 0);
}

/** go1.26.8 → [1, 26]; a toolchain of 1.21 or newer fetches the one a module needs (GOTOOLCHAIN=auto). */
function goUsable(go: string | undefined): boolean {
  const m = /^go(\d+)\.(\d+)/.exec(go ?? '');
  return !!m && (Number(m[1]) > 1 || Number(m[2]) >= 21);
}

function nodeDecision(p: MachineProfile): Decision {
  if (versionMajor(p.node) >= 20) return decision('node', `v${p.node}`, 'ok (20 or newer)');
  return decision('node', `v${p.node}`, 'too old: rag-gate needs Node.js 20 or newer (https://nodejs.org, or NodeSource\'s packages)', { blocking: true });
}

function engineDecision(p: MachineProfile, o: PlanOptions): Decision {
  const d = p.docker;
  const needed = engineNeeded(o);
  if (d.server) return decision('engine', `present (${d.platform || 'Docker'} ${d.server})`, 'not installing');
  if (d.denied) {
    return decision('engine', 'running, but it refuses this user (permission denied on its socket)', 'add the user to the docker group, or run as root', {
      blocking: needed,
    });
  }
  if (!needed) return decision('engine', `${d.dockerd ? 'installed, not running' : 'absent'}, ${NOT_NEEDED_LIVE}`, 'not installing, not starting');
  if (p.container && !p.container.privileged) {
    return decision(
      'engine',
      `absent, and this is an unprivileged container (${p.container.marker}, no CAP_SYS_ADMIN)`,
      'no engine can run inside it, and set-up does not set up docker-in-docker. Give the job one: the host\'s socket ' +
        '(-v /var/run/docker.sock:/var/run/docker.sock), or a docker:dind service and DOCKER_HOST; live mode needs none (RAG_SETUP_SKIP_IMAGES=1)',
      { blocking: true },
    );
  }
  const how = p.systemd ? 'systemd' : 'background';
  const start: Action = { kind: 'start-engine', how };
  const privileged = p.container ? `${p.container.marker}, but CAP_SYS_ADMIN held: a VM or a privileged container` : '';
  const started = how === 'systemd'
    ? `start it with systemctl${privileged ? ` (${privileged})` : ''}`
    : `start dockerd in the background (no systemd${privileged ? `; ${privileged}` : ''})`;
  if (d.dockerd) return decision('engine', 'installed, not running', started, { actions: [start] });
  if (canInstall(p, o)) {
    // A docker CLI from Docker's (or Microsoft's) repository conflicts with docker.io: complete that set instead.
    const [pkg, from] = d.packages.includes('docker-ce-cli')
      ? ['docker-ce', 'Docker\'s repository, beside docker-ce-cli']
      : d.packages.includes('moby-cli')
        ? ['moby-engine', 'beside moby-cli']
        : ['docker.io', distro(p)];
    return decision('engine', 'absent', `install ${pkg} (${from}) and ${started}`, { packages: [pkg], actions: [start] });
  }
  const how2 = isAlpine(p) ? ' (apk add docker docker-cli-compose; rc-service docker start)' : '';
  return decision(
    'engine',
    'absent',
    `${cannotInstall(p, o)}: install Docker Engine 20.10 or newer with the system's package manager${how2} and start it, or point DOCKER_HOST at one`,
    { blocking: true },
  );
}

function composeDecision(p: MachineProfile, o: PlanOptions): Decision {
  const c = p.compose;
  if (c.standalone && c.plugin) {
    return decision('compose', `v2 plugin ${c.plugin.version} and docker-compose ${c.standalone} present`, 'using docker-compose (the suite runs that name)');
  }
  if (c.standalone) return decision('compose', `docker-compose ${c.standalone} present`, 'using it');
  if (c.plugin) {
    if (!engineNeeded(o)) return decision('compose', `v2 plugin ${c.plugin.version} present, ${NOT_NEEDED_LIVE}`, 'not linking docker-compose');
    if (!c.plugin.path) {
      const then = `the suite runs \`docker-compose\`: link the plugin's file as ${COMPOSE_LINK}`;
      return decision('compose', `v2 plugin ${c.plugin.version} present, its file not found`, then, { blocking: engineNeeded(o) });
    }
    const then = `using \`docker compose\`; the suite runs \`docker-compose\`: linking ${COMPOSE_LINK} to ${c.plugin.path}`;
    return decision('compose', `v2 plugin ${c.plugin.version} present`, then, { actions: [{ kind: 'link-compose', target: c.plugin.path }] });
  }
  if (!engineNeeded(o)) return decision('compose', `absent, ${NOT_NEEDED_LIVE}`, 'not installing');
  if (canInstall(p, o)) {
    if (p.docker.packages.includes('docker-ce-cli') || p.docker.packages.includes('docker-ce')) {
      return decision('compose', 'absent', `install docker-compose-plugin (Docker's repository, beside docker-ce) and link ${COMPOSE_LINK} to it`, {
        packages: ['docker-compose-plugin'],
        actions: [{ kind: 'link-compose', target: PLUGIN_PACKAGE_FILE }],
      });
    }
    return decision('compose', 'absent', `install docker-compose (${distro(p)})`, { packages: ['docker-compose'] });
  }
  const then = `${cannotInstall(p, o)}: install Docker Compose (the v2 binary from its releases as ${COMPOSE_LINK}, or the system's package)`;
  return decision('compose', 'absent', then, { blocking: true });
}

function browserDecision(p: MachineProfile, o: PlanOptions): Decision {
  const withDeps = canInstall(p, o) && (p.root || p.sudo);
  const download: Action = { kind: 'playwright-chromium', withDeps };
  const command = `npx playwright install${withDeps ? ' --with-deps' : ''} chromium`;
  if (o.playwrightBrowser) {
    if (p.playwrightChromium) return decision('browser', 'Playwright\'s Chromium present (RAG_USE_PLAYWRIGHT_BROWSER=1)', 'using it');
    const then = `${command} (downloads from Playwright's CDN)`;
    return decision('browser', 'Playwright\'s Chromium wanted (RAG_USE_PLAYWRIGHT_BROWSER=1)', then, { actions: [download] });
  }
  const usable = p.browsers.find((b) => b.version);
  const broken = p.browsers.filter((b) => !b.version).map((b) => b.path);
  const note = broken.length ? ` (${broken.join(', ')} does not start)` : '';
  if (usable) return decision('browser', `${usable.path} present (${usable.version})`, `using it${note}`);
  if (p.playwrightChromium) return decision('browser', `none on the system${note}; Playwright's Chromium present`, 'using it');
  if (canInstall(p, o) && hasDebianChromium(p)) return decision('browser', `none${note}`, `install chromium (${distro(p)})`, { packages: ['chromium'] });
  if (p.apt) {
    const why = p.os?.id === 'ubuntu' ? 'Ubuntu\'s chromium is a snap' : 'no chromium package to use here';
    return decision('browser', `none${note}`, `${command} (${why}; downloads from Playwright's CDN)`, { actions: [download] });
  }
  const how = isAlpine(p) ? ' (apk add chromium)' : '';
  return decision(
    'browser',
    `none${note}`,
    `no apt-get to install one: install Chromium with the system's package manager${how} so that /usr/bin/chromium exists ` +
      '(Playwright\'s own Chromium needs glibc and Debian-like libraries)',
    { blocking: true },
  );
}

function toolDecisions(p: MachineProfile, o: PlanOptions): Decision[] {
  const present: string[] = [];
  const notNeeded: string[] = [];
  const out: Decision[] = [];
  for (const t of TOOLS) {
    if (p.tools.includes(t.name)) {
      present.push(t.name);
      continue;
    }
    if (t.use === 'images' && o.skipImages) {
      notNeeded.push(`${t.name} (RAG_SETUP_SKIP_IMAGES=1)`);
      continue;
    }
    if (t.use === 'bench' && o.gateOnly) {
      notNeeded.push(`${t.name} (--gate-only)`);
      continue;
    }
    if (canInstall(p, o)) {
      out.push(decision(t.name, 'missing', `install ${t.package} (${distro(p)}), for ${t.why}`, { packages: [t.package] }));
      continue;
    }
    const need = t.required ? 'needed' : 'optional';
    out.push(decision(t.name, 'missing', `${cannotInstall(p, o)}; ${need}, for ${t.why}: provide it (Debian package ${t.package})`, { blocking: t.required }));
  }
  const head: Decision[] = [];
  if (present.length) head.push(decision('tools', 'present', present.join(', ')));
  if (notNeeded.length) head.push(decision('tools', 'missing, not needed', notNeeded.join(', ')));
  return [...head, ...out];
}

function imagesDecision(o: PlanOptions): Decision {
  if (o.skipImages) return decision('images', 'skipped (RAG_SETUP_SKIP_IMAGES=1)', 'building none');
  return decision('images', 'the base image (mmdebstrap) and the reference images', 'build each whose inputs changed', { actions: [{ kind: 'images' }] });
}

/** A pinned tool built with Go into .tools/bin (k6, actionlint): present at the pin, built, or said how to provide. */
interface GoTool {
  tool: 'k6' | 'actionlint';
  pin: string;
  /** The version .tools/bin/<tool> reports. */
  have?: string;
  /** Without it: the set-up stops (blocking), and what goes without it. */
  blocking: boolean;
  without: string;
}

function goToolDecision(p: MachineProfile, { tool, pin, have, blocking, without }: GoTool): Decision {
  const at = `.tools/bin/${tool}`;
  if (have === pin) return decision(tool, `${pin} at ${at}`, 'not building');
  const state = have ? `${have} at ${at}, pinned ${pin}` : 'absent';
  if (goUsable(p.go)) return decision(tool, state, `build ${pin} with Go (${p.go}) into ${at}`, { actions: [{ kind: 'build', tool }] });
  const go = p.go ? `Go ${p.go} is too old` : 'no Go toolchain';
  const then = `install Go 1.21 or newer (https://go.dev/dl; Debian 12's golang is 1.19), or put ${tool} ${pin} at ${at}; ${without}`;
  return decision(tool, `${state}, ${go}`, then, { blocking });
}

function k6Decision(p: MachineProfile, o: PlanOptions): Decision {
  if (o.skipK6) return decision('k6', 'skipped (RAG_SETUP_SKIP_K6=1)', 'not building; the load checks are not verified without it');
  return goToolDecision(p, { tool: 'k6', pin: o.k6Version, have: p.k6, blocking: true, without: 'RAG_SETUP_SKIP_K6=1 skips it' });
}

function actionlintDecision(p: MachineProfile, o: PlanOptions): Decision {
  if (o.gateOnly) return decision('actionlint', 'not needed to run the gate (--gate-only)', 'not building');
  const without = 'without it the self-tests skip the workflow lint';
  return goToolDecision(p, { tool: 'actionlint', pin: o.actionlintVersion, have: p.actionlint, blocking: false, without });
}

/** Root is needed for apt-get, for starting dockerd and for the link in /usr/local/bin. */
function privilegesDecision(p: MachineProfile, packages: string[], actions: Action[]): { decision: Decision; sudo: boolean } {
  const needs = [
    packages.length ? 'apt-get install' : '',
    actions.some((a) => a.kind === 'start-engine') ? 'starting dockerd' : '',
    actions.some((a) => a.kind === 'link-compose') ? `the ${COMPOSE_LINK} link` : '',
  ].filter(Boolean);
  const what = needs.join(', ');
  if (p.root) return { decision: decision('privileges', 'root', needs.length ? `${what} as root` : 'nothing here needs root'), sudo: false };
  if (!needs.length) return { decision: decision('privileges', 'not root', 'nothing here needs root'), sudo: false };
  if (p.sudo) return { decision: decision('privileges', 'not root, passwordless sudo', `${what} with sudo`), sudo: true };
  return {
    decision: decision('privileges', 'not root, no passwordless sudo', `${what} need root: re-run as root (sudo -E env "PATH=$PATH" bash scripts/setup)`, {
      blocking: true,
    }),
    sudo: false,
  };
}

function ordered(packages: string[]): string[] {
  const rank = (x: string) => (PACKAGE_ORDER.includes(x) ? PACKAGE_ORDER.indexOf(x) : PACKAGE_ORDER.length);
  return [...new Set(packages)].map((x, i) => ({ x, i })).sort((a, b) => rank(a.x) - rank(b.x) || a.i - b.i).map((e) => e.x);
}

/** The set-up for a machine: pure, one decision per concern. */
export function planSetup(p: MachineProfile, o: PlanOptions): Plan {
  const decisions = [
    nodeDecision(p),
    engineDecision(p, o),
    composeDecision(p, o),
    browserDecision(p, o),
    ...toolDecisions(p, o),
    imagesDecision(o),
    k6Decision(p, o),
    actionlintDecision(p, o),
  ];
  const packages = ordered(decisions.flatMap((d) => d.packages));
  const privileges = privilegesDecision(p, packages, decisions.flatMap((d) => d.actions));
  decisions.push(privileges.decision);
  return { decisions, packages, sudo: privileges.sudo, ok: !decisions.some((d) => d.blocking) };
}

/** The plan's lines, and a last one when it cannot complete. */
export function planLines(plan: Plan): string[] {
  const lines = plan.decisions.map((d) => d.line);
  if (plan.packages.length) lines.push(`packages: one apt-get install of ${plan.packages.join(' ')}`);
  const blocking = plan.decisions.filter((d) => d.blocking).map((d) => d.topic);
  if (blocking.length) lines.push(`plan: cannot complete on this machine – ${blocking.join(', ')} (each line above says how to provide it)`);
  return lines;
}

function shellQuoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The plan for scripts/setup, as shell assignments it sources. */
export function shellAssignments(plan: Plan): string {
  const actions = plan.decisions.flatMap((d) => d.actions);
  const engine = actions.find((a) => a.kind === 'start-engine');
  const link = actions.find((a) => a.kind === 'link-compose');
  const browser = actions.find((a) => a.kind === 'playwright-chromium');
  const builds = actions.flatMap((a) => (a.kind === 'build' ? [a.tool] : []));
  const vars: Array<[string, string]> = [
    ['PLAN_OK', plan.ok ? '1' : '0'],
    ['PLAN_SUDO', plan.sudo ? 'sudo' : ''],
    ['PLAN_PACKAGES', plan.packages.join(' ')],
    ['PLAN_ENGINE', engine?.how ?? ''],
    ['PLAN_COMPOSE_LINK', link?.target ?? ''],
    ['PLAN_PLAYWRIGHT_CHROMIUM', browser ? (browser.withDeps ? 'with-deps' : 'plain') : ''],
    ['PLAN_IMAGES', actions.some((a) => a.kind === 'images') ? '1' : ''],
    ['PLAN_BUILD', builds.join(' ')],
  ];
  return vars.map(([k, v]) => `${k}=${shellQuoted(v)}\n`).join('');
}

// ---------------------------------------------------------------------------------------------- gathering the facts

interface Ran {
  ok: boolean;
  out: string;
  err: string;
}

/** A read-only command with a time limit; never throws. */
function run(cmd: string, args: string[], timeoutMs = 15_000): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
  return { ok: !r.error && r.status === 0, out: (r.stdout ?? '').trim(), err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

function isExecutable(f: string): boolean {
  try {
    const s = statSync(f);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** A command on the PATH, or in the sbin directories a non-root PATH lacks (dockerd, iptables, logrotate). */
function which(name: string): string | undefined {
  const dirs = [...(processFact('PATH') ?? '').split(delimiter).filter(Boolean), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return dirs.map((d) => join(d, name)).find(isExecutable);
}

export function parseOsRelease(text: string): OsRelease {
  const v = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) v.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return {
    id: v.get('ID') ?? 'linux',
    idLike: (v.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    versionId: v.get('VERSION_ID'),
    prettyName: v.get('PRETTY_NAME'),
  };
}

/** CAP_SYS_ADMIN (bit 21) in this process's effective capabilities: without it no engine can start. */
export function holdsSysAdmin(status: string): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)/im.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> 21n) & 1n) === 1n;
}

function firstVersion(text: string): string | undefined {
  return /v?\d+\.\d+\.\d+[^\s,]*/.exec(text)?.[0];
}

function gatherDocker(): MachineProfile['docker'] {
  const docker = which('docker');
  const facts: MachineProfile['docker'] = { dockerd: !!which('dockerd'), packages: [] };
  const dpkg = which('dpkg-query');
  if (dpkg) {
    const r = spawnSync(dpkg, ['-W', '-f', '${Package} ${db:Status-Abbrev}\n', ...ENGINE_PACKAGES], { encoding: 'utf8', timeout: 15_000 });
    facts.packages = (r.stdout ?? '').split('\n').filter((l) => /^\S+ ii/.test(l)).map((l) => l.split(' ')[0]!);
  }
  if (!docker) return facts;
  facts.client = firstVersion(run(docker, ['--version']).out);
  const server = run(docker, ['version', '-f', '{{.Server.Version}}|{{.Server.Platform.Name}}']);
  if (server.ok && server.out) {
    const [version, platform] = server.out.split('|');
    facts.server = version;
    if (platform) facts.platform = platform;
  } else if (/permission denied/i.test(server.err)) {
    facts.denied = true;
  }
  return facts;
}

function gatherCompose(): MachineProfile['compose'] {
  const facts: MachineProfile['compose'] = {};
  const docker = which('docker');
  if (docker) {
    const r = run(docker, ['compose', 'version', '--short']);
    if (r.ok && r.out) {
      const home = processFact('HOME');
      const dirs = [
        ...(home ? [join(home, '.docker', 'cli-plugins')] : []),
        '/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins',
      ];
      facts.plugin = { version: r.out.replace(/^v/, ''), path: dirs.map((d) => join(d, 'docker-compose')).find(isExecutable) };
    }
  }
  const standalone = which('docker-compose');
  if (standalone) {
    const r = run(standalone, ['version', '--short']);
    if (r.ok && r.out) facts.standalone = r.out.replace(/^v/, '');
  }
  return facts;
}

function playwrightChromium(): boolean {
  const home = processFact('HOME');
  const cache = home ? join(home, '.cache', 'ms-playwright') : '';
  return !!cache && existsSync(cache) && readdirSync(cache).some((d) => d.startsWith('chromium'));
}

/** This machine's facts, from read-only commands (`--version`, `version`, dpkg-query) and files. */
export function gatherProfile(): MachineProfile {
  const os = existsSync('/etc/os-release') ? parseOsRelease(readFileSync('/etc/os-release', 'utf8')) : undefined;
  const root = process.getuid?.() === 0;
  const sudo = which('sudo');
  const marker = ['/.dockerenv', '/run/.containerenv'].find((f) => existsSync(f));
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const go = which('go');
  const k6 = join(REPO_ROOT, '.tools', 'bin', 'k6');
  const actionlint = join(REPO_ROOT, '.tools', 'bin', 'actionlint');
  return {
    name: `this machine (${os?.prettyName ?? 'no /etc/os-release'})`,
    os,
    root,
    sudo: !root && !!sudo && run(sudo, ['-n', 'true'], 5_000).ok,
    apt: !!which('apt-get'),
    systemd: existsSync('/run/systemd/system'),
    ...(marker ? { container: { marker, privileged: holdsSysAdmin(status) } } : {}),
    node: process.versions.node,
    docker: gatherDocker(),
    compose: gatherCompose(),
    browsers: BROWSER_CANDIDATES.filter((b) => existsSync(b)).map((path) => {
      const r = run(path, ['--version'], 30_000);
      // "Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)" → its name and version.
      const version = /^\D*\d+(?:\.\d+)+/.exec(r.out)?.[0] ?? r.out.split('\n')[0]!.trim();
      return r.ok && r.out ? { path, version } : { path };
    }),
    playwrightChromium: playwrightChromium(),
    tools: TOOLS.filter((t) => (t.file ? existsSync(t.file) : t.commands!.some((c) => which(c)))).map((t) => t.name),
    go: go ? run(go, ['env', 'GOVERSION']).out || undefined : undefined,
    k6: isExecutable(k6) ? firstVersion(run(k6, ['version']).out) : undefined,
    actionlint: isExecutable(actionlint) ? firstVersion(run(actionlint, ['-version']).out) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------- the CLI

/** The pinned version in an install script: `NAME="${NAME:-v1.2.3}"`. */
export function pinIn(script: string, variable: string): string {
  const text = readFileSync(join(REPO_ROOT, 'scripts', script), 'utf8');
  const m = new RegExp(`^${variable}="\\$\\{${variable}:-(v[^}"]+)\\}"`, 'm').exec(text);
  if (!m) throw new Error(`scripts/${script}: no ${variable}="\${${variable}:-v…}" pin`);
  return m[1]!;
}

/** The mode the environment selects; a setting the gate would refuse is the gate's to report, the set-up assumes hermetic. */
function modeOfEnvironment(): Mode {
  try {
    return loadConfig().mode;
  } catch (e) {
    if (e instanceof ConfigError) return 'hermetic';
    throw e;
  }
}

function main(argv: string[]): number {
  const flag = (f: string) => argv.includes(f);
  const value = (f: string) => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const profileFile = value('--profile');
  const profile = profileFile ? (JSON.parse(readFileSync(resolve(profileFile), 'utf8')) as MachineProfile) : gatherProfile();
  if (flag('--record')) {
    process.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
    return 0;
  }
  const mode = value('--mode') ?? modeOfEnvironment();
  if (mode !== 'hermetic' && mode !== 'compose' && mode !== 'live') throw new Error(`--mode ${mode}: use hermetic, compose or live`);
  const plan = planSetup(profile, {
    mode,
    skipDistro: flag('--skip-distro'),
    skipImages: flag('--skip-images'),
    skipK6: flag('--skip-k6'),
    gateOnly: flag('--gate-only'),
    playwrightBrowser: usePlaywrightBrowser(),
    k6Version: value('--k6-version') || pinIn('install-k6.sh', 'K6_VERSION'),
    actionlintVersion: pinIn('install-actionlint.sh', 'ACTIONLINT_VERSION'),
  });
  const prefix = value('--prefix') ?? '';
  for (const line of planLines(plan)) process.stdout.write(`${prefix}${line}\n`);
  const shell = value('--shell');
  if (shell) writeFileSync(shell, shellAssignments(plan));
  return plan.ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  process.exit(main(process.argv.slice(2)));
}
