/**
 * Phase 2 (Deployment Phase) decisions as pure functions: the containers `docker ps | grep <name>` and
 * `docker-compose ps` must show, and the service health answers of Step 3 (the backend's /health and the
 * frontend's and Nginx's health answers are judged in core/contract.ts healthAnswerProblems).
 */
import type { ContainerState } from '../lib/docker.ts';

/** One line per container, as the evidence shows it. */
export function describeContainer(c: ContainerState): string {
  return `${c.name} (${c.image}): ${c.status}${c.health ? `, ${c.health}` : ''}, ${c.restartCount} restarts`;
}

/** The containers `docker ps | grep <word>` finds: the word in the container's name or image. */
export function containersMatching(containers: readonly ContainerState[], grep: string): ContainerState[] {
  return containers.filter((c) => c.name.includes(grep) || c.image.includes(grep));
}

/** P2-MONSVC-1..3, P2-APPSVC-1..4: a container of the project matches the checklist's grep word, and every match runs. */
export function grepContainerProblems(containers: readonly ContainerState[], grep: string, project: string | undefined): string[] {
  const matches = containersMatching(containers, grep);
  if (matches.length === 0) return [`no running container matches "${grep}" in project ${project}: ${containers.map((c) => c.name).join(', ') || 'no containers'}`];
  return matches.filter((c) => !c.running).map((c) => `${describeContainer(c)}: not running`);
}

/**
 * P2-MONSVC-4, P2-APPSVC-5: every service of a compose file (`defined`, services behind a profile aside) has a
 * container, and each of its containers runs, is healthy where it has a health check, and never restarted.
 */
export function composeStackProblems(containers: readonly ContainerState[], defined: ReadonlyMap<string, { profiles: boolean }>, file: string): string[] {
  const mine = containers.filter((c) => defined.has(c.service));
  const missing = [...defined.entries()].filter(([s, d]) => !d.profiles && !mine.some((c) => c.service === s)).map(([s]) => `${s} (${file}) has no running container`);
  const bad = mine.filter((c) => !c.running || (c.health !== undefined && c.health !== 'healthy') || c.restartCount > 0).map((c) => `${describeContainer(c)}: ${!c.running ? 'not running' : c.restartCount > 0 ? 'restarted' : 'not healthy'}`);
  return [...missing, ...bad];
}

/** An HTTP answer as the health checks read it. */
export interface Answer {
  url: string;
  status: number;
  body: string;
}

function json(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** P2-HEALTH-3: ChromaDB's heartbeat answers 200 with its "nanosecond heartbeat" number. */
export function heartbeatProblems(a: Answer): string[] {
  if (a.status !== 200) return [`ChromaDB heartbeat ${a.url} should answer 200, got ${a.status}: ${a.body.slice(0, 120)}`];
  const beat = (json(a.body) as Record<string, unknown> | undefined)?.['nanosecond heartbeat'];
  return typeof beat === 'number' ? [] : [`ChromaDB heartbeat ${a.url} answered 200 without a "nanosecond heartbeat" number: ${a.body.slice(0, 120)}`];
}

/** P2-HEALTH-5: Prometheus' /-/healthy answers 200 (to the operator's credentials) saying it is healthy. */
export function prometheusHealthyProblems(a: Answer): string[] {
  if (a.status !== 200) return [`Prometheus ${a.url} should answer 200 with the admin credentials, got ${a.status}: ${a.body.slice(0, 200)}`];
  return /Healthy/i.test(a.body) ? [] : [`Prometheus ${a.url} answered 200 without saying it is Healthy: ${a.body.slice(0, 200)}`];
}

/** P2-HEALTH-6: Grafana's /api/health answers 200 with its database "ok". */
export function grafanaHealthProblems(a: Answer): string[] {
  if (a.status !== 200) return [`Grafana ${a.url} should answer 200, got ${a.status}: ${a.body.slice(0, 200)}`];
  const database = (json(a.body) as { database?: unknown } | undefined)?.database;
  return database === 'ok' ? [] : [`Grafana ${a.url} reports its database ${database === undefined ? 'not at all' : JSON.stringify(database)}, not "ok": ${a.body.slice(0, 200)}`];
}
