/**
 * Pure checks on a deployment's monitoring configuration files: the alert rules (PromQL parsed, not grepped,
 * by lib/promql.ts), Alertmanager receivers and routes, Grafana's provisioned Prometheus datasource.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { alertComparisons, selectorNames, type Comparison } from '../lib/promql.ts';
import { ALERT_CPU_PERCENT, ALERT_MEMORY_PERCENT, ALERT_QUERY_FAILURE_PERCENT } from '../core/thresholds.ts';
import { check, type Check } from './check.ts';
import { checkServiceUrl, type ComposeService } from './compose.ts';

// ------------------------------------------------------------------------------------------- alert rules

/** The checklist's five alerts: name in the rules, expected comparison, threshold in percent, a series they must use. */
export const CHECKLIST_ALERTS = [
  { alert: 'HighMemoryUsage', line: 'High memory usage alerts (>85%)', op: '>', percent: ALERT_MEMORY_PERCENT, series: /^node_memory_/ },
  { alert: 'HighCPUUsage', line: 'High CPU usage alerts (>90%)', op: '>', percent: ALERT_CPU_PERCENT, series: /^node_cpu_/ },
  { alert: 'ServiceUnavailable', line: 'Service unavailability alerts', op: '==', value: 0, series: /^(up|probe_success)$/ },
  { alert: 'HighQueryFailureRate', line: 'Query failure rate alerts (>5%)', op: '>', percent: ALERT_QUERY_FAILURE_PERCENT, series: /quer/ },
  { alert: 'DocumentProcessingFailures', line: 'Document processing failure alerts', op: '>', value: 0, series: /document/ },
] as const;

export interface AlertRule {
  alert: string;
  expr: string;
  file: string;
  for?: string;
  labels?: Record<string, string>;
}

export function readAlertRules(rulesDir: string): AlertRule[] {
  const out: AlertRule[] = [];
  if (!existsSync(rulesDir)) return out;
  for (const f of readdirSync(rulesDir).filter((x) => /\.ya?ml$/.test(x)).sort()) {
    const doc = parseYaml(readFileSync(join(rulesDir, f), 'utf8')) as { groups?: Array<{ rules?: Array<Record<string, unknown>> }> } | null;
    for (const g of doc?.groups ?? []) {
      for (const r of g.rules ?? []) {
        if (typeof r.alert === 'string') out.push({ alert: r.alert, expr: String(r.expr ?? ''), file: f, ...(r.for ? { for: String(r.for) } : {}), ...(r.labels ? { labels: r.labels as Record<string, string> } : {}) });
      }
    }
  }
  return out;
}

/** Each of the five alerts exists and fires exactly at the checklist's threshold (structurally, from the PromQL). */
export function checkChecklistAlerts(rules: AlertRule[]): Check {
  const problems: string[] = [];
  const details: string[] = [];
  for (const want of CHECKLIST_ALERTS) {
    const rule = rules.find((r) => r.alert === want.alert);
    if (!rule) {
      problems.push(`alert ${want.alert} ("${want.line}") is not defined in monitoring/prometheus/rules/`);
      continue;
    }
    let cmps: Comparison[];
    try {
      cmps = alertComparisons(rule.expr);
    } catch (err) {
      problems.push(`alert ${want.alert}: ${(err as Error).message}`);
      continue;
    }
    const series = cmps.flatMap((c) => selectorNames(c.query));
    if (!series.some((s) => want.series.test(s))) problems.push(`alert ${want.alert} does not query the expected series (${want.series.source}); it uses ${series.join(', ') || 'no series'}`);
    // Every branch of a union must fire at the checklist's threshold.
    for (const cmp of cmps) {
      if ('percent' in want) {
        const asPercent = cmp.percentScale ? cmp.threshold : cmp.threshold * 100;
        const shown = cmp.percentScale ? `${cmp.threshold}%` : `${cmp.threshold} (= ${+(asPercent.toFixed(6))}%)`;
        if (cmp.op !== want.op || Math.abs(asPercent - want.percent) > 1e-9) {
          problems.push(`alert ${want.alert} fires at ${cmp.op} ${shown}; the checklist says "${want.line}", i.e. ${want.op} ${want.percent}%`);
        }
        details.push(`${want.alert}: ${cmp.op} ${shown} (${rule.file})`);
      } else {
        const ok = (cmp.op === want.op && cmp.threshold === want.value) || (want.op === '==' && want.value === 0 && cmp.op === '<' && cmp.threshold === 1);
        if (!ok) problems.push(`alert ${want.alert} fires at ${cmp.op} ${cmp.threshold}; "${want.line}" needs ${want.op} ${want.value}`);
        details.push(`${want.alert}: ${cmp.op} ${cmp.threshold} (${rule.file})`);
      }
    }
  }
  return check(problems, details);
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
