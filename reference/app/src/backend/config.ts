import { int, logLevel, optional, str, url, ConfigError } from '../common/env.js';

export interface BackendConfig {
  port: number;
  host: string;
  redisUrl: string;
  chromaUrl: string;
  chromaTenant: string;
  chromaDatabase: string;
  chromaCollection: string;
  ollamaHost: string;
  ollamaModel: string;
  ollamaEmbedModel: string;
  apiSecretKey: string;
  jwtSecret: string;
  logLevel: string;
  dataDir: string;
  logDir: string;
  version: string;
  wsPingIntervalMs: number;
  processingConcurrency: number;
  queryCacheTtlSeconds: number;
  ollamaTimeoutMs: number;
  /** The multipart field uploads carry their files in (UPLOAD_FIELD, default "files" as the checklist's curl). */
  uploadField: string;
  /** The header the API key is sent in (API_KEY_HEADER, default X-API-Key). */
  apiKeyHeader: string;
}

/** An HTTP token (RFC 9110): what a header name and, here, a multipart field name may be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** UPLOAD_FIELD and API_KEY_HEADER: how this deployment's API differs from the contract's (multipart field, key header). */
export function apiShapeFromEnv(): { uploadField: string; apiKeyHeader: string } {
  const uploadField = str('UPLOAD_FIELD', 'files');
  const apiKeyHeader = str('API_KEY_HEADER', 'X-API-Key');
  if (!TOKEN.test(uploadField)) throw new ConfigError(`environment variable UPLOAD_FIELD must be a plain field name (letters, digits, - _ .), got "${uploadField}"`);
  if (!TOKEN.test(apiKeyHeader) || /^(authorization|cookie|host|content-type)$/i.test(apiKeyHeader)) {
    throw new ConfigError(`environment variable API_KEY_HEADER must be a header name of its own (e.g. X-API-Key), got "${apiKeyHeader}"`);
  }
  return { uploadField, apiKeyHeader };
}

function redisUrl(): string {
  const explicit = optional('REDIS_URL');
  if (explicit) return url('REDIS_URL');
  const host = optional('REDIS_HOST');
  if (!host) throw new ConfigError('missing required environment variable REDIS_URL (or REDIS_HOST, with REDIS_PASSWORD)');
  const port = int('REDIS_PORT', 6379, 1, 65535);
  const password = optional('REDIS_PASSWORD');
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  const db = int('REDIS_DB', 0, 0, 15);
  return `redis://${auth}${host}:${port}/${db}`;
}

export function loadConfig(): BackendConfig {
  const ollamaModel = str('OLLAMA_MODEL', 'llama2:7b');
  return {
    port: int('PORT', 8000, 1, 65535),
    host: str('HOST', '0.0.0.0'),
    redisUrl: redisUrl(),
    chromaUrl: url('CHROMA_URL'),
    chromaTenant: str('CHROMA_TENANT', 'default_tenant'),
    chromaDatabase: str('CHROMA_DATABASE', 'default_database'),
    chromaCollection: str('CHROMA_COLLECTION', 'documents'),
    ollamaHost: url('OLLAMA_HOST'),
    ollamaModel,
    ollamaEmbedModel: str('OLLAMA_EMBED_MODEL', ollamaModel),
    apiSecretKey: str('API_SECRET_KEY'),
    jwtSecret: str('JWT_SECRET'),
    logLevel: logLevel(),
    dataDir: str('DATA_DIR', '/app/data/documents'),
    logDir: str('LOG_DIR', '/app/logs/app'),
    version: str('APP_VERSION', '1.0.0'),
    wsPingIntervalMs: int('WS_PING_INTERVAL_MS', 15000, 100, 3600000),
    processingConcurrency: int('PROCESSING_CONCURRENCY', 2, 1, 16),
    queryCacheTtlSeconds: int('QUERY_CACHE_TTL_SECONDS', 3600, 0, 86400 * 7),
    ollamaTimeoutMs: int('OLLAMA_TIMEOUT_MS', 120000, 1000, 3600000),
    ...apiShapeFromEnv(),
  };
}
