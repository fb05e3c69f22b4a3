// Asynchronous processing per document: validating → processing (extract, chunk) → indexing (embed, store)
// → completed | failed. Every step is an event (Redis status + WebSocket broadcast).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Chroma, chunkId } from './chroma.js';
import { chunkText } from './chunk.js';
import { EventHub } from './events.js';
import { extract } from './extract.js';
import { docProcessingSeconds, docsProcessed } from './metrics.js';
import { Ollama } from './ollama.js';
import { DocRecord, DocStatus, Store } from './store.js';

const EMBED_BATCH = 32;

class Cancelled extends Error {}

export class Pipeline {
  private queue: string[] = [];
  private running = 0;

  constructor(
    private store: Store,
    private chroma: Chroma,
    private ollama: Ollama,
    private hub: EventHub,
    private dataDir: string,
    private concurrency: number,
    private log: Logger,
  ) {}

  enqueue(docId: string): void {
    this.queue.push(docId);
    this.pump();
  }

  get pending(): number {
    return this.queue.length + this.running;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.running++;
      this.process(id)
        .catch((e) => this.log.error({ doc_id: id, err: e?.message }, 'processing crashed'))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  /** Re-queues documents left unfinished by an earlier run of the backend. */
  async recover(): Promise<void> {
    for (const d of await this.store.allDocs()) {
      if (d.status !== 'completed' && d.status !== 'failed') {
        this.log.info({ doc_id: d.doc_id, status: d.status }, 'resuming unfinished document');
        this.enqueue(d.doc_id);
      }
    }
  }

  private async emit(doc: DocRecord, status: DocStatus, progress: number, message: string, error: string | null = null, extra: Partial<DocRecord> = {}): Promise<void> {
    const timestamp = new Date().toISOString();
    const ok = await this.store.updateDoc(doc.doc_id, {
      status,
      processing_progress: progress,
      error_message: error,
      last_updated: timestamp,
      ...extra,
    });
    if (!ok) throw new Cancelled('document was deleted');
    this.hub.publish({ task_id: doc.task_id, filename: doc.title, status, progress, message, error, doc_id: doc.doc_id, timestamp });
  }

  async process(docId: string): Promise<void> {
    const doc = await this.store.getDoc(docId);
    if (!doc) return;
    const t0 = Date.parse(doc.upload_date) || Date.now();
    try {
      await this.emit(doc, 'validating', 5, 'validating file');
      const data = await readFile(join(this.dataDir, doc.stored_name));
      if (data.length !== doc.file_size) throw new Error(`stored file has ${data.length} bytes, expected ${doc.file_size}`);

      await this.emit(doc, 'processing', 15, `extracting text from ${doc.file_type} file`);
      const text = await extract(doc.file_type, data);
      if (text.trim() === '') throw new Error('no extractable text in the document (a scanned PDF needs OCR first)');

      const settings = await this.store.getSettings();
      const chunks = chunkText(text, settings.chunk_size, settings.chunk_overlap);
      await this.emit(doc, 'processing', 30, `split into ${chunks.length} chunks (chunk_size ${settings.chunk_size}, overlap ${settings.chunk_overlap})`);

      // Remove leftovers of an interrupted earlier attempt before indexing again.
      await this.chroma.deleteWhere({ doc_id: doc.doc_id });
      const embeddings: number[][] = [];
      for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
        const batch = chunks.slice(i, i + EMBED_BATCH);
        embeddings.push(...(await this.ollama.embed(batch.map((c) => c.text))));
        const done = Math.min(chunks.length, i + EMBED_BATCH);
        await this.emit(doc, 'indexing', 30 + Math.floor((60 * done) / chunks.length), `embedded ${done}/${chunks.length} chunks`);
      }
      for (let i = 0; i < chunks.length; i += 256) {
        const slice = chunks.slice(i, i + 256);
        await this.chroma.add(
          slice.map((_, j) => chunkId(doc.doc_id, i + j)),
          embeddings.slice(i, i + 256),
          slice.map((c) => c.text),
          slice.map((c, j) => ({ doc_id: doc.doc_id, title: doc.title, chunk_index: i + j, start: c.start, file_type: doc.file_type })),
        );
      }
      await this.emit(doc, 'indexing', 95, `stored ${chunks.length} chunks in the vector store`);
      await this.store.bumpVersion();
      await this.emit(doc, 'completed', 100, `document processed: ${chunks.length} chunks indexed`, null, { chunk_count: chunks.length });
      docsProcessed.inc({ outcome: 'completed' });
      docProcessingSeconds.observe((Date.now() - t0) / 1000);
      this.log.info({ doc_id: doc.doc_id, chunks: chunks.length, ms: Date.now() - t0 }, 'document completed');
    } catch (e: any) {
      if (e instanceof Cancelled) {
        await this.chroma.deleteWhere({ doc_id: doc.doc_id }).catch(() => undefined);
        this.log.info({ doc_id: doc.doc_id }, 'document deleted while processing; stopped');
        return;
      }
      const reason = String(e?.message ?? e).slice(0, 500);
      this.log.warn({ doc_id: doc.doc_id, error: reason }, 'document failed');
      docsProcessed.inc({ outcome: 'failed' });
      docProcessingSeconds.observe((Date.now() - t0) / 1000);
      await this.chroma.deleteWhere({ doc_id: doc.doc_id }).catch(() => undefined);
      await this.store.bumpVersion().catch(() => undefined);
      await this.emit(doc, 'failed', 100, 'document processing failed', reason).catch(() => undefined);
    }
  }
}
