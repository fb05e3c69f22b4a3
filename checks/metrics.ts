/**
 * Post-Deployment Monitoring › Performance Monitoring (MON-SYSMET, MON-APPMET), pure: whether a metric Prometheus
 * holds is "present and moving" between two reads around the spec's traffic, whether the error counter carries the
 * outcome labels an error rate needs, and whether every running container has memory and CPU series.
 * tests/50-monitoring/prometheus.spec.ts gathers the figures; selftest/metrics.test.ts gives each a bad input.
 */

/** One probe read before and after the traffic. */
export interface MetricMovement {
  /** What the probe reads, with its series: "memory in use (node_memory_MemTotal_bytes - …)". */
  what: string;
  /** The probe's value before the traffic; undefined: the query returned no series. */
  before?: number;
  after?: number;
  /** Series of the probe Prometheus does not have at all, each naming the job that should export it (lib/prometheus.ts seriesPresence). */
  absent: readonly string[];
}

/**
 * How a metric must move: `change` – a system metric (a gauge may fall) differs between two reads; `grow` – an
 * application counter is higher after the traffic than before.
 */
export type Motion = 'change' | 'grow';

export function hasMoved(m: Pick<MetricMovement, 'before' | 'after'>, motion: Motion): boolean {
  if (m.before === undefined || m.after === undefined) return false;
  return motion === 'change' ? m.after !== m.before : m.after > m.before;
}

/** Why the metric is not present and moving, in words naming it and both reads; [] when it is. */
export function movementProblems(m: MetricMovement, motion: Motion): string[] {
  if (m.absent.length) return m.absent.map((a) => `${m.what}: ${a}`);
  if (m.before === undefined && m.after === undefined) return [`${m.what}: Prometheus has no such series`];
  if (m.before === undefined) return [`${m.what}: Prometheus had no such series before the traffic (after: ${m.after}), so no movement can be seen`];
  if (m.after === undefined) return [`${m.what}: the series disappeared from Prometheus (before: ${m.before}, after: no series)`];
  if (hasMoved(m, motion)) return [];
  return motion === 'change'
    ? [`${m.what} did not change between two scrapes (before ${m.before}, after ${m.after}): a series that never moves is a dead exporter, not monitoring`]
    : [`${m.what} did not grow after the traffic (before ${m.before}, after ${m.after})${m.after < m.before ? ': the counter fell, so the service restarted or the series was reset' : ''}`];
}

/** The outcomes an error rate needs as series of their own (MON-APPMET-3: "Error rates and patterns"). */
export const QUERY_OUTCOMES = ['failure', 'success'] as const;

/** Whether the query counter's series carry outcome="success" and outcome="failure"; names the series and what it has. */
export function outcomeLabelProblems(series: string, labels: ReadonlyArray<Record<string, string>>): string[] {
  if (labels.length === 0) return [`${series}: Prometheus has no such series, so no query failure rate can be computed`];
  const have = [...new Set(labels.map((l) => l.outcome).filter((o): o is string => o !== undefined))].sort();
  const missing = QUERY_OUTCOMES.filter((o) => !have.includes(o));
  if (missing.length === 0) return [];
  return [`${series} has no series with ${missing.map((o) => `outcome="${o}"`).join(' or ')} (outcomes: ${have.join(', ') || 'no outcome label'}), so no query failure rate can be computed`];
}

/** A running container of the deployment. */
export interface RunningContainer {
  service: string;
  name: string;
}

/** What Prometheus holds of container resources: cAdvisor container names, and the scrape jobs with process memory and CPU series. */
export interface ResourceSeries {
  cadvisorNames: ReadonlySet<string>;
  processMemoryJobs: ReadonlySet<string>;
  processCpuJobs: ReadonlySet<string>;
}

export interface ContainerCoverage {
  service: string;
  container: string;
  /** Which series show its memory and CPU; undefined: none. */
  how?: string;
}

/**
 * Container resource consumption (MON-SYSMET-5): each running container by its cAdvisor series, else by the
 * process_* memory and CPU series of the scrape job named like its service (a stand-in for the container).
 */
export function containerResourceCoverage(running: readonly RunningContainer[], s: ResourceSeries): { coverage: ContainerCoverage[]; problems: string[] } {
  const coverage = running.map((c): ContainerCoverage => {
    const how = s.cadvisorNames.has(c.name)
      ? 'cAdvisor container_* series'
      : s.processMemoryJobs.has(c.service) && s.processCpuJobs.has(c.service)
        ? `process_* of scrape job ${c.service} (stand-in for the container)`
        : undefined;
    return { service: c.service, container: c.name, ...(how ? { how } : {}) };
  });
  const problems = coverage
    .filter((c) => !c.how)
    .map((c) => {
      const partly = s.processMemoryJobs.has(c.service) ? ' (process memory series of its job, but no CPU series)' : s.processCpuJobs.has(c.service) ? ' (process CPU series of its job, but no memory series)' : '';
      return `${c.service} (container ${c.container}): no cAdvisor series and no process_* memory and CPU series${partly}`;
    });
  return { coverage, problems };
}
