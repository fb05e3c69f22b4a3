/**
 * Pure checks on a deployment's monitoring configuration files: the alert rules (PromQL parsed, not grepped,
 * by lib/promql.ts), Alertmanager receivers and routes, Grafana's provisioned Prometheus datasource.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { alertComparisons, parsePromQL, selectorNames, type Comparison } from '../lib/promql.ts';
import { ALERT_CPU_PERCENT, ALERT_MEMORY_PERCENT, ALERT_QUERY_FAILURE_PERCENT } from '../core/thresholds.ts';
import { check, type Check } from './check.ts';
import { checkServiceUrl, type ComposeService } from './compose.ts';
import { expandGlobs, resolveFiles } from './discover.ts';
import { describeSource, type Profile } from '../core/profile.ts';
import type { PromRule } from '../lib/prometheus.ts';

// ------------------------------------------------------------------------------------------- alert rules

/**
 * The checklist's five alerts: the contract's rule name, the checklist line, the comparison and threshold (in
 * percent, or a value), and the series the rule must measure (`measures` says it in words).
 */
export const CHECKLIST_ALERTS = [
  { alert: 'HighMemoryUsage', line: 'High memory usage alerts (>85%)', op: '>', percent: ALERT_MEMORY_PERCENT, series: /^node_memory_/, measures: 'node_memory_*' },
  { alert: 'HighCPUUsage', line: 'High CPU usage alerts (>90%)', op: '>', percent: ALERT_CPU_PERCENT, series: /^node_cpu_/, measures: 'node_cpu_*' },
  { alert: 'ServiceUnavailable', line: 'Service unavailability alerts', op: '==', value: 0, series: /^(up|probe_success)$/, measures: 'up or probe_success' },
  { alert: 'HighQueryFailureRate', line: 'Query failure rate alerts (>5%)', op: '>', percent: ALERT_QUERY_FAILURE_PERCENT, series: /quer/, measures: 'a *quer* series' },
  { alert: 'DocumentProcessingFailures', line: 'Document processing failure alerts', op: '>', value: 0, series: /document/, measures: 'a *document* series' },
] as const;

export type ChecklistAlert = (typeof CHECKLIST_ALERTS)[number];

export interface AlertRule {
  alert: string;
  expr: string;
  /** The rule file, relative to the deployment directory (readAlertRuleFiles) or the rules directory (readAlertRules). */
  file: string;
  for?: string;
  labels?: Record<string, string>;
}

/** The alerting rules of one parsed rule file. */
function alertRulesIn(parsed: unknown, file: string): AlertRule[] {
  const doc = parsed as { groups?: Array<{ rules?: Array<Record<string, unknown>> }> } | null;
  const out: AlertRule[] = [];
  for (const g of Array.isArray(doc?.groups) ? doc.groups : []) {
    for (const r of Array.isArray(g?.rules) ? g.rules : []) {
      if (typeof r?.alert === 'string') out.push({ alert: r.alert, expr: String(r.expr ?? ''), file, ...(r.for ? { for: String(r.for) } : {}), ...(r.labels ? { labels: r.labels as Record<string, string> } : {}) });
    }
  }
  return out;
}

/** Every alerting rule of the `*.yml` files in one directory (file: the file's name); throws on a file that does not parse. */
export function readAlertRules(rulesDir: string): AlertRule[] {
  if (!existsSync(rulesDir)) return [];
  return readdirSync(rulesDir).filter((x) => /\.ya?ml$/.test(x)).sort().flatMap((f) => alertRulesIn(parseYaml(readFileSync(join(rulesDir, f), 'utf8')), f));
}

/**
 * The alerting rules of the deployment's rule files (paths relative to `deployDir`, as resolveFiles + expandGlobs
 * give them). A file that is missing, does not parse or is no Prometheus rule file is a problem naming it; the
 * others are still read.
 */
export function readAlertRuleFiles(deployDir: string, relFiles: readonly string[]): { rules: AlertRule[]; problems: string[] } {
  const rules: AlertRule[] = [];
  const problems: string[] = [];
  if (relFiles.length === 0) problems.push('there is no alert rule file to read (no file matches the rule_files of prometheus.yml or the profile\'s files.alertRules)');
  for (const rel of relFiles) {
    let text: string;
    try {
      text = readFileSync(join(deployDir, rel), 'utf8');
    } catch (err) {
      problems.push(`alert rule file ${rel} cannot be read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`);
      continue;
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      problems.push(`alert rule file ${rel} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { groups?: unknown }).groups)) {
      problems.push(`alert rule file ${rel} is not a Prometheus rule file: it has no groups: list`);
      continue;
    }
    rules.push(...alertRulesIn(doc, rel));
  }
  return { rules, problems };
}

/** The metric names an alert expression reads, or the parser's error. */
function seriesOf(rule: AlertRule): string[] | Error {
  try {
    return selectorNames(parsePromQL(rule.expr));
  } catch (err) {
    return err as Error;
  }
}

/** How one rule meets one checklist alert: what is wrong (phrased after "alert X "), what it fires at, and how far it is off. */
function judgeRule(want: ChecklistAlert, rule: AlertRule): { issues: string[]; details: string[]; distance: number } {
  let cmps: Comparison[];
  try {
    cmps = alertComparisons(rule.expr);
  } catch (err) {
    return { issues: [`cannot be judged: ${(err as Error).message}`], details: [], distance: Infinity };
  }
  const issues: string[] = [];
  const details: string[] = [];
  let distance = 0;
  const series = cmps.flatMap((c) => selectorNames(c.query));
  if (!series.some((s) => want.series.test(s))) {
    issues.push(`does not measure ${want.measures} ("${want.line}"); it uses ${series.join(', ') || 'no series'}`);
    distance = Infinity;
  }
  // Every branch of a union must fire at the checklist's threshold.
  for (const cmp of cmps) {
    if ('percent' in want) {
      const asPercent = cmp.percentScale ? cmp.threshold : cmp.threshold * 100;
      const shown = cmp.percentScale ? `${cmp.threshold}%` : `${cmp.threshold} (= ${+(asPercent.toFixed(6))}%)`;
      const off = (cmp.op === want.op ? 0 : 1000) + Math.abs(asPercent - want.percent);
      if (off > 1e-9) issues.push(`fires at ${cmp.op} ${shown}; the checklist says "${want.line}", i.e. ${want.op} ${want.percent}%`);
      distance = Math.max(distance, off);
      details.push(`${cmp.op} ${shown}`);
    } else {
      const ok = (cmp.op === want.op && cmp.threshold === want.value) || (want.op === '==' && want.value === 0 && cmp.op === '<' && cmp.threshold === 1);
      if (!ok) issues.push(`fires at ${cmp.op} ${cmp.threshold}; "${want.line}" needs ${want.op} ${want.value}`);
      distance = Math.max(distance, ok ? 0 : (cmp.op === want.op ? 0 : 1000) + Math.abs(cmp.threshold - want.value));
      details.push(`${cmp.op} ${cmp.threshold}`);
    }
  }
  return { issues, details, distance };
}

/** How a checklist alert's rule was found: its contract name, its expression, the nearest rule that measures it but fails, or none. */
export type AlertMatchHow = 'name' | 'expression' | 'closest' | 'none';

export interface AlertMatch {
  want: ChecklistAlert;
  /** The rule judged for it: by the contract's name, else recognised by its expression, else the closest candidate. */
  rule?: AlertRule;
  how: AlertMatchHow;
  /** Further rules that implement it as well (one availability rule per service, say). */
  also: AlertRule[];
  problems: string[];
  details: string[];
}

/** "rule X (file), by its expression" – for a line's note. */
export function describeAlertMatch(m: AlertMatch): string {
  if (!m.rule) return `${m.want.alert}: no rule measures ${m.want.measures}`;
  const how = m.how === 'name' ? "the contract's name" : m.how === 'expression' ? `recognised by its expression (${m.want.measures}, ${'percent' in m.want ? `${m.want.op} ${m.want.percent}%` : `${m.want.op} ${m.want.value}`})` : `the closest rule measuring ${m.want.measures}, at another threshold`;
  const also = m.also.length ? `; also ${m.also.map((r) => `${r.alert} (${r.file})`).join(', ')}` : '';
  return `${m.want.alert} ("${m.want.line}"): rule ${m.rule.alert} in ${m.rule.file} – ${how}${also}`;
}

/**
 * For each of the checklist's five alerts, the rule that implements it: the rule with the contract's name when
 * there is one; else the rules whose expression measures the alert's series and compares at the checklist's
 * threshold (the first judged, the others in `also`); else the rule measuring the series that comes closest, with
 * a problem saying what it fires at; else a problem saying that no rule measures it. A rule implements at most one
 * alert.
 */
export function matchChecklistAlerts(rules: readonly AlertRule[]): AlertMatch[] {
  const named = CHECKLIST_ALERTS.map((want) => rules.find((r) => r.alert === want.alert));
  const taken = new Set<AlertRule>(named.filter((r): r is AlertRule => !!r));
  const files = [...new Set(rules.map((r) => r.file))];
  return CHECKLIST_ALERTS.map((want, i): AlertMatch => {
    const byName = named[i];
    if (byName) {
      const j = judgeRule(want, byName);
      return { want, rule: byName, how: 'name', also: [], problems: j.issues.map((x) => `alert ${byName.alert} ${x} (${byName.file})`), details: j.details.map((d) => `${want.alert}: ${d} (${byName.file})`) };
    }
    const candidates = rules
      .filter((r) => !taken.has(r))
      .filter((r) => {
        const s = seriesOf(r);
        return Array.isArray(s) && s.some((n) => want.series.test(n));
      })
      .map((r) => ({ r, j: judgeRule(want, r) }));
    const implementing = candidates.filter((c) => c.j.issues.length === 0);
    if (implementing.length) {
      implementing.forEach((c) => taken.add(c.r));
      const [first, ...rest] = implementing;
      return {
        want,
        rule: first!.r,
        how: 'expression',
        also: rest.map((c) => c.r),
        problems: [],
        details: implementing.map((c) => `${want.alert}: rule ${c.r.alert}, recognised by its expression: ${c.j.details.join(', ')} (${c.r.file})`),
      };
    }
    const closest = [...candidates].sort((a, b) => a.j.distance - b.j.distance)[0];
    if (closest) {
      taken.add(closest.r);
      return {
        want,
        rule: closest.r,
        how: 'closest',
        also: [],
        problems: closest.j.issues.map((x) => `alert '${closest.r.alert}' (${closest.r.file}) measures ${want.measures} but ${x}`),
        details: [`${want.alert}: closest rule ${closest.r.alert}: ${closest.j.details.join(', ')} (${closest.r.file})`],
      };
    }
    const unreadable = rules.filter((r) => !taken.has(r) && seriesOf(r) instanceof Error).map((r) => `${r.alert} (${r.file}): ${(seriesOf(r) as Error).message}`);
    const read = files.length ? `rules read: ${rules.length} in ${files.join(', ')}` : 'no alert rules read';
    return {
      want,
      how: 'none',
      also: [],
      problems: [`alert ${want.alert} ("${want.line}") is not defined, and no alert rule measures ${want.measures} (${read}${unreadable.length ? `; not readable: ${unreadable.join('; ')}` : ''})`],
      details: [],
    };
  });
}

/** Each of the five alerts has a rule that fires exactly at the checklist's threshold (structurally, from the PromQL). */
export function checkChecklistAlerts(rules: readonly AlertRule[]): Check {
  const matches = matchChecklistAlerts(rules);
  return check(
    matches.flatMap((m) => m.problems),
    matches.flatMap((m) => m.details),
  );
}

/** The deployment's alert rules and promtool test files, resolved (profile, else found by content, else the contract's names). */
export interface DeploymentAlertFiles {
  rules: AlertRule[];
  /** Rule files that are missing or do not parse. */
  problems: string[];
  /** "monitoring/prometheus/rules/rag-alerts.yml (found: rule_files of …)" – for a line's note. */
  from: string;
  /** promtool test files, relative to the deployment directory. */
  tests: string[];
  testsFrom: string;
  /** prometheus.yml, relative to the deployment directory. */
  prometheusConfig: string;
}

export function deploymentAlertFiles(deployDir: string, profile: Profile): DeploymentAlertFiles {
  const files = resolveFiles(deployDir, profile);
  const rel = expandGlobs(deployDir, files.alertRules.value);
  const tests = expandGlobs(deployDir, files.alertRuleTests.value);
  const read = readAlertRuleFiles(deployDir, rel);
  return {
    ...read,
    from: `${rel.join(', ') || files.alertRules.value.join(', ')} (${describeSource(files.alertRules.source)})`,
    tests,
    testsFrom: `${tests.join(', ') || files.alertRuleTests.value.join(', ')} (${describeSource(files.alertRuleTests.source)})`,
    prometheusConfig: files.prometheusConfig.value,
  };
}

/** The alerting rules a running Prometheus has loaded (/api/v1/rules), as rules to match. */
export function loadedAlertRules(loaded: readonly PromRule[]): AlertRule[] {
  return loaded.filter((r) => r.type === 'alerting').map((r) => ({ alert: r.name, expr: r.query, file: r.file ?? 'loaded in Prometheus' }));
}

/** The checklist alerts matched to a deployment's rules, and where those rules were read. */
export interface ChecklistAlertPlan {
  matches: AlertMatch[];
  /** "rule files … (found: …)" or "the rules Prometheus has loaded" – for the line's note. */
  from: string;
  /** Rule files that are missing or do not parse. */
  problems: string[];
  /** The resolved files, when the deployment directory is here. */
  files?: DeploymentAlertFiles;
}

/**
 * The rule of each checklist alert: from the deployment's rule files when its directory is here (the profile's,
 * else prometheus.yml's rule_files, else the contract's), else from the rules Prometheus has loaded.
 */
export function checklistAlertPlan(deployDir: string | undefined, profile: Profile, loaded: readonly PromRule[]): ChecklistAlertPlan {
  if (deployDir) {
    const files = deploymentAlertFiles(deployDir, profile);
    return { matches: matchChecklistAlerts(files.rules), from: `rule files ${files.from}`, problems: files.problems, files };
  }
  return { matches: matchChecklistAlerts(loadedAlertRules(loaded)), from: 'the rules Prometheus has loaded (/api/v1/rules)', problems: [] };
}

/** One rule against one checklist alert (the loaded rule of a match, say): problems naming the rule and its file. */
export function checkAlertRule(want: ChecklistAlert, rule: AlertRule): Check {
  const j = judgeRule(want, rule);
  return check(
    j.issues.map((x) => `alert ${rule.alert} ${x} (${rule.file})`),
    j.details.map((d) => `${rule.alert}: ${d} (${rule.file})`),
  );
}

// ------------------------------------------------------------------------------------------- Alertmanager, Grafana

interface AmRoute {
  receiver?: string;
  continue?: boolean;
  matchers?: unknown[];
  match?: Record<string, string>;
  match_re?: Record<string, string>;
  routes?: AmRoute[];
}

/** Receivers with an email (`to`) and a webhook/Slack (`url`) configured, and every alert routed to both. */
export function checkNotificationChannels(alertmanagerYaml: string): Check {
  const doc = parseYaml(alertmanagerYaml) as { route?: AmRoute; receivers?: Array<{ name: string; email_configs?: Array<{ to?: string }>; webhook_configs?: Array<{ url?: string }>; slack_configs?: Array<{ api_url?: string; channel?: string }> }> };
  const problems: string[] = [];
  const receivers = doc.receivers ?? [];
  const email = receivers.filter((r) => (r.email_configs ?? []).some((c) => !!c.to && c.to.trim() !== ''));
  const hook = receivers.filter((r) => (r.webhook_configs ?? []).some((c) => !!c.url) || (r.slack_configs ?? []).some((c) => !!c.api_url || !!c.channel));
  if (email.length === 0) problems.push('no Alertmanager receiver has an email address (email_configs.to)');
  if (hook.length === 0) problems.push('no Alertmanager receiver has a webhook or Slack channel (webhook_configs.url / slack_configs)');
  // Which receivers does an alert that matches every catch-all route reach?
  const reached = new Set<string>();
  const walk = (r: AmRoute, inherited: string | undefined): boolean => {
    const recv = r.receiver ?? inherited;
    const kids = r.routes ?? [];
    let matchedChild = false;
    for (const k of kids) {
      const catchAll = (k.matchers ?? []).length === 0 && !k.match && !k.match_re;
      if (!catchAll) continue;
      walk(k, recv);
      matchedChild = true;
      if (!k.continue) break;
    }
    if (!matchedChild && recv) reached.add(recv);
    return true;
  };
  if (doc.route) walk(doc.route, undefined);
  else problems.push('alertmanager.yml has no route');
  if (email.length && !email.some((r) => reached.has(r.name))) problems.push(`an alert is not routed to the email receiver (${email.map((r) => r.name).join(', ')}); it reaches ${[...reached].join(', ') || 'nothing'}`);
  if (hook.length && !hook.some((r) => reached.has(r.name))) problems.push(`an alert is not routed to the webhook receiver (${hook.map((r) => r.name).join(', ')}); it reaches ${[...reached].join(', ') || 'nothing'}`);
  return check(problems, [`receivers: ${receivers.map((r) => r.name).join(', ')}; an alert reaches: ${[...reached].join(', ')}`]);
}

/**
 * The provisioned Prometheus datasource points at the deployment's Prometheus. With the compose files' services
 * the URL must name the service that runs Prometheus, on a port it listens on; without them (a host with only
 * the provisioning file) the host must at least look like a Prometheus on 9090.
 */
export function checkGrafanaDatasource(yamlText: string, services?: ComposeService[]): Check {
  let doc: { apiVersion?: number; datasources?: GrafanaDatasource[] };
  try {
    doc = parseYaml(yamlText) as typeof doc;
  } catch (err) {
    return check([`Grafana datasource provisioning is not valid YAML: ${(err as Error).message}`]);
  }
  const ds = (doc?.datasources ?? []).filter((d) => d.type === 'prometheus');
  if (ds.length === 0) return check(['Grafana provisioning defines no datasource of type prometheus']);
  return checkPrometheusDatasources(ds, services);
}

/** One datasource entry of a Grafana provisioning file (the fields judged here). */
export interface GrafanaDatasource {
  name?: string;
  type?: string;
  url?: string;
  access?: string;
  isDefault?: boolean;
}

/** Already-parsed Prometheus datasources point at the deployment's Prometheus (see checkGrafanaDatasource). */
export function checkPrometheusDatasources(ds: GrafanaDatasource[], services?: ComposeService[]): Check {
  const problems: string[] = [];
  const details = ds.map((d) => `${d.name}: ${d.type} ${d.url} (${d.access ?? 'proxy'}${d.isDefault ? ', default' : ''})`);
  for (const d of ds) {
    let u: URL | undefined;
    try {
      u = new URL(d.url ?? '');
    } catch {
      problems.push(`Grafana datasource ${d.name}: url "${d.url}" is not a URL`);
      continue;
    }
    if (services && services.length > 0) {
      const t = checkServiceUrl(`Grafana datasource ${d.name}`, u, services, isPrometheusService, 'Prometheus');
      problems.push(...t.problems);
      details.push(...t.details);
    } else if (!/prometheus/.test(u.hostname) || (u.port || '80') !== '9090') problems.push(`Grafana datasource ${d.name} points at ${u.host}, not at Prometheus (prometheus:9090)`);
  }
  return check(problems, details);
}

function isPrometheusService(s: ComposeService): boolean {
  return /(^|[/-])prometheus(:|$)/.test(s.image) || (s.name === 'prometheus' && !/exporter|alertmanager/.test(s.image));
}
