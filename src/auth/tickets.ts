// Single-use, short-lived tickets for browsers: EventSource and WebSocket cannot send an
// Authorization header, and a long-lived key in a URL ends up in logs and browser history. A
// ticket stands for the key that asked for it, works once, expires quickly, and is stored only as
// a digest so even a heap dump of live tickets cannot be replayed.
import { randomBytes } from 'node:crypto';
import { digestOf } from './keys.ts';

interface Entry {
  principal: string;
  /** When set, the ticket only opens GET /jobs/<jobId>/events. */
  jobId: string | null;
  expiresAt: number;
}

export type Redeemed = { ok: true; principal: string } | { ok: false; reason: string };

export class TicketStore {
  readonly #live = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Bounds memory if a client requests tickets and never uses them. */
  readonly #max: number;

  constructor(opts: { ttlMs: number; now?: () => number; max?: number }) {
    this.#ttlMs = opts.ttlMs;
    this.#now = opts.now ?? (() => Date.now());
    this.#max = opts.max ?? 100_000;
  }

  issue(principal: string, jobId: string | null = null): { ticket: string; expiresAt: number } {
    this.#sweep();
    if (this.#live.size >= this.#max) {
      // Drop the oldest: Map iteration order is insertion order.
      const oldest = this.#live.keys().next();
      if (!oldest.done) this.#live.delete(oldest.value);
    }
    const ticket = `tk_${randomBytes(24).toString('base64url')}`;
    const expiresAt = this.#now() + this.#ttlMs;
    this.#live.set(digestOf(ticket).toString('hex'), { principal, jobId, expiresAt });
    return { ticket, expiresAt };
  }

  /** Consumes the ticket whatever the outcome, so a ticket can never be tried twice. */
  redeem(ticket: string, target: { jobId: string | null }): Redeemed {
    const key = digestOf(ticket).toString('hex');
    const entry = this.#live.get(key);
    this.#live.delete(key);
    if (!entry) return { ok: false, reason: 'ticket unknown or already used' };
    if (entry.expiresAt <= this.#now()) return { ok: false, reason: 'ticket expired' };
    if (entry.jobId !== null && entry.jobId !== target.jobId) return { ok: false, reason: 'ticket was issued for another job' };
    return { ok: true, principal: entry.principal };
  }

  get size(): number {
    return this.#live.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#live) if (e.expiresAt <= now) this.#live.delete(k);
  }
}
