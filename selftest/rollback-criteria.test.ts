/** Unit tests of RB-CRIT-1 "Critical service unavailability >30 minutes" over Prometheus history (checks/rollback.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criticalServiceOf, longestOutage, silentMinutes, unavailabilityVerdict } from '../checks/rollback.ts';
import * as T from '../core/thresholds.ts';
import { canFail } from './helpers.ts';

const STEP = 60;
const T0 = Date.UTC(2025, 0, 15, 8, 0, 0) / 1000;
/** A series at 1-minute steps from T0: 1 = up, 0 = down, null = no sample. */
const series = (values: ReadonlyArray<0 | 1 | null>): Array<[number, number]> => values.flatMap((v, i) => (v === null ? [] : [[T0 + i * STEP, v] as [number, number]]));
const run = (n: number, v: 0 | 1 | null): Array<0 | 1 | null> => Array<0 | 1 | null>(n).fill(v);

test('longest outage: the longest run of samples at 0, from its first sample to the sample that is up again', () => {
  assert.equal(longestOutage(series(run(60, 1)), STEP), undefined);
  assert.deepEqual(longestOutage(series([1, 0, 0, 1, 0, 0, 0, 0, 1]), STEP), { fromS: T0 + 4 * STEP, toS: T0 + 8 * STEP, minutes: 4, ongoing: false });
  assert.deepEqual(longestOutage(series([1, 1, 0, 0]), STEP), { fromS: T0 + 2 * STEP, toS: T0 + 4 * STEP, minutes: 2, ongoing: true });
  assert.equal(longestOutage([], STEP), undefined);
});

test('a step with no sample ends an outage: silence is no evidence of one, and is counted apart', () => {
  const s = series([1, ...run(20, 0), ...run(15, null), ...run(20, 0), 1]);
  assert.deepEqual(longestOutage(s, STEP), { fromS: T0 + STEP, toS: T0 + 21 * STEP, minutes: 20, ongoing: false });
  assert.equal(silentMinutes(s, STEP), 15);
});

test('a critical service down 42 minutes meets the rollback criterion, named with its minutes, from and to', canFail('RB-CRIT-1'), () => {
  const backend = series([...run(10, 1), ...run(42, 0), ...run(30, 1)]);
  const chroma = series([...run(40, 1), ...run(5, 0), ...run(37, 1)]);
  const v = unavailabilityVerdict(
    [
      { service: 'rag-backend', series: 'up{job="rag-backend"}', samples: backend },
      { service: 'chroma', series: 'probe_success{instance="http://chroma:8002/api/v2/heartbeat", service="chroma"}', samples: chroma },
    ],
    STEP,
    T.MAX_CRITICAL_UNAVAILABILITY_MIN,
  );
  assert.deepEqual(v.problems, ['rollback criterion met: rag-backend was down 42 min from 2025-01-15T08:10:00Z to 2025-01-15T08:52:00Z (up{job="rag-backend"}), more than 30 min']);
  assert.match(v.details.join('\n'), /^chroma \(probe_success\{.*\}\): longest outage 5 min from 2025-01-15T08:40:00Z to 2025-01-15T08:45:00Z; history 2025-01-15T08:00:00Z to 2025-01-15T09:21:00Z, 82 samples, 0 min without a sample$/m);
  assert.deepEqual(v.unseen, ['ollama', 'redis', 'nginx', 'reflex-frontend']);
  assert.equal(v.historyMinutes, 82);
});

test('a service still down now for 31 minutes meets the criterion; any one of its series decides (a probe behind a scrape that stays up)', canFail('RB-CRIT-1'), () => {
  const v = unavailabilityVerdict(
    [
      { service: 'ollama', series: 'up{job="ollama-exporter"}', samples: series(run(60, 1)) },
      { service: 'ollama', series: 'probe_success{service="ollama"}', samples: series([...run(29, 1), ...run(31, 0)]) },
    ],
    STEP,
    T.MAX_CRITICAL_UNAVAILABILITY_MIN,
  );
  assert.deepEqual(v.problems, ['rollback criterion met: ollama was down 31 min from 2025-01-15T08:29:00Z to now (still down, probe_success{service="ollama"}), more than 30 min']);
});

test('outages of 30 minutes at most pass, with the figures in the details', () => {
  const v = unavailabilityVerdict([{ service: 'nginx', series: 'probe_success{service="nginx"}', samples: series([...run(5, 1), ...run(30, 0), ...run(5, 1)]) }], STEP, T.MAX_CRITICAL_UNAVAILABILITY_MIN);
  assert.deepEqual(v.problems, []);
  assert.match(v.details[0]!, /^nginx .*: longest outage 30 min from 2025-01-15T08:05:00Z to 2025-01-15T08:35:00Z/);
});

test('series are mapped to critical services by job, probe service label or probed URL; the monitoring stack is none', () => {
  assert.equal(criticalServiceOf({ job: 'rag-backend' }, 'up'), 'rag-backend');
  assert.equal(criticalServiceOf({ job: 'api' }, 'up'), 'rag-backend');
  assert.equal(criticalServiceOf({ job: 'prometheus' }, 'up'), undefined);
  assert.equal(criticalServiceOf({ job: 'node-exporter' }, 'up'), undefined);
  assert.equal(criticalServiceOf({ job: 'blackbox' }, 'up'), undefined);
  assert.equal(criticalServiceOf({ job: 'blackbox', service: 'chroma', instance: 'http://chroma:8002/api/v2/heartbeat' }, 'probe_success'), 'chroma');
  assert.equal(criticalServiceOf({ job: 'blackbox', instance: 'http://ollama:11434/api/tags' }, 'probe_success'), 'ollama');
  assert.equal(criticalServiceOf({ job: 'blackbox', instance: 'http://nginx/health' }, 'probe_success'), 'nginx');
});
