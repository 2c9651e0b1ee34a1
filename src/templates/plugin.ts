// Wires the template registry into the app: the service as `app.templates` (for the routes and
// the jobs module) and TEMPLATES_DIR loaded once the app is ready. The routes are registered by
// src/app.ts with the others (modules never reach up into routes/).
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/db.ts';
import { nodeInfoOf, type NodeInfoSource } from './nodeinfo.ts';
import { TemplateService, type TemplateLimits } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    templates: TemplateService;
  }
}

export interface TemplatesOptions {
  db: Db;
  /** The pool, or anything with `nodeInfo()`; read on every use, so it may gain the method later. */
  nodeInfo: NodeInfoSource | object;
  templatesDir: string | null;
  limits?: Partial<TemplateLimits>;
}

/** Decorates the root app (not an encapsulated plugin) so siblings such as jobs see `app.templates`. */
export async function registerTemplates(app: FastifyInstance, opts: TemplatesOptions): Promise<TemplateService> {
  const service = new TemplateService({ db: opts.db, nodeInfo: nodeInfoOf(opts.nodeInfo), logger: app.log.child({ module: 'templates' }), limits: opts.limits });
  app.decorate('templates', service);
  const dir = opts.templatesDir;
  if (dir) app.addHook('onReady', async () => { await service.loadDirectory(dir); });
  return service;
}
