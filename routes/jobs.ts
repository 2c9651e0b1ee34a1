// Jobs over REST. Thin: zod parses, the job service decides, this shapes the reply.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { FleetError } from '../src/errors.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';
import { CreateJobSchema, JobListQuerySchema, JobListSchema, JobSchema } from '../src/jobs/schemas.ts';
import type { JobService } from '../src/jobs/service.ts';
import { isTerminal } from '../src/jobs/states.ts';
import { streamOutput } from '../src/files/outputs.ts';
import { assertQueueQuota, creatorOf, visibleOwner } from '../src/auth/ownership.ts';

const IdParams = z.object({ id: z.uuid().describe('Job id') });
const OutputParams = IdParams.extend({ n: z.coerce.number().int().min(0).describe('Output index (see `outputs[].n`)') });
const WaitQuery = z.object({
  wait: z.coerce.number().min(0).max(60).optional().describe('Seconds to wait for the job to finish before answering (synchronous mode)'),
});
const IdemHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().describe('Repeating a request with the same key and body returns the original job'),
}).loose();

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobService;
  }
}

const jobsRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/jobs', {
    config: { scope: 'submit' },
    schema: {
      summary: 'Enqueue a job from a template (with params/patch) or a raw API-format workflow',
      description: 'Validates everything first (422 lists every problem). Answers 202 with the job and a Location header; with `?wait=N` answers 200 with the finished job if it finishes within N seconds. A repeated Idempotency-Key with the same body returns the original job (200).',
      tags: ['jobs'],
      body: CreateJobSchema,
      querystring: WaitQuery,
      headers: IdemHeaders,
      response: { 200: JobSchema.describe('The finished job (wait mode) or the original job (repeated Idempotency-Key)'), 202: JobSchema.describe('Accepted and queued') },
    },
  }, async (req, reply) => {
    app.shutdown.assertAccepting();
    const owner = creatorOf(req);
    const idempotencyKey = req.headers['idempotency-key'] ?? null;
    assertQueueQuota(app.jobs.store, owner, app.config.auth.maxQueuedPerKey, idempotencyKey);
    if (req.body.webhook) await app.checkWebhookUrl(req.body.webhook.url);
    const { job, created } = await app.jobs.submit(req.body, { owner, idempotencyKey });
    void reply.header('location', `/jobs/${job.id}`);
    if (!created) return reply.code(200).send(job);
    if (req.query.wait) {
      const after = await app.jobs.wait(job.id, req.query.wait * 1000);
      if (isTerminal(after.status)) return reply.code(200).send(after);
      return reply.code(202).send(after);
    }
    return reply.code(202).send(job);
  });

  r.get('/jobs', {
    config: { scope: 'read' },
    schema: { summary: 'List jobs, newest first, with filters and cursor pagination', tags: ['jobs'], querystring: JobListQuerySchema, response: { 200: JobListSchema } },
  }, async (req) => app.jobs.list({ ...req.query, owner: visibleOwner(req) }));

  r.get('/jobs/:id', {
    config: { scope: 'read' },
    schema: { summary: 'A job: status, queue position, ETA, progress, attempts, outputs, timings, error', tags: ['jobs'], params: IdParams, response: { 200: JobSchema } },
  }, async (req) => app.jobs.get(req.params.id, visibleOwner(req)));

  r.post('/jobs/:id/cancel', {
    config: { scope: 'submit' },
    schema: {
      summary: 'Cancel a job (idempotent)',
      description: 'A queued job never starts; a running one is removed from its ComfyUI queue or interrupted there (only that prompt). Cancelling a finished job changes nothing.',
      tags: ['jobs'],
      params: IdParams,
      response: { 200: JobSchema },
    },
  }, async (req) => app.jobs.cancel(req.params.id, visibleOwner(req)));

  r.get('/jobs/:id/workflow', {
    config: { scope: 'read' },
    schema: { summary: 'The exact API-format prompt this job runs', tags: ['jobs'], params: IdParams, response: { 200: z.record(z.string(), z.unknown()) } },
  }, async (req) => app.jobs.workflow(req.params.id, visibleOwner(req)));

  r.get('/jobs/:id/outputs', {
    config: { scope: 'read' },
    schema: { summary: 'The files a job produced', tags: ['jobs'], params: IdParams, response: { 200: z.object({ outputs: JobSchema.shape.outputs }) } },
  }, async (req) => ({ outputs: app.jobs.get(req.params.id, visibleOwner(req)).outputs }));

  r.get('/jobs/:id/outputs/:n', {
    config: { scope: 'read' },
    schema: {
      summary: 'Download one output file (any media type; Range supported)',
      description: 'Streamed from the backend that produced it (no shared disk assumed) and cached here once fetched whole.',
      tags: ['jobs'],
      params: OutputParams,
      produces: ['application/octet-stream', 'image/png', 'image/jpeg', 'image/webp', 'video/mp4'],
    },
  }, async (req, reply) => {
    const out = app.jobs.output(req.params.id, req.params.n, visibleOwner(req));
    return streamOutput(reply, {
      cacheDir: app.outputsCacheDir,
      key: `${req.params.id}/${req.params.n}`,
      name: out.name,
      range: req.headers.range,
      fetch: (range) => {
        const backend = app.jobSource.backends().find((b) => b.id === out.backendId);
        if (!backend) throw new FleetError('FLEET_BACKEND_UNAVAILABLE', `Backend ${out.backendId} that holds this file is not in the pool`);
        return backend.view(out.ref, range);
      },
    });
  });
};

export default jobsRoutes;
