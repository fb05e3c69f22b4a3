/**
 * Phase 2, Steps 1–2: the monitoring and application containers are started and healthy, read from the
 * Docker API (what `docker ps | grep <name>` and `docker-compose ps` show).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, verifies, notVerified, annotate } from '../../fixtures/index.ts';
import { projectContainers, type ContainerState } from '../../lib/docker.ts';
import { composeStackProblems, containersMatching, describeContainer, grepContainerProblems } from '../../checks/deployment.ts';

/** Compose file → the checklist's grep word for each service it must run. */
const STEP1: Array<[string, string, string]> = [
  ['P2-MONSVC-1', 'prometheus', 'prometheus'],
  ['P2-MONSVC-2', 'grafana', 'grafana'],
  ['P2-MONSVC-3', 'redis', 'redis'],
];
const STEP2: Array<[string, string, string]> = [
  ['P2-APPSVC-1', 'chroma', 'chroma'],
  ['P2-APPSVC-2', 'rag-backend', 'rag-backend'],
  ['P2-APPSVC-3', 'reflex', 'reflex'],
  ['P2-APPSVC-4', 'nginx', 'nginx'],
];

/** Services a compose file defines (names only; enough to tell "not deployed" from "not running"). */
function composeServices(file: string): Map<string, { profiles: boolean }> {
  const services = new Map<string, { profiles: boolean }>();
  if (!existsSync(file)) return services;
  let current: string | undefined;
  let inServices = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^services:\s*$/.test(line)) { inServices = true; continue; }
    if (/^\S/.test(line)) inServices = false;
    const svc = inServices ? /^  ([A-Za-z0-9._-]+):\s*$/.exec(line) : null;
    if (svc) { current = svc[1]!; services.set(current, { profiles: false }); continue; }
    if (current && /^    profiles:/.test(line)) services.get(current)!.profiles = true;
  }
  return services;
}

for (const [step, file, items, allId] of [
  ['Step 1: monitoring services', 'docker-compose.monitoring.yml', STEP1, 'P2-MONSVC-4'],
  ['Step 2: application services', 'docker-compose.production.yml', STEP2, 'P2-APPSVC-5'],
] as const) {
  test.describe(step, () => {
    let containers: ContainerState[] = [];
    test.beforeAll(async ({ target }) => {
      if (target.raw.projectName && target.mode !== 'live') containers = await projectContainers(target.raw.projectName);
    });

    for (const [id, service, grep] of items) {
      test(`a ${grep} container is running (docker ps | grep ${grep})`, verifies(id), async ({ target, evidence }, testInfo) => {
        if (target.mode === 'live') return notVerified(testInfo, 'live: the suite does not see the target\'s Docker engine');
        await evidence('docker ps (this project)', containers.map(describeContainer).join('\n') || '(no containers)');
        if (containersMatching(containers, grep).length === 0) {
          const defined = composeServices(join(target.raw.deployDir!, file)).get(service);
          if (service === 'grafana' && defined?.profiles) {
            return notVerified(testInfo, `${file} defines grafana behind a profile and no Grafana image can be built on this machine (no container registry); with GRAFANA_IMAGE set it runs`);
          }
        }
        expect(grepContainerProblems(containers, grep, target.raw.projectName)).toHaveNoProblems(`docker ps | grep ${grep}`);
      });
    }

    test(`all containers of ${file} are running and healthy, with no restarts`, verifies(allId), async ({ target, evidence }, testInfo) => {
      if (target.mode === 'live') return notVerified(testInfo, 'live: the suite does not see the target\'s Docker engine');
      const defined = composeServices(join(target.raw.deployDir!, file));
      const mine = containers.filter((c) => defined.has(c.service));
      await evidence(`docker-compose -f ${file} ps`, mine.map(describeContainer).join('\n') || '(none)');
      for (const c of mine) annotate.figure(testInfo, { key: `image.${c.service}`, value: c.image, unit: '', better: 'info' });
      expect(composeStackProblems(containers, defined, file)).toHaveNoProblems(`services of ${file} without a running, healthy container or restarted`);
    });
  });
}
