// Adapts the pool's backends (src/pool) and their ComfyUI clients (src/comfy) to the narrow
// JobBackend port the dispatcher uses. This is the only place where jobs meet ComfyUI objects.
import { classifyComfyError, ComfyPromptError, type ComfyClient, type PromptEvent, type PromptResult } from '../comfy/index.ts';
import { BackendFailure, type BackendSource, type FileRef, type JobBackend, type PromptWhere, type Requirements, type RunEvent, type RunHandle, type RunResult } from './ports.ts';

/** What the adapter reads from a pool backend. */
export interface PoolBackendView {
  readonly id: string;
  readonly accepting: boolean;
  readonly client: ComfyClient | null;
  readonly capabilities: { nodeClasses: string[]; models: Record<string, string[]> } | null;
  restart(reason: string): Promise<void>;
  markUnhealthy?(reason: string): void;
  readonly kind: 'spawned' | 'remote';
}

export interface PoolView {
  backendViews(): PoolBackendView[];
  onBackendChange(listener: () => void): () => void;
}

function toRunEvent(e: PromptEvent): RunEvent | null {
  switch (e.type) {
    case 'execution_start': return { type: 'started' };
    case 'execution_cached': return { type: 'cached', nodes: e.data.nodes.map(String) };
    case 'executing': return { type: 'node', nodeId: e.data.node };
    case 'progress': return { type: 'progress', nodeId: e.data.node ?? null, value: e.data.value, max: e.data.max };
    case 'executed': return { type: 'output', nodeId: String(e.data.node), output: (e.data.output ?? {}) as Record<string, unknown> };
    case 'preview': return { type: 'preview', mime: e.frame.mimeType, image: Buffer.from(e.frame.image), nodeId: e.frame.metadata?.node_id ?? null };
    default: return null;
  }
}

function toRunResult(r: PromptResult): RunResult {
  const times = r.messages.map(([, d]) => (d as { timestamp?: number } | null)?.timestamp).filter((t): t is number => typeof t === 'number');
  return {
    status: r.status,
    outputs: r.outputs as Record<string, Record<string, unknown>>,
    ...(r.error ? {
      error: {
        message: r.error.exception_message,
        ...(r.error.node_id ? { nodeId: String(r.error.node_id) } : {}),
        ...(r.error.node_type ? { classType: r.error.node_type } : {}),
        exceptionType: r.error.exception_type,
        ...(r.error.traceback ? { traceback: r.error.traceback } : {}),
      },
    } : {}),
    comfyMs: times.length >= 2 ? Math.max(...times) - Math.min(...times) : null,
  };
}

/** A ComfyUI failure as the dispatcher understands it: workflow (fail now) or infrastructure (retry). */
function toFailure(err: unknown): BackendFailure {
  if (err instanceof ComfyPromptError) {
    const first = err.nodeErrors[0];
    return new BackendFailure('workflow', `${err.message}${first ? `: node ${first.nodeId} (${first.classType}) ${first.message}: ${first.details}` : ''}`, {
      ...(first ? { nodeId: first.nodeId, classType: first.classType } : {}),
    });
  }
  const kind = classifyComfyError(err);
  return new BackendFailure(kind, err instanceof Error ? err.message : String(err));
}

class PoolJobBackend implements JobBackend {
  readonly id: string;
  readonly #b: PoolBackendView;
  constructor(b: PoolBackendView) {
    this.id = b.id;
    this.#b = b;
  }

  #client(): ComfyClient {
    const c = this.#b.client;
    if (!c) throw new BackendFailure('infrastructure', `backend ${this.id} has no connection`);
    return c;
  }

  accepting(): boolean {
    return this.#b.accepting && this.#b.client !== null;
  }

  missing(req: Requirements): string | null {
    const caps = this.#b.capabilities;
    if (!caps) return 'has not reported its capabilities yet';
    const classes = new Set(caps.nodeClasses);
    const lacks = req.classes.filter((c) => !classes.has(c));
    for (const [folder, files] of Object.entries(req.models)) {
      const have = new Set(caps.models[folder] ?? []);
      for (const f of files) if (!have.has(f)) lacks.push(`${folder}/${f}`);
    }
    return lacks.length ? `lacks ${lacks.join(', ')}` : null;
  }

  affinity(req: Requirements): number {
    return req.checkpoint && this.#lastCheckpoint === req.checkpoint ? 10 : 0;
  }

  #lastCheckpoint: string | null = null;

  async submit(prompt: Record<string, unknown>, opts: { promptId: string; onEvent: (e: RunEvent) => void }): Promise<RunHandle> {
    const ckpt = Object.values(prompt).map((n) => (n as { inputs?: { ckpt_name?: unknown } }).inputs?.ckpt_name).find((v) => typeof v === 'string');
    try {
      const run = await this.#client().submit(prompt, {
        promptId: opts.promptId,
        onEvent: (e) => {
          const r = toRunEvent(e);
          if (r) opts.onEvent(r);
        },
      });
      if (typeof ckpt === 'string') this.#lastCheckpoint = ckpt;
      return { promptId: run.promptId, done: run.done.then(toRunResult, (err: unknown) => { throw toFailure(err); }) };
    } catch (err) {
      throw toFailure(err);
    }
  }

  async cancel(promptId: string): Promise<void> {
    await this.#client().interrupt(promptId);
  }

  async reattach(promptId: string, onEvent: (e: RunEvent) => void): Promise<RunHandle | null> {
    const run = await this.#client().follow(promptId, { onEvent: (e) => { const r = toRunEvent(e); if (r) onEvent(r); } });
    if (!run) return null;
    return { promptId, done: run.done.then(toRunResult, (err: unknown) => { throw toFailure(err); }) };
  }

  async check(promptId: string): Promise<PromptWhere> {
    try {
      const http = this.#client().http;
      if (await http.history(promptId)) {
        void this.#client().reconcile('watchdog');
        return 'finished';
      }
      const q = await http.queue();
      if (q.running.some((i) => i.promptId === promptId)) return 'running';
      if (q.pending.some((i) => i.promptId === promptId)) return q.running.length === 0 ? 'stalled' : 'pending';
      return 'missing';
    } catch {
      return 'unreachable';
    }
  }

  #recovering: Promise<void> | null = null;

  /** One recovery at a time: every job stuck on the backend asks, the first one restarts it. */
  recover(reason: string): Promise<void> {
    this.#recovering ??= (async () => {
      await this.#client().http.interrupt().catch(() => undefined);
      if (this.#b.kind === 'spawned') await this.#b.restart(reason);
      else this.#b.markUnhealthy?.(reason);
    })().finally(() => { this.#recovering = null; });
    return this.#recovering;
  }

  async free(): Promise<void> {
    await this.#client().http.free({ unloadModels: true, freeMemory: true });
  }

  /** Names already in this backend's input folder; keyed by client so a replaced client re-uploads. */
  #files = new WeakMap<ComfyClient, Set<string>>();

  async ensureFile(name: string, load: () => Promise<Buffer>): Promise<void> {
    const client = this.#client();
    let have = this.#files.get(client);
    if (!have) { have = new Set(); this.#files.set(client, have); }
    if (have.has(name)) return;
    const bytes = await load();
    // overwrite: the name is content-addressed, so an existing file with it is the same file.
    await client.http.uploadImage(new Blob([new Uint8Array(bytes)]), { filename: name, overwrite: true });
    have.add(name);
  }

  async forget(promptId: string): Promise<void> {
    await this.#client().http.deleteHistory([promptId]);
  }

  async view(ref: FileRef, range?: string): Promise<Response> {
    return this.#client().http.view(ref, range ? { range } : {});
  }
}

export function poolJobSource(pool: PoolView): BackendSource {
  const cache = new Map<string, PoolJobBackend>();
  return {
    backends() {
      const views = pool.backendViews();
      for (const id of cache.keys()) if (!views.some((v) => v.id === id)) cache.delete(id);
      return views.map((v) => {
        let b = cache.get(v.id);
        if (!b) { b = new PoolJobBackend(v); cache.set(v.id, b); }
        return b;
      });
    },
    onChange: (l) => pool.onBackendChange(l),
  };
}
