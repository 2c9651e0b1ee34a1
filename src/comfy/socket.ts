/**
 * `ComfySocket`: the one websocket to one ComfyUI backend, under a fixed clientId, kept alive.
 *
 * States (`SocketState`) and what moves between them:
 *   idle        → connecting   start()
 *   connecting  → handshaking  the upgrade succeeded; we send our feature_flags frame first
 *   handshaking → open         the first `status` carrying `sid` arrived → `open` event
 *   connecting | handshaking | open → waiting
 *                              the socket's own `close` event (server closed it, network error,
 *                              missing pong, no `status` within openTimeoutMs); a reconnect is
 *                              scheduled with full-jitter backoff
 *   waiting     → connecting   the backoff delay elapsed (or reconnect() was called)
 *   waiting     → stopped      reconnect.maxAttempts consecutive failures → `gave_up` event
 *   any         → stopping → stopped   close()
 *
 * ComfyUI bug #16010: if a new socket registers the same clientId while the old one is still
 * alive, the old one's cleanup later unregisters the new one, which then receives nothing. So a
 * reconnect is only ever scheduled from the old socket's `close` event: never two at once.
 *
 * Heartbeat: ComfyUI sends no pings but answers ours. Every intervalMs we ping; if neither a
 * pong nor any frame arrived for timeoutMs the socket is dead (half-open TCP, frozen server) and
 * is terminated, which leads to a reconnect. `lastFrameAt` (messages only, not pongs) lets a
 * supervisor notice a server that still pongs but has stopped talking.
 */
import WebSocket from 'ws';
import { z } from 'zod';
import { fullJitterDelay } from './backoff.ts';
import { TypedEmitter } from './emitter.ts';
import { ComfyClientClosedError, ComfyUnreachableError } from './errors.ts';
import { silentLogger, type ComfyLogger } from './logger.ts';
import { parseWsMessage, type UnknownWsFrame, type WsMessage } from './messages.ts';
import { decodeBinaryFrame, type PreviewFrame, type TextFrame, type UnknownBinaryFrame } from './preview.ts';
import { comfyWsUrl, normalisePrefix } from './urls.ts';

export const ComfySocketOptionsSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1),
  apiPrefix: z.string().default('/api'),
  reconnect: z
    .object({
      baseMs: z.number().int().positive().default(250),
      maxMs: z.number().int().positive().default(10_000),
      /** Consecutive failed attempts before giving up; null retries forever. */
      maxAttempts: z.number().int().positive().nullable().default(null),
    })
    .prefault({}),
  heartbeat: z
    .object({
      intervalMs: z.number().int().positive().default(5_000),
      timeoutMs: z.number().int().positive().default(15_000),
    })
    .prefault({}),
  /** Upgrade plus the first `status` must arrive within this. */
  openTimeoutMs: z.number().int().positive().default(10_000),
  /** SaveImageWebsocket sends full-size PNG frames of many MB (§4.6). */
  maxPayload: z.number().int().positive().default(512 * 1024 * 1024),
  /** Sent as the first frame; `supports_preview_metadata` switches previews to type 4. */
  featureFlags: z.record(z.string(), z.unknown()).default({ supports_preview_metadata: true }),
});
export type ComfySocketOptions = z.input<typeof ComfySocketOptionsSchema> & {
  logger?: ComfyLogger;
  /** For tests: the jitter source. */
  random?: () => number;
};
type ResolvedOptions = z.output<typeof ComfySocketOptionsSchema>;

export type SocketState = 'idle' | 'connecting' | 'handshaking' | 'open' | 'waiting' | 'stopping' | 'stopped';

export type UnknownFrame = { kind: 'text'; frame: UnknownWsFrame } | { kind: 'binary'; frame: UnknownBinaryFrame };

export interface OpenInfo {
  sid: string;
  /** false for the first connection of this instance, true afterwards. */
  reconnect: boolean;
}

export interface ComfySocketEvents {
  /** The socket is usable: connected and greeted with `status` + `sid`. */
  open: OpenInfo;
  /** Every parsed JSON message, including `status`. */
  message: WsMessage;
  /** Binary type 1 or 4. */
  preview: PreviewFrame;
  /** Binary type 3: a node's progress text. */
  text: TextFrame;
  /** Every `status` message: pending + running count. */
  status: { queueRemaining: number };
  /** The underlying socket closed (a reconnect follows unless close() was called). */
  close: { code: number; reason: string };
  /** A frame of an unknown type or shape; tolerated and ignored. */
  unknown: UnknownFrame;
  /** A reconnect is scheduled. `attempt` counts from 1 since the last successful open. */
  reconnecting: { attempt: number; delayMs: number };
  /** The heartbeat found no pong and no frame for `silentMs`; the socket is being terminated. */
  dead: { silentMs: number };
  /** reconnect.maxAttempts reached; the socket stays stopped. */
  gave_up: { attempts: number };
}

/** How long a close handshake may take before the socket is terminated. */
const CLOSE_GRACE_MS = 1_000;

interface Waiter {
  resolve(info: OpenInfo): void;
  reject(err: Error): void;
}

export class ComfySocket {
  readonly clientId: string;
  readonly url: string;
  readonly #options: ResolvedOptions;
  readonly #logger: ComfyLogger;
  readonly #random: () => number;
  readonly #emitter: TypedEmitter<ComfySocketEvents>;
  #state: SocketState = 'idle';
  #ws: WebSocket | null = null;
  #sid: string | null = null;
  #everOpened = false;
  #lastOpen: OpenInfo | null = null;
  #failures = 0;
  #lastFrameAt = 0;
  #lastPongAt = 0;
  #openTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #waiters: Waiter[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: ComfySocketOptions) {
    this.#options = ComfySocketOptionsSchema.parse(options);
    this.#logger = options.logger ?? silentLogger();
    this.#random = options.random ?? Math.random;
    this.#emitter = new TypedEmitter(this.#logger);
    this.clientId = this.#options.clientId;
    this.url = comfyWsUrl(this.#options.baseUrl, normalisePrefix(this.#options.apiPrefix), this.clientId).toString();
  }

  get state(): SocketState {
    return this.#state;
  }

  /** The sid of the current connection (equal to clientId on ComfyUI), or null when not open. */
  get sid(): string | null {
    return this.#state === 'open' ? this.#sid : null;
  }

  /** Epoch ms of the last text or binary frame received (0 if none). Pongs do not count. */
  get lastFrameAt(): number {
    return this.#lastFrameAt;
  }

  on<K extends keyof ComfySocketEvents>(event: K, listener: (payload: ComfySocketEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  off<K extends keyof ComfySocketEvents>(event: K, listener: (payload: ComfySocketEvents[K]) => void): void {
    this.#emitter.off(event, listener);
  }

  /** Starts connecting (idempotent). Use `opened()` to wait for the connection. */
  start(): void {
    if (this.#state === 'idle') this.#connect();
  }

  /** Resolves once open (now, if already); rejects when closed or given up. */
  opened(): Promise<OpenInfo> {
    if (this.#state === 'open' && this.#lastOpen !== null) return Promise.resolve(this.#lastOpen);
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(new ComfyClientClosedError('ComfyUI socket is closed'));
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Drops the current connection and connects again (old socket closed first, see #16010). */
  reconnect(reason: string): void {
    this.#logger.info({ clientId: this.clientId, reason }, 'comfy socket: forced reconnect');
    if (this.#state === 'waiting') {
      clearTimeout(this.#reconnectTimer);
      this.#connect();
    } else if (this.#ws !== null) {
      this.#drop(this.#ws, 4000, reason); // its close event schedules the reconnect
    }
  }

  /** Stops reconnecting, closes the socket and waits for its close event. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#state = 'stopping';
    clearTimeout(this.#reconnectTimer);
    this.#rejectWaiters(new ComfyClientClosedError('ComfyUI socket was closed'));
    const ws = this.#ws;
    if (ws !== null && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
        ws.once('close', () => {
          clearTimeout(force);
          resolve();
        });
        ws.close(1000, 'client closing');
      });
    }
    this.#stopTimers();
    this.#state = 'stopped';
  }

  #connect(): void {
    this.#state = 'connecting';
    const ws = new WebSocket(this.url, {
      maxPayload: this.#options.maxPayload,
      perMessageDeflate: false,
      handshakeTimeout: this.#options.openTimeoutMs,
    });
    ws.binaryType = 'nodebuffer';
    this.#ws = ws;
    this.#openTimer = setTimeout(() => {
      this.#logger.warn({ clientId: this.clientId, timeoutMs: this.#options.openTimeoutMs }, 'comfy socket: no status greeting in time');
      this.#drop(ws, 4000, 'no status greeting');
    }, this.#options.openTimeoutMs);
    ws.on('open', () => {
      this.#state = 'handshaking';
      ws.send(JSON.stringify({ type: 'feature_flags', data: this.#options.featureFlags }));
      this.#startHeartbeat(ws);
    });
    ws.on('message', (data, isBinary) => this.#onFrame(toBuffer(data), isBinary));
    ws.on('pong', () => {
      this.#lastPongAt = Date.now();
    });
    ws.on('error', (err) => {
      this.#logger.debug({ clientId: this.clientId, err }, 'comfy socket: error');
    });
    ws.on('close', (code, reason) => this.#onClose(ws, code, reason.toString('utf8')));
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    this.#lastFrameAt = Date.now();
    if (isBinary) {
      const frame = decodeBinaryFrame(data);
      if (frame.kind === 'preview') this.#emitter.emit('preview', frame);
      else if (frame.kind === 'text') this.#emitter.emit('text', frame);
      else {
        this.#logger.debug({ eventType: frame.eventType, reason: frame.reason }, 'comfy socket: unknown binary frame');
        this.#emitter.emit('unknown', { kind: 'binary', frame });
      }
      return;
    }
    const result = parseWsMessage(data.toString('utf8'));
    if (!result.ok) {
      const level = result.unknown.reason === 'unknown_type' ? 'debug' : 'warn';
      this.#logger[level]({ type: result.unknown.type, reason: result.unknown.reason, issues: result.unknown.issues }, 'comfy socket: ignored frame');
      this.#emitter.emit('unknown', { kind: 'text', frame: result.unknown });
      return;
    }
    const message = result.message;
    if (message.type === 'status') {
      if (this.#state === 'handshaking' && message.data.sid) this.#markOpen(message.data.sid);
      const remaining = message.data.status?.exec_info.queue_remaining;
      if (remaining !== undefined) this.#emitter.emit('status', { queueRemaining: remaining });
    }
    this.#emitter.emit('message', message);
  }

  #markOpen(sid: string): void {
    clearTimeout(this.#openTimer);
    if (sid !== this.clientId) this.#logger.warn({ clientId: this.clientId, sid }, 'comfy socket: server assigned another sid');
    const info: OpenInfo = { sid, reconnect: this.#everOpened };
    this.#state = 'open';
    this.#sid = sid;
    this.#everOpened = true;
    this.#lastOpen = info;
    this.#failures = 0;
    this.#logger.info({ clientId: this.clientId, reconnect: info.reconnect }, 'comfy socket: open');
    this.#emitter.emit('open', info);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve(info);
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#stopTimers();
    this.#ws = null;
    this.#sid = null;
    this.#logger.info({ clientId: this.clientId, code, reason }, 'comfy socket: closed');
    this.#emitter.emit('close', { code, reason });
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const { maxAttempts } = this.#options.reconnect;
    if (maxAttempts !== null && this.#failures >= maxAttempts) {
      this.#state = 'stopped';
      this.#logger.error({ clientId: this.clientId, attempts: this.#failures }, 'comfy socket: giving up');
      this.#emitter.emit('gave_up', { attempts: this.#failures });
      this.#rejectWaiters(new ComfyUnreachableError({ reason: 'network', url: this.url }));
      return;
    }
    const delayMs = fullJitterDelay(this.#failures, this.#options.reconnect, this.#random);
    this.#failures++;
    this.#state = 'waiting';
    this.#emitter.emit('reconnecting', { attempt: this.#failures, delayMs });
    this.#reconnectTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #startHeartbeat(ws: WebSocket): void {
    const { intervalMs, timeoutMs } = this.#options.heartbeat;
    this.#lastPongAt = Date.now();
    this.#heartbeatTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const silentMs = Date.now() - Math.max(this.#lastPongAt, this.#lastFrameAt);
      if (silentMs > timeoutMs) {
        this.#logger.warn({ clientId: this.clientId, silentMs }, 'comfy socket: no pong, terminating');
        this.#emitter.emit('dead', { silentMs });
        this.#drop(ws, 4000, 'heartbeat timeout');
        return;
      }
      ws.ping();
    }, intervalMs);
  }

  /**
   * Ends a socket with a close handshake when the server still answers, so its handler has
   * unregistered our clientId before we reconnect (#16010); a frozen peer is terminated after
   * a short grace. Either way the socket's `close` event drives what happens next.
   */
  #drop(ws: WebSocket, code: number, reason: string): void {
    clearInterval(this.#heartbeatTimer);
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return;
    }
    const force = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    ws.once('close', () => clearTimeout(force));
    ws.close(code, reason);
  }

  #stopTimers(): void {
    clearTimeout(this.#openTimer);
    clearInterval(this.#heartbeatTimer);
  }

  #rejectWaiters(err: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(err);
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
