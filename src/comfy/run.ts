/**
 * `PromptRun`: the handle for one submitted prompt: its events (typed callbacks or an async
 * iterator) and `done`, its final result. Written to only by the `ComfyClient` that created it,
 * through the `RunControl` returned next to it.
 */
import { TypedEmitter } from './emitter.ts';
import type { FlatNodeError } from './errors.ts';
import type { ComfyLogger } from './logger.ts';
import type {
  ExecutedData,
  ExecutingData,
  ExecutionCachedData,
  ExecutionErrorData,
  ExecutionInterruptedData,
  ExecutionStartData,
  NodeOutput,
  ProgressData,
  ProgressStateData,
} from './messages.ts';
import type { PreviewFrame, TextFrame } from './preview.ts';

export type PromptStatus = 'success' | 'error' | 'interrupted';

export interface PromptResult {
  promptId: string;
  status: PromptStatus;
  /** Node id → UI output dict. From `/history` (the source of truth) unless `source` says otherwise. */
  outputs: Record<string, NodeOutput>;
  /** The `execution_error` data when status is `error`. */
  error?: ExecutionErrorData;
  /** The `execution_interrupted` data when status is `interrupted` and the server sent one. */
  interrupted?: ExecutionInterruptedData;
  /** History `status.messages`: `[event_name, data]` pairs with ms timestamps. */
  messages: Array<[string, unknown]>;
  /** `events`: history stayed empty, outputs were collected from `executed` messages instead. */
  source: 'history' | 'events' | 'none';
  /** How completion was learned: a websocket event, reconciliation, or deleting it from the queue. */
  completedBy: 'event' | 'reconcile' | 'dequeue';
}

/** The events of one prompt, in arrival order. */
export type PromptEvent =
  | { type: 'execution_start'; data: ExecutionStartData }
  | { type: 'execution_cached'; data: ExecutionCachedData }
  | { type: 'executing'; data: ExecutingData & { node: string } }
  | { type: 'progress'; data: ProgressData }
  | { type: 'progress_state'; data: ProgressStateData }
  | { type: 'executed'; data: ExecutedData }
  /** `execution_error` with `ExecutionBlocked`: informational, execution goes on (§4.3). */
  | { type: 'execution_blocked'; data: ExecutionErrorData }
  | { type: 'preview'; frame: PreviewFrame }
  | { type: 'text'; frame: TextFrame }
  | { type: 'done'; result: PromptResult }
  | { type: 'failed'; error: Error };

export type PromptEventMap = { [E in PromptEvent as E['type']]: E };

/** What the owning client uses to feed a run. */
export interface RunControl {
  push(event: PromptEvent): void;
  resolve(result: PromptResult): void;
  reject(error: Error): void;
  setAccepted(number: number, nodeErrors: FlatNodeError[]): void;
  readonly settled: boolean;
}

/** Events kept for iterators that attach after the run started (e.g. after `submit` returns). */
const MAX_BUFFERED_EVENTS = 1_000;

export class PromptRun implements AsyncIterable<PromptEvent> {
  readonly promptId: string;
  readonly done: Promise<PromptResult>;
  #number: number | null = null;
  #nodeErrors: FlatNodeError[] = [];
  #settled = false;
  readonly #emitter: TypedEmitter<PromptEventMap>;
  readonly #logger: ComfyLogger;
  readonly #buffer: PromptEvent[] = [];
  readonly #subscribers = new Set<(event: PromptEvent) => void>();

  private constructor(promptId: string, logger: ComfyLogger, done: Promise<PromptResult>) {
    this.promptId = promptId;
    this.#emitter = new TypedEmitter(logger);
    this.#logger = logger;
    this.done = done;
    // A lost prompt nobody awaits must not crash the process as an unhandled rejection.
    done.catch(() => {});
  }

  static create(promptId: string, logger: ComfyLogger): { run: PromptRun; control: RunControl } {
    let resolveDone!: (result: PromptResult) => void;
    let rejectDone!: (error: Error) => void;
    const done = new Promise<PromptResult>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const run = new PromptRun(promptId, logger, done);
    const control: RunControl = {
      push: (event) => run.#deliver(event),
      resolve: (result) => {
        if (run.#settled) return;
        run.#settled = true;
        run.#deliver({ type: 'done', result });
        resolveDone(result);
      },
      reject: (error) => {
        if (run.#settled) return;
        run.#settled = true;
        run.#deliver({ type: 'failed', error });
        rejectDone(error);
      },
      setAccepted: (number, nodeErrors) => {
        run.#number = number;
        run.#nodeErrors = nodeErrors;
      },
      get settled() {
        return run.#settled;
      },
    };
    return { run, control };
  }

  /** Queue priority assigned by the server (null until the POST was answered). */
  get number(): number | null {
    return this.#number;
  }

  /** Outputs dropped at validation (a 200 with `node_errors`, §3.3.1). */
  get nodeErrors(): FlatNodeError[] {
    return this.#nodeErrors;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Live events from now on. To miss nothing, pass `onEvent` to `submit` or iterate. */
  on<K extends keyof PromptEventMap>(type: K, listener: (event: PromptEventMap[K]) => void): () => void {
    return this.#emitter.on(type, listener);
  }

  /** Every event from now on, whatever its type. Returns the unsubscribe function. */
  onEvent(listener: (event: PromptEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /**
   * Every event since the run was created (the last 1000 if more), then live ones, ending after
   * `done` or `failed`.
   */
  events(): AsyncIterableIterator<PromptEvent> {
    const queue: PromptEvent[] = [...this.#buffer];
    let wake: (() => void) | null = null;
    let finished = false;
    const listener = (event: PromptEvent): void => {
      queue.push(event);
      wake?.();
    };
    if (!this.#settled) this.#subscribers.add(listener);
    const detach = (): void => {
      this.#subscribers.delete(listener);
    };
    const iterator: AsyncIterableIterator<PromptEvent> = {
      next: async () => {
        while (!finished) {
          const event = queue.shift();
          if (event !== undefined) {
            if (event.type === 'done' || event.type === 'failed') {
              finished = true;
              detach();
            }
            return { value: event, done: false };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
        return { value: undefined, done: true };
      },
      return: async () => {
        finished = true;
        detach();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncIterator<PromptEvent> {
    return this.events();
  }

  #deliver(event: PromptEvent): void {
    if (this.#settled && event.type !== 'done' && event.type !== 'failed') return;
    this.#buffer.push(event);
    if (this.#buffer.length > MAX_BUFFERED_EVENTS) this.#buffer.shift();
    for (const subscriber of [...this.#subscribers]) {
      try {
        subscriber(event);
      } catch (err) {
        this.#logger.error({ err, promptId: this.promptId }, 'comfy: prompt event listener threw');
      }
    }
    // TypedEmitter is keyed by the event's own `type`; the cast pairs each event with its key.
    this.#emitter.emit(event.type, event as never);
  }
}
