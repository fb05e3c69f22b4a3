// ChromaDB over its HTTP v2 API (tenant/database/collection), plain fetch.
export interface ChromaHit {
  id: string;
  document: string;
  metadata: Record<string, any>;
  distance: number;
}

export class Chroma {
  private collectionId: string | null = null;
  constructor(
    private baseUrl: string,
    private tenant: string,
    private database: string,
    private collection: string,
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

  async ensureCollection(): Promise<string> {
    if (this.collectionId) return this.collectionId;
    const r = await this.call('POST', `${this.dbPath}/collections`, {
      name: this.collection,
      get_or_create: true,
      // Denser graph than the defaults: keeps recall high when documents form tight clusters.
      configuration: { hnsw: { space: 'cosine', max_neighbors: 64, ef_construction: 400, ef_search: 400 } },
    });
    this.collectionId = r.id as string;
    return this.collectionId;
  }

  /** Runs op against the collection; when the collection vanished (Chroma reset), re-creates it once. */
  private async withCollection<T>(op: (path: string) => Promise<T>): Promise<T> {
    const id = await this.ensureCollection();
    try {
      return await op(`${this.dbPath}/collections/${id}`);
    } catch (e: any) {
      if (e.status === 404 || /does not exist|not found/i.test(String(e.message))) {
        this.collectionId = null;
        const again = await this.ensureCollection();
        return op(`${this.dbPath}/collections/${again}`);
      }
      throw e;
    }
  }

  async add(ids: string[], embeddings: number[][], documents: string[], metadatas: Record<string, any>[]): Promise<void> {
    await this.withCollection((p) => this.call('POST', `${p}/upsert`, { ids, embeddings, documents, metadatas }, 120000));
  }

  async query(embedding: number[], n: number, where?: Record<string, unknown>, whereDocument?: Record<string, unknown>): Promise<ChromaHit[]> {
    const r = await this.withCollection((p) =>
      this.call('POST', `${p}/query`, {
        query_embeddings: [embedding],
        n_results: n,
        include: ['documents', 'metadatas', 'distances'],
        ...(where ? { where } : {}),
        ...(whereDocument ? { where_document: whereDocument } : {}),
      }),
    );
    const ids: string[] = r?.ids?.[0] ?? [];
    return ids.map((id, i) => ({
      id,
      document: r.documents?.[0]?.[i] ?? '',
      metadata: r.metadatas?.[0]?.[i] ?? {},
      distance: r.distances?.[0]?.[i] ?? 1,
    }));
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
    await this.withCollection((p) => this.call('POST', `${p}/delete`, { where }));
  }
}
