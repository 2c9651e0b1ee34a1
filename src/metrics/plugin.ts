// Wires FleetMetrics to the app's owners: the job store and engine, the pool, the websocket
// server and the event bus. Call after app.jobs exists and before routes are registered (the
// SSE counting hook must apply to them). Sources are read lazily, at scrape time.
import type { FastifyInstance } from 'fastify';
import { BACKEND_STATES } from '../pool/pool.ts';
import { isTerminalEvent } from '../jobs/events.ts';
import { FleetMetrics } from './metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: FleetMetrics;
  }
}


export function installMetrics(app: FastifyInstance, opts: { processMetrics?: boolean } = {}): FleetMetrics {
  const metrics = new FleetMetrics({
    jobCounts: () => app.jobs.store.countByStatus(),
    queueDepth: () => app.jobs.engine.queuedCount,
    // The pool may be mid-change or absent in some tests; a scrape must never fail because of it.
    backends: () => (typeof app.pool?.list === 'function' ? app.pool.list() : []),
    websocketClients: () => (app.hasDecorator('websocketServer') ? app.websocketServer.clients.size : 0),
    backendStates: BACKEND_STATES,
  }, opts);
  app.decorate('metrics', metrics);

  const off = app.bus.subscribeAll((e) => {
    if (!isTerminalEvent(e.type)) return;
    try {
      const job = app.jobs.get(e.jobId);
      metrics.observeJob(job.status, job.timings);
    } catch (err) {
      app.log.warn({ err, jobId: e.jobId }, 'metrics: could not read a finished job');
    }
  });
  app.addHook('onClose', async () => off());

  // Server-sent event streams are hijacked replies: count from the handler until the socket closes.
  app.addHook('preHandler', async (req) => {
    if (!req.routeOptions.schema?.produces?.includes('text/event-stream')) return;
    metrics.sseClients.inc();
    req.raw.socket.once('close', () => metrics.sseClients.dec());
  });
  return metrics;
}
