/**
 * Queue depth, the running prompt and the model it loads, for one backend. The websocket's
 * `status` broadcast gives the depth as soon as it changes; GET /prompt (every health probe)
 * and GET /queue (when something runs) give the rest and cover a socket that missed frames.
 * ComfyUI does not report which checkpoint is loaded, so `loadedModel` is the checkpoint (or
 * diffusion model) file named by the last running prompt we saw: a hint for affinity, no more.
 */
import type { ComfyClient, ComfyHttp, QueueItem } from '../comfy/index.ts';

export interface Load {
  queueDepth: number;
  currentPrompt: string | null;
  loadedModel: string | null;
  updatedAt: number | null;
}

const MODEL_INPUTS = ['ckpt_name', 'unet_name'];

export class LoadTracker {
  readonly #onChange: (load: Load) => void;
  #load: Load = { queueDepth: 0, currentPrompt: null, loadedModel: null, updatedAt: null };
  #unsubscribe: Array<() => void> = [];
  #http: ComfyHttp | null = null;
  #queueRead: Promise<void> | null = null;

  constructor(onChange: (load: Load) => void) {
    this.#onChange = onChange;
  }

  get current(): Load {
    return this.#load;
  }

  watch(client: ComfyClient): void {
    this.unwatch();
    this.#http = client.http;
    this.#unsubscribe.push(
      client.socket.on('status', ({ queueRemaining }) => {
        this.#set({ queueDepth: queueRemaining, ...(queueRemaining === 0 ? { currentPrompt: null } : {}) });
        if (queueRemaining > 0) void this.#readQueue().catch(() => undefined);
      }),
      client.socket.on('message', (message) => {
        if (message.type === 'execution_start') this.#set({ currentPrompt: message.data.prompt_id });
      }),
    );
  }

  unwatch(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#http = null;
  }

  /** GET /prompt, then GET /queue while something runs. Throws when the server does not answer. */
  async refresh(http: ComfyHttp | null): Promise<void> {
    if (http === null) return;
    const { queueRemaining } = await http.promptCounter();
    this.#set({ queueDepth: queueRemaining, ...(queueRemaining === 0 ? { currentPrompt: null } : {}) });
    if (queueRemaining > 0) await this.#readQueue(http);
  }

  /** Coalesced: many status frames in a burst cause one GET /queue. */
  #readQueue(http: ComfyHttp | null = this.#http): Promise<void> {
    if (http === null) return Promise.resolve();
    this.#queueRead ??= http.queue().then((queue) => {
      const running = queue.running[0];
      this.#set({
        queueDepth: queue.running.length + queue.pending.length,
        currentPrompt: running?.promptId ?? null,
        ...(running ? { loadedModel: modelOf(running) ?? this.#load.loadedModel } : {}),
      });
    }).finally(() => {
      this.#queueRead = null;
    });
    return this.#queueRead;
  }

  #set(patch: Partial<Load>): void {
    const next = { ...this.#load, ...patch };
    const changed = next.queueDepth !== this.#load.queueDepth || next.currentPrompt !== this.#load.currentPrompt ||
      next.loadedModel !== this.#load.loadedModel;
    this.#load = { ...next, updatedAt: Date.now() };
    if (changed) this.#onChange(this.#load);
  }
}

function modelOf(item: QueueItem): string | null {
  for (const node of Object.values(item.prompt)) {
    if (typeof node !== 'object' || node === null) continue;
    const inputs = (node as { inputs?: unknown }).inputs;
    if (typeof inputs !== 'object' || inputs === null) continue;
    for (const key of MODEL_INPUTS) {
      const value = (inputs as Record<string, unknown>)[key];
      if (typeof value === 'string') return value;
    }
  }
  return null;
}
