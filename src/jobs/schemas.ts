// REST shapes of jobs: what clients send and what they get back. The single source for
// validation, TypeScript types and the OpenAPI document.
import { z } from 'zod';
import { ATTEMPT_OUTCOMES, JOB_STATES } from './states.ts';

const ApiWorkflow = z.record(z.string(), z.object({ class_type: z.string(), inputs: z.record(z.string(), z.unknown()) }).loose())
  .describe('A raw ComfyUI API-format prompt: {node id: {class_type, inputs}}');

export const MetadataSchema = z.record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).length <= 32, 'at most 32 metadata keys')
  .describe('Free key/value pairs stored with the job and usable as list filters');

export const WebhookSchema = z.object({
  url: z.url({ protocol: /^https?$/ }).describe('Called on success and on failure'),
  events: z.array(z.enum(['succeeded', 'failed', 'cancelled', 'started'])).optional(),
});

export const CreateJobSchema = z.object({
  template: z.string().min(1).max(64).optional().describe('Name of a stored template'),
  version: z.number().int().positive().optional().describe('Template version (default: latest)'),
  params: z.record(z.string(), z.unknown()).optional().describe('Values of the template parameters'),
  patch: z.record(z.string(), z.record(z.string(), z.unknown())).optional().describe('Literal inputs set by path: {"<node id>": {"<input>": value}}'),
  workflow: ApiWorkflow.optional(),
  priority: z.number().int().min(-100).max(100).default(0).describe('Higher runs first; FIFO within a priority'),
  timeoutMs: z.number().int().min(1000).max(24 * 3600_000).optional().describe('Fail the job with a timeout error after this long running'),
  webhook: WebhookSchema.optional(),
  metadata: MetadataSchema.default({}),
}).refine((b) => (b.template === undefined) !== (b.workflow === undefined), {
  message: 'give exactly one of `template` or `workflow`',
  path: ['template'],
}).meta({ examples: [{ template: 'txt2img', params: { prompt: 'a lighthouse at dusk', seed: 42 }, priority: 0, metadata: { user: 'u1' } }] });
export type CreateJob = z.output<typeof CreateJobSchema>;

export const JobProgressSchema = z.object({
  nodeId: z.string().nullable(),
  classType: z.string().nullable(),
  title: z.string().nullable(),
  value: z.number(),
  max: z.number(),
  percent: z.number().describe('Overall estimate, 0–100'),
});
export type JobProgress = z.output<typeof JobProgressSchema>;

export const JobErrorSchema = z.object({
  kind: z.enum(['workflow', 'infrastructure', 'timeout', 'cancelled']),
  message: z.string(),
  nodeId: z.string().optional(),
  classType: z.string().optional(),
  exceptionType: z.string().optional(),
  traceback: z.array(z.string()).optional().describe('Last frames of ComfyUI\'s traceback'),
});
export type JobError = z.output<typeof JobErrorSchema>;

export const AttemptSchema = z.object({
  n: z.number().int(),
  backendId: z.string(),
  promptId: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  outcome: z.enum(ATTEMPT_OUTCOMES).nullable(),
  error: JobErrorSchema.nullable(),
});

export const OutputSchema = z.object({
  n: z.number().int(),
  nodeId: z.string(),
  kind: z.string().describe('The ComfyUI output key: images, video, audio, ...'),
  filename: z.string(),
  subfolder: z.string(),
  type: z.string(),
  url: z.string().describe('Download through the service'),
});
export type JobOutput = z.output<typeof OutputSchema>;

export const JobSchema = z.object({
  id: z.string(),
  status: z.enum(JOB_STATES),
  template: z.string().nullable(),
  templateVersion: z.number().nullable(),
  priority: z.number(),
  metadata: z.record(z.string(), z.unknown()),
  queuePosition: z.number().int().nullable().describe('0 = next to run; null unless queued'),
  etaMs: z.number().nullable().describe('Estimated time to completion from measured durations of the same template'),
  progress: JobProgressSchema.nullable(),
  backendId: z.string().nullable(),
  attempts: z.array(AttemptSchema),
  outputs: z.array(OutputSchema),
  error: JobErrorSchema.nullable(),
  webhookDeliveries: z.array(z.object({
    id: z.string().describe('The webhook-id header, stable across retries'),
    event: z.string(),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.number().nullable(),
    nextAttemptAt: z.number().nullable().describe('null once delivered or given up'),
  })),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  timings: z.object({
    queuedMs: z.number().nullable().describe('Time waiting before the first attempt started'),
    runMs: z.number().nullable().describe('First attempt start → finish'),
    comfyMs: z.number().nullable().describe('Time spent inside ComfyUI'),
    overheadMs: z.number().nullable().describe('runMs − comfyMs: time added by the service'),
  }),
});
export type Job = z.output<typeof JobSchema>;

export const JobListQuerySchema = z.object({
  status: z.enum(JOB_STATES).optional(),
  template: z.string().optional(),
  metadata: z.string().optional().describe('Filter `key:value` on metadata (exact match)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().describe('Opaque cursor from a previous page'),
});

export const JobListSchema = z.object({ jobs: z.array(JobSchema), nextCursor: z.string().nullable() });
