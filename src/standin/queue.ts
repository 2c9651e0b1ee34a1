/**
 * The prompt queue: a binary min-heap on (number, prompt_id) kept exactly like Python's heapq
 * (GET /queue shows the raw heap array), the running items, and the history of finished ones.
 * Every change calls `onChange`, which broadcasts `status`.
 */
import { pyLess } from './pyjson.ts';
import type { Prompt } from './validate.ts';

export interface QueueItem {
  number: unknown;
  promptId: string;
  prompt: Prompt;
  extraData: Record<string, unknown>;
  outputs: string[];
  /** Secrets moved out of extra_data; never shown. */
  sensitive: Record<string, unknown>;
}

const less = (a: QueueItem, b: QueueItem): boolean => {
  if (pyLess(a.number, b.number)) return true;
  if (pyLess(b.number, a.number)) return false;
  return a.promptId < b.promptId;
};

function siftDown(heap: QueueItem[], start: number, pos: number): void {
  const item = heap[pos] as QueueItem;
  while (pos > start) {
    const parentPos = (pos - 1) >> 1;
    const parent = heap[parentPos] as QueueItem;
    if (!less(item, parent)) break;
    heap[pos] = parent;
    pos = parentPos;
  }
  heap[pos] = item;
}

function siftUp(heap: QueueItem[], pos: number): void {
  const end = heap.length;
  const start = pos;
  const item = heap[pos] as QueueItem;
  let child = 2 * pos + 1;
  while (child < end) {
    const right = child + 1;
    if (right < end && !less(heap[child] as QueueItem, heap[right] as QueueItem)) child = right;
    heap[pos] = heap[child] as QueueItem;
    pos = child;
    child = 2 * pos + 1;
  }
  heap[pos] = item;
  siftDown(heap, start, pos);
}

export class PromptQueue {
  readonly heap: QueueItem[] = [];
  readonly running = new Map<number, QueueItem>();
  #nextTaskId = 0;
  #waiters: (() => void)[] = [];
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  put(item: QueueItem): void {
    this.heap.push(item);
    siftDown(this.heap, 0, this.heap.length - 1);
    this.#onChange();
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Pop the next item into `running`; undefined when empty. */
  take(): { taskId: number; item: QueueItem } | undefined {
    if (this.heap.length === 0) return undefined;
    const last = this.heap.pop() as QueueItem;
    let item = last;
    if (this.heap.length > 0) {
      item = this.heap[0] as QueueItem;
      this.heap[0] = last;
      siftUp(this.heap, 0);
    }
    const taskId = this.#nextTaskId++;
    this.running.set(taskId, item);
    this.#onChange();
    return { taskId, item };
  }

  /** Resolves when something is put (or `wake` is called). */
  waitForWork(): Promise<void> {
    return new Promise((res) => this.#waiters.push(res));
  }

  wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  finish(taskId: number): QueueItem | undefined {
    const item = this.running.get(taskId);
    this.running.delete(taskId);
    return item;
  }

  remaining(): number {
    return this.heap.length + this.running.size;
  }

  /** Remove the first pending item matching; heapify like Python. */
  deleteFirst(match: (item: QueueItem) => boolean): boolean {
    const idx = this.heap.findIndex(match);
    if (idx < 0) return false;
    if (this.heap.length === 1) this.heap.length = 0;
    else {
      this.heap.splice(idx, 1);
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) siftUp(this.heap, i);
    }
    this.#onChange();
    return true;
  }

  wipe(): void {
    this.heap.length = 0;
    this.#onChange();
  }

  isRunning(promptId: string): boolean {
    return [...this.running.values()].some((i) => i.promptId === promptId);
  }
}

/** The 5-element array of /queue and history. */
export const itemArray = (i: QueueItem): unknown[] => [i.number, i.promptId, i.prompt, i.extraData, i.outputs];
