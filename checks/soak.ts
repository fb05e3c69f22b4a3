/**
 * The Stability Assessment's verdicts (tests/60-stability/stability.spec.ts), pure: over the soak's record – services
 * healthy throughout without restarts, the UI responsive, uploads succeeding – and over a log rotation observed on a
 * copy of the logs. (Leak slopes and the golden questions: checks/stability.ts.)
 */
import { MAX_UI_INTERACTION_MS, MIN_UPLOAD_SUCCESS_PERCENT } from '../core/thresholds.ts';

/** The p-th percentile (nearest rank) of `xs`; NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** STAB-DAILY-1: each moment (epoch s) a service was not running or not healthy, and each container that restarted. */
export function soakHealthProblems(health: ReadonlyArray<{ t: number; unhealthy: string[] }>, restarts: Readonly<Record<string, number>>): string[] {
  return [
    ...health.filter((h) => h.unhealthy.length > 0).map((h) => `${new Date(h.t * 1000).toISOString()}: ${h.unhealthy.join(', ')} not running or not healthy`),
    ...Object.entries(restarts).filter(([, n]) => n > 0).map(([c, n]) => `${c} restarted ${n} time(s) during the soak`),
  ];
}

/** STAB-UX-1: every UI request of the soak answered, with a p95 under the checklist's 200 ms. */
export function uiResponsivenessProblems(ui: { ok: number; failed: number; ms: readonly number[] }): string[] {
  const problems: string[] = [];
  if (ui.failed > 0) problems.push(`${ui.failed} of ${ui.ok + ui.failed} UI requests failed during the soak`);
  const p95 = percentile(ui.ms, 95);
  if (!(p95 < MAX_UI_INTERACTION_MS)) problems.push(`UI p95 during the soak is ${Number.isNaN(p95) ? 'unmeasured (no answer)' : `${p95.toFixed(1)} ms`}; the checklist allows < ${MAX_UI_INTERACTION_MS} ms`);
  return problems;
}

/** STAB-UX-2: uploads were attempted and more than 95 % of them were processed to completed. */
export function uploadRateProblems(uploads: { attempted: number; succeeded: number; failures: readonly string[] }): string[] {
  if (uploads.attempted === 0) return ['no upload was attempted during the soak'];
  const rate = (uploads.succeeded / uploads.attempted) * 100;
  return rate > MIN_UPLOAD_SUCCESS_PERCENT ? [] : [`upload success rate ${rate.toFixed(1)} % (${uploads.succeeded}/${uploads.attempted}), the checklist requires > ${MIN_UPLOAD_SUCCESS_PERCENT} %; failures: ${uploads.failures.slice(0, 5).join('; ') || 'none named'}`];
}

/**
 * STAB-DAILY-3: each log that had content (`before`: file → bytes, relative to logs/) has a rotated copy beside it
 * after `logrotate -f` (`after`: every file then, with its size) and was truncated (copytruncate).
 */
export function rotationProblems(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): string[] {
  const problems: string[] = [];
  for (const [f, size] of Object.entries(before)) {
    if (!Object.keys(after).some((a) => a !== f && a.startsWith(f))) problems.push(`${f} has no rotated copy after logrotate -f (files: ${Object.keys(after).join(', ')})`);
    if (!((after[f] ?? 0) < size)) problems.push(`${f} was not truncated by the rotation (${size} bytes before, ${after[f] ?? 'missing'} after; copytruncate)`);
  }
  return problems;
}
