// Liveness and readiness. /health answers while the process runs; /ready only while at least one
// ComfyUI backend can take work, listing the backends either way.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { BACKEND_STATES } from '../src/pool/pool.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';

const HealthReply = z.object({ status: z.literal('ok'), version: z.string(), uptimeMs: z.number() }).describe('The process is alive');

const BackendBrief = z.object({
  id: z.string(),
  url: z.string(),
  kind: z.enum(['spawned', 'remote']),
  state: z.enum(BACKEND_STATES),
  reason: z.string(),
  simulated: z.boolean(),
});
const ReadyReply = z.object({
  ready: z.boolean(),
  simulated: z.boolean().describe('true when the backends are the built-in stand-in, not a real ComfyUI'),
  readyBackends: z.number().int(),
  backends: z.array(BackendBrief),
});

const healthRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const startedAt = Date.now();

  r.get('/health', {
    schema: { summary: 'Liveness: the process is up', tags: ['health'], response: { 200: HealthReply } },
  }, async () => ({ status: 'ok' as const, version: app.fleetVersion, uptimeMs: Date.now() - startedAt }));

  r.get('/ready', {
    schema: {
      summary: 'Readiness: 200 while at least one backend is ready or busy, else 503',
      tags: ['health'],
      response: { 200: ReadyReply.describe('At least one backend can take work'), 503: ReadyReply.describe('No backend can take work') },
    },
  }, async (_req, reply) => {
    const backends = app.pool.list().map(({ id, url, kind, state, reason, simulated }) => ({ id, url, kind, state, reason, simulated }));
    const readyBackends = backends.filter((b) => b.state === 'ready' || b.state === 'busy').length;
    const body = { ready: readyBackends > 0, simulated: app.pool.simulated, readyBackends, backends };
    return reply.code(readyBackends > 0 ? 200 : 503).send(body);
  });
};

export default healthRoutes;
