/**
 * Finding a deployment's files by what they contain, not by their names: the certificate and key Nginx's
 * `ssl_certificate*` directives name, Prometheus's configuration and its `rule_files`, the Alertmanager
 * configuration, Grafana's provisioning, the backup and restore scripts. Container paths are mapped back to the
 * deployment directory through the compose files' bind mounts. The specs resolve every file with `resolveFiles`:
 * the deployment profile's value, else what is found here, else the contract's name – and show which on the line.
 * `npm run profile -- --discover <dir>` writes what is found as a draft profile.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CONTRACT_FILES, pick, type ProfileFiles, type Profile, type Resolved } from '../core/profile.ts';
import { COMPOSE_FILE, readComposeServices, type ComposeService } from './compose.ts';

export interface Found<T> {
  value: T;
  how: string;
}

type FileKey = keyof typeof CONTRACT_FILES;
type FileValue<K extends FileKey> = NonNullable<ProfileFiles[K]>;
export type DiscoveredFiles = { [K in FileKey]?: Found<FileValue<K>> };
export type ResolvedFiles = { [K in FileKey]: Resolved<FileValue<K>> };

const SKIP_DIRS = new Set(['node_modules', '.git', 'data', 'logs', 'backups', 'dist']);
const MAX_FILE_BYTES = 1_000_000;

/** Text files of the deployment directory (relative paths), skipping data, logs, backups and dependencies. */
export function deploymentFiles(deployDir: string, depth = 6): string[] {
  const out: string[] = [];
  const walk = (rel: string, left: number) => {
    let entries: string[];
    try {
      entries = readdirSync(join(deployDir, rel));
    } catch {
      return;
    }
    for (const e of entries.sort()) {
      const r = rel ? `${rel}/${e}` : e;
      let st;
      try {
        st = statSync(join(deployDir, r));
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (left > 0 && !SKIP_DIRS.has(e)) walk(r, left - 1);
      } else if (st.isFile() && st.size <= MAX_FILE_BYTES) out.push(r);
    }
  };
  walk('', depth);
  return out;
}

/** During one discoverFiles(): each file read and parsed once, however many lookups ask for it. */
let reading: { texts: Map<string, string | undefined>; docs: Map<string, unknown> } | undefined;

function readText(deployDir: string, rel: string): string | undefined {
  const key = join(deployDir, rel);
  if (reading?.texts.has(key)) return reading.texts.get(key);
  let text: string | undefined;
  try {
    text = readFileSync(key, 'utf8');
  } catch {
    text = undefined;
  }
  reading?.texts.set(key, text);
  return text;
}

/** A deployment file's YAML, or undefined when it is unreadable or not YAML. */
function yamlDoc(deployDir: string, rel: string): unknown {
  const key = join(deployDir, rel);
  if (reading?.docs.has(key)) return reading.docs.get(key);
  const text = readText(deployDir, rel);
  let doc: unknown;
  try {
    doc = text === undefined ? undefined : (parseYaml(text) as unknown);
  } catch {
    doc = undefined;
  }
  reading?.docs.set(key, doc);
  return doc;
}

/** A container path as a path in the deployment directory, through the services' bind mounts (longest mount first). */
export function hostPath(containerPath: string, services: ComposeService[], deployDir: string, only?: (s: ComposeService) => boolean): string | undefined {
  const mounts = services
    .filter((s) => !only || only(s))
    .flatMap((s) => s.mounts)
    .filter((m) => containerPath === m.target || containerPath.startsWith(m.target.endsWith('/') ? m.target : `${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length);
  for (const m of mounts) {
    const abs = resolve(deployDir, m.source, relative(m.target, containerPath));
    const rel = relative(deployDir, abs);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  }
  return undefined;
}

const isNginx = (s: ComposeService) => /nginx/.test(s.image) || /nginx|proxy/.test(s.name);
const isPrometheus = (s: ComposeService) => (/prometheus/.test(s.image) || s.name === 'prometheus') && !/exporter|alertmanager/.test(s.image + s.name);

/** The value of an Nginx directive in every `.conf` file, with the file it is in (comments stripped). */
export function nginxDirectives(deployDir: string, files: string[], name: string): Array<{ value: string; file: string }> {
  const out: Array<{ value: string; file: string }> = [];
  const re = new RegExp(`(?:^|[;{}\\s])${name}\\s+([^;\\s]+)\\s*;`, 'g');
  for (const f of files.filter((x) => /\.(conf|inc)$/.test(x) || /(^|\/)nginx[^/]*$/.test(x))) {
    const text = readText(deployDir, f)?.replace(/#[^\n]*/g, '');
    if (!text) continue;
    for (const m of text.matchAll(re)) out.push({ value: m[1]!.replace(/^["']|["']$/g, ''), file: f });
  }
  return out;
}

/** An Nginx path (in the container) as a deployment file: through the mounts, else a file of that name under ssl/ or anywhere. */
function nginxFile(deployDir: string, files: string[], services: ComposeService[], p: string): string | undefined {
  const mapped = hostPath(p, services, deployDir, isNginx) ?? hostPath(p, services, deployDir);
  if (mapped && existsSync(join(deployDir, mapped))) return mapped;
  const base = p.split('/').pop()!;
  const same = files.filter((f) => f.split('/').pop() === base);
  return same.length === 1 ? same[0] : undefined;
}

function pemCertificates(text: string | undefined): number {
  return (text?.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
}

function discoverTls(deployDir: string, files: string[], services: ComposeService[], out: DiscoveredFiles): void {
  const certs = nginxDirectives(deployDir, files, 'ssl_certificate');
  const keys = nginxDirectives(deployDir, files, 'ssl_certificate_key');
  const trusted = [...nginxDirectives(deployDir, files, 'ssl_trusted_certificate'), ...nginxDirectives(deployDir, files, 'ssl_client_certificate')];
  const cert = certs.map((c) => ({ ...c, host: nginxFile(deployDir, files, services, c.value) })).find((c) => c.host);
  if (cert?.host) {
    out.tlsChain = { value: cert.host, how: `ssl_certificate ${cert.value} in ${cert.file}` };
    out.tlsCertificate = { value: cert.host, how: `the first certificate of ssl_certificate ${cert.value} (${cert.file})` };
  }
  const key = keys.map((k) => ({ ...k, host: nginxFile(deployDir, files, services, k.value) })).find((k) => k.host);
  if (key?.host) out.tlsKey = { value: key.host, how: `ssl_certificate_key ${key.value} in ${key.file}` };
  const ca = trusted.map((t) => ({ ...t, host: nginxFile(deployDir, files, services, t.value) })).find((t) => t.host);
  if (ca?.host) out.tlsCa = { value: ca.host, how: `${ca.value} in ${ca.file}` };
  else if (cert?.host) {
    // The CA: a single-certificate file beside the chain that is not the served certificate, named like a CA.
    const dir = cert.host.includes('/') ? cert.host.slice(0, cert.host.lastIndexOf('/')) : '';
    const candidates = files.filter((f) => (dir ? f.startsWith(`${dir}/`) : !f.includes('/')) && f !== cert.host && /ca|root|issuer/i.test(f.split('/').pop()!) && pemCertificates(readText(deployDir, f)) >= 1);
    if (candidates.length === 1) out.tlsCa = { value: candidates[0]!, how: `the CA certificate beside ${cert.host}` };
  }
  // A separate server certificate file (one certificate, the chain's first) when the chain holds several.
  if (cert?.host && pemCertificates(readText(deployDir, cert.host)) > 1) {
    const first = readText(deployDir, cert.host)!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
    const same = files.find((f) => f !== cert.host && pemCertificates(readText(deployDir, f)) === 1 && readText(deployDir, f)!.includes(first ?? '\u0000'));
    if (same) out.tlsCertificate = { value: same, how: `the file holding the first certificate of ${cert.host}` };
  }
}

function discoverPrometheus(deployDir: string, files: string[], services: ComposeService[], out: DiscoveredFiles): void {
  // The configuration Prometheus runs with: the mounted /etc/prometheus/prometheus.yml (or --config.file), else the one file with scrape_configs.
  const prom = services.find(isPrometheus);
  let configRel = prom ? hostPath('/etc/prometheus/prometheus.yml', [prom], deployDir) : undefined;
  let how = configRel ? `mounted as /etc/prometheus/prometheus.yml in service ${prom!.name}` : '';
  if (!configRel || !existsSync(join(deployDir, configRel))) {
    const withScrape = files.filter((f) => /\.ya?ml$/.test(f) && (yamlDoc(deployDir, f) as { scrape_configs?: unknown } | undefined)?.scrape_configs !== undefined);
    configRel = withScrape.length === 1 ? withScrape[0] : undefined;
    how = 'the file with scrape_configs';
  }
  if (!configRel) return;
  out.prometheusConfig = { value: configRel, how };
  const doc = yamlDoc(deployDir, configRel) as { rule_files?: string[] } | undefined;
  const configDir = configRel.includes('/') ? configRel.slice(0, configRel.lastIndexOf('/')) : '.';
  const inContainer = prom && hostPath('/etc/prometheus/prometheus.yml', [prom], deployDir) ? '/etc/prometheus' : undefined;
  const rules = (doc?.rule_files ?? []).map((r) => {
    // A rule path is relative to the configuration file (in the container); absolute ones go through the mounts.
    if (isAbsolute(r)) return (prom && hostPath(r, [prom], deployDir)) ?? (inContainer && r.startsWith(`${inContainer}/`) ? normalize(join(configDir, r.slice(inContainer.length + 1))) : r);
    return normalize(join(configDir, r)).split(sep).join('/');
  });
  if (rules.length) out.alertRules = { value: rules, how: `rule_files of ${configRel}` };
  const tests = files.filter((f) => {
    const d = /\.ya?ml$/.test(f) ? (yamlDoc(deployDir, f) as { tests?: unknown; rule_files?: unknown } | undefined) : undefined;
    return d?.tests !== undefined && d.rule_files !== undefined;
  });
  if (tests.length) out.alertRuleTests = { value: tests, how: 'promtool test files (rule_files: and tests:)' };
}

/** The one file (or the first of several, sorted) whose YAML satisfies `is`. */
function yamlFile(deployDir: string, files: string[], is: (doc: Record<string, unknown>) => boolean): string | undefined {
  return files.filter((f) => /\.ya?ml$/.test(f)).find((f) => {
    const doc = yamlDoc(deployDir, f);
    return !!doc && typeof doc === 'object' && is(doc as Record<string, unknown>);
  });
}

function discoverScripts(deployDir: string, files: string[], out: DiscoveredFiles): void {
  const scripts = files.filter((f) => /\.(sh|bash)$/.test(f) || /^#!.*\b(ba)?sh\b/.test(readText(deployDir, f)?.slice(0, 80) ?? ''));
  for (const [key, word] of [['backupScript', 'backup'], ['restoreScript', 'restore']] as const) {
    const named = scripts.filter((f) => new RegExp(word, 'i').test(f.split('/').pop()!));
    if (named.length === 1) out[key] = { value: named[0]!, how: `the one script named like ${word}` };
  }
}

/** Everything discovery finds in a deployment directory. */
export function discoverFiles(deployDir: string): DiscoveredFiles {
  if (!existsSync(deployDir)) return {};
  reading = { texts: new Map(), docs: new Map() };
  try {
    return discoverIn(deployDir);
  } finally {
    reading = undefined;
  }
}

function discoverIn(deployDir: string): DiscoveredFiles {
  const out: DiscoveredFiles = {};
  const files = deploymentFiles(deployDir);
  const services = readComposeServices(deployDir);
  const compose = files.filter((f) => !f.includes('/') && COMPOSE_FILE.test(f));
  const prodFile = compose.find((f) => /prod/.test(f)) ?? compose.find((f) => /^(docker-)?compose\.ya?ml$/.test(f));
  if (prodFile) out.composeProduction = { value: prodFile, how: 'the production compose file' };
  const monFile = compose.find((f) => /monitor/.test(f));
  if (monFile) out.composeMonitoring = { value: monFile, how: 'the monitoring compose file' };
  const tpl = files.filter((f) => /^\.env[^/]*\.(template|example|sample)$/.test(f) || /^env[^/]*\.(template|example)$/.test(f));
  if (tpl.length >= 1) out.envTemplate = { value: tpl.find((f) => /production/.test(f)) ?? tpl[0]!, how: 'the env template' };
  const nginxMain = files.filter((f) => /(^|\/)nginx\.conf$/.test(f));
  if (nginxMain.length === 1) out.nginxConfig = { value: nginxMain[0]!, how: 'nginx.conf' };
  discoverTls(deployDir, files, services, out);
  discoverPrometheus(deployDir, files, services, out);
  const am = yamlFile(deployDir, files, (d) => 'route' in d && 'receivers' in d);
  if (am) out.alertmanagerConfig = { value: am, how: 'the file with route: and receivers:' };
  const ds = yamlFile(deployDir, files, (d) => Array.isArray(d.datasources) && (d.datasources as Array<{ type?: string }>).some((x) => x?.type === 'prometheus'));
  if (ds) out.grafanaDatasources = { value: ds, how: 'the Grafana provisioning file with a prometheus datasource' };
  const dash = yamlFile(deployDir, files, (d) => Array.isArray(d.providers));
  if (dash) out.grafanaDashboards = { value: dash, how: 'the Grafana provisioning file with dashboard providers' };
  discoverScripts(deployDir, files, out);
  const lr = files.filter((f) => /(^|\/)logrotate/.test(f) && /\{[\s\S]*(rotate|daily|weekly)[\s\S]*\}/.test(readText(deployDir, f) ?? ''));
  if (lr.length >= 1) out.logrotate = { value: lr[0]!, how: 'the logrotate configuration' };
  return out;
}

const cache = new Map<string, DiscoveredFiles>();

/** Every file the checks need: the profile's value, else found by content, else the contract's name. */
export function resolveFiles(deployDir: string, profile: Profile): ResolvedFiles {
  let found = cache.get(deployDir);
  if (!found) {
    found = discoverFiles(deployDir);
    cache.set(deployDir, found);
  }
  const out = {} as Record<FileKey, Resolved<unknown>>;
  for (const k of Object.keys(CONTRACT_FILES) as FileKey[]) {
    const contract = CONTRACT_FILES[k] as FileValue<typeof k>;
    // The contract's own name wins over a guess when that file exists.
    const contractExists = typeof contract === 'string' && existsSync(join(deployDir, contract));
    out[k] = pick(profile.files[k], contractExists ? undefined : found[k], contract as never);
  }
  return out as ResolvedFiles;
}

/** Glob patterns (`*` within one path segment) of resolved files, expanded in the deployment directory. */
export function expandGlobs(deployDir: string, patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    if (!p.includes('*')) {
      if (existsSync(join(deployDir, p))) out.add(p);
      continue;
    }
    const dir = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.';
    const re = new RegExp(`^${p.slice(p.lastIndexOf('/') + 1).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    try {
      for (const f of readdirSync(join(deployDir, dir)).sort()) if (re.test(f)) out.add(dir === '.' ? f : `${dir}/${f}`);
    } catch {
      // a missing directory is the caller's finding (no rule file)
    }
  }
  return [...out];
}
