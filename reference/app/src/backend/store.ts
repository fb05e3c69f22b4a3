// Document metadata, settings, the document-set version and the query cache, all in Redis.
import { Redis } from 'ioredis';
import { DEFAULT_SETTINGS, Settings } from './validate.js';

export type DocStatus = 'pending' | 'validating' | 'processing' | 'indexing' | 'completed' | 'failed';
export const STATUSES: DocStatus[] = ['pending', 'validating', 'processing', 'indexing', 'completed', 'failed'];

export interface DocRecord {
  doc_id: string;
  task_id: string;
  title: string;
  file_type: string;
  content_type: string;
  stored_name: string;
  upload_date: string;
  file_size: number;
  status: DocStatus;
  processing_progress: number;
  error_message: string | null;
  chunk_count: number;
  last_updated: string;
}

const K = {
  doc: (id: string) => `rag:doc:${id}`,
  index: 'rag:docs',
  settings: 'rag:settings',
  version: 'rag:docset_version',
  cache: (h: string) => `rag:qcache:${h}`,
};

function toRecord(h: Record<string, string>): DocRecord | null {
  if (!h || !h.doc_id) return null;
  return {
    doc_id: h.doc_id,
    task_id: h.task_id,
    title: h.title,
    file_type: h.file_type,
    content_type: h.content_type,
    stored_name: h.stored_name,
    upload_date: h.upload_date,
    file_size: Number(h.file_size),
    status: h.status as DocStatus,
    processing_progress: Number(h.processing_progress),
    error_message: h.error_message ? h.error_message : null,
    chunk_count: Number(h.chunk_count ?? 0),
    last_updated: h.last_updated,
  };
}

function toHash(d: Partial<DocRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d)) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}

export class Store {
  constructor(public redis: Redis) {}

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }

  async createDocs(docs: DocRecord[]): Promise<void> {
    const m = this.redis.multi();
    for (const d of docs) {
      m.hset(K.doc(d.doc_id), toHash(d));
      m.zadd(K.index, Date.parse(d.upload_date), d.doc_id);
    }
    m.incr(K.version);
    await m.exec();
  }

  async getDoc(id: string): Promise<DocRecord | null> {
    return toRecord(await this.redis.hgetall(K.doc(id)));
  }

  /** Updates fields of an existing document; false when it is gone (deleted meanwhile). */
  async updateDoc(id: string, fields: Partial<DocRecord>): Promise<boolean> {
    const exists = await this.redis.exists(K.doc(id));
    if (!exists) return false;
    await this.redis.hset(K.doc(id), toHash(fields));
    return true;
  }

  async deleteDoc(id: string): Promise<void> {
    await this.redis.multi().del(K.doc(id)).zrem(K.index, id).incr(K.version).exec();
  }

  async allDocs(): Promise<DocRecord[]> {
    const ids = await this.redis.zrange(K.index, 0, -1);
    if (ids.length === 0) return [];
    const m = this.redis.multi();
    for (const id of ids) m.hgetall(K.doc(id));
    const res = (await m.exec()) ?? [];
    const docs: DocRecord[] = [];
    for (const [err, h] of res) {
      const r = err ? null : toRecord(h as Record<string, string>);
      if (r) docs.push(r);
    }
    return docs;
  }

  async count(): Promise<number> {
    return this.redis.zcard(K.index);
  }

  async bumpVersion(): Promise<void> {
    await this.redis.incr(K.version);
  }

  async version(): Promise<string> {
    return (await this.redis.get(K.version)) ?? '0';
  }

  async getSettings(): Promise<Settings> {
    const raw = await this.redis.get(K.settings);
    if (!raw) return { ...DEFAULT_SETTINGS };
    try {
      return { ...DEFAULT_SETTINGS, ...JSON.parse(raw) };
    } catch {
      return { ...DEFAULT_SETTINGS };
    }
  }

  async saveSettings(s: Settings): Promise<void> {
    await this.redis.multi().set(K.settings, JSON.stringify(s)).incr(K.version).exec();
  }

  async cacheGet(hash: string): Promise<any | null> {
    const raw = await this.redis.get(K.cache(hash));
    return raw ? JSON.parse(raw) : null;
  }

  async cacheSet(hash: string, value: unknown, ttl: number): Promise<void> {
    if (ttl > 0) await this.redis.set(K.cache(hash), JSON.stringify(value), 'EX', ttl);
  }
}
