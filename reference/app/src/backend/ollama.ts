// Client for the Ollama HTTP API (real Ollama or the stand-in): embed, chat, tags.
export class Ollama {
  constructor(
    private host: string,
    private model: string,
    private embedModel: string,
    private timeoutMs: number,
  ) {}

  private async post(path: string, body: unknown): Promise<any> {
    const res = await fetch(`${this.host}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((e) => {
      throw new Error(`Ollama at ${this.host} unreachable (${e?.cause?.code ?? e?.message ?? e})`);
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Ollama ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  async embed(input: string[]): Promise<number[][]> {
    const r = await this.post('/api/embed', { model: this.embedModel, input });
    if (!Array.isArray(r.embeddings) || r.embeddings.length !== input.length) {
      throw new Error(`Ollama /api/embed returned ${r.embeddings?.length ?? 'no'} embeddings for ${input.length} inputs`);
    }
    return r.embeddings;
  }

  async chat(messages: Array<{ role: string; content: string }>): Promise<string> {
    const r = await this.post('/api/chat', { model: this.model, messages, stream: false, options: { temperature: 0 } });
    return String(r?.message?.content ?? '');
  }

  /** Health: the server answers and lists the configured model(s). */
  async check(): Promise<{ ok: boolean; detail?: string }> {
    const res = await fetch(`${this.host}/api/tags`, { signal: AbortSignal.timeout(3000) }).catch((e) => {
      throw new Error(`Ollama at ${this.host} unreachable (${e?.cause?.code ?? e?.message ?? e})`);
    });
    if (!res.ok) return { ok: false, detail: `/api/tags answered ${res.status}` };
    const body: any = await res.json();
    const names: string[] = (body.models ?? []).map((m: any) => String(m.name ?? m.model));
    const tagged = (n: string) => (n.includes(':') ? n : `${n}:latest`);
    for (const want of new Set([this.model, this.embedModel])) {
      if (!names.some((n) => tagged(n) === tagged(want))) return { ok: false, detail: `model ${want} is not available (pull it)` };
    }
    return { ok: true };
  }
}
