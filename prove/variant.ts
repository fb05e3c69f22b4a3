/**
 * A second RAG System v1.0 deployment for the gate's own tests: correct per the checklist, but laid out and named
 * the way another team might have built it – certificate files, rule file and alert names, datasource file,
 * backup/restore script paths, the upload's multipart field and the API-key header all differ from the reference –
 * and described by its own deployment profile (rag-gate.profile.yaml in the directory, found by the gate).
 * It is made from a prepared copy of the reference deployment by renaming consistently in every file, as a team
 * that chose other names would have written them. The gate must be green on it with 0 false reds, and the
 * planted-defect matrix runs on it too (`npx tsx prove/run.ts --deployment other-layout`).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROFILE_FILE } from '../core/profile.ts';
import { prepareHermeticDeployDir } from '../testcontainers/target.ts';
import { setEnv } from './mutate.ts';

/** Files moved: the reference's path → this deployment's. Defects written against the reference's paths are translated with it. */
export const MOVED_FILES: Readonly<Record<string, string>> = {
  'ssl/server.crt': 'ssl/rag-server.crt',
  'ssl/server.key': 'ssl/rag-server.key',
  'ssl/chain.pem': 'ssl/fullchain.pem',
  'ssl/ca.crt': 'ssl/rag-root-ca.pem',
  'monitoring/prometheus/rules/rag-alerts.yml': 'monitoring/prometheus/alerting/rag-system.rules.yaml',
  'monitoring/prometheus/tests/rag-alerts.test.yml': 'monitoring/prometheus/alerting/rag-system.rules.test.yaml',
  'monitoring/grafana/provisioning/datasources/prometheus.yml': 'monitoring/grafana/provisioning/datasources/datasources.yaml',
  'scripts/backup.sh': 'ops/backup-rag.sh',
  'scripts/restore.sh': 'ops/restore-rag.sh',
};

/** The checklist's five alerts under this deployment's own names. */
export const RENAMED_ALERTS: Readonly<Record<string, string>> = {
  HighMemoryUsage: 'MemoryPressure',
  HighCPUUsage: 'CpuSaturation',
  ServiceUnavailable: 'TargetDown',
  HighQueryFailureRate: 'QueryErrorsHigh',
  DocumentProcessingFailures: 'IngestFailures',
};

/** Text replaced in every file: file names as they are written inside configs and scripts, then alert names. */
const RENAMES: Array<[RegExp, string]> = [
  [/(?<![\w-])server\.crt\b/g, 'rag-server.crt'],
  [/(?<![\w-])server\.key\b/g, 'rag-server.key'],
  [/(?<![\w-])chain\.pem\b/g, 'fullchain.pem'],
  [/(?<![\w-])ca\.crt\b/g, 'rag-root-ca.pem'],
  [/\.\.\/rules\/rag-alerts\.yml/g, 'rag-system.rules.yaml'],
  [/rules\/\*\.yml/g, 'alerting/*.rules.yaml'],
  [/rules\/rag-alerts\.yml/g, 'alerting/rag-system.rules.yaml'],
  [/tests\/rag-alerts\.test\.yml/g, 'alerting/rag-system.rules.test.yaml'],
  [/datasources\/prometheus\.yml/g, 'datasources/datasources.yaml'],
  [/scripts\/backup\.sh/g, 'ops/backup-rag.sh'],
  [/scripts\/restore\.sh/g, 'ops/restore-rag.sh'],
  ...Object.entries(RENAMED_ALERTS).map(([from, to]): [RegExp, string] => [new RegExp(`\\b${from}\\b`, 'g'), to]),
];

/** The API's differences (the reference backend reads them from .env.production). */
export const UPLOAD_FIELD = 'file';
export const API_KEY_HEADER = 'X-Api-Token';

/** This deployment's profile, as its team would write it (every field that differs from the contract). */
export const PROFILE = `# rag-gate deployment profile of the "other layout" test deployment (prove/variant.ts)
name: other-layout
files:
  tlsCertificate: ssl/rag-server.crt
  tlsKey: ssl/rag-server.key
  tlsChain: ssl/fullchain.pem
  tlsCa: ssl/rag-root-ca.pem
  alertRules: [monitoring/prometheus/alerting/*.rules.yaml]
  alertRuleTests: [monitoring/prometheus/alerting/rag-system.rules.test.yaml]
  grafanaDatasources: monitoring/grafana/provisioning/datasources/datasources.yaml
  backupScript: ops/backup-rag.sh
  restoreScript: ops/restore-rag.sh
api:
  uploadField: ${UPLOAD_FIELD}
auth:
  scheme: api-key
  header: ${API_KEY_HEADER}
  secret: API_SECRET_KEY
`;

function textFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel))) {
    const r = rel ? `${rel}/${e}` : e;
    const st = statSync(join(dir, r));
    if (st.isDirectory()) {
      if (!/^(data|logs|backups)$/.test(r)) out.push(...textFiles(dir, r));
    } else if (st.isFile() && st.size < 1_000_000 && !/\.(key|crt|pem|srl)$/.test(e)) out.push(r);
  }
  return out;
}

/** Prepares the other-layout deployment in `dest`: the reference prepared as usual, then renamed throughout. */
export function prepareVariantDeployDir(dest: string): string {
  prepareHermeticDeployDir(dest);
  for (const [from, to] of Object.entries(MOVED_FILES)) {
    mkdirSync(dirname(join(dest, to)), { recursive: true });
    renameSync(join(dest, from), join(dest, to));
  }
  for (const rel of textFiles(dest)) {
    const p = join(dest, rel);
    const text = readFileSync(p, 'utf8');
    const changed = RENAMES.reduce((t, [re, to]) => t.replace(re, to), text);
    if (changed !== text) writeFileSync(p, changed);
  }
  setEnv(dest, 'UPLOAD_FIELD', UPLOAD_FIELD);
  setEnv(dest, 'API_KEY_HEADER', API_KEY_HEADER);
  writeFileSync(join(dest, PROFILE_FILE), PROFILE);
  return dest;
}

/** A reference path as this deployment has it (defects written against the reference use it). */
export function variantPath(rel: string): string {
  return MOVED_FILES[rel] ?? rel;
}
