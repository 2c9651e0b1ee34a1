/**
 * Per-prompt node progress (comfy_execution/progress.py): `progress_state` lists every node that
 * is not pending, each with value/max/state. Starting a node sets 0.0/1.0 (floats); a node
 * finished without starting (a cached output) shows the integer defaults 1/1, as captured.
 */
import { pyFloat } from './pyjson.ts';

interface Entry {
  value: unknown;
  max: unknown;
  state: 'pending' | 'running' | 'finished';
}

export class ProgressState {
  readonly #promptId: string;
  readonly #nodes = new Map<string, Entry>();
  readonly #emit: (data: unknown) => void;

  constructor(promptId: string, emit: (data: unknown) => void) {
    this.#promptId = promptId;
    this.#emit = emit;
  }

  #entry(id: string): Entry {
    let e = this.#nodes.get(id);
    if (!e) {
      e = { value: 0, max: 1, state: 'pending' };
      this.#nodes.set(id, e);
    }
    return e;
  }

  start(id: string): void {
    Object.assign(this.#entry(id), { value: pyFloat(0), max: pyFloat(1), state: 'running' });
    this.#emit(this.message());
  }

  update(id: string, value: number, max: number): void {
    Object.assign(this.#entry(id), { value, max, state: 'running' });
    this.#emit(this.message());
  }

  finish(id: string): void {
    const e = this.#entry(id);
    e.state = 'finished';
    e.value = e.max;
    this.#emit(this.message());
  }

  message(): Record<string, unknown> {
    const nodes = new Map<string, unknown>();
    for (const [id, e] of this.#nodes) {
      if (e.state === 'pending') continue;
      nodes.set(id, { value: e.value, max: e.max, state: e.state, node_id: id, prompt_id: this.#promptId,
        display_node_id: id, parent_node_id: null, real_node_id: id });
    }
    return { prompt_id: this.#promptId, nodes };
  }
}
