// The contract, served: the OpenAPI document as JSON and YAML (generated from the routes' zod
// schemas, same bytes as the committed openapi.yaml) and an interactive reference at /docs that
// works offline (swagger-ui assets come from the npm package, not a CDN).
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { FleetError } from '../src/errors.ts';
import { buildOpenApi } from '../src/http/openapi.ts';
import { toYaml } from '../src/http/yaml.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>comfy-fleet API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });</script>
</body></html>`;

const docsRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  let doc: Record<string, unknown> | undefined;
  const document = () => (doc ??= buildOpenApi(app.catalog, { version: app.fleetVersion }));

  r.get('/openapi.json', { schema: { summary: 'This OpenAPI document, as JSON', tags: ['docs'], produces: ['application/json'] } },
    async (_req, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(document())));
  r.get('/openapi.yaml', { schema: { summary: 'This OpenAPI document, as YAML', tags: ['docs'], produces: ['application/yaml'] } },
    async (_req, reply) => reply.type('application/yaml; charset=utf-8').send(toYaml(document())));
  r.get('/docs', { schema: { summary: 'Interactive API reference', tags: ['docs'], produces: ['text/html'] } },
    async (_req, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
  r.get('/docs/:asset', {
    schema: { summary: 'Static assets of the API reference', tags: ['docs'], hide: true, params: z.object({ asset: z.string() }) },
  }, async (req, reply) => {
    // Own keys only: `__proto__`, `constructor` or `toString` must not find Object.prototype's members.
    const type = Object.hasOwn(ASSETS, req.params.asset) ? ASSETS[req.params.asset] : undefined;
    if (!type) throw new FleetError('FLEET_NOT_FOUND', `No asset ${req.params.asset}`);
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(createReadStream(path.join(swaggerDir, req.params.asset)));
  });
};

export default docsRoutes;
