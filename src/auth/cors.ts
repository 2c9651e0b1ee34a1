// CORS for browser apps on other origins (CORS_ORIGINS). Keys travel in the Authorization
// header, never in cookies, so credentials mode stays off and no request is ambiently
// authenticated. Same-origin pages (the demo) need no CORS headers at all.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { originAllowed } from './origins.ts';

export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && originAllowed(origins, origin, undefined)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'x-request-id', 'range'],
    exposedHeaders: ['location', 'retry-after', 'x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'content-range'],
    credentials: false,
    maxAge: 600,
  });
}
