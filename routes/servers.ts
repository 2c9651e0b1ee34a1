// The pool over REST: list, inspect, attach, spawn, drain, restart, remove, logs. Thin: zod
// parses, the pool decides (and throws FLEET_SERVER_* errors), this shapes the reply.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { BACKEND_STATES } from '../src/pool/pool.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';

const ServerSchema = z.object({
  id: z.string().describe('Stable id: `local-N`/`gpu-G` for spawned servers, `remote-N` for attached ones'),
  url: z.string().describe('Base URL of the ComfyUI server'),
  kind: z.enum(['spawned', 'remote']).describe('`spawned`: started and supervised by this service; `remote`: attached by URL, never started or killed'),
  state: z.enum(BACKEND_STATES).describe('State machine position (see src/pool/backend.ts)'),
  reason: z.string().describe('Why the last transition happened'),
  simulated: z.boolean().describe('true when this is the built-in stand-in, not a real ComfyUI'),
  adopted: z.boolean().describe('Spawned by a previous service instance and re-adopted by this one'),
  pid: z.number().int().nullable().describe('Process id (spawned servers)'),
  gpu: z.string().nullable().describe('The `--cuda-device` it was started with'),
  port: z.number().int().nullable(),
  uptimeMs: z.number().nullable().describe('Time since the current process became ready (or the remote first answered)'),
  restarts: z.number().int().describe('Restarts of this server, automatic and requested'),
  queueDepth: z.number().int().describe('Prompts pending plus running on this server'),
  currentPrompt: z.string().nullable().describe('prompt_id executing now, if known'),
  loadedModel: z.string().nullable().describe('Checkpoint named by the last running prompt (ComfyUI does not report it)'),
  capabilities: z.object({
    nodeClasses: z.number().int().describe('Node classes in /object_info'),
    models: z.record(z.string(), z.number().int()).describe('Model files per folder'),
    readAt: z.number().nullable().describe('When they were read (epoch ms)'),
  }),
}).describe('One ComfyUI server of the pool');

const IdParams = z.object({ id: z.string().min(1).max(200).describe('Server id') });
const CreateBody = z.union([
  z.object({ url: z.string().min(1).max(2000).describe('http(s) base URL of a running ComfyUI') }).strict(),
  z.object({
    spawn: z.literal(true),
    gpu: z.string().regex(/^[\w,]+$/).optional().describe('Passed as `--cuda-device`'),
    args: z.array(z.string().max(1000)).max(100).optional().describe('Extra flags for this server, after COMFY_EXTRA_ARGS'),
  }).strict(),
]).describe('Attach a running server by URL, or spawn another one');
const LogsQuery = z.object({
  tail: z.coerce.number().int().min(1).max(100_000).optional().describe('Newest N lines (default: all kept)'),
});
const LogsReply = z.object({
  id: z.string(),
  lines: z.array(z.string()).describe('stdout and stderr, oldest first, ANSI codes stripped'),
  file: z.string().nullable().describe('The full log file on the service host (spawned servers)'),
});

const serversRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/servers', {
    schema: { summary: 'List the ComfyUI servers of the pool', tags: ['servers'], response: { 200: z.object({ simulated: z.boolean(), servers: z.array(ServerSchema) }) } },
  }, async () => ({ simulated: app.pool.simulated, servers: app.pool.list() }));

  r.get('/servers/:id', {
    schema: { summary: 'One server: state, process, load, capabilities', tags: ['servers'], params: IdParams, response: { 200: ServerSchema } },
  }, async (req) => app.pool.summary(req.params.id));

  r.post('/servers', {
    schema: {
      summary: 'Attach a running ComfyUI by URL, or spawn another server',
      description: 'Answers 201 at once; the server then goes `starting` → `ready` (or `unhealthy` while a remote does not answer, `failed` when a spawned one cannot start). A URL already in the pool is a 409.',
      tags: ['servers'],
      body: CreateBody,
      response: { 201: ServerSchema },
    },
  }, async (req, reply) => {
    const created = 'url' in req.body ? app.pool.attach(req.body.url) : app.pool.spawn({ gpu: req.body.gpu, args: req.body.args });
    void reply.header('location', `/servers/${created.id}`);
    return reply.code(201).send(created);
  });

  r.post('/servers/:id/drain', {
    schema: {
      summary: 'Stop giving a server new work',
      description: 'Work it already has finishes. It stays `draining` (even across a crash-restart) until restarted or removed.',
      tags: ['servers'], params: IdParams, response: { 200: ServerSchema },
    },
  }, async (req) => app.pool.drain(req.params.id));

  r.post('/servers/:id/restart', {
    schema: {
      summary: 'Restart a server (re-arms a `failed` one)',
      description: 'Spawned: interrupt, SIGTERM, SIGKILL after the grace period, then a fresh start with a clean crash history. Remote: re-probed and reconnected. Answers 202 at once.',
      tags: ['servers'], params: IdParams, response: { 202: ServerSchema },
    },
  }, async (req, reply) => reply.code(202).send(app.pool.restart(req.params.id)));

  r.delete('/servers/:id', {
    schema: {
      summary: 'Remove a server: drain, then stop it (spawned) or detach it (remote)',
      description: 'Answers 202 with the server as it is now; it disappears from the list once its queue is empty (bounded by COMFY_DRAIN_TIMEOUT_MS) and it is stopped.',
      tags: ['servers'], params: IdParams, response: { 202: ServerSchema },
    },
  }, async (req, reply) => reply.code(202).send(app.pool.remove(req.params.id).summary));

  r.get('/servers/:id/logs', {
    schema: {
      summary: 'The newest output lines of a spawned server',
      description: 'From an in-memory ring of COMFY_LOG_LINES lines; the whole output is in the file named by `file`. Remote servers have no logs here.',
      tags: ['servers'], params: IdParams, querystring: LogsQuery, response: { 200: LogsReply },
    },
  }, async (req) => ({ id: req.params.id, ...app.pool.logs(req.params.id, req.query.tail) }));
};

export default serversRoutes;
