// The parts of the API's replies the CLI reads, as zod schemas. Deliberately loose (extra fields
// pass, only what is printed is required) so a CLI keeps working against a newer service.
import { z } from 'zod';

export const TERMINAL_STATES = ['succeeded', 'failed', 'cancelled'] as const;

export const JobErrorReply = z.object({
  kind: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  classType: z.string().optional(),
  exceptionType: z.string().optional(),
}).loose();

export const OutputReply = z.object({ n: z.number().int(), filename: z.string(), subfolder: z.string(), kind: z.string(), url: z.string() }).loose();
export type OutputReplyT = z.infer<typeof OutputReply>;

export const ProgressReply = z.object({
  nodeId: z.string().nullable(),
  classType: z.string().nullable(),
  title: z.string().nullable(),
  value: z.number(),
  max: z.number(),
  percent: z.number(),
}).loose();

export const JobReply = z.object({
  id: z.string(),
  status: z.string(),
  template: z.string().nullable(),
  queuePosition: z.number().nullable(),
  progress: ProgressReply.nullable(),
  backendId: z.string().nullable(),
  outputs: z.array(OutputReply),
  error: JobErrorReply.nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
}).loose();
export type JobReplyT = z.infer<typeof JobReply>;

export const JobListReply = z.object({ jobs: z.array(JobReply), nextCursor: z.string().nullable() }).loose();

export const ServerReply = z.object({
  id: z.string(),
  url: z.string(),
  kind: z.string(),
  state: z.string(),
  reason: z.string(),
  simulated: z.boolean().optional(),
  queueDepth: z.number().optional(),
}).loose();
export type ServerReplyT = z.infer<typeof ServerReply>;
export const ServerListReply = z.object({ servers: z.array(ServerReply) }).loose();
/** GET /ready, for services without GET /servers: the body lists the backends even on 503. */
export const ReadyReply = z.object({ backends: z.array(ServerReply) }).loose();

export const ParameterReply = z.object({
  required: z.boolean(),
  description: z.string().optional(),
  default: z.unknown().optional(),
  schema: z.record(z.string(), z.unknown()),
  problem: z.string().optional(),
}).loose();
export type ParameterReplyT = z.infer<typeof ParameterReply>;

export const TemplateReply = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string().nullable(),
  parameters: z.record(z.string(), ParameterReply),
  suggestedParameters: z.record(z.string(), z.unknown()).optional(),
  validation: z.object({ valid: z.boolean(), errors: z.array(z.object({ message: z.string() }).loose()) }).loose().nullable().optional(),
}).loose();
export type TemplateReplyT = z.infer<typeof TemplateReply>;

export const TemplateListReply = z.object({
  templates: z.array(z.object({
    name: z.string(),
    latestVersion: z.number().int(),
    description: z.string().nullable(),
    parameterNames: z.array(z.string()),
    updatedAt: z.string(),
  }).loose()),
}).loose();

/** Messages of GET /ws the CLI handles (previews come as binary frames and are skipped). */
export const WsMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), jobId: z.string(), job: JobReply }),
  z.object({ type: z.literal('event'), jobId: z.string(), seq: z.number(), event: z.string(), at: z.number().optional(), data: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('error'), code: z.string().optional(), message: z.string() }),
  z.object({ type: z.literal('pong'), id: z.string().optional() }),
]);
export type WsMessageT = z.infer<typeof WsMessage>;
