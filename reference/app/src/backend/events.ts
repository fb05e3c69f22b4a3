// Progress events of document processing, fanned out to WebSocket clients. The latest event per document
// is kept (in memory, this process) so a client that connects late gets the current state.
export interface ProgressEvent {
  task_id: string;
  filename: string;
  status: string;
  progress: number;
  message: string;
  error: string | null;
  doc_id: string;
  timestamp: string;
}

type Listener = (e: ProgressEvent) => void;

export const REPLAY_WINDOW_MS = 10 * 60 * 1000;

export class EventHub {
  private listeners = new Set<Listener>();
  private latest = new Map<string, ProgressEvent>();

  publish(e: ProgressEvent): void {
    this.latest.set(e.doc_id, e);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a broken listener must not stop the others */
      }
    }
    this.prune();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  forget(docId: string): void {
    this.latest.delete(docId);
  }

  /** Latest event of each document still in progress, or finished within the replay window. */
  snapshot(now = Date.now()): ProgressEvent[] {
    return [...this.latest.values()]
      .filter((e) => !['completed', 'failed'].includes(e.status) || now - Date.parse(e.timestamp) <= REPLAY_WINDOW_MS)
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  }

  private prune(now = Date.now()): void {
    if (this.latest.size < 1000) return;
    for (const [id, e] of this.latest) {
      if (['completed', 'failed'].includes(e.status) && now - Date.parse(e.timestamp) > REPLAY_WINDOW_MS) this.latest.delete(id);
    }
  }
}
