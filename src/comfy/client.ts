/**
 * `ComfyClient`: HTTP + websocket for one ComfyUI backend, and the owner of that backend's
 * in-flight prompt ids (no module-level state: one client per backend, made by the pool).
 *
 * A prompt's life here:
 *   submit()   mint a canonical uuid, register the run (events may beat the POST reply, §9.1),
 *              POST /prompt with our clientId; a 400 rejects with ComfyPromptError
 *   running    socket events for that prompt_id feed the run
 *   finishing  first of execution_success / execution_error / execution_interrupted /
 *              executing{node:null}; then /history/{id} (retried briefly: it can be written
 *              just after execution_success) gives the outputs
 *   settled    `done` resolves with a PromptResult, or rejects with ComfyPromptLostError /
 *              ComfyClientClosedError
 *
 * WS events are hints (there is no replay, §4.4), so `reconcile()` asks /history then /queue on
 * every socket open, on silence, optionally on a cadence, and on demand.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  ComfyClientOptionsSchema,
  type ComfyClientEvents,
  type ComfyClientOptions,
  type FollowOptions,
  type InterruptOutcome,
  type ReconcileReport,
  type SocketPort,
  type SubmitOptions,
} from './client-options.ts';
import { TypedEmitter } from './emitter.ts';
import {
  ComfyClientClosedError,
  ComfyHttpError,
  ComfyPromptError,
  ComfyPromptLostError,
  ComfyUnreachableError,
} from './errors.ts';
import { ComfyHttp, type CallOptions } from './http.ts';
import { silentLogger, type ComfyLogger } from './logger.ts';
import { isExecutionBlocked, type NodeOutput, type WsMessage } from './messages.ts';
import type { PreviewFrame, TextFrame } from './preview.ts';
import type { HistoryEntry } from './replies.ts';
import { locatePrompts } from './reconcile.ts';
import { buildResult, type Terminal } from './result.ts';
import { PromptRun, type PromptEvent, type RunControl } from './run.ts';
import { ComfySocket, type OpenInfo } from './socket.ts';

export { ComfyClientOptionsSchema } from './client-options.ts';
export type { ComfyClientEvents, ComfyClientOptions, FollowOptions, InterruptOutcome, ReconcileReport, SocketPort, SubmitOptions } from './client-options.ts';

interface Tracked {
  run: PromptRun;
  control: RunControl;
  /** POST /prompt answered 200: only then can reconciliation call it lost. */
  accepted: boolean;
  finishing: boolean;
  terminal: Terminal | null;
  eventOutputs: Record<string, NodeOutput>;
}

export class ComfyClient {
  readonly clientId: string;
  readonly http: ComfyHttp;
  readonly socket: SocketPort;
  readonly #options: z.output<typeof ComfyClientOptionsSchema>;
  readonly #logger: ComfyLogger;
  readonly #emitter: TypedEmitter<ComfyClientEvents>;
  readonly #tracked = new Map<string, Tracked>();
  /** The prompt of ours executing now: owner of legacy type-1 previews and type-3 text. */
  #runningPromptId: string | null = null;
  #lastActivityAt = Date.now();
  #reconciling: Promise<unknown> = Promise.resolve();
  #timers: NodeJS.Timeout[] = [];
  #unsubscribe: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  constructor(options: ComfyClientOptions) {
    this.#options = ComfyClientOptionsSchema.parse(options);
    this.#logger = options.logger ?? silentLogger();
    this.#emitter = new TypedEmitter(this.#logger);
    const { baseUrl, apiPrefix } = this.#options;
    this.clientId = options.socket?.clientId ?? this.#options.clientId ?? randomUUID();
    this.http = options.http ?? new ComfyHttp({ baseUrl, apiPrefix, timeoutMs: this.#options.httpTimeoutMs, fetch: options.fetch });
    this.socket = options.socket ??
      new ComfySocket({ ...options.socketOptions, baseUrl, apiPrefix, clientId: this.clientId, logger: this.#logger });
    this.#unsubscribe.push(
      this.socket.on('message', (message) => this.#onMessage(message)),
      this.socket.on('preview', (frame) => this.#onPreview(frame)),
      this.socket.on('text', (frame) => this.#onText(frame)),
      this.socket.on('open', (info) => this.#onOpen(info)),
      this.socket.on('gave_up', ({ attempts }) => this.#onGaveUp(attempts)),
    );
  }

  on<K extends keyof ComfyClientEvents>(event: K, listener: (payload: ComfyClientEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Connects the socket and waits for it to be open; starts the watchdog timers. */
  async start(): Promise<OpenInfo> {
    this.#assertOpen();
    if (this.#timers.length === 0) this.#startTimers();
    this.socket.start();
    return this.socket.opened();
  }

  /** Prompt ids submitted and not yet settled. */
  inFlight(): string[] {
    return [...this.#tracked.keys()];
  }

  async submit(prompt: Record<string, unknown>, options: SubmitOptions = {}): Promise<PromptRun> {
    this.#assertOpen();
    const promptId = options.promptId ?? randomUUID();
    if (!CANONICAL_UUID.test(promptId)) throw new TypeError(`promptId must be a canonical lowercase uuid, got ${JSON.stringify(promptId)}`);
    if (this.#tracked.has(promptId)) throw new Error(`prompt ${promptId} is already in flight on this client`);
    const tracked = this.#track(promptId, options.onEvent); // before the POST: events may arrive first
    const { run, control } = tracked;
    try {
      const reply = await this.http.postPrompt(
        {
          prompt, clientId: this.clientId, promptId, extraData: options.extraData, number: options.number,
          front: options.front, partialExecutionTargets: options.partialExecutionTargets,
        },
        { signal: options.signal, timeoutMs: options.timeoutMs },
      );
      if (reply.promptId !== promptId) {
        this.#logger.error({ promptId, serverPromptId: reply.promptId }, 'comfy: server ignored our prompt_id (ComfyUI < 0.3.45?)');
      }
      tracked.accepted = true;
      control.setAccepted(reply.number, reply.nodeErrors);
      this.#logger.debug({ promptId, number: reply.number }, 'comfy: prompt queued');
      return run;
    } catch (err) {
      this.#tracked.delete(promptId);
      control.reject(err instanceof Error ? err : new Error(String(err)));
      if (!(err instanceof ComfyPromptError || err instanceof ComfyHttpError)) this.#cancelGhost(promptId);
      throw err;
    }
  }

  /**
   * No answer to the POST (timeout, reset, abort): the server may have queued it anyway. We own
   * the id, so withdraw it on a best-effort basis instead of leaving unowned work on the GPU.
   */
  #cancelGhost(promptId: string): void {
    const call = { timeoutMs: 5_000 };
    Promise.all([this.http.deleteFromQueue([promptId], call), this.http.interrupt(promptId, call)])
      .catch((err: unknown) => this.#logger.debug({ err, promptId }, 'comfy: could not withdraw an unanswered prompt'));
  }

  /**
   * Attaches to a prompt submitted earlier (by this client or a previous incarnation of the
   * service): settled at once if it is in /history, followed if it is queued or running, null if
   * the server knows nothing of it. Events only arrive if it was submitted with this clientId;
   * otherwise completion comes from reconciliation (silence, cadence, `reconcile()`).
   */
  async follow(promptId: string, options: FollowOptions = {}): Promise<PromptRun | null> {
    this.#assertOpen();
    const existing = this.#tracked.get(promptId);
    if (existing !== undefined) {
      if (options.onEvent) existing.run.onEvent(options.onEvent);
      return existing.run;
    }
    const tracked = this.#track(promptId, options.onEvent);
    const { run, control } = tracked;
    try {
      const where = await locatePrompts(this.http, [promptId], options);
      const entry = where.finished.get(promptId);
      if (entry !== undefined && !tracked.finishing) {
        this.#settle(tracked, buildResult({ promptId, terminal: tracked.terminal, entry, eventOutputs: tracked.eventOutputs, completedBy: 'reconcile' }));
      } else if (where.lost.length > 0 && !tracked.finishing) {
        this.#forget(tracked);
        control.reject(new ComfyPromptLostError(promptId));
        return null;
      }
      tracked.accepted = true;
      return run;
    } catch (err) {
      this.#forget(tracked);
      control.reject(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /** Interrupts our prompt if it runs, removes it from the queue if it waits. */
  async interrupt(promptId: string, call?: CallOptions): Promise<InterruptOutcome> {
    const queue = await this.http.queue(call);
    if (queue.running.some((item) => item.promptId === promptId)) {
      await this.http.interrupt(promptId, call);
      return 'interrupted';
    }
    if (!queue.pending.some((item) => item.promptId === promptId)) return 'not_found';
    await this.http.deleteFromQueue([promptId], call);
    // It may have started between our two calls; then the delete did nothing.
    const after = await this.http.queue(call);
    if (after.running.some((item) => item.promptId === promptId)) {
      await this.http.interrupt(promptId, call);
      return 'interrupted';
    }
    const tracked = this.#tracked.get(promptId);
    if (tracked !== undefined && !tracked.finishing) {
      this.#settle(tracked, buildResult({ promptId, terminal: { status: 'interrupted' }, entry: null, eventOutputs: {}, completedBy: 'dequeue' }));
    }
    return 'dequeued';
  }

  /** Checks every accepted in-flight prompt against /history then /queue (serialised). */
  reconcile(reason = 'on demand'): Promise<ReconcileReport> {
    const next = this.#reconciling.then(() => this.#reconcileOnce(reason));
    this.#reconciling = next.catch(() => {});
    return next;
  }

  /** Stops timers, closes the socket, rejects what is still in flight. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    await this.socket.close();
    for (const tracked of [...this.#tracked.values()]) {
      this.#tracked.delete(tracked.run.promptId);
      tracked.control.reject(new ComfyClientClosedError(`ComfyUI client closed while prompt ${tracked.run.promptId} was in flight`));
    }
  }

  #track(promptId: string, onEvent: ((event: PromptEvent) => void) | undefined): Tracked {
    const { run, control } = PromptRun.create(promptId, this.#logger);
    if (onEvent) run.onEvent(onEvent);
    const tracked: Tracked = { run, control, accepted: false, finishing: false, terminal: null, eventOutputs: {} };
    this.#tracked.set(promptId, tracked);
    this.#lastActivityAt = Date.now();
    return tracked;
  }

  #onMessage(message: WsMessage): void {
    switch (message.type) {
      case 'status':
      case 'feature_flags':
      case 'logs':
        return;
      case 'execution_start':
        if (this.#tracked.has(message.data.prompt_id)) this.#runningPromptId = message.data.prompt_id;
        return this.#push(message.data.prompt_id, { type: 'execution_start', data: message.data });
      case 'execution_cached':
        return this.#push(message.data.prompt_id, { type: 'execution_cached', data: message.data });
      case 'executing': {
        const { prompt_id: promptId, node } = message.data;
        if (!promptId) return; // the reconnect hint (§4.1): no prompt to attribute it to
        if (node === null) return this.#finish(promptId, null);
        if (this.#tracked.has(promptId)) this.#runningPromptId = promptId; // execution_start may have been missed
        return this.#push(promptId, { type: 'executing', data: { ...message.data, node } });
      }
      case 'progress':
        return this.#push(message.data.prompt_id ?? this.#runningPromptId, { type: 'progress', data: message.data });
      case 'progress_state':
        return this.#push(message.data.prompt_id, { type: 'progress_state', data: message.data });
      case 'executed': {
        const tracked = this.#tracked.get(message.data.prompt_id);
        if (tracked !== undefined && message.data.output) tracked.eventOutputs[message.data.node] = message.data.output;
        return this.#push(message.data.prompt_id, { type: 'executed', data: message.data });
      }
      case 'execution_success':
        return this.#finish(message.data.prompt_id, { status: 'success' });
      case 'execution_error':
        if (isExecutionBlocked(message.data)) {
          return this.#push(message.data.prompt_id, { type: 'execution_blocked', data: message.data });
        }
        return this.#finish(message.data.prompt_id, { status: 'error', error: message.data });
      case 'execution_interrupted':
        return this.#finish(message.data.prompt_id, { status: 'interrupted', interrupted: message.data });
      default: {
        const unhandled: never = message;
        this.#logger.warn({ message: unhandled }, 'comfy: unhandled message type');
      }
    }
  }

  #onPreview(frame: PreviewFrame): void {
    // Type 4 names its prompt; legacy type 1 belongs to whatever of ours is running.
    const promptId = frame.metadata?.prompt_id ?? this.#runningPromptId;
    this.#push(promptId, { type: 'preview', frame });
  }

  #onText(frame: TextFrame): void {
    this.#push(this.#runningPromptId, { type: 'text', frame });
  }

  #onOpen(info: OpenInfo): void {
    if (this.#tracked.size === 0) return;
    const reason = info.reconnect ? 'socket reconnected' : 'socket opened';
    this.reconcile(reason).catch((err: unknown) => this.#logger.warn({ err, reason }, 'comfy: reconcile failed'));
  }

  /** The socket stopped retrying: nothing will tell us about in-flight prompts any more. */
  #onGaveUp(attempts: number): void {
    for (const tracked of [...this.#tracked.values()]) {
      const error = new ComfyUnreachableError({ reason: 'network', url: this.http.baseUrl });
      error.message = `${error.message}: websocket gave up after ${attempts} attempts`;
      this.#fail(tracked, error);
    }
  }

  #push(promptId: string | null | undefined, event: PromptEvent): void {
    this.#lastActivityAt = Date.now();
    if (!promptId) return;
    const tracked = this.#tracked.get(promptId);
    if (tracked !== undefined && !tracked.finishing) tracked.control.push(event);
  }

  #finish(promptId: string, terminal: Terminal | null): void {
    if (this.#runningPromptId === promptId) this.#runningPromptId = null;
    const tracked = this.#tracked.get(promptId);
    if (tracked === undefined || tracked.finishing) return;
    tracked.finishing = true;
    tracked.terminal = terminal;
    void this.#completeFromHistory(tracked);
  }

  async #completeFromHistory(tracked: Tracked): Promise<void> {
    const promptId = tracked.run.promptId;
    const { attempts, delayMs } = this.#options.historyRetry;
    let entry: HistoryEntry | null = null;
    for (let attempt = 0; attempt < attempts && entry === null && this.#closing === undefined; attempt++) {
      if (attempt > 0) await delay(delayMs);
      try {
        entry = await this.http.history(promptId);
      } catch (err) {
        this.#logger.warn({ err, promptId }, 'comfy: history fetch failed');
      }
    }
    if (this.#closing !== undefined) return;
    if (entry === null && tracked.terminal === null) {
      this.#fail(tracked, new ComfyPromptLostError(promptId, 'ended but left no /history entry'));
      return;
    }
    if (entry === null) this.#logger.warn({ promptId }, 'comfy: no history entry; outputs taken from events');
    this.#settle(tracked, buildResult({ promptId, terminal: tracked.terminal, entry, eventOutputs: tracked.eventOutputs, completedBy: 'event' }));
  }

  async #reconcileOnce(reason: string): Promise<ReconcileReport> {
    const ids = [...this.#tracked.values()].filter((t) => t.accepted && !t.finishing).map((t) => t.run.promptId);
    const report: ReconcileReport = { finished: [], stillRunning: [], lost: [] };
    if (ids.length === 0) return report;
    const where = await locatePrompts(this.http, ids);
    report.stillRunning = where.stillRunning;
    for (const [id, entry] of where.finished) {
      const tracked = this.#tracked.get(id);
      if (tracked === undefined || tracked.finishing) continue; // an event finished it meanwhile
      report.finished.push(id);
      this.#settle(tracked, buildResult({ promptId: id, terminal: tracked.terminal, entry, eventOutputs: tracked.eventOutputs, completedBy: 'reconcile' }));
    }
    for (const id of where.lost) {
      const tracked = this.#tracked.get(id);
      if (tracked === undefined || tracked.finishing) continue;
      report.lost.push(id);
      this.#fail(tracked, new ComfyPromptLostError(id));
    }
    this.#logger.info({ reason, ...report }, 'comfy: reconciled in-flight prompts');
    this.#emitter.emit('reconciled', { reason, ...report });
    return report;
  }

  #settle(tracked: Tracked, result: ReturnType<typeof buildResult>): void {
    this.#forget(tracked);
    tracked.control.resolve(result);
  }

  #fail(tracked: Tracked, error: Error): void {
    this.#forget(tracked);
    this.#logger.warn({ promptId: tracked.run.promptId, err: error }, 'comfy: prompt failed');
    tracked.control.reject(error);
  }

  #forget(tracked: Tracked): void {
    tracked.finishing = true;
    this.#tracked.delete(tracked.run.promptId);
    if (this.#runningPromptId === tracked.run.promptId) this.#runningPromptId = null;
  }

  #startTimers(): void {
    const { silenceMs, reconcileEveryMs } = this.#options;
    this.#timers.push(setInterval(() => this.#checkSilence(), Math.max(50, Math.floor(silenceMs / 4))));
    if (reconcileEveryMs !== null) {
      this.#timers.push(setInterval(() => {
        if (this.#tracked.size === 0) return;
        this.reconcile('cadence').catch((err: unknown) => this.#logger.warn({ err }, 'comfy: reconcile failed'));
      }, reconcileEveryMs));
    }
  }

  #checkSilence(): void {
    const promptIds = [...this.#tracked.values()].filter((t) => t.accepted && !t.finishing).map((t) => t.run.promptId);
    if (promptIds.length === 0) return;
    const now = Date.now();
    const silentMs = now - Math.max(this.socket.lastFrameAt, this.#lastActivityAt);
    if (silentMs < this.#options.silenceMs) return;
    this.#lastActivityAt = now; // report each silent stretch once per silenceMs
    this.#logger.warn({ silentMs, promptIds }, 'comfy: backend silent while prompts are in flight');
    this.#emitter.emit('silence', { silentMs, promptIds });
    this.reconcile('silence')
      .then((report) => {
        // Still running yet silent: our socket may be the one #16010 silently unregistered.
        if (report.stillRunning.length > 0) this.socket.reconnect('silent while prompts run');
      })
      .catch((err: unknown) => this.#logger.warn({ err }, 'comfy: reconcile failed'));
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ComfyClientClosedError('ComfyUI client is closed');
  }
}

/** What ComfyUI ≥0.25 accepts as prompt_id: its own canonical form of a uuid (§3.3.1). */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
