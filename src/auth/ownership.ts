// Jobs belong to the key that created them. These turn a request's principal into the `owner`
// arguments of JobService: who a new job belongs to, and whose jobs a request may see.
import type { FastifyRequest } from 'fastify';
import { FleetError } from '../errors.ts';

/** The owner recorded on a job this request creates ('' in open mode). */
export const creatorOf = (req: FastifyRequest): string => req.principal?.name ?? '';

/** Restricts reads to the caller's own jobs; undefined (no restriction) for admin keys. */
export const visibleOwner = (req: FastifyRequest): string | undefined =>
  !req.principal || req.principal.admin ? undefined : req.principal.name;

export interface QueuedCounter {
  queuedCount(owner?: string): number;
  byIdempotencyKey(owner: string, key: string): unknown;
}

/**
 * MAX_QUEUED_PER_KEY: one client cannot fill the shared queue. A repeated Idempotency-Key is let
 * through so it can answer with the original job instead of a 429.
 */
export function assertQueueQuota(store: QueuedCounter, owner: string, max: number, idempotencyKey: string | null): void {
  if (max <= 0) return;
  if (idempotencyKey && store.byIdempotencyKey(owner, idempotencyKey)) return;
  const queued = store.queuedCount(owner);
  if (queued >= max) {
    throw new FleetError('FLEET_QUOTA_EXCEEDED', `This key has ${queued} queued jobs (limit ${max}); wait for some to start`, {
      headers: { 'retry-after': '10' },
    });
  }
}
