// The dispatcher: matches queued jobs to backends and runs attempts. Each backend gets at most
// one running and `prefetch` waiting prompts in its own ComfyUI queue, so it never idles between
// jobs while work waits. Picks by priority then FIFO, preferring affinity (loaded checkpoint,
// last template) within a small window, with a bound on how often a job may be passed over.
import { randomUUID } from 'node:crypto';
import type { JobStorage } from './store.ts';
import type { BackendSource, InputFile, JobBackend, Requirements } from './ports.ts';
import { WaitQueue, type Waiting } from './queue.ts';
import { runAttempt, type AttemptContext, type Inflight } from './attempt.ts';
import type { JobEmit } from './events.ts';

export interface EngineOptions {
  store: JobStorage;
  source: BackendSource;
  emit: JobEmit;
  log: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void; error: (o: object, m?: string) => void };
  maxAttempts: number;
  /** Prompts queued inside one ComfyUI beyond the running one. */
  prefetch: number;
  affinityWindow: number;
  maxSkips: number;
  /** No event for this long on a running prompt → ask the backend what is going on. */
  silenceMs: number;
  /** Running jobs found at start-up whose backend does not come back within this are requeued. */
  orphanGraceMs: number;
  /** Reads the bytes of an input file (an upload, or another job's output). */
  loadFile: (source: InputFile['source']) => Promise<Buffer>;
  now?: () => number;
}

export class JobEngine {
  readonly #o: EngineOptions & { now: () => number };
  readonly #queue = new WaitQueue();
  readonly #inflight = new Map<string, Inflight>();
  readonly #orphans = new Map<string, { backendId: string; promptId: string; since: number }>();
  #kickScheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  #paused = false;
  readonly #lastTemplate = new Map<string, string | null>();

  constructor(opts: EngineOptions) {
    this.#o = { now: Date.now, ...opts };
  }

  /** Loads the queue from the store and starts dispatching. */
  start(): void {
    for (const row of this.#o.store.queuedIndex()) this.#queue.add(this.#waiting(row));
    const now = this.#o.now();
    for (const row of this.#o.store.withStatus('running')) {
      if (row.backend_id && row.prompt_id) this.#orphans.set(row.id, { backendId: row.backend_id, promptId: row.prompt_id, since: now });
      else this.#requeue(row.id, 'running without a backend at start-up');
    }
    this.#unsubscribe = this.#o.source.onChange(() => this.kick());
    this.#timer = setInterval(() => this.#tick(), Math.max(50, Math.min(1000, this.#o.silenceMs / 2)));
    this.#timer.unref();
    this.kick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    for (const f of this.#inflight.values()) f.detach();
  }

  /** Starts nothing new (shutdown): queued jobs stay queued for the next start; running ones go on. */
  pause(): void {
    this.#paused = true;
  }

  get queuedCount(): number {
    return this.#queue.size;
  }

  queuePosition(id: string): number | null {
    return this.#queue.position(id);
  }

  enqueue(row: Parameters<JobEngine['waitingFromRow']>[0]): void {
    this.#queue.add(this.waitingFromRow(row));
    this.kick();
  }

  waitingFromRow(row: { id: string; priority: number; seq: number; template: string | null; requirements: string }): Waiting {
    return this.#waiting(row);
  }

  /** Cancels a queued job at once, or interrupts a running one on its backend. */
  async cancel(id: string): Promise<'cancelled' | 'requested' | 'terminal' | 'not_found'> {
    const row = this.#o.store.get(id);
    if (!row) return 'not_found';
    if (row.status === 'queued') {
      this.#queue.remove(id);
      if (this.#o.store.finish(id, 'cancelled', { kind: 'cancelled', message: 'cancelled by request' }, this.#o.now()) === 'ok') {
        this.#o.emit(id, 'cancelled', { while: 'queued' });
        this.#emitPositions();
        return 'cancelled';
      }
      return 'terminal';
    }
    if (row.status !== 'running') return 'terminal';
    this.#o.store.requestCancel(id);
    const inflight = this.#inflight.get(id);
    if (inflight) await inflight.cancel('cancelled');
    else if (this.#orphans.delete(id)) {
      const b = this.#backend(row.backend_id);
      if (b && row.prompt_id) await b.cancel(row.prompt_id).catch(() => undefined);
      this.#o.store.end(id, 'cancelled', { kind: 'cancelled', message: 'cancelled by request' }, 'cancelled', this.#o.now());
      this.#o.emit(id, 'cancelled', { while: 'running' });
    }
    return 'requested';
  }

  /** Coalesces many triggers into one dispatch pass. */
  kick(): void {
    if (this.#kickScheduled || this.#closed) return;
    this.#kickScheduled = true;
    queueMicrotask(() => {
      this.#kickScheduled = false;
      this.#dispatch();
    });
  }

  #waiting(row: { id: string; priority: number; seq: number; template: string | null; requirements: string }): Waiting {
    return {
      id: row.id,
      priority: row.priority,
      seq: row.seq,
      template: row.template,
      requirements: this.#requirements(row.requirements),
      skips: 0,
    };
  }

  /** Jobs of one template share one parsed requirements object (100k queued jobs, few templates). */
  readonly #parsed = new Map<string, Requirements>();
  #requirements(json: string): Requirements {
    let r = this.#parsed.get(json);
    if (!r) {
      if (this.#parsed.size >= 1000) this.#parsed.clear();
      r = JSON.parse(json) as Requirements;
      this.#parsed.set(json, r);
    }
    return r;
  }

  #backend(id: string | null): JobBackend | undefined {
    return id ? this.#o.source.backends().find((b) => b.id === id) : undefined;
  }

  #load(backendId: string): number {
    let n = 0;
    for (const f of this.#inflight.values()) if (f.backendId === backendId) n++;
    return n;
  }

  #dispatch(): void {
    if (this.#closed) return;
    this.#adoptOrphans();
    if (this.#queue.size === 0 || this.#paused) return;
    const slots = 1 + this.#o.prefetch;
    const backends = this.#o.source.backends().filter((b) => b.accepting());
    let dispatched = false;
    // Least-loaded first, so idle backends get work before a busy one gets its prefetch.
    for (let round = 0; round < slots; round++) {
      for (const b of [...backends].sort((x, y) => this.#load(x.id) - this.#load(y.id))) {
        if (this.#load(b.id) > round) continue;
        const w = this.#pick(b, backends.length);
        if (!w) continue;
        this.#queue.remove(w.id);
        this.#start(w, b);
        dispatched = true;
      }
    }
    if (dispatched) this.#emitPositions();
  }

  /** Best job for this backend inside the window; the head wins once it has been skipped enough. */
  /** A job that reads other jobs' outputs waits for them; if one did not succeed, it fails. */
  #ready(w: Waiting): boolean {
    for (const dep of w.requirements.after ?? []) {
      const status = this.#o.store.get(dep)?.status;
      if (status === 'succeeded') continue;
      if (status === 'queued' || status === 'running') return false;
      this.#queue.remove(w.id);
      const error = { kind: 'workflow' as const, message: `job ${dep} whose output this job reads ${status ?? 'no longer exists'}` };
      if (this.#o.store.finish(w.id, 'failed', error, this.#o.now()) === 'ok') this.#o.emit(w.id, 'failed', { error });
      return false;
    }
    return true;
  }

  #pick(b: JobBackend, accepting: number): Waiting | undefined {
    const window = this.#queue.head(this.#o.affinityWindow).filter((w) => !w.requirements.after?.length || this.#ready(w));
    const runnable = window.filter((w) => b.missing(w.requirements) === null && (accepting < 2 || !w.avoid?.has(b.id)));
    if (runnable.length === 0) return undefined;
    const first = runnable[0] as Waiting;
    if (first.skips >= this.#o.maxSkips) return first;
    let best = first;
    let bestScore = b.affinity(first.requirements, first.template) + (this.#lastTemplate.get(b.id) === first.template ? 1 : 0);
    for (const w of runnable.slice(1)) {
      const score = b.affinity(w.requirements, w.template) + (this.#lastTemplate.get(b.id) === w.template ? 1 : 0);
      if (score > bestScore) { best = w; bestScore = score; }
    }
    if (best !== first) for (const w of runnable) { if (w === best) break; w.skips++; }
    return best;
  }

  #start(w: Waiting, b: JobBackend): void {
    const row = this.#o.store.get(w.id);
    if (!row || row.status !== 'queued') return;
    const promptId = randomUUID();
    if (this.#o.store.startAttempt(w.id, b.id, promptId, this.#o.now()) !== 'ok') return;
    this.#lastTemplate.set(b.id, w.template);
    const ctx = this.#context();
    this.#follow(w.id, runAttempt(ctx, { row: { ...row, attempts: row.attempts + 1 }, backend: b, promptId, waiting: w }));
  }

  /** Counts the attempt against its backend's slots until it ends, then dispatches again. */
  #follow(jobId: string, inflight: Inflight): void {
    this.#inflight.set(jobId, inflight);
    void inflight.finished.finally(() => {
      this.#inflight.delete(jobId);
      this.kick();
    });
  }

  #context(): AttemptContext {
    return {
      store: this.#o.store,
      emit: this.#o.emit,
      log: this.#o.log,
      now: this.#o.now,
      maxAttempts: this.#o.maxAttempts,
      silenceMs: this.#o.silenceMs,
      loadFile: this.#o.loadFile,
      requeue: (w) => {
        this.#queue.add(w);
        this.#emitPositions();
      },
    };
  }

  #requeue(id: string, why: string): void {
    if (this.#o.store.requeue(id) !== 'ok') return;
    const row = this.#o.store.get(id);
    if (!row) return;
    this.#o.store.finishAttempt(id, 'infrastructure', { kind: 'infrastructure', message: why }, this.#o.now());
    this.#queue.add(this.#waiting(row));
    this.#o.emit(id, 'retrying', { reason: why });
  }

  /** Running jobs found at start-up: follow them again on their backend, or requeue. */
  #adoptOrphans(): void {
    for (const [id, o] of this.#orphans) {
      const b = this.#backend(o.backendId);
      if (!b || !b.accepting()) {
        if (this.#o.now() - o.since > this.#o.orphanGraceMs) {
          this.#orphans.delete(id);
          this.#requeue(id, `backend ${o.backendId} did not come back after a restart of the service`);
        }
        continue;
      }
      this.#orphans.delete(id);
      const row = this.#o.store.get(id);
      if (!row || row.status !== 'running') continue;
      this.#follow(id, runAttempt(this.#context(), { row, backend: b, promptId: o.promptId, waiting: this.#waiting(row), reattach: true }));
    }
  }

  #tick(): void {
    const now = this.#o.now();
    for (const f of this.#inflight.values()) f.watch(now);
    this.kick();
  }

  #emitPositions(): void {
    this.#queue.head(50).forEach((w, i) => this.#o.emit(w.id, 'position', { position: i }, { coalesce: true }));
  }
}
