/**
 * Node output caching (§8.2). A node's signature is its class, its IS_CHANGED value, its
 * literal inputs and the signatures of the nodes it links to, so identical sub-graphs are
 * found again across prompts whatever their ids.
 *  - ram (default): keep results, evicting the oldest beyond a byte budget (ComfyUI evicts on
 *    RAM pressure; a fixed budget is the stand-in's approximation);
 *  - classic: keep only the nodes of the most recent prompt;
 *  - lru N: keep the N most recently used results;
 *  - none: keep nothing.
 */
import { createHash } from 'node:crypto';
import type { CacheMode } from './options.ts';
import { entriesOf, keysOf, pyDumps } from './pyjson.ts';
import type { Prompt } from './validate.ts';

export interface CacheEntry {
  outputs: unknown[];
  /** `{output, meta}` when the node produced UI output. */
  ui: { output: unknown; meta: unknown } | undefined;
}

const RAM_BUDGET_BYTES = 512 * 1024 * 1024;

function sizeOf(value: unknown, depth = 0): number {
  if (value instanceof Uint8Array || value instanceof Float32Array) return value.byteLength;
  if (depth > 4 || value === null || typeof value !== 'object') return 16;
  let n = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) n += sizeOf(v, depth + 1);
  return n;
}

export class OutputCache {
  readonly #mode: CacheMode;
  readonly #entries = new Map<string, { entry: CacheEntry; bytes: number }>();

  constructor(mode: CacheMode) {
    this.#mode = mode;
  }

  /** Signatures of every node of the prompt. `isChanged` gives a node's IS_CHANGED value. */
  signatures(prompt: Prompt, isChanged: (id: string) => unknown): Map<string, string> {
    const sigs = new Map<string, string>();
    const visit = (id: string, visiting: Set<string>): string => {
      const known = sigs.get(id);
      if (known) return known;
      const node = prompt[id];
      if (!node || visiting.has(id)) return `missing:${id}`;
      visiting.add(id);
      const inputs = entriesOf(node.inputs ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' ? [k, ['LINK', visit(v[0], visiting), v[1]]] : [k, v]));
      visiting.delete(id);
      const sig = createHash('sha256').update(pyDumps([node.class_type, isChanged(id), inputs])).digest('hex');
      sigs.set(id, sig);
      return sig;
    };
    for (const id of keysOf(prompt)) visit(id, new Set());
    return sigs;
  }

  get(sig: string | undefined): CacheEntry | undefined {
    if (sig === undefined) return undefined;
    const hit = this.#entries.get(sig);
    if (!hit) return undefined;
    // Refresh recency for LRU and RAM eviction.
    this.#entries.delete(sig);
    this.#entries.set(sig, hit);
    return hit.entry;
  }

  set(sig: string, entry: CacheEntry): void {
    if (this.#mode.kind === 'none') return;
    this.#entries.delete(sig);
    this.#entries.set(sig, { entry, bytes: sizeOf(entry.outputs) });
    this.#evict();
  }

  #evict(): void {
    if (this.#mode.kind === 'lru') {
      while (this.#entries.size > this.#mode.size) this.#dropOldest();
    } else if (this.#mode.kind === 'ram') {
      let total = 0;
      for (const e of this.#entries.values()) total += e.bytes;
      while (total > RAM_BUDGET_BYTES && this.#entries.size > 1) total -= this.#dropOldest();
    }
  }

  #dropOldest(): number {
    const first = this.#entries.entries().next();
    if (first.done) return 0;
    this.#entries.delete(first.value[0]);
    return first.value[1].bytes;
  }

  /** Classic mode keeps only what the prompt just run used. */
  afterPrompt(current: Iterable<string>): void {
    if (this.#mode.kind !== 'classic') return;
    const keep = new Set(current);
    for (const sig of [...this.#entries.keys()]) if (!keep.has(sig)) this.#entries.delete(sig);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
