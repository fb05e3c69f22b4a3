// ChromaDB over its HTTP v2 API (tenant/database/collection), plain fetch.
export interface ChromaHit {
  id: string;
  document: string;
  metadata: Record<string, any>;
  distance: number;
}

export interface Ranked {
  id: string;
  distance: number;
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The HNSW index the collection must have. A denser graph than Chroma's defaults (16 neighbours,
 * ef_construction 100): with the defaults, a document whose chunks are (near-)duplicates of each other leaves
 * some chunks without incoming links – no vector query, filtered or not, can reach them. Space,
 * max_neighbors and ef_construction cannot change after a collection is created (Chroma 1.0).
 */
export const HNSW = { space: 'cosine', max_neighbors: 64, ef_construction: 400, ef_search: 400 } as const;

/**
 * Vector searches ask Chroma for this many candidates (ids and distances only). Chroma's HNSW search explores
 * max(ef_search, n_results) candidates, so up to this collection size every reachable chunk is scored and the
 * ranking is exact; an approximate search misses a passage whose only distinguishing words sit in a large
 * cluster of similar chunks (a fact in the middle of a 1 MB document).
 */
export const EXHAUSTIVE_SEARCH_LIMIT = 10_000;

/** Id of a chunk in the vector store; the document id can be read back from it. */
export function chunkId(docId: string, index: number): string {
  return `${docId}:${index}`;
}

export function docIdOfChunk(id: string): string {
  const i = id.lastIndexOf(':');
  return i < 0 ? id : id.slice(0, i);
}

/** Why an existing collection's index does not match HNSW (null when it does). */
export function hnswMismatch(configuration: any): string | null {
  const have = configuration?.hnsw;
  if (!have) return `no HNSW index configuration (${JSON.stringify(configuration ?? null).slice(0, 120)})`;
  const diffs = (['space', 'max_neighbors', 'ef_construction'] as const).filter((k) => have[k] !== HNSW[k]).map((k) => `${k} ${have[k]} (want ${HNSW[k]})`);
  return diffs.length ? diffs.join(', ') : null;
}

const REBUILD_PAGE = 256;

/** The collection asked for does not exist (any more): Chroma answers 404 or names it in the message. */
function isMissing(e: any): boolean {
  return e?.status === 404 || /does not exist|not found/i.test(String(e?.message));
}

export class Chroma {
  private opening: Promise<string> | null = null;
  constructor(
    private baseUrl: string,
    private tenant: string,
    private database: string,
    private collection: string,
    private log?: Log,
  ) {}

  private get dbPath(): string {
    return `${this.baseUrl}/api/v2/tenants/${encodeURIComponent(this.tenant)}/databases/${encodeURIComponent(this.database)}`;
  }

  private async call(method: string, url: string, body?: unknown, timeoutMs = 30000): Promise<any> {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((e) => {
      throw new Error(`ChromaDB at ${this.baseUrl} unreachable (${e?.cause?.code ?? e?.message ?? e})`);
    });
    const text = await res.text();
    if (!res.ok) {
      const err: any = new Error(`ChromaDB ${method} ${new URL(url).pathname} answered ${res.status}: ${text.slice(0, 300)}`);
      err.status = res.status;
      throw err;
    }
    return text ? JSON.parse(text) : null;
  }

  async heartbeat(): Promise<boolean> {
    const r = await this.call('GET', `${this.baseUrl}/api/v2/heartbeat`, undefined, 3000);
    return typeof r === 'object' && r !== null;
  }

  /** Id of the collection, created (or rebuilt, see open) on first use; concurrent callers share the work. */
  ensureCollection(): Promise<string> {
    this.opening ??= this.open().catch((e) => {
      this.opening = null;
      throw e;
    });
    return this.opening;
  }

  private async find(name: string): Promise<{ id: string; configuration_json?: unknown } | null> {
    try {
      return await this.call('GET', `${this.dbPath}/collections/${encodeURIComponent(name)}`);
    } catch (e: any) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  private rename(id: string, name: string): Promise<unknown> {
    return this.call('PUT', `${this.dbPath}/collections/${id}`, { new_name: name });
  }

  private get backupName(): string {
    return `${this.collection}-replaced`;
  }

  /**
   * get_or_create keeps an existing collection as it is and ignores the configuration asked for: a collection
   * created by an earlier version (or by hand) can carry Chroma's default index. Such a collection is rebuilt
   * with HNSW, its records (ids, embeddings, documents, metadata) copied over.
   */
  private async open(): Promise<string> {
    // A rebuild interrupted between its renames leaves the data under the backup name: take it back first.
    if (!(await this.find(this.collection))) {
      const backup = await this.find(this.backupName);
      if (backup) await this.rename(backup.id, this.collection);
    }
    const r = await this.call('POST', `${this.dbPath}/collections`, { name: this.collection, get_or_create: true, configuration: { hnsw: HNSW } });
    const problem = hnswMismatch(r.configuration_json);
    if (!problem) return r.id as string;
    this.log?.warn({ collection: this.collection, problem }, 'vector store collection has a different index than required; rebuilding it');
    return this.rebuild(r.id as string);
  }

  private async rebuild(oldId: string): Promise<string> {
    const t0 = Date.now();
    const tmpName = `${this.collection}-rebuild`;
    const leftover = await this.find(tmpName);
    if (leftover) await this.call('DELETE', `${this.dbPath}/collections/${encodeURIComponent(tmpName)}`);
    const tmp = await this.call('POST', `${this.dbPath}/collections`, { name: tmpName, configuration: { hnsw: HNSW } });
    const from = `${this.dbPath}/collections/${oldId}`;
    const to = `${this.dbPath}/collections/${tmp.id}`;
    let copied = 0;
    for (let offset = 0; ; offset += REBUILD_PAGE) {
      const page = await this.call('POST', `${from}/get`, { limit: REBUILD_PAGE, offset, include: ['embeddings', 'documents', 'metadatas'] }, 120000);
      const ids: string[] = page?.ids ?? [];
      if (ids.length === 0) break;
      await this.call('POST', `${to}/upsert`, { ids, embeddings: page.embeddings, documents: page.documents, metadatas: page.metadatas }, 120000);
      copied += ids.length;
      if (ids.length < REBUILD_PAGE) break;
    }
    const [had, has] = await Promise.all([this.call('GET', `${from}/count`), this.call('GET', `${to}/count`)]);
    if (had !== has) throw new Error(`rebuilding the vector store collection ${this.collection} copied ${has} of ${had} records; the old collection is kept`);
    await this.rename(oldId, this.backupName);
    await this.rename(tmp.id, this.collection);
    await this.call('DELETE', `${this.dbPath}/collections/${encodeURIComponent(this.backupName)}`);
    this.log?.info({ collection: this.collection, records: copied, ms: Date.now() - t0, hnsw: HNSW }, 'vector store collection rebuilt');
    return tmp.id as string;
  }

  /** Runs op against the collection; when the collection vanished (Chroma reset), re-creates it once. */
  private async withCollection<T>(op: (path: string) => Promise<T>): Promise<T> {
    const id = await this.ensureCollection();
    try {
      return await op(`${this.dbPath}/collections/${id}`);
    } catch (e: any) {
      if (isMissing(e)) {
        this.opening = null;
        const again = await this.ensureCollection();
        return op(`${this.dbPath}/collections/${again}`);
      }
      throw e;
    }
  }

  async add(ids: string[], embeddings: number[][], documents: string[], metadatas: Record<string, any>[]): Promise<void> {
    await this.withCollection((p) => this.call('POST', `${p}/upsert`, { ids, embeddings, documents, metadatas }, 120000));
  }

  /**
   * Chunk ids by distance to the embedding, nearest first: at most n, ids and distances only (cheap to
   * transfer, so n can be EXHAUSTIVE_SEARCH_LIMIT). Fewer than n results means every chunk was scored.
   */
  async rank(embedding: number[], n: number, whereDocument?: Record<string, unknown>): Promise<Ranked[]> {
    const r = await this.withCollection((p) =>
      this.call('POST', `${p}/query`, {
        query_embeddings: [embedding],
        n_results: n,
        include: ['distances'],
        ...(whereDocument ? { where_document: whereDocument } : {}),
      }),
    );
    const ids: string[] = r?.ids?.[0] ?? [];
    return ids.map((id, i) => ({ id, distance: r.distances?.[0]?.[i] ?? 1 }));
  }

  /** Text and metadata of the given chunks, in the order asked for (unknown ids are left out). */
  async getByIds(ids: string[]): Promise<Array<Omit<ChromaHit, 'distance'>>> {
    if (ids.length === 0) return [];
    const r = await this.withCollection((p) => this.call('POST', `${p}/get`, { ids, include: ['documents', 'metadatas'] }));
    const byId = new Map<string, Omit<ChromaHit, 'distance'>>();
    (r?.ids ?? []).forEach((id: string, i: number) => byId.set(id, { id, document: r.documents?.[i] ?? '', metadata: r.metadatas?.[i] ?? {} }));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async get(where: Record<string, unknown>, limit?: number): Promise<ChromaHit[]> {
    const r = await this.withCollection((p) =>
      this.call('POST', `${p}/get`, { where, include: ['documents', 'metadatas'], ...(limit ? { limit } : {}) }),
    );
    const ids: string[] = r?.ids ?? [];
    return ids.map((id, i) => ({ id, document: r.documents?.[i] ?? '', metadata: r.metadatas?.[i] ?? {}, distance: 0 }));
  }

  async countWhere(where: Record<string, unknown>): Promise<number> {
    const r = await this.withCollection((p) => this.call('POST', `${p}/get`, { where, include: [] }));
    return (r?.ids ?? []).length;
  }

  async deleteWhere(where: Record<string, unknown>): Promise<void> {
    // A bulk write like upsert: thousands of chunks of a large document can take longer than a query.
    await this.withCollection((p) => this.call('POST', `${p}/delete`, { where }, 120000));
  }
}
