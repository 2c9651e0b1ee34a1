// Builds the OpenAPI 3.1 document from the routes as registered: their zod schemas become JSON
// Schema, so the published contract cannot drift from what the code validates.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import { ERRORS } from '../errors.ts';

/** Extra keys a route may put in its `schema`, besides body/querystring/params/headers/response. */
export interface RouteDocs {
  summary?: string;
  description?: string;
  tags?: string[];
  /** Non-JSON media types of the 2xx reply, e.g. ['text/event-stream']. */
  produces?: string[];
  /** Request media type when it is not JSON, e.g. 'multipart/form-data'. */
  consumes?: string;
  hide?: boolean;
}

declare module 'fastify' {
  interface FastifySchema extends RouteDocs {}
}

interface CatalogEntry {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  /** Read when the document is built: access control settles each route's scope in its config. */
  scope: () => string | undefined;
}

export class RouteCatalog {
  readonly entries: CatalogEntry[] = [];

  /** Hooks into route registration; call before the routes are registered. */
  attach(app: FastifyInstance): void {
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const m of methods) {
        if (m === 'HEAD' || m === 'OPTIONS') continue;
        this.entries.push({
          method: m.toLowerCase(),
          url: route.url,
          schema: (route.schema ?? {}) as Record<string, unknown>,
          scope: () => (route.config as { scope?: string } | undefined)?.scope,
        });
      }
    });
  }
}

const isZod = (v: unknown): v is z.ZodType => v instanceof z.ZodType;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function parametersFrom(schema: unknown, where: 'path' | 'query' | 'header'): unknown[] {
  if (!isZod(schema)) return [];
  const js = jsonSchema(schema, 'input');
  const props = (js.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const problemRef = { $ref: '#/components/schemas/Problem' };

function responsesFrom(schema: Record<string, unknown>): Record<string, unknown> {
  const docs = schema as RouteDocs;
  const responses: Record<string, unknown> = {};
  const declared = (schema.response ?? {}) as Record<string, unknown>;
  for (const [status, s] of Object.entries(declared)) {
    const description = isZod(s) ? (s.description ?? `${status} reply`) : `${status} reply`;
    const isSuccess = status.startsWith('2');
    if (!isZod(s)) {
      responses[status] = { description };
    } else if (isSuccess && docs.produces?.length) {
      responses[status] = { description, content: Object.fromEntries(docs.produces.map((t) => [t, { schema: jsonSchema(s, 'output') }])) };
    } else {
      responses[status] = { description, content: { 'application/json': { schema: jsonSchema(s, 'output') } } };
    }
  }
  if (Object.keys(declared).length === 0) {
    responses['200'] = docs.produces?.length
      ? { description: 'OK', content: Object.fromEntries(docs.produces.map((t) => [t, {}])) }
      : { description: 'OK' };
  }
  responses['4XX'] = { description: 'Client error (problem+json with a stable code)', content: { 'application/problem+json': { schema: problemRef } } };
  responses['5XX'] = { description: 'Server or backend error (problem+json)', content: { 'application/problem+json': { schema: problemRef } } };
  return responses;
}

const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]),
  errors: z.array(z.object({ message: z.string(), path: z.string().optional() }).loose()).optional(),
}).loose();

export function buildOpenApi(catalog: RouteCatalog, info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...catalog.entries].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  for (const e of sorted) {
    const docs = e.schema as RouteDocs;
    if (docs.hide) continue;
    const url = e.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const op: Record<string, unknown> = {
      operationId: `${e.method}${url.replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`,
      ...(docs.summary ? { summary: docs.summary } : {}),
      ...(docs.description ? { description: docs.description } : {}),
      ...(docs.tags ? { tags: docs.tags } : {}),
    };
    const parameters = [
      ...parametersFrom(e.schema.params, 'path'),
      ...parametersFrom(e.schema.querystring, 'query'),
      ...parametersFrom(e.schema.headers, 'header'),
    ];
    if (parameters.length) op.parameters = parameters;
    if (isZod(e.schema.body)) {
      op.requestBody = {
        required: true,
        content: { [docs.consumes ?? 'application/json']: { schema: jsonSchema(e.schema.body, 'input') } },
      };
    } else if (docs.consumes) {
      op.requestBody = { required: true, content: { [docs.consumes]: {} } };
    }
    op.responses = responsesFrom(e.schema);
    const scope = e.scope();
    if (scope === 'public') op.security = [];
    else if (scope) {
      op.security = [{ bearerAuth: [] }];
      op['x-scope'] = scope;
    }
    (paths[url] ??= {})[e.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'comfy-fleet',
      version: info.version,
      description: 'A reliable HTTP backend in front of a pool of ComfyUI servers. Generated from the zod schemas of the routes; do not edit by hand (npm run openapi).',
    },
    paths,
    components: {
      schemas: { Problem: jsonSchema(ProblemSchema, 'output') },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key from API_KEYS (`Authorization: Bearer <key>`). Each operation names the scope it needs in `x-scope` (admin ⊃ submit ⊃ read). Browsers use a single-use `?ticket=` from POST /auth/ticket on /ws and SSE instead. With no keys configured the service is open (loopback only).',
        },
      },
    },
  };
}
