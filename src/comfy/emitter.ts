import type { ComfyLogger } from './logger.ts';

type Listener<T> = (payload: T) => void;

/**
 * A small typed event emitter keyed by an event map (`{ name: payload }`).
 * A listener that throws is logged and skipped, so one bad subscriber cannot break the
 * socket loop or stop the other listeners (the `safeEmit` rule of STYLE.md).
 */
export class TypedEmitter<M extends object> {
  readonly #listeners = new Map<keyof M, Set<Listener<never>>>();
  readonly #logger: ComfyLogger;

  constructor(logger: ComfyLogger) {
    this.#logger = logger;
  }

  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  once<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  emit<K extends keyof M>(event: K, payload: M[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[K]>)(payload);
      } catch (err) {
        this.#logger.error({ err, event: String(event) }, 'comfy: event listener threw');
      }
    }
  }

  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
