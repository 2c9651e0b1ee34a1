// Webhooks per job, signed the Standard Webhooks way (webhook-id, webhook-timestamp,
// webhook-signature: v1,base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`))). Deliveries are
// rows: they survive a restart, are retried with backoff, and every attempt is visible on the job.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/db.ts';
import { postJson } from './post.ts';

export interface WebhookTarget {
  url: string;
  events?: string[];
}

export interface DeliveryRow {
  id: string;
  job_id: string;
  event: string;
  url: string;
  payload: string;
  attempts: number;
  next_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
}

/** Seconds after the first try: 5 s, 30 s, 2 min, 10 min, 30 min, then give up. */
export const RETRY_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000];
const DEFAULT_EVENTS = ['succeeded', 'failed'];

/** `whsec_` + base64 of the key, as Standard Webhooks secrets are written. */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export interface WebhookOptions {
  db: Db;
  secret: string;
  /**
   * Checks a URL right before each delivery (SSRF guard: DNS may have changed since submit);
   * returns the addresses it checked, and the connection is pinned to the first one.
   */
  checkUrl: (url: string) => Promise<string[] | void>;
  log: { warn: (o: object, m?: string) => void };
  onDelivery?: (outcome: 'delivered' | 'failed' | 'gave_up') => void;
  now?: () => number;
  timeoutMs?: number;
  retryScheduleMs?: number[];
}

export class WebhookSender {
  readonly #o: WebhookOptions & { now: () => number; timeoutMs: number; retryScheduleMs: number[] };
  readonly #s;
  #timer: NodeJS.Timeout | undefined;
  readonly #busy = new Set<string>();

  constructor(o: WebhookOptions) {
    this.#o = { now: Date.now, timeoutMs: 10_000, retryScheduleMs: RETRY_SCHEDULE_MS, ...o };
    this.#s = {
      insert: o.db.prepare(`INSERT INTO webhook_deliveries (id, job_id, event, url, payload, next_at, created_at)
        VALUES (@id, @jobId, @event, @url, @payload, @at, @at)`),
      due: o.db.prepare('SELECT * FROM webhook_deliveries WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at LIMIT 50'),
      update: o.db.prepare(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = @nextAt, last_status = @status,
        last_error = @error, delivered_at = @deliveredAt WHERE id = @id`),
      forJob: o.db.prepare('SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at'),
    };
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), Math.min(1000, this.#o.retryScheduleMs[0] ?? 1000));
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** Records a delivery for this event if the job's webhook wants it, and tries it at once. */
  enqueue(jobId: string, target: WebhookTarget, event: string, job: unknown): void {
    if (!(target.events ?? DEFAULT_EVENTS).includes(event)) return;
    const id = `msg_${randomUUID()}`;
    const at = this.#o.now();
    const payload = JSON.stringify({ type: `job.${event}`, timestamp: new Date(at).toISOString(), data: job });
    this.#s.insert.run({ id, jobId, event, url: target.url, payload, at });
    void this.flush();
  }

  deliveries(jobId: string): DeliveryRow[] {
    return this.#s.forJob.all(jobId) as DeliveryRow[];
  }

  /** Sends every due delivery once. */
  async flush(): Promise<void> {
    const due = (this.#s.due.all(this.#o.now()) as DeliveryRow[]).filter((d) => !this.#busy.has(d.id));
    await Promise.all(due.map((d) => this.#send(d)));
  }

  async #send(d: DeliveryRow): Promise<void> {
    this.#busy.add(d.id);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const addresses = await this.#o.checkUrl(d.url);
      const timestamp = Math.floor(this.#o.now() / 1000);
      status = await postJson(d.url, d.payload, {
        'content-type': 'application/json',
        'webhook-id': d.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': sign(this.#o.secret, d.id, timestamp, d.payload),
        'user-agent': 'comfy-fleet-webhooks',
      }, { timeoutMs: this.#o.timeoutMs, ...(addresses?.[0] ? { address: addresses[0] } : {}) });
      // Redirects are not followed: a 3xx could point anywhere, past the guard.
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      this.#busy.delete(d.id);
    }
    const delay = this.#o.retryScheduleMs[d.attempts];
    const delivered = error === null;
    const nextAt = delivered || delay === undefined ? null : this.#o.now() + delay;
    this.#s.update.run({ id: d.id, nextAt, status, error, deliveredAt: delivered ? this.#o.now() : null });
    if (!delivered) this.#o.log.warn({ jobId: d.job_id, deliveryId: d.id, attempt: d.attempts + 1, error }, 'webhook delivery failed');
    this.#o.onDelivery?.(delivered ? 'delivered' : nextAt === null ? 'gave_up' : 'failed');
  }
}
