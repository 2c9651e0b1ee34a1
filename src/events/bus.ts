// Per-job event streams: a sequence number per job, a bounded replay ring, and listeners.
// Events where only the latest matters (progress, position) replace their predecessor in the
// ring, so a late or slow subscriber gets the newest value instead of a backlog. The job row is
// the snapshot; the ring only has to bridge a reconnect.
import { isTerminalEvent, type JobEventType } from '../jobs/events.ts';

export interface JobEvent {
  jobId: string;
  seq: number;
  type: JobEventType;
  at: number;
  data: Record<string, unknown>;
}

export type JobListener = (e: JobEvent) => void;

interface Stream {
  seq: number;
  ring: JobEvent[];
  /** Created on the first subscription: most jobs are never watched. */
  listeners: Set<JobListener> | null;
  endedAt: number | null;
}


export class EventBus {
  readonly #streams = new Map<string, Stream>();
  readonly #all = new Set<JobListener>();
  readonly #ringSize: number;
  readonly #retainMs: number;
  readonly #now: () => number;
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(opts: { ringSize?: number; retainMs?: number; now?: () => number } = {}) {
    this.#ringSize = opts.ringSize ?? 256;
    this.#retainMs = opts.retainMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Jobs that so far only had events not worth replaying (`queued`): just their sequence number.
   * A late subscriber learns the same from the snapshot, and 100k waiting jobs stay cheap.
   */
  readonly #seqOnly = new Map<string, number>();

  #stream(jobId: string): Stream {
    let s = this.#streams.get(jobId);
    if (!s) {
      s = { seq: this.#seqOnly.get(jobId) ?? 0, ring: [], listeners: null, endedAt: null };
      this.#seqOnly.delete(jobId);
      this.#streams.set(jobId, s);
    }
    return s;
  }

  /**
   * `replay: false`: delivered to listeners but not kept for replay (the job row already says
   * it), so it costs no stream while nobody watches.
   */
  publish(jobId: string, type: JobEventType, data: Record<string, unknown>, opts: { coalesce?: boolean; replay?: boolean } = {}): JobEvent {
    if (opts.replay === false && !this.#streams.has(jobId)) {
      const seq = (this.#seqOnly.get(jobId) ?? 0) + 1;
      this.#seqOnly.set(jobId, seq);
      const e: JobEvent = { jobId, seq, type, at: this.#now(), data };
      for (const l of this.#all) l(e);
      return e;
    }
    const s = this.#stream(jobId);
    const e: JobEvent = { jobId, seq: ++s.seq, type, at: this.#now(), data };
    if (opts.coalesce || type === 'preview') {
      const i = s.ring.findIndex((x) => x.type === type);
      if (i >= 0) s.ring.splice(i, 1);
    }
    s.ring.push(e);
    // Overflow drops the oldest non-terminal event; terminal events are never dropped.
    while (s.ring.length > this.#ringSize) {
      const i = s.ring.findIndex((x) => !isTerminalEvent(x.type));
      s.ring.splice(i < 0 ? 0 : i, 1);
    }
    if (isTerminalEvent(type)) s.endedAt = e.at;
    if (s.listeners) for (const l of s.listeners) l(e);
    for (const l of this.#all) l(e);
    this.#sweep();
    return e;
  }

  /** Buffered events after `afterSeq`, in order. */
  since(jobId: string, afterSeq: number): JobEvent[] {
    return (this.#streams.get(jobId)?.ring ?? []).filter((e) => e.seq > afterSeq);
  }

  lastSeq(jobId: string): number {
    return this.#streams.get(jobId)?.seq ?? this.#seqOnly.get(jobId) ?? 0;
  }

  subscribe(jobId: string, listener: JobListener): () => void {
    const s = this.#stream(jobId);
    const listeners = (s.listeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  subscribeAll(listener: JobListener): () => void {
    this.#all.add(listener);
    return () => this.#all.delete(listener);
  }

  /** At most one sweep per second: it walks every stream, so once per publish was quadratic. */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#sweptAt < 1000) return;
    this.#sweptAt = now;
    const cutoff = now - this.#retainMs;
    for (const [id, s] of this.#streams) {
      if (s.endedAt !== null && s.endedAt < cutoff && !s.listeners?.size) this.#streams.delete(id);
    }
  }
}
