/**
 * One ComfyUI backend of the pool (spawned or remote) and its state machine. The backend owns
 * the public state, the ComfyClient (one websocket with its own clientId), the capabilities
 * and the load figures; a spawned backend's process belongs to its Supervisor, whose events
 * drive most transitions here.
 *
 * States and what moves a backend between them:
 *   starting    spawned: a process was launched and is not ready yet (first start, after a
 *               backoff, or an operator restart). remote: attached, first probe pending.
 *   ready       it answered (readiness line or GET /api/system_stats), capabilities were read,
 *               and its queue is empty. From busy when the queue drains, from unhealthy when
 *               probes succeed again.
 *   busy        ready, with queue_remaining > 0 (websocket `status`, GET /prompt, GET /queue).
 *   draining    an operator asked (POST /servers/:id/drain, DELETE): takes no new work. Sticky
 *               across a crash-restart; left only by restart (operator), stop or removal.
 *   unhealthy   consecutive probes failed while the process (if any) is alive; a remote is
 *               re-probed with backoff. Back to ready/busy/draining when probes succeed.
 *   restarting  a spawned process crashed (or never got ready on a restart); a new launch is
 *               due after an exponential backoff.
 *   stopped     stop() finished (process group gone, or the remote detached). An operator
 *               restart starts it again.
 *   failed      a spawned server failed its first start, or crashed COMFY_CRASH_LOOP_COUNT
 *               times within the window. No automatic restarts; an operator restart re-arms it.
 */
import { ComfyClient, ComfyHttp, type ComfyLogger } from '../comfy/index.ts';
import { TypedEmitter } from '../comfy/emitter.ts';
import { readCapabilities, summarise, type Capabilities, type CapabilitySummary } from './capabilities.ts';
import { LoadTracker, type Load } from './load.ts';
import type { ServerRecord } from './records.ts';
import type { Supervisor, SupervisorEvent } from './supervisor.ts';

export const BackendStates = {
  starting: 'starting',
  ready: 'ready',
  busy: 'busy',
  draining: 'draining',
  unhealthy: 'unhealthy',
  restarting: 'restarting',
  stopped: 'stopped',
  failed: 'failed',
} as const;
export type BackendState = (typeof BackendStates)[keyof typeof BackendStates];
export const BACKEND_STATES = [
  'starting', 'ready', 'busy', 'draining', 'unhealthy', 'restarting', 'stopped', 'failed',
] as const satisfies readonly BackendState[];

const TRANSITIONS: Record<BackendState, readonly BackendState[]> = {
  starting: ['ready', 'busy', 'draining', 'unhealthy', 'restarting', 'failed', 'stopped'],
  ready: ['busy', 'draining', 'unhealthy', 'restarting', 'starting', 'stopped', 'failed'],
  busy: ['ready', 'draining', 'unhealthy', 'restarting', 'starting', 'stopped', 'failed'],
  draining: ['restarting', 'starting', 'stopped', 'failed'],
  unhealthy: ['ready', 'busy', 'draining', 'restarting', 'starting', 'stopped', 'failed'],
  restarting: ['starting', 'failed', 'stopped'],
  stopped: ['starting'],
  failed: ['starting', 'stopped'],
};

export class InvalidTransitionError extends Error {
  readonly from: BackendState;
  readonly to: BackendState;
  constructor(id: string, from: BackendState, to: BackendState, why: string) {
    super(`server ${id} cannot go from ${from} to ${to}: ${why}`);
    this.from = from;
    this.to = to;
  }
}

export interface BackendEvents {
  state: { from: BackendState; to: BackendState; reason: string };
  status: Load;
  capabilities: CapabilitySummary;
}

export interface BackendSettings {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  restartBackoffMaxMs: number;
}

export interface BackendInit {
  id: string;
  kind: 'spawned' | 'remote';
  simulated: boolean;
  gpu: string | null;
  /** Fixed for a remote; a spawned backend's URL follows its supervisor's port. */
  remoteUrl: string | null;
  settings: BackendSettings;
  logger: ComfyLogger;
}

/** Consecutive failed probes before a backend counts as unhealthy. */
const UNHEALTHY_AFTER = 2;

export class Backend {
  readonly id: string;
  readonly kind: 'spawned' | 'remote';
  readonly simulated: boolean;
  readonly gpu: string | null;
  readonly events: TypedEmitter<BackendEvents>;
  readonly #init: BackendInit;
  readonly #log: ComfyLogger;
  readonly #load: LoadTracker;
  #supervisor: Supervisor | null = null;
  #state: BackendState = 'starting';
  #reason = 'created';
  #client: ComfyClient | null = null;
  #capabilities: Capabilities | null = null;
  #drainRequested = false;
  #failedProbes = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  #remoteSince: number | null = null;
  #closed = false;

  constructor(init: BackendInit) {
    this.id = init.id;
    this.kind = init.kind;
    this.simulated = init.simulated;
    this.gpu = init.gpu;
    this.#init = init;
    this.#log = init.logger;
    this.events = new TypedEmitter<BackendEvents>(init.logger);
    this.#load = new LoadTracker((load) => {
      this.#applyLoad(load.queueDepth);
      this.events.emit('status', load);
    });
  }

  /** Spawned backends get their supervisor right after construction (it reports to onSupervisor). */
  attachSupervisor(supervisor: Supervisor): void {
    this.#supervisor = supervisor;
  }

  get state(): BackendState { return this.#state; }
  get reason(): string { return this.#reason; }
  get supervisor(): Supervisor | null { return this.#supervisor; }
  get url(): string { return this.#init.remoteUrl ?? this.#supervisor?.url ?? ''; }
  get client(): ComfyClient | null { return this.#client; }
  get capabilities(): Capabilities | null { return this.#capabilities; }
  get capabilitySummary(): CapabilitySummary { return summarise(this.#capabilities); }
  get load(): Load { return this.#load.current; }
  get drainRequested(): boolean { return this.#drainRequested; }
  get startedAt(): number | null { return this.kind === 'remote' ? this.#remoteSince : (this.#supervisor?.startedAt ?? null); }
  /** ready or busy and not draining: the scheduler may send work here. */
  get accepting(): boolean { return this.#state === 'ready' || this.#state === 'busy'; }

  /** The only way the state changes: asserts the transition, records the reason, emits `state`. */
  setState(next: BackendState, reason: string): void {
    const from = this.#state;
    if (from === next) {
      this.#reason = reason;
      return;
    }
    if (!TRANSITIONS[from].includes(next)) {
      throw new InvalidTransitionError(this.id, from, next, `allowed from ${from}: ${TRANSITIONS[from].join(', ')}`);
    }
    this.#state = next;
    this.#reason = reason;
    this.#log.info({ server: this.id, from, to: next, reason }, `pool: server ${this.id} ${from} → ${next}`);
    this.events.emit('state', { from, to: next, reason });
  }

  /** Supervisor → state machine (spawned backends). A refused transition is a bug: logged, not thrown into the supervisor. */
  onSupervisor(event: SupervisorEvent): void {
    if (this.#closed) return;
    try {
      this.#applySupervisor(event);
    } catch (err) {
      this.#log.error({ server: this.id, err, event: event.type }, 'pool: supervisor event refused by the state machine');
    }
  }

  #applySupervisor(event: SupervisorEvent): void {
    switch (event.type) {
      case 'launching':
        this.#stopProbing();
        this.setState('starting', `launched pid ${event.pid} on port ${event.port}`);
        return;
      case 'ready':
        this.#reachable(event.via === 'adopted'
          ? `re-adopted pid ${event.pid} on port ${event.port}`
          : `pid ${event.pid} ready on port ${event.port} (${event.via === 'line' ? 'readiness line' : 'HTTP probe'})`);
        return;
      case 'restarting':
        this.#stopProbing();
        this.setState('restarting', `${event.detail}; restarting in ${event.delayMs} ms`);
        return;
      case 'failed':
        this.#stopProbing();
        this.setState('failed', event.detail);
        void this.#closeClient();
        return;
      case 'stopped':
        this.#stopProbing();
        this.setState('stopped', event.detail);
        void this.#closeClient();
        return;
    }
  }

  /** Starts a remote: probe now, and keep probing (with backoff while unreachable). */
  startRemote(): void {
    this.#failedProbes = 0;
    this.#scheduleProbe(0);
  }

  adopt(record: ServerRecord): void {
    this.#supervisor?.adopt(record);
  }

  drain(reason: string): void {
    if (!['starting', 'ready', 'busy', 'unhealthy', 'draining'].includes(this.#state)) {
      throw new InvalidTransitionError(this.id, this.#state, 'draining', 'only a starting, ready, busy or unhealthy server can be drained');
    }
    this.#drainRequested = true;
    if (this.#state !== 'starting') this.setState('draining', reason);
  }

  /**
   * A user of the backend (the scheduler) saw it misbehave, e.g. a silent websocket: no new
   * work until the next successful probe says otherwise.
   */
  markUnhealthy(reason: string): void {
    if (this.#state === 'ready' || this.#state === 'busy') this.setState('unhealthy', reason);
  }

  /** Operator restart: a spawned server is stopped and started again; a remote is re-probed. */
  async restart(reason: string): Promise<void> {
    this.#drainRequested = false;
    if (this.#supervisor) {
      this.#stopProbing();
      await this.#supervisor.restart();
      return;
    }
    this.#stopProbing();
    this.setState('starting', reason);
    this.startRemote();
  }

  /** Spawned: stop the process group. Remote: detach (the server itself is left alone). */
  async stop(reason: string): Promise<void> {
    this.#stopProbing();
    if (this.#supervisor) {
      await this.#supervisor.stop(reason);
    } else {
      this.setState('stopped', reason);
    }
    await this.#closeClient();
  }

  /** Leaves the process running (COMFY_KEEP_ON_EXIT) and lets go of everything else. */
  async detach(): Promise<void> {
    this.#closed = true;
    this.#stopProbing();
    await this.#supervisor?.detach();
    await this.#closeClient();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopProbing();
    await this.#closeClient();
  }

  /** Re-reads /object_info and the model lists. */
  async refreshCapabilities(): Promise<CapabilitySummary> {
    const http = this.#client?.http ?? new ComfyHttp({ baseUrl: this.url, timeoutMs: this.#init.settings.probeTimeoutMs });
    this.#capabilities = await readCapabilities(http, this.#init.settings.probeTimeoutMs);
    const summary = summarise(this.#capabilities);
    this.events.emit('capabilities', summary);
    return summary;
  }

  #reachable(reason: string): void {
    this.#becameReachable(reason).catch((err: unknown) => this.#log.error({ server: this.id, err }, 'pool: could not mark the server ready'));
  }

  /** Reachable (spawned: ready; remote or recovering: a probe succeeded): connect, read, go ready. */
  async #becameReachable(reason: string): Promise<void> {
    this.#failedProbes = 0;
    const url = this.url;
    try {
      await this.#ensureClient(url);
      await this.refreshCapabilities();
    } catch (err) {
      this.#log.warn({ server: this.id, err }, 'pool: could not read capabilities; the server is used without them');
    }
    if (this.#closed || this.url !== url) return;
    if (!['starting', 'unhealthy'].includes(this.#state)) return; // stopped or crashed meanwhile
    if (this.kind === 'remote' && this.#remoteSince === null) this.#remoteSince = Date.now();
    this.setState(this.#drainRequested ? 'draining' : 'ready', reason);
    await this.#load.refresh(this.#client?.http ?? null).catch(() => undefined);
    this.#scheduleProbe(this.#init.settings.probeIntervalMs);
  }

  async #ensureClient(url: string): Promise<void> {
    if (this.#client !== null && this.#client.http.baseUrl === url) return;
    await this.#closeClient();
    // A stable client id: after a restart of the service, re-attached prompts keep receiving
    // their events (ComfyUI targets execution events by client id, PROTOCOL.md §4.4).
    const client = new ComfyClient({ baseUrl: url, logger: this.#log, clientId: `comfy-fleet-${this.id}` });
    this.#client = client;
    this.#load.watch(client);
    // The socket reconnects by itself; waiting for it here only avoids a first prompt racing it.
    await Promise.race([client.start(), delay(this.#init.settings.probeTimeoutMs)]).catch((err: unknown) => {
      this.#log.warn({ server: this.id, err }, 'pool: websocket not open yet; it keeps reconnecting');
    });
  }

  async #closeClient(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#load.unwatch();
    await client?.close().catch(() => undefined);
  }

  #applyLoad(depth: number): void {
    if (this.#state === 'ready' && depth > 0) this.setState('busy', `${depth} prompt(s) queued or running`);
    else if (this.#state === 'busy' && depth === 0) this.setState('ready', 'queue empty');
  }

  #scheduleProbe(ms: number): void {
    clearTimeout(this.#probeTimer);
    if (this.#closed) return;
    this.#probeTimer = setTimeout(() => {
      this.#probe().catch((err: unknown) => this.#log.error({ server: this.id, err }, 'pool: health probe failed unexpectedly'));
    }, ms);
    this.#probeTimer.unref();
  }

  #stopProbing(): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  /** One health probe: GET /prompt (cheap; also gives the queue depth). */
  async #probe(): Promise<void> {
    if (this.#probing || this.#closed) return;
    this.#probing = true;
    const s = this.#init.settings;
    try {
      const http = this.#client?.http ?? new ComfyHttp({ baseUrl: this.url, timeoutMs: s.probeTimeoutMs });
      const ok = await this.#load.refresh(http).then(() => true, () => false);
      if (this.#closed || this.#probeTimer === undefined) return;
      if (ok) {
        this.#failedProbes = 0;
        if (this.#state === 'starting' || this.#state === 'unhealthy') {
          await this.#becameReachable(this.#state === 'unhealthy' ? 'answering again' : 'reachable');
          return;
        }
        this.#scheduleProbe(s.probeIntervalMs);
        return;
      }
      this.#failedProbes += 1;
      const stillUp = ['ready', 'busy', 'draining'].includes(this.#state);
      if (this.#state === 'starting' || (stillUp && this.#failedProbes >= UNHEALTHY_AFTER)) {
        if (this.#state !== 'draining') this.setState('unhealthy', `${this.#failedProbes} probe(s) of ${this.url} failed`);
      }
      const backoff = Math.min(s.restartBackoffMaxMs, s.probeIntervalMs * 2 ** Math.max(0, this.#failedProbes - UNHEALTHY_AFTER));
      this.#scheduleProbe(this.kind === 'remote' ? Math.max(s.probeIntervalMs, backoff) : s.probeIntervalMs);
    } finally {
      this.#probing = false;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
