// GET /metrics in the Prometheus text format. Needs the read scope unless METRICS_PUBLIC=true
// (for a scraper inside a private network that cannot hold a key).
import type { FastifyPluginAsync } from 'fastify';

const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/metrics', {
    config: { scope: app.config.auth.metricsPublic ? 'public' : 'read' },
    schema: {
      summary: 'Prometheus metrics: jobs by state, queue depth, job durations and added latency, backends, websocket clients, webhook deliveries',
      tags: ['operations'],
      produces: ['text/plain'],
    },
  }, async (_req, reply) => {
    const text = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(text);
  });
};

export default metricsRoutes;
