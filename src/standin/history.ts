/** Finished prompts, oldest first, capped like ComfyUI's MAXIMUM_HISTORY_SIZE. */
import { Http500 } from './pyerrors.ts';

export const MAXIMUM_HISTORY_SIZE = 10000;

export interface HistoryEntry {
  prompt: unknown[];
  outputs: Map<string, unknown>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
  meta: Map<string, unknown>;
}

/** Python int() of a query value, or Http500 (ComfyUI does not catch the ValueError). */
export function queryInt(text: string): number {
  const t = text.trim();
  if (!/^[-+]?\d+(_\d+)*$/.test(t)) throw new Http500(`invalid literal for int(): ${text}`);
  return Number(t.replace(/_/g, ''));
}

export class History {
  readonly #entries = new Map<string, HistoryEntry>();

  add(promptId: string, entry: HistoryEntry): void {
    if (this.#entries.size > MAXIMUM_HISTORY_SIZE) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    // Python dict assignment keeps an existing key's position.
    this.#entries.set(promptId, entry);
  }

  get(promptId: string): HistoryEntry | undefined {
    return this.#entries.get(promptId);
  }

  delete(promptId: string): void {
    this.#entries.delete(promptId);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  entries(): IterableIterator<[string, HistoryEntry]> {
    return this.#entries.entries();
  }

  /** get_history(max_items, offset), including its quirks (max_items=0 returns one entry). */
  page(maxItems: number | undefined, offsetIn: number | undefined): Map<string, HistoryEntry> {
    let offset = offsetIn ?? -1;
    if (offset < 0 && maxItems !== undefined) offset = this.#entries.size - maxItems;
    const out = new Map<string, HistoryEntry>();
    let i = 0;
    for (const [k, v] of this.#entries) {
      if (i >= offset) {
        out.set(k, v);
        if (maxItems !== undefined && out.size >= maxItems) break;
      }
      i++;
    }
    return out;
  }
}
