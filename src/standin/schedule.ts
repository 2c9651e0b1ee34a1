/**
 * The order nodes run in, after ComfyUI's TopologicalSort/ExecutionList: nodes are added by a
 * stack walk from each output (cached upstream nodes are not added), and among the ready nodes
 * the "UX friendly" pick prefers outputs, then nodes one or two links away from an output, then
 * the first ready node in insertion order.
 */
import { entriesOf } from './pyjson.ts';
import type { Prompt } from './validate.ts';

export class ExecutionList {
  readonly #prompt: Prompt;
  readonly #isCached: (id: string) => boolean;
  readonly #isOutput: (id: string) => boolean;
  readonly #pending = new Map<string, true>();
  readonly #blockCount = new Map<string, number>();
  readonly #blocking = new Map<string, Map<string, Set<unknown>>>();

  constructor(prompt: Prompt, isCached: (id: string) => boolean, isOutput: (id: string) => boolean) {
    this.#prompt = prompt;
    this.#isCached = isCached;
    this.#isOutput = isOutput;
  }

  addNode(start: string): void {
    const stack = [start];
    const links: [string, unknown, string][] = [];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (this.#pending.has(id)) continue;
      this.#pending.set(id, true);
      this.#blockCount.set(id, 0);
      this.#blocking.set(id, new Map());
      for (const [, value] of entriesOf(this.#prompt[id]?.inputs ?? {})) {
        if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string') continue;
        const from = value[0];
        if (!Object.hasOwn(this.#prompt, from)) continue;
        if (!this.#isCached(from)) stack.push(from);
        links.push([from, value[1], id]);
      }
    }
    for (const [from, socket, to] of links) this.#strongLink(from, socket, to);
  }

  #strongLink(from: string, socket: unknown, to: string): void {
    if (this.#isCached(from)) return;
    this.addNode(from);
    const blocked = this.#blocking.get(from) as Map<string, Set<unknown>>;
    if (!blocked.has(to)) {
      blocked.set(to, new Set());
      this.#blockCount.set(to, (this.#blockCount.get(to) ?? 0) + 1);
    }
    blocked.get(to)?.add(socket);
  }

  isEmpty(): boolean {
    return this.#pending.size === 0;
  }

  /** Next node to run; undefined only if what is left forms a cycle. */
  stage(): string | undefined {
    const ready = [...this.#pending.keys()].filter((id) => this.#blockCount.get(id) === 0);
    if (ready.length === 0) return undefined;
    const blocks = (id: string): string[] => [...(this.#blocking.get(id)?.keys() ?? [])];
    const direct = ready.find((id) => this.#isOutput(id));
    if (direct !== undefined) return direct;
    const oneAway = ready.find((id) => blocks(id).some((b) => this.#isOutput(b)));
    if (oneAway !== undefined) return oneAway;
    const twoAway = ready.find((id) => blocks(id).some((b) => blocks(b).some((c) => this.#isOutput(c))));
    return twoAway ?? ready[0];
  }

  complete(id: string): void {
    this.#pending.delete(id);
    for (const to of this.#blocking.get(id)?.keys() ?? []) this.#blockCount.set(to, (this.#blockCount.get(to) ?? 1) - 1);
    this.#blocking.delete(id);
  }
}
