/**
 * The pool: every ComfyUI backend the service can use, spawned or remote, by id. It starts the
 * configured servers (in parallel), re-adopts those a previous instance left running, attaches
 * remotes, and answers for them: summaries, capabilities, node definitions, the ComfyClient of
 * each. Backends report through typed events; the pool re-emits them with the backend id.
 *
 * Lifecycle: start() reads the records, adopts or reaps, then launches what is missing and
 * returns without waiting for readiness (so the HTTP server can listen and /ready can say
 * 503 meanwhile); settled() waits for the initial starts. close() stops spawned servers, or
 * with COMFY_KEEP_ON_EXIT leaves them running (records kept) for the next instance to re-adopt.
 */
import path from 'node:path';
import { ComfyHttp, silentLogger, type ComfyClient, type ComfyLogger, type ObjectInfo } from '../comfy/index.ts';
import { TypedEmitter } from '../comfy/emitter.ts';
import type { Config } from '../config.ts';
import { FleetError } from '../errors.ts';
import { judgeRecords, reap } from './adoption.ts';
import { Backend, InvalidTransitionError, type BackendEvents, type BackendState } from './backend.ts';
import type { CapabilitySummary } from './capabilities.ts';
import type { Load } from './load.ts';
import { PortAllocator } from './ports.ts';
import { RecordStore, type ServerRecord } from './records.ts';
import { summariseBackend, type BackendSummary } from './summary.ts';
import { Supervisor } from './supervisor.ts';

export { BACKEND_STATES, BackendStates, type BackendState } from './backend.ts';
export type { BackendSummary } from './summary.ts';

export interface PoolEvents {
  /** A backend changed state (every transition, with its reason). */
  'backend:state': { id: string; from: BackendState; to: BackendState; reason: string };
  /** Queue depth, running prompt or loaded model of a backend changed. */
  'backend:status': Load & { id: string };
  /** A backend's capabilities were (re)read. */
  'backend:capabilities': CapabilitySummary & { id: string };
  'backend:added': { id: string; kind: 'spawned' | 'remote' };
  'backend:removed': { id: string };
}

export interface BackendCapabilities {
  backendId: string;
  state: BackendState;
  nodeClasses: ReadonlySet<string>;
  models: Readonly<Record<string, readonly string[]>>;
}

export interface PoolOptions {
  config: Config;
  logger?: ComfyLogger;
  /** Extra environment for spawned servers (tests and the bench tune the stand-in with it). */
  spawnEnv?: Record<string, string>;
}

const SETTLED_STATES: ReadonlySet<BackendState> = new Set(['ready', 'busy', 'draining', 'unhealthy', 'stopped', 'failed']);

export class Pool {
  readonly simulated: boolean;
  readonly events: TypedEmitter<PoolEvents>;
  readonly #config: Config;
  readonly #log: ComfyLogger;
  readonly #spawnEnv: Record<string, string>;
  readonly #backends = new Map<string, Backend>();
  readonly #removing = new Set<string>();
  readonly #ports = new PortAllocator();
  readonly #records: RecordStore;
  #closing: Promise<void> | undefined;

  constructor(opts: PoolOptions) {
    this.#config = opts.config;
    this.simulated = opts.config.comfy.simulated;
    this.#log = opts.logger ?? silentLogger();
    this.#spawnEnv = opts.spawnEnv ?? {};
    this.events = new TypedEmitter<PoolEvents>(this.#log);
    this.#records = new RecordStore(this.#serversDir());
  }

  on<K extends keyof PoolEvents>(event: K, listener: (payload: PoolEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Adopts or reaps recorded servers, launches the missing configured ones, attaches remotes. */
  async start(): Promise<void> {
    const c = this.#config.comfy;
    const { records, problems } = this.#records.load();
    for (const problem of problems) this.#log.warn({ problem }, 'pool: server records');
    const verdicts = await judgeRecords(records, (url) => this.#probe(url));
    const adopted = new Set<string>();
    for (const v of verdicts) {
      if (v.action === 'adopt') {
        const b = this.#createSpawned(v.record.id, v.record.slot, v.record.gpu, v.record.extraArgs, v.record.dirs);
        b.adopt(v.record);
        adopted.add(v.record.slot);
      } else {
        this.#records.remove(v.record.id);
        this.#log.warn({ server: v.record.id, pid: v.record.pid, why: v.why, done: reap(v.record, this.#log) }, 'pool: not re-adopting a recorded server');
      }
    }
    if (this.simulated && c.spawnCount > 0) {
      this.#log.warn({ count: c.spawnCount }, 'pool: no ComfyUI configured: spawning SIMULATED stand-in backends');
    }
    for (const { slot, gpu } of this.#configuredSlots()) {
      if (adopted.has(slot)) continue;
      const b = this.#createSpawned(this.#idForSlot(slot), slot, gpu, c.extraArgs, null);
      void b.supervisor?.start();
    }
    for (const url of c.servers) this.#attachRemote(url);
  }

  /** Resolves when no backend is starting or restarting any more (or after timeoutMs). */
  settled(timeoutMs = this.#config.comfy.startTimeoutMs + 5000): Promise<boolean> {
    return this.waitFor((list) => list.every((b) => SETTLED_STATES.has(b.state)), timeoutMs);
  }

  /** Event-driven wait on the list of summaries; resolves false on timeout. */
  waitFor(predicate: (list: BackendSummary[]) => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate(this.list())) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate(this.list())) return;
        done(true);
      };
      const offs = [
        this.on('backend:state', check), this.on('backend:status', check),
        this.on('backend:removed', check), this.on('backend:added', check),
      ];
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (value: boolean): void => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve(value);
      };
    });
  }

  list(): BackendSummary[] {
    const now = Date.now();
    return [...this.#backends.values()].map((b) => summariseBackend(b, now));
  }

  get(id: string): BackendSummary | undefined {
    const b = this.#backends.get(id);
    return b ? summariseBackend(b) : undefined;
  }

  /** Like get(), but an unknown id is FLEET_SERVER_NOT_FOUND. */
  summary(id: string): BackendSummary {
    return summariseBackend(this.#mustGet(id));
  }

  /**
   * The ComfyClient of a backend, for submitting prompts: null unless it is connected (it is
   * replaced when a spawned server comes back on another port, so fetch it per dispatch).
   */
  client(id: string): ComfyClient | null {
    return this.#backends.get(id)?.client ?? null;
  }

  /**
   * The live backends, for the job scheduler: `accepting`, `client`, `capabilities`, `load`,
   * `restart(reason)`, `markUnhealthy(reason)`. Read them per dispatch; do not keep them.
   */
  backendViews(): Backend[] {
    return [...this.#backends.values()];
  }

  /** Any change that can alter where work may go: state, capabilities, added, removed. */
  onBackendChange(listener: () => void): () => void {
    const offs = [
      this.on('backend:state', listener),
      this.on('backend:capabilities', listener),
      this.on('backend:added', listener),
      this.on('backend:removed', listener),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Ids of backends that take new work now (ready or busy, not draining). */
  accepting(): string[] {
    return [...this.#backends.values()].filter((b) => b.accepting).map((b) => b.id);
  }

  /** Node definitions of every backend that reported /object_info (templates validate on these). */
  nodeInfo(): { backendId: string; objectInfo: ObjectInfo }[] {
    const out: { backendId: string; objectInfo: ObjectInfo }[] = [];
    for (const b of this.#backends.values()) {
      const caps = b.capabilities;
      if (caps !== null && (b.accepting || b.state === 'draining')) out.push({ backendId: b.id, objectInfo: caps.objectInfo });
    }
    return out;
  }

  /** Node classes and model files per backend, for routing. */
  capabilities(): BackendCapabilities[] {
    const out: BackendCapabilities[] = [];
    for (const b of this.#backends.values()) {
      const caps = b.capabilities;
      if (caps !== null) out.push({ backendId: b.id, state: b.state, nodeClasses: new Set(caps.nodeClasses), models: caps.models });
    }
    return out;
  }

  async refreshCapabilities(id: string): Promise<CapabilitySummary> {
    return this.#mustGet(id).refreshCapabilities();
  }

  logs(id: string, tail?: number): { lines: string[]; file: string | null } {
    const b = this.#mustGet(id);
    const sup = b.supervisor;
    return { lines: sup?.logs(tail) ?? [], file: sup?.logFile ?? null };
  }

  /** Attaches an already-running ComfyUI by URL (never spawned or killed by us). */
  attach(rawUrl: string): BackendSummary {
    const url = normaliseUrl(rawUrl);
    const same = [...this.#backends.values()].find((b) => b.url === url);
    if (same) throw new FleetError('FLEET_SERVER_DUPLICATE', `${url} is already in the pool as ${same.id}`, { extra: { serverId: same.id } });
    return summariseBackend(this.#attachRemote(url));
  }

  /** Spawns one more server at run time (recorded, re-adopted like the configured ones). */
  spawn(opts: { gpu?: string; args?: string[] } = {}): BackendSummary {
    if (this.#config.comfy.command === null) {
      throw new FleetError('FLEET_SPAWN_DISABLED', 'no ComfyUI command is configured (COMFY_PATH or COMFY_COMMAND)');
    }
    const id = this.#nextId('local');
    const b = this.#createSpawned(id, 'extra', opts.gpu ?? null, [...this.#config.comfy.extraArgs, ...(opts.args ?? [])], null);
    void b.supervisor?.start();
    return summariseBackend(b);
  }

  drain(id: string): BackendSummary {
    const b = this.#mustGet(id);
    this.#transition(() => b.drain('drain requested'));
    return summariseBackend(b);
  }

  /** Operator restart; also re-arms a `failed` server. Runs in the background. */
  restart(id: string): BackendSummary {
    const b = this.#mustGet(id);
    if (this.#removing.has(id)) throw new FleetError('FLEET_SERVER_INVALID_TRANSITION', `server ${id} is being removed`);
    void b.restart('restart requested').catch((err: unknown) => this.#log.error({ server: id, err }, 'pool: restart failed'));
    return summariseBackend(b);
  }

  /** Drain, wait for the queue to empty (bounded), then stop (spawned) or detach (remote), forget. */
  remove(id: string): { summary: BackendSummary; done: Promise<void> } {
    const b = this.#mustGet(id);
    if (!this.#removing.has(id)) {
      this.#removing.add(id);
      if (['starting', 'ready', 'busy', 'unhealthy'].includes(b.state)) this.#transition(() => b.drain('removal requested'));
    }
    const done = this.#finishRemoval(b).catch((err: unknown) => this.#log.error({ server: id, err }, 'pool: removal failed'));
    return { summary: summariseBackend(b), done };
  }

  /** Idempotent. Stops spawned servers unless COMFY_KEEP_ON_EXIT; remotes are only let go. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const keep = this.#config.comfy.keepOnExit;
    await Promise.all([...this.#backends.values()].map(async (b) => {
      if (b.kind === 'spawned' && keep) return b.detach();
      if (b.kind === 'spawned') await b.stop('service shutting down').catch(() => undefined);
      return b.close();
    }));
    if (keep && this.#backends.size > 0) this.#log.info({}, 'pool: COMFY_KEEP_ON_EXIT: spawned servers left running for the next start to re-adopt');
  }

  async #finishRemoval(b: Backend): Promise<void> {
    const drained = await this.waitFor(() => b.load.queueDepth === 0 || !b.accepting && b.state !== 'draining', this.#config.comfy.drainTimeoutMs);
    if (!drained) this.#log.warn({ server: b.id }, 'pool: drain timed out; stopping with work still queued');
    await b.stop(b.kind === 'remote' ? 'detached' : 'removed');
    await b.close();
    if (this.#backends.get(b.id) === b) {
      this.#backends.delete(b.id);
      this.#removing.delete(b.id);
      this.events.emit('backend:removed', { id: b.id });
    }
  }

  #createSpawned(id: string, slot: string, gpu: string | null, extraArgs: string[], dirs: ServerRecord['dirs'] | null): Backend {
    const c = this.#config.comfy;
    const root = path.join(this.#serversDir(), id);
    const backend = new Backend({
      id, kind: 'spawned', simulated: this.simulated, gpu, remoteUrl: null, settings: c, logger: this.#log,
    });
    const supervisor = new Supervisor({
      id, slot, gpu, extraArgs, simulated: this.simulated, env: this.#spawnEnv,
      command: c.command ?? [],
      dirs: dirs ?? { root, input: c.inputDir ?? path.join(root, 'input'), output: c.outputDir ?? path.join(root, 'output'), temp: root },
      ports: this.#ports,
      records: this.#records,
      settings: c,
      logger: this.#log,
      probe: (url) => this.#probe(url),
      interrupt: (url) => new ComfyHttp({ baseUrl: url, timeoutMs: 1000 }).interrupt(),
      onEvent: (event) => backend.onSupervisor(event),
    });
    backend.attachSupervisor(supervisor);
    this.#register(backend);
    return backend;
  }

  #attachRemote(url: string): Backend {
    const b = new Backend({
      id: this.#nextId('remote'), kind: 'remote', simulated: false, gpu: null, remoteUrl: url,
      settings: this.#config.comfy, logger: this.#log,
    });
    this.#register(b);
    b.startRemote();
    return b;
  }

  #register(b: Backend): void {
    this.#backends.set(b.id, b);
    const relay = <K extends keyof BackendEvents>(event: K, map: (p: BackendEvents[K]) => void): void => {
      b.events.on(event, map);
    };
    relay('state', (p) => this.events.emit('backend:state', { id: b.id, ...p }));
    relay('status', (p) => this.events.emit('backend:status', { id: b.id, ...p }));
    relay('capabilities', (p) => this.events.emit('backend:capabilities', { id: b.id, ...p }));
    this.events.emit('backend:added', { id: b.id, kind: b.kind });
  }

  #configuredSlots(): { slot: string; gpu: string | null }[] {
    const c = this.#config.comfy;
    if (c.command === null) return [];
    if (c.gpus.length > 0) return c.gpus.map((gpu) => ({ slot: `gpu:${gpu}`, gpu }));
    return Array.from({ length: c.spawnCount }, (_, i) => ({ slot: `n:${i}`, gpu: null }));
  }

  #idForSlot(slot: string): string {
    const [kind, value] = slot.split(':');
    return kind === 'gpu' ? `gpu-${(value ?? '').replace(/[^\w.-]/g, '_')}` : `local-${Number(value ?? 0) + 1}`;
  }

  /** `<prefix>-<n>` with n above every id in use or on record (run-time ids survive restarts). */
  #nextId(prefix: string): string {
    const taken = new Set([...this.#backends.keys(), ...this.#records.all().map((r) => r.id)]);
    for (let n = 1; ; n++) if (!taken.has(`${prefix}-${n}`)) return `${prefix}-${n}`;
  }

  #mustGet(id: string): Backend {
    const b = this.#backends.get(id);
    if (!b) throw new FleetError('FLEET_SERVER_NOT_FOUND', `no server with id ${id}`);
    return b;
  }

  #transition(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof InvalidTransitionError) throw new FleetError('FLEET_SERVER_INVALID_TRANSITION', err.message, { extra: { from: err.from, to: err.to } });
      throw err;
    }
  }

  #probe(url: string): Promise<boolean> {
    return new ComfyHttp({ baseUrl: url, timeoutMs: this.#config.comfy.probeTimeoutMs }).systemStats().then(() => true, () => false);
  }

  #serversDir(): string {
    return path.join(this.#config.dataDir, 'servers');
  }
}

/** http(s) URL without a trailing slash, query or fragment; anything else is FLEET_SERVER_BAD_URL. */
export function normaliseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new FleetError('FLEET_SERVER_BAD_URL', `not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new FleetError('FLEET_SERVER_BAD_URL', `only http and https URLs can be attached, not ${u.protocol}`);
  if (u.username || u.password) throw new FleetError('FLEET_SERVER_BAD_URL', 'credentials in the URL are not supported');
  if (u.search || u.hash) throw new FleetError('FLEET_SERVER_BAD_URL', 'the URL must not carry a query or fragment');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}
