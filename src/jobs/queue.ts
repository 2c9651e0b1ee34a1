// The in-memory wait list of queued jobs, ordered by priority (high first) then arrival (seq).
// The database is the truth; this is an index rebuilt from it at start-up, kept small per entry
// so 100k queued jobs stay cheap.
import type { Requirements } from './ports.ts';

export interface Waiting {
  id: string;
  priority: number;
  seq: number;
  template: string | null;
  requirements: Requirements;
  /** Backends that already failed this job: tried last. Created on the first failure (most jobs never fail). */
  avoid?: Set<string>;
  /** Times a later job was dispatched ahead of this one (affinity); bounded to prevent starvation. */
  skips: number;
}

const before = (a: Waiting, b: Waiting): boolean => a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);

export class WaitQueue {
  readonly #items: Waiting[] = [];
  readonly #ids = new Set<string>();

  get size(): number {
    return this.#items.length;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(w: Waiting): void {
    if (this.#ids.has(w.id)) return;
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.#items[mid] as Waiting, w)) lo = mid + 1;
      else hi = mid;
    }
    this.#items.splice(lo, 0, w);
    this.#ids.add(w.id);
  }

  remove(id: string): Waiting | undefined {
    if (!this.#ids.has(id)) return undefined;
    const i = this.#items.findIndex((w) => w.id === id);
    const [w] = this.#items.splice(i, 1);
    this.#ids.delete(id);
    return w;
  }

  /** The first `n` entries in run order. */
  head(n: number): Waiting[] {
    return this.#items.slice(0, n);
  }

  position(id: string): number | null {
    if (!this.#ids.has(id)) return null;
    return this.#items.findIndex((w) => w.id === id);
  }
}
