/**
 * The planted-defect catalogue: realistic ways a RAG System v1.0 deployment goes wrong, each applied to a
 * copy of the reference deployment directory (config, files, compose, environment – never the suite), each
 * with the checklist items it must fail and the items that may fail with it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { chmod, getEnv, pathOf, replaceIn, run, setEnv } from './mutate.ts';

export interface Defect {
  id: string;
  title: string;
  /** Checklist items that must fail. */
  expect: string[];
  /** Items allowed to fail too (a consequence of the same defect). Anything else failing is collateral. */
  mayAlsoFail?: string[];
  /** Playwright projects whose specs decide the expected items (all their tests run, to see collateral). */
  projects: string[];
  /** Part of the fast subset that runs in CI on every change. */
  fast?: boolean;
  apply(dir: string): void;
}

const SECURITY_HEADERS = 'nginx/conf.d/snippets/security-headers.inc';
const RULES = 'monitoring/prometheus/rules/rag-alerts.yml';
const PROD = 'docker-compose.production.yml';
const MON = 'docker-compose.monitoring.yml';

/**
 * A wrong value in the copy's .env.production (`value` may derive from the copy's own values), which the
 * Pre-Deployment checks read: PRE-SECCONF-3 (".env.production created with secure values") may fail with any of them.
 */
function wrongEnv(key: string, value: string | ((dir: string) => string), defect: Omit<Defect, 'projects' | 'apply'>): Defect {
  return {
    ...defect,
    mayAlsoFail: ['PRE-SECCONF-3', ...(defect.mayAlsoFail ?? [])],
    projects: ['prerequisites'],
    apply: (d) => setEnv(d, key, typeof value === 'string' ? value : value(d)),
  };
}

/**
 * An alert rule of rag-alerts.yml weakened or deleted: its MON-ALERTS line and PRE-MONSTACK-3 ("Alert rules defined
 * and tested") fail; MON-GRAFANA-4 ("Custom alerts configured and tested") may fail with them.
 */
function weakAlertRule(item: string, from: string | RegExp, to: string, defect: Pick<Defect, 'id' | 'title'>): Defect {
  return {
    ...defect,
    expect: [item, 'PRE-MONSTACK-3'],
    mayAlsoFail: ['MON-GRAFANA-4'],
    projects: ['prerequisites', 'monitoring'],
    apply: (d) => replaceIn(d, RULES, from, to),
  };
}

export const CONFIG_DEFECTS: Defect[] = [
  // --- secrets and permissions (Pre-Deployment › Security Setup, Configuration Files) ---
  {
    id: 'env-mode-644',
    title: '.env.production readable by everyone (mode 644)',
    expect: ['PRE-SECCONF-4'],
    mayAlsoFail: ['PRE-SECCONF-3', 'PRE-ENV-1', 'P4-DATA-3', 'P4-DATA-4'],
    projects: ['prerequisites', 'security'],
    fast: true,
    apply: (d) => chmod(d, '.env.production', 0o644),
  },
  wrongEnv('JWT_SECRET', (d) => getEnv(d, 'JWT_SECRET').slice(0, 32), {
    id: 'jwt-32-chars',
    title: 'JWT_SECRET only 32 characters',
    expect: ['PRE-SECCONF-2', 'PRE-ENV-2.3'],
    fast: true,
  }),
  wrongEnv('LOG_LEVEL', 'DEBUG', {
    id: 'log-level-debug',
    title: 'LOG_LEVEL=DEBUG in production',
    expect: ['PRE-ENV-2.8'],
    fast: true,
  }),
  wrongEnv('SSL_ENABLED', 'false', {
    id: 'ssl-disabled',
    title: 'SSL_ENABLED=false',
    expect: ['PRE-ENV-2.7'],
  }),
  wrongEnv('SECRET_KEY', 'CHANGE_ME', {
    id: 'placeholder-secret-key',
    title: 'SECRET_KEY left at the template placeholder',
    expect: ['PRE-ENV-2.1', 'PRE-SECCONF-2'],
    mayAlsoFail: ['PRE-ENV-1'],
  }),
  wrongEnv('JWT_SECRET', (d) => getEnv(d, 'API_SECRET_KEY'), {
    id: 'shared-secret',
    title: 'API_SECRET_KEY reused as JWT_SECRET',
    expect: ['PRE-SECCONF-2'],
    mayAlsoFail: ['PRE-ENV-2.2', 'PRE-ENV-2.3'],
  }),
  wrongEnv('REDIS_PASSWORD', 'redis2024', {
    id: 'weak-redis-password',
    title: 'REDIS_PASSWORD is a guessable word',
    expect: ['PRE-ENV-2.4', 'PRE-SECCONF-1'],
  }),
  wrongEnv('GRAFANA_PASSWORD', 'admin', {
    id: 'weak-grafana-password',
    title: 'GRAFANA_PASSWORD=admin',
    expect: ['PRE-ENV-2.5', 'PRE-SECCONF-1'],
  }),
  {
    // The backend's env_file line "cleaned up" and the values it needs to start copied into its environment: the
    // stack runs, .env.production looks perfect – and the backend reads none of it (a rotated secret never arrives;
    // SECRET_KEY, SSL_ENABLED and LOG_LEVEL do not reach it at all).
    id: 'env-file-not-read',
    title: 'rag-backend has no env_file: .env.production; the values it needs to start are inlined in the compose file',
    expect: ['PRE-ENV-2.1', 'PRE-ENV-2.2', 'PRE-ENV-2.3', 'PRE-ENV-2.4', 'PRE-ENV-2.6', 'PRE-ENV-2.7', 'PRE-ENV-2.8', 'PRE-SECCONF-1', 'PRE-SECCONF-2', 'PRE-SECCONF-3'],
    // With the security project too: the inlined secrets are plain text in the compose file (and so in its backups).
    mayAlsoFail: ['P4-DATA-4', 'P4-DATA-3'],
    projects: ['prerequisites'],
    apply: (d) => {
      // Compose interpolates `$` in values: `$$` is a literal one.
      const inline = ['API_SECRET_KEY', 'JWT_SECRET', 'REDIS_PASSWORD', 'OLLAMA_HOST', 'OLLAMA_MODEL'].map((k) => `      ${k}: ${JSON.stringify(getEnv(d, k).replace(/\$/g, '$$$$'))}\n`).join('');
      replaceIn(d, PROD, '    image: rag-system/rag-backend:${RAG_VERSION:-1.0.0}\n    env_file: .env.production\n    environment:\n', `    image: rag-system/rag-backend:\${RAG_VERSION:-1.0.0}\n    environment:\n${inline}`);
    },
  },
  {
    id: 'secret-in-compose',
    title: 'API_SECRET_KEY written into the compose file in plain text',
    expect: ['P4-DATA-4'],
    // A backup copies the compose files, so the key lands in the backups in plain text too.
    mayAlsoFail: ['P4-DATA-3'],
    projects: ['security'],
    apply: (d) => replaceIn(d, PROD, '      REDIS_HOST: redis\n', `      REDIS_HOST: redis\n      API_SECRET_KEY: "${getEnv(d, 'API_SECRET_KEY')}"\n`),
  },
  {
    // The suite makes a backup with the deployment's own script when there is none, so the defect lives in the
    // script: its umask and permission fixes "simplified" away, backups come out 755/644 and anyone can read them.
    id: 'backups-world-readable',
    title: 'backup.sh writes with umask 022 and no chmod: backups/ and the backups readable by everyone',
    expect: ['P4-DATA-3'],
    projects: ['security'],
    apply: (d) => {
      replaceIn(d, 'scripts/backup.sh', 'umask 077\n', 'umask 022\n');
      replaceIn(d, 'scripts/backup.sh', 'chmod 700 "$dir/backups"\n', '');
      replaceIn(d, 'scripts/backup.sh', 'find "$partial" -type d -exec chmod 700 {} +\nfind "$partial" -type f -exec chmod 600 {} +\n', '');
      chmod(d, 'backups', 0o755);
    },
  },
  // --- TLS ---
  {
    id: 'cert-20-days',
    title: 'server certificate expires in 20 days',
    expect: ['PRE-TLS-3', 'P4-NETSEC-3'],
    mayAlsoFail: ['PRE-TLS-1'],
    projects: ['prerequisites', 'security'],
    apply: (d) => run(d, 'bash', ['scripts/generate-certs.sh', d, '--force'], { CERT_DAYS: '20' }),
  },
  {
    id: 'tls10-allowed',
    title: 'Nginx accepts TLS 1.0 and 1.1',
    expect: ['P4-NETSEC-3'],
    projects: ['security'],
    apply: (d) =>
      replaceIn(d, 'nginx/nginx.conf', /ssl_protocols TLSv1\.2 TLSv1\.3;\n(\s*)ssl_ciphers [^;]+;/, 'ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;\n$1ssl_ciphers DEFAULT:@SECLEVEL=0;'),
  },
  {
    // A leaf without its (private) root would still validate for clients that trust the root, so the realistic
    // mistake is a bundle left over from another environment: the chain names a CA that did not sign the leaf.
    id: 'chain-foreign-ca',
    title: 'chain.pem bundles the server certificate with a foreign CA (left over from staging)',
    expect: ['PRE-TLS-4'],
    projects: ['prerequisites'],
    apply: (d) =>
      run(d, 'sh', ['-c', `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj "/CN=RAG Staging Root CA" -days 3650 -out ssl/staging-ca.crt 2>/dev/null && cat ${pathOf('ssl/server.crt')} ssl/staging-ca.crt > ${pathOf('ssl/chain.pem')} && rm ssl/staging-ca.crt`]),
  },
  // --- rollback ---
  {
    // The restore script "fixed" after it refused a backup once: checksum problems now only warn, so a damaged
    // backup is restored over the live data in the middle of a rollback.
    id: 'restore-ignores-checksums',
    title: 'restore.sh warns about checksum mismatches instead of refusing the backup',
    expect: ['RB-RESTORE-1', 'RB-RESTORE-2'],
    projects: ['rollback'],
    apply: (d) => replaceIn(d, 'scripts/restore.sh', '[ "$bad" = 0 ] || refuse "see the file(s) named above"', '[ "$bad" = 0 ] || echo "restore: warning: checksum problems ignored (see above)" >&2'),
  },
  // --- headers, exposure, auth (Phase 4) ---
  {
    id: 'hsts-dropped',
    title: 'Strict-Transport-Security header removed',
    expect: ['P4-NETSEC-4'],
    mayAlsoFail: ['P4-NETSEC-3'],
    projects: ['security'],
    fast: true,
    apply: (d) => replaceIn(d, SECURITY_HEADERS, /^add_header Strict-Transport-Security .*\n/m, ''),
  },
  {
    id: 'csp-dropped',
    title: 'Content-Security-Policy header removed',
    expect: ['P4-NETSEC-4'],
    projects: ['security'],
    apply: (d) => replaceIn(d, SECURITY_HEADERS, /^add_header Content-Security-Policy .*\n/m, ''),
  },
  {
    id: 'backend-public',
    title: 'backend port 8000 published on 0.0.0.0',
    expect: ['P4-NETSEC-1', 'P4-NETSEC-2'],
    // P4-DATA-2 accepts plain-text inter-service traffic only while no internal port faces outside.
    mayAlsoFail: ['PRE-NETWORK-2', 'P4-DATA-2'],
    projects: ['security'],
    fast: true,
    apply: (d) => replaceIn(d, PROD, '"127.0.0.1:${RAG_BACKEND_PORT-8000}:8000"', '"0.0.0.0:${RAG_BACKEND_PORT-8000}:8000"'),
  },
  {
    id: 'redis-public',
    title: 'Redis published on 0.0.0.0',
    expect: ['P4-NETSEC-1', 'P4-NETSEC-2'],
    mayAlsoFail: ['P4-DATA-2'],
    projects: ['security'],
    apply: (d) => replaceIn(d, MON, '"127.0.0.1:${RAG_REDIS_PORT-6379}:6379"', '"0.0.0.0:${RAG_REDIS_PORT-6379}:6379"'),
  },
  {
    id: 'prometheus-no-auth',
    title: 'Prometheus started without its web config (no authentication)',
    expect: ['P4-ACCESS-1'],
    projects: ['security'],
    apply: (d) =>
      replaceIn(
        d,
        MON,
        '      - prometheus-data:/prometheus\n',
        '      - prometheus-data:/prometheus\n    command: ["/usr/bin/prometheus", "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=0.0.0.0:9090"]\n',
      ),
  },
  {
    id: 'nginx-status-open',
    title: 'Nginx status page without authentication',
    expect: ['P4-ACCESS-1'],
    projects: ['security'],
    apply: (d) =>
      replaceIn(d, 'nginx/conf.d/rag-system.conf', /(location = \/nginx_status \{[\s\S]*?)auth_basic "RAG System administration";\n\s*auth_basic_user_file \/run\/nginx\/htpasswd;\n/, '$1'),
  },
  {
    // (Removing Nginx's dotfile/config deny rules alone exposes nothing here – those paths fall through to the
    // frontend, which serves no files from disk – so it is not a defect of this deployment. This is the CORS
    // "fix" that is: reflecting any Origin with credentials on the API.)
    id: 'cors-reflects-origin',
    title: 'the API reflects any Origin with Access-Control-Allow-Credentials (a CORS error "fixed" in Nginx)',
    expect: ['P4-ACCESS-2'],
    projects: ['security'],
    apply: (d) =>
      replaceIn(
        d,
        'nginx/conf.d/rag-system.conf',
        /(location \/api\/v1\/ \{\n)/,
        '$1        add_header Access-Control-Allow-Origin $http_origin always;\n        add_header Access-Control-Allow-Credentials true always;\n',
      ),
  },
  // --- directories, configuration, monitoring config ---
  {
    id: 'missing-logs-monitoring',
    title: 'logs/monitoring/ directory missing',
    expect: ['PRE-DIRS-2.3'],
    mayAlsoFail: ['PRE-DIRS-2'],
    projects: ['prerequisites'],
    fast: true,
    apply: (d) => rmSync(join(d, 'logs', 'monitoring'), { recursive: true, force: true }),
  },
  {
    id: 'backup-script-not-executable',
    title: 'scripts/backup.sh not executable',
    expect: ['PRE-SVCCONF-4'],
    projects: ['prerequisites'],
    apply: (d) => chmod(d, 'scripts/backup.sh', 0o644),
  },
  weakAlertRule('MON-ALERTS-1', 'node_memory_MemTotal_bytes) * 100 > 85', 'node_memory_MemTotal_bytes) * 100 > 95', {
    id: 'memory-alert-95',
    title: 'memory alert threshold 95 % instead of 85 %',
  }),
  weakAlertRule('MON-ALERTS-2', /      - alert: HighCPUUsage\n[\s\S]*?(?=      - alert: )/, '', {
    id: 'cpu-alert-missing',
    title: 'the high-CPU alert rule deleted',
  }),
  weakAlertRule('MON-ALERTS-4', 'sum(rate(rag_queries_total[5m])) > 0.05', 'sum(rate(rag_queries_total[5m])) > 0.5', {
    id: 'query-failure-alert-50',
    title: 'query failure alert at 50 % instead of 5 %',
  }),
  {
    // A rule file renamed (or never committed) while prometheus.yml still lists it: Prometheus starts and silently
    // loads no rules from it (a name without a wildcard that matches nothing is no error to it), promtool refuses the
    // configuration. The rules that do exist load as before.
    id: 'prometheus-rule-file-missing',
    title: 'prometheus.yml lists rules/rag-recording.yml, which does not exist',
    // PRE-SVCCONF-2 runs the same `promtool check config` on the same file.
    expect: ['PRE-MONSTACK-1', 'PRE-SVCCONF-2'],
    projects: ['prerequisites'],
    apply: (d) => replaceIn(d, 'monitoring/prometheus/prometheus.yml', /^rule_files:\n/m, 'rule_files:\n  - rules/rag-recording.yml\n'),
  },
  {
    id: 'no-webhook-receiver',
    title: 'Alertmanager has no webhook receiver',
    expect: ['PRE-MONSTACK-4'],
    mayAlsoFail: ['MON-GRAFANA-4'],
    projects: ['prerequisites'],
    apply: (d) => replaceIn(d, 'monitoring/alertmanager/alertmanager.yml', /    webhook_configs:\n(      .*\n|        .*\n)+/, '    email_configs:\n      - to: "${ALERT_EMAIL_TO}"\n'),
  },
  {
    id: 'grafana-datasource-wrong',
    title: 'Grafana datasource points at the wrong Prometheus',
    expect: ['PRE-MONSTACK-2'],
    // The monitoring configuration check validates Grafana's provisioning as well.
    mayAlsoFail: ['PRE-SVCCONF-2'],
    projects: ['prerequisites'],
    apply: (d) => replaceIn(d, 'monitoring/grafana/provisioning/datasources/prometheus.yml', 'http://prometheus:9090', 'http://prometheus-old:9090'),
  },
  {
    // The stand-in lists only the models "pulled" into it (OLLAMA_MODELS in the compose file), as Ollama does.
    id: 'ollama-model-missing',
    title: 'OLLAMA_MODEL switched to llama3:8b, which was never pulled into Ollama',
    expect: ['PRE-OLLAMA-2'],
    // The generation round trip asks for the configured model and gets Ollama's 404.
    mayAlsoFail: ['PRE-OLLAMA-4'],
    projects: ['prerequisites'],
    apply: (d) => setEnv(d, 'OLLAMA_MODEL', 'llama3:8b'),
  },
  {
    id: 'ollama-host-wrong',
    title: 'OLLAMA_HOST points at a port where nothing listens',
    expect: ['PRE-ENV-2.6', 'P2-HEALTH-1'],
    mayAlsoFail: ['PRE-OLLAMA-3', 'PRE-OLLAMA-4', 'P2-APPSVC-2', 'P2-APPSVC-5', 'P3-UPLOAD-3', 'P3-UPLOAD-4', 'P3-UPLOAD-5', 'P3-QUERY-1', 'P3-QUERY-2', 'P3-QUERY-3', 'P3-QUERY-4', 'P3-INTEG-1', 'P3-INTEG-4'],
    projects: ['prerequisites', 'deployment'],
    apply: (d) => setEnv(d, 'OLLAMA_HOST', 'http://ollama:11435'),
  },
];
