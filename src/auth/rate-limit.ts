// Per-key request rate limit (RATE_LIMIT_PER_MINUTE) on top of @fastify/rate-limit. Buckets are
// the key's name (so one client cannot starve another by rotating IPs) or, without a key, the
// client IP. Public routes (probes, docs, the demo page) are not counted: a load balancer polling
// /health must never be throttled. The plugin's 429 is rethrown as our problem+json.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FleetError } from '../errors.ts';

export const rateLimitKey = (req: FastifyRequest): string =>
  req.principal && req.principal.name !== '' ? `key:${req.principal.name}` : `ip:${req.ip}`;

/** Register after access control (its onRequest sets req.principal) and before the routes. */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: rateLimitKey,
    allowList: (req) => (req.routeOptions.config.scope ?? 'public') === 'public',
    errorResponseBuilder: (_req, ctx) => {
      const seconds = Math.max(1, Math.ceil(ctx.ttl / 1000));
      return new FleetError('FLEET_RATE_LIMITED', `More than ${ctx.max} requests per minute; retry in ${seconds} s`, {
        headers: { 'retry-after': String(seconds) },
      });
    },
  });
}
