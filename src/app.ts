// Composition root: builds the Fastify app from a Config without listening. Services are created
// here and reached through decorators; routes are thin plugins. Tests call buildApp() and use
// inject() or listen on port 0.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Config } from './config.ts';
import { loggerOptions } from './log.ts';
import { installProblemHandlers, sendProblem, toFleetError } from './http/problem.ts';
import { RouteCatalog } from './http/openapi.ts';
import { jsonSerializerCompiler, zodValidatorCompiler } from './http/zod.ts';
import { openDatabase, type Db } from './db/db.ts';
import { Pool } from './pool/pool.ts';
import { EventBus } from './events/bus.ts';
import type { BackendSource } from './jobs/ports.ts';
import { poolJobSource } from './jobs/pool-source.ts';
import { makeResolver } from './jobs/resolver.ts';
import { JobService, type WorkflowResolver } from './jobs/service.ts';
import { WebhookSender } from './jobs/webhooks.ts';
import { webhookSecret } from './jobs/secret.ts';
import { registerTemplates } from './templates/plugin.ts';
import { installAccessControl } from './auth/access.ts';
import { registerRateLimit } from './auth/rate-limit.ts';
import { makeUrlGuard } from './auth/ssrf.ts';
import { installMetrics } from './metrics/plugin.ts';
import { ShutdownState } from './ops/shutdown.ts';
import authRoutes from '../routes/auth.ts';
import metricsRoutes from '../routes/metrics.ts';
import healthRoutes from '../routes/health.ts';
import serversRoutes from '../routes/servers.ts';
import templateRoutes from '../routes/templates.ts';
import jobsRoutes from '../routes/jobs.ts';
import uploadsRoutes from '../routes/uploads.ts';
import multipart from '@fastify/multipart';
import { UploadStore } from './files/uploads.ts';
import eventsRoutes from '../routes/events.ts';
import docsRoutes from '../routes/docs.ts';
import webRoutes from '../routes/web.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    pool: Pool;
    db: Db;
    bus: EventBus;
    jobSource: BackendSource;
    outputsCacheDir: string;
    catalog: RouteCatalog;
    fleetVersion: string;
  }
}

export interface BuildOptions {
  /** false silences logs (tests); otherwise pino JSON at config.logLevel. */
  logger?: boolean;
  /** Where log lines go instead of stdout (tests that inspect logs). */
  logStream?: { write(line: string): void };
  /** Process metrics (CPU, memory, event loop) on /metrics. Default true. */
  processMetrics?: boolean;
  /** Start the pool (spawn/attach servers) when the app becomes ready. Default true. */
  startPool?: boolean;
  /** Backends the job engine dispatches to (tests inject in-memory ones); default: the pool. */
  jobSource?: BackendSource;
  /** Turns job requests into prompts; default: templates + validation against the pool. */
  resolver?: WorkflowResolver;
  /** Refuses webhook URLs that must not be called (SSRF guard); throws to refuse. */
  checkWebhookUrl?: (url: string) => Promise<string[] | void>;
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === false ? false : { ...loggerOptions(config.logLevel), ...(opts.logStream ? { stream: opts.logStream } : {}) },
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    forceCloseConnections: true,
    // Router-level refusals (a path parameter over maxParamLength, a malformed URL) bypass the
    // error handler; render them as problem+json too.
    frameworkErrors: (err, _req, reply) => { void sendProblem(reply, toFleetError(err)); },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);
  installProblemHandlers(app);
  app.addHook('onSend', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });

  const catalog = new RouteCatalog();
  catalog.attach(app);
  app.decorate('config', config);
  app.decorate('catalog', catalog);
  app.decorate('fleetVersion', pkg.version);
  // Before any route: access control fixes each route's scope as it is registered.
  await installAccessControl(app, config);
  await registerRateLimit(app, config.auth.rateLimitPerMinute);
  const shutdown = new ShutdownState();
  app.decorate('shutdown', shutdown);

  const db = openDatabase(path.join(config.dataDir, 'fleet.db'));
  app.decorate('db', db);
  app.addHook('onClose', async () => {
    db.close();
  });

  const pool = new Pool({ config, logger: app.log });
  app.decorate('pool', pool);
  if (opts.startPool !== false) app.addHook('onReady', () => pool.start());
  app.addHook('onClose', () => pool.close());
  await registerTemplates(app, { db, nodeInfo: pool, templatesDir: config.templatesDir, limits: config.workflowLimits });

  const bus = new EventBus();
  app.decorate('bus', bus);
  const jobSource = opts.jobSource ?? poolJobSource(pool);
  app.decorate('jobSource', jobSource);
  app.decorate('outputsCacheDir', path.join(config.dataDir, 'outputs'));
  // SSRF guard: at submit (routes/jobs.ts) and again before each delivery (DNS may change).
  const urlGuard = makeUrlGuard({ allowPrivate: config.auth.allowPrivateUrls });
  const checkWebhookUrl = opts.checkWebhookUrl ?? urlGuard;
  app.decorate('checkWebhookUrl', checkWebhookUrl);
  const webhooks = new WebhookSender({
    db,
    secret: webhookSecret(config.webhookSecret, config.dataDir),
    checkUrl: checkWebhookUrl,
    // Late-bound: metrics are installed after the job service exists.
    onDelivery: (outcome) => app.metrics.webhookDelivered(outcome),
    log: app.log,
  });
  const uploads = new UploadStore(db, path.join(config.dataDir, 'uploads'));
  app.decorate('uploads', uploads);
  const jobs: JobService = new JobService({
    webhooks,
    db,
    source: jobSource,
    resolver: opts.resolver ?? makeResolver({
      templates: app.templates,
      upload: (id) => (/^[0-9a-f]{64}$/.test(id) ? uploads.get(id, null) : undefined),
      jobExists: (id) => jobs.store.get(id) !== undefined,
    }),
    bus,
    log: app.log,
    outputsDir: path.join(config.dataDir, 'outputs'),
    uploadsDir: path.join(config.dataDir, 'uploads'),
    ...config.jobs,
  });
  app.decorate('jobs', jobs);
  app.addHook('onReady', async () => jobs.start());
  app.addHook('preClose', () => jobs.close());
  installMetrics(app, { processMetrics: opts.processMetrics !== false });

  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(healthRoutes);
  await app.register(serversRoutes);
  await app.register(templateRoutes);
  await app.register(docsRoutes);
  await app.register(multipart, { limits: { fileSize: config.uploadMaxBytes, files: 1, fields: 10, parts: 12 } });
  await app.register(jobsRoutes);
  await app.register(uploadsRoutes);
  await app.register(eventsRoutes);
  await app.register(authRoutes);
  await app.register(metricsRoutes);
  await app.register(webRoutes);
  return app;
}
