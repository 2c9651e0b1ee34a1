/**
 * zod schemas for the HTTP replies of ComfyUI (v0.27) that comfy-fleet uses (PROTOCOL.md §3),
 * checked against the captures in shared/comfyui/captures. Tolerant by design: unknown keys are
 * kept (`looseObject`), keys that some versions omit or null out are `nullish`.
 */
import { z } from 'zod';
import { ExecInfoSchema, NodeOutputSchema } from './messages.ts';

// ---- POST /prompt -------------------------------------------------------------------------

export const ValidationErrorSchema = z.looseObject({
  type: z.string(),
  message: z.string(),
  details: z.string().nullish(),
  extra_info: z.record(z.string(), z.unknown()).nullish(),
});

export const NodeErrorSchema = z.looseObject({
  errors: z.array(ValidationErrorSchema),
  dependent_outputs: z.array(z.string()).nullish(),
  class_type: z.string().nullish(),
});

/** A dict keyed by node id; very old servers (2024) sent an empty list instead (§3.3.1). */
export const NodeErrorsSchema = z.union([
  z.record(z.string(), NodeErrorSchema),
  z.array(z.unknown()).transform((): Record<string, z.infer<typeof NodeErrorSchema>> => ({})),
]);

export const PromptOkSchema = z.looseObject({
  prompt_id: z.string(),
  number: z.number(),
  /** Non-empty on a 200 means some outputs failed validation and were dropped (#9076). */
  node_errors: NodeErrorsSchema.nullish(),
});

/** The 400 body: `error` is an object, or a bare string on very old servers. */
export const PromptErrorBodySchema = z.looseObject({
  error: z.union([ValidationErrorSchema, z.string()]),
  node_errors: NodeErrorsSchema.nullish(),
});

export const PromptCounterSchema = ExecInfoSchema;

// ---- GET /queue ---------------------------------------------------------------------------

/**
 * `[number, prompt_id, prompt, extra_data, outputs_to_execute]`; servers before 0.3.68 added a
 * 6th element (secrets), hence the rest. Turned into named fields once, here.
 */
export const QueueItemSchema = z
  .tuple([z.number(), z.string(), z.record(z.string(), z.unknown()), z.unknown(), z.unknown()])
  .rest(z.unknown())
  .transform(([number, promptId, prompt, extraData, outputs]) => ({
    number,
    promptId,
    prompt,
    extraData: isRecord(extraData) ? extraData : {},
    outputsToExecute: Array.isArray(outputs) ? outputs.map(String) : [],
  }));

export const QueueSchema = z.looseObject({
  queue_running: z.array(QueueItemSchema),
  queue_pending: z.array(QueueItemSchema),
});

// ---- GET /history -------------------------------------------------------------------------

export const HistoryStatusSchema = z.looseObject({
  status_str: z.string().nullish(),
  completed: z.boolean().nullish(),
  /** `[event_name, data]` pairs: execution_start, execution_cached, then the terminal one. */
  messages: z.array(z.tuple([z.string(), z.unknown()])).nullish(),
});

export const HistoryEntrySchema = z.looseObject({
  prompt: QueueItemSchema.nullish(),
  outputs: z.record(z.string(), NodeOutputSchema.nullable()).nullish(),
  status: HistoryStatusSchema.nullish(),
  meta: z.record(z.string(), z.unknown()).nullish(),
});

export const HistorySchema = z.record(z.string(), HistoryEntrySchema);

// ---- GET /system_stats, /features, /models, /embeddings, /upload/image ------------------

export const DeviceSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  index: z.number().nullish(),
  vram_total: z.number().nullish(),
  vram_free: z.number().nullish(),
  torch_vram_total: z.number().nullish(),
  torch_vram_free: z.number().nullish(),
});

export const SystemStatsSchema = z.looseObject({
  system: z.looseObject({
    os: z.string().nullish(),
    ram_total: z.number().nullish(),
    ram_free: z.number().nullish(),
    comfyui_version: z.string().nullish(),
    required_frontend_version: z.string().nullish(),
    python_version: z.string().nullish(),
    pytorch_version: z.string().nullish(),
    embedded_python: z.boolean().nullish(),
    deploy_environment: z.string().nullish(),
    argv: z.array(z.string()).nullish(),
  }),
  devices: z.array(DeviceSchema),
});

export const StringListSchema = z.array(z.string());

export const UploadImageSchema = z.looseObject({
  name: z.string(),
  subfolder: z.string().nullish(),
  type: z.string().nullish(),
});

// ---- GET /object_info ---------------------------------------------------------------------

/** `[TYPE]` or `[TYPE, options]`; TYPE is a string or, for legacy combos, the option list. */
export const InputSpecSchema = z.array(z.unknown());

const InputGroupSchema = z.record(z.string(), z.unknown());

export const NodeDefinitionSchema = z.looseObject({
  input: z
    .looseObject({
      required: InputGroupSchema.nullish(),
      optional: InputGroupSchema.nullish(),
      hidden: InputGroupSchema.nullish(),
    })
    .nullish(),
  input_order: z.record(z.string(), z.array(z.string())).nullish(),
  is_input_list: z.boolean().nullish(),
  output: z.array(z.union([z.string(), z.array(z.unknown())])).nullish(),
  output_is_list: z.array(z.boolean()).nullish(),
  output_name: z.array(z.string().nullable()).nullish(),
  output_tooltips: z.array(z.string().nullable()).nullish(),
  name: z.string(),
  display_name: z.string().nullish(),
  description: z.string().nullish(),
  python_module: z.string().nullish(),
  category: z.string().nullish(),
  output_node: z.boolean().nullish(),
  deprecated: z.boolean().nullish(),
  experimental: z.boolean().nullish(),
  dev_only: z.boolean().nullish(),
  api_node: z.boolean().nullish(),
  search_aliases: z.array(z.string()).nullish(),
  has_intermediate_output: z.boolean().nullish(),
});

export const ObjectInfoSchema = z.record(z.string(), NodeDefinitionSchema);

// ---- output files -------------------------------------------------------------------------

export const OutputFileSchema = z.looseObject({
  filename: z.string(),
  subfolder: z.string().nullish(),
  type: z.string().nullish(),
});

export type ValidationError = z.infer<typeof ValidationErrorSchema>;
export type NodeError = z.infer<typeof NodeErrorSchema>;
export type PromptOk = z.infer<typeof PromptOkSchema>;
export type PromptErrorBody = z.infer<typeof PromptErrorBodySchema>;
export type QueueItem = z.infer<typeof QueueItemSchema>;
export type Queue = z.infer<typeof QueueSchema>;
export type HistoryStatus = z.infer<typeof HistoryStatusSchema>;
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export type History = z.infer<typeof HistorySchema>;
export type SystemStats = z.infer<typeof SystemStatsSchema>;
export type UploadImageReply = z.infer<typeof UploadImageSchema>;
export type NodeDefinition = z.infer<typeof NodeDefinitionSchema>;
export type ObjectInfo = z.infer<typeof ObjectInfoSchema>;
export type OutputFile = z.infer<typeof OutputFileSchema>;

/** One file found in a prompt's outputs, with where it came from. */
export interface LocatedOutputFile {
  nodeId: string;
  /** The output key it was listed under: `images`, `audio`, `video`, `gifs`, … */
  kind: string;
  file: OutputFile;
}

/**
 * Every `{filename, subfolder, type}` dict in a prompt's outputs, whatever key a node used.
 * Custom nodes add arbitrary keys, so we look at shapes, not names (§3.3.7).
 */
export function outputFiles(outputs: Record<string, Record<string, unknown> | null>): LocatedOutputFile[] {
  const files: LocatedOutputFile[] = [];
  for (const [nodeId, output] of Object.entries(outputs)) {
    if (output === null) continue;
    for (const [kind, value] of Object.entries(output)) {
      if (!Array.isArray(value)) continue;
      for (const item of value) {
        const parsed = OutputFileSchema.safeParse(item);
        if (parsed.success) files.push({ nodeId, kind, file: parsed.data });
      }
    }
  }
  return files;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
