/**
 * Phase 3 › Performance Validation: decisions over what the load runs and the browser measured
 * (tests/30-integration/performance.spec.ts), against the checklist's numbers in core/thresholds.ts. Pure.
 */
import * as T from '../core/thresholds.ts';
import { mib, type ContainerPeak } from '../lib/containers.ts';

/** P3-LOAD-2, P3-BENCH-1: every one of the checklist's simultaneous uploads became searchable. */
export function searchableUploadsProblems(searchable: number, outcomes: string): string[] {
  return searchable === T.SIMULTANEOUS_UPLOADS ? [] : [`${searchable} of ${T.SIMULTANEOUS_UPLOADS} simultaneous uploads became searchable: ${outcomes}`];
}

/** P3-BENCH-1: the slowest upload was searchable in under 30 s; none measured is not under it. */
export function slowestUploadProblems(slowestMs: number | undefined): string[] {
  if (slowestMs === undefined) return ['no upload became searchable, so no upload time was measured'];
  return slowestMs < T.MAX_UPLOAD_TO_SEARCHABLE_MS ? [] : [`the slowest upload became searchable after ${Math.round(slowestMs)} ms; the checklist requires < ${T.MAX_UPLOAD_TO_SEARCHABLE_MS} ms`];
}

/**
 * P3-LOAD-4: during one load (`script`), every container that was not running, restarted or was OOM-killed, and a
 * load during which nothing was sampled (`sampleCount` 0, with the sampler's errors).
 */
export function loadResourceProblems(script: string, per: readonly ContainerPeak[], sampleCount: number, samplerErrors: readonly string[]): string[] {
  const problems: string[] = [];
  if (sampleCount === 0) problems.push(`${script}: no resource sample was taken (${samplerErrors.slice(0, 3).join('; ') || 'Docker API not reachable'})`);
  for (const p of per) {
    if (p.stoppedDuringLoad) problems.push(`${script}: ${p.service} was not running during the load`);
    if (p.restarts > 0) problems.push(`${script}: ${p.service} restarted ${p.restarts} time(s) during the load`);
    if (p.oomKilled) problems.push(`${script}: ${p.service} was OOM-killed`);
  }
  return problems;
}

/** P3-BENCH-4: containers, and the whole stack, whose peak memory under load reached 80 % of what is available to them. */
export function memoryProblems(per: readonly ContainerPeak[], stack: { fraction: number; hostBytes: number }): string[] {
  const limit = T.MAX_MEMORY_PERCENT_UNDER_LOAD / 100;
  const over = per.filter((p) => p.peakFraction >= limit).map((p) => `${p.service} peaked at ${(p.peakFraction * 100).toFixed(1)} % of ${mib(p.limitBytes)} ${p.limited ? '(its limit)' : '(host memory)'}`);
  if (stack.fraction >= limit) over.push(`the whole stack peaked at ${(stack.fraction * 100).toFixed(1)} % of the host's ${mib(stack.hostBytes)}`);
  return over;
}

/** Event Timing entries as the browser reports them (durationThreshold 16 ms). */
export interface EventTiming {
  name: string;
  duration: number;
  interactionId: number;
  target: string | null;
  page: string;
}

/** One entry per interaction (the entries sharing an interactionId; its latency is the longest of them), slowest first. */
export function slowestInteractions(entries: readonly EventTiming[]): EventTiming[] {
  const byInteraction = new Map<number, EventTiming>();
  for (const e of entries.filter((x) => x.interactionId > 0)) {
    const cur = byInteraction.get(e.interactionId);
    if (!cur || e.duration > cur.duration) byInteraction.set(e.interactionId, e);
  }
  return [...byInteraction.values()].sort((a, b) => b.duration - a.duration);
}

/** P3-BENCH-3: every interaction (slowest first, slowestInteractions) responded in under 200 ms. */
export function uiInteractionProblems(worst: readonly EventTiming[]): string[] {
  return worst.filter((e) => e.duration >= T.MAX_UI_INTERACTION_MS).map((e) => `${e.name} on ${e.target ?? '?'} (${e.page}) took ${e.duration} ms; the checklist allows < ${T.MAX_UI_INTERACTION_MS} ms`);
}
