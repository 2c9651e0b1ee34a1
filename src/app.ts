// Composition root: builds the Fastify app from a Config without listening. Services are created
// here and reached through decorators; routes are thin plugins. Tests call buildApp() and use
// inject() or listen on port 0.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Config } from './config.ts';
import { loggerOptions } from './log.ts';
import { installProblemHandlers } from './http/problem.ts';
import { RouteCatalog } from './http/openapi.ts';
import { jsonSerializerCompiler, zodValidatorCompiler } from './http/zod.ts';
import { openDatabase, type Db } from './db/db.ts';
import { Pool } from './pool/pool.ts';
import healthRoutes from '../routes/health.ts';
import docsRoutes from '../routes/docs.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    pool: Pool;
    db: Db;
    catalog: RouteCatalog;
    fleetVersion: string;
  }
}

export interface BuildOptions {
  /** false silences logs (tests); otherwise pino JSON at config.logLevel. */
  logger?: boolean;
  /** Start the pool (spawn/attach servers) when the app becomes ready. Default true. */
  startPool?: boolean;
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === false ? false : loggerOptions(config.logLevel),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    forceCloseConnections: true,
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

  const db = openDatabase(path.join(config.dataDir, 'fleet.db'));
  app.decorate('db', db);
  app.addHook('onClose', async () => {
    db.close();
  });

  const pool = new Pool({ config });
  app.decorate('pool', pool);
  if (opts.startPool !== false) app.addHook('onReady', () => pool.start());
  app.addHook('onClose', () => pool.close());

  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  await app.register(healthRoutes);
  await app.register(docsRoutes);
  return app;
}
