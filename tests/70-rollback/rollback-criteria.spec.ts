/**
 * Rollback Procedures › Rollback Criteria: "Critical service unavailability >30 minutes" (RB-CRIT-1), read from the
 * running deployment's Prometheus history (live mode): the longest continuous outage of each critical service over
 * the last day, from `up` of its scrape job and `probe_success` of its blackbox probe. A hermetic or compose stack
 * has no history beyond the test run; the rollback drill (rollback.spec.ts) reports any unavailability it causes.
 */
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { Prometheus, type PromRangeSeries } from '../../lib/prometheus.ts';
import { CRITICAL_SERVICES, criticalServiceOf, unavailabilityVerdict, type ServiceHistory } from '../../checks/rollback.ts';
import * as T from '../../core/thresholds.ts';

/** A series as a selector for the evidence: up{job="rag-backend"}. */
function selector(name: string, s: PromRangeSeries): string {
  return `${name}{${Object.entries(s.metric).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

test.describe('Rollback criteria (from the deployment\'s monitoring history)', () => {
  test(`no critical service unavailable for more than ${T.MAX_CRITICAL_UNAVAILABILITY_MIN} minutes in Prometheus' last ${T.RB_UNAVAILABILITY_WINDOW_H} h`, verifies('RB-CRIT-1'), async ({ target, http, evidence }, testInfo) => {
    if (target.mode !== 'live') return notVerified(testInfo, `${target.mode}: the stack has no history beyond the test run; RB-CRIT-1 reads the last ${T.RB_UNAVAILABILITY_WINDOW_H} h of a running deployment's Prometheus in live mode`);
    const url = target.url('prometheus');
    if (!url) return notVerified(testInfo, 'live: Prometheus (9090) is not reachable from here, so the services\' history cannot be read; set RAG_PROMETHEUS_URL (and the admin credentials in RAG_ENV_FILE)');
    const prom = new Prometheus(url, target.adminAuth(), http);
    const step = T.RB_UNAVAILABILITY_STEP_S;
    const end = Math.floor(Date.now() / 1000 / step) * step;
    const start = end - T.RB_UNAVAILABILITY_WINDOW_H * 3600;
    // Replicas of a job: the service is up while any of them is. A blackbox job's own `up` only says the exporter answered.
    const [up, probes] = await Promise.all([prom.queryRange('max by (job) (up)', start, end, step), prom.queryRange('probe_success', start, end, step)]);
    const histories: ServiceHistory[] = [];
    const ignored: string[] = [];
    for (const [name, list] of [['up', up], ['probe_success', probes]] as const) {
      for (const s of list) {
        const service = criticalServiceOf(s.metric, name);
        if (service) histories.push({ service, series: selector(name, s), samples: s.values });
        else ignored.push(selector(name, s));
      }
    }
    const v = unavailabilityVerdict(histories, step, T.MAX_CRITICAL_UNAVAILABILITY_MIN);
    await evidence('outages per critical service', [
      `Prometheus ${url}: max by (job) (up) and probe_success from ${new Date(start * 1000).toISOString()} to ${new Date(end * 1000).toISOString()}, step ${step} s`,
      `critical services: ${CRITICAL_SERVICES.map((c) => c.service).join(', ')}`,
      ...v.details,
      ...(v.unseen.length ? [`no series of: ${v.unseen.join(', ')}`] : []),
      `not critical (monitoring stack, exporters): ${ignored.join(', ') || 'none'}`,
    ].join('\n'));
    if (histories.length === 0) return notVerified(testInfo, `live: Prometheus has no up or probe_success series of any critical service (${CRITICAL_SERVICES.map((c) => c.service).join(', ')}), so their unavailability cannot be seen; it has ${ignored.join(', ') || 'none at all'}`);
    if (v.unseen.length) annotate.warning(testInfo, `Prometheus has no up or probe_success series of ${v.unseen.join(', ')}: their unavailability cannot be seen`);
    expect(v.problems).toHaveNoProblems(`critical services down for more than ${T.MAX_CRITICAL_UNAVAILABILITY_MIN} min`, { evidence: 'outages per critical service' });
    if (v.historyMinutes < T.MAX_CRITICAL_UNAVAILABILITY_MIN) return notVerified(testInfo, `live: Prometheus holds only ${Math.round(v.historyMinutes)} min of history of the critical services, less than the ${T.MAX_CRITICAL_UNAVAILABILITY_MIN} min an outage must last to meet the criterion`);
    annotate.measured(testInfo, v.details.join('; '));
  });
});
