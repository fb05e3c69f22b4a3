/**
 * Pre-Deployment Requirements › Repository and Code › Directory Structure: each directory exists and is
 * writable – by the deploying user on the host and, where a running service mounts it, by that service's
 * user inside its container.
 */
import { test, expect, verifies, notVerified } from '../../fixtures/index.ts';
import { checkDirectory, REQUIRED_DIRECTORIES } from '../../checks/layout.ts';
import { spawnSync } from 'node:child_process';

const IDS: Record<string, string> = {
  'data/chroma': 'PRE-DIRS-1.1',
  'data/documents': 'PRE-DIRS-1.2',
  'data/redis': 'PRE-DIRS-1.3',
  'logs/nginx': 'PRE-DIRS-2.1',
  'logs/app': 'PRE-DIRS-2.2',
  'logs/monitoring': 'PRE-DIRS-2.3',
  ssl: 'PRE-DIRS-3',
  backups: 'PRE-DIRS-4',
};

/** Where the compose files mount the directory: service and path inside its container. */
const MOUNTED: Record<string, [string, string]> = {
  'data/chroma': ['chroma', '/data'],
  'data/documents': ['rag-backend', '/app/data/documents'],
  'data/redis': ['redis', '/data'],
  'logs/nginx': ['nginx', '/var/log/nginx'],
  'logs/app': ['rag-backend', '/app/logs/app'],
};

test.describe('Directory structure', () => {
  for (const [rel, purpose] of Object.entries(REQUIRED_DIRECTORIES)) {
    test(`${rel}/ exists and is writable (${purpose})`, verifies(IDS[rel]!), async ({ target, evidence }, testInfo) => {
      const dir = target.raw.deployDir;
      if (!dir) return notVerified(testInfo, `${target.mode}: no deployment directory to inspect; set RAG_DEPLOY_DIR on the host`);
      const c = checkDirectory(dir, rel);
      const lines = [...c.details];
      const mount = MOUNTED[rel];
      const container = mount ? target.container(mount[0]) : undefined;
      if (c.ok && mount && container) {
        // As the container's own user: can the service write where it needs to?
        const r = spawnSync('docker', ['exec', container, 'sh', '-c', `test -d '${mount[1]}' && test -w '${mount[1]}' && echo writable by $(id -un)`], { encoding: 'utf8' });
        if (r.status === 0) lines.push(`${mount[0]}: ${mount[1]} ${r.stdout.trim()}`);
        else if (!/No such container|is not running/.test(r.stderr)) c.problems.push(`${rel}/ is mounted at ${mount[1]} in ${mount[0]} but that service's user cannot write there (${(r.stdout + r.stderr).trim() || `exit ${r.status}`})`);
        else lines.push(`${mount[0]} not running: in-container write check skipped`);
      }
      await evidence(rel, lines.join('\n'));
      expect(c.problems).toHaveNoProblems(`${rel}/ in ${dir}`);
    });
  }
});
