/**
 * zod schemas for every JSON text frame ComfyUI (v0.27) sends on `/ws`, as ONE discriminated
 * union keyed on `type` (PROTOCOL.md §4.3), plus `parseWsMessage`, which never throws: unknown
 * types (custom nodes, assets) and malformed frames come back as a tagged "unknown" result for
 * the caller to log and ignore (§9 pitfall 14).
 *
 * Objects are `looseObject` so fields added by later servers survive parsing; keys the protocol
 * calls optional are `nullish` because servers emit them missing in some versions and null in
 * others (§6.3).
 */
import { z } from 'zod';

const NodeId = z.string();
/** Epoch milliseconds; optional because some variants (ExecutionBlocked) omit it. */
const Timestamp = z.number().nullish();

export const ExecInfoSchema = z.looseObject({
  exec_info: z.looseObject({ queue_remaining: z.number() }),
});

export const StatusDataSchema = z.looseObject({
  status: ExecInfoSchema.nullish(),
  /** Present only on the first message after connecting (§4.1). */
  sid: z.string().nullish(),
});

export const ExecutionStartDataSchema = z.looseObject({
  prompt_id: z.string(),
  timestamp: Timestamp,
});

export const ExecutionCachedDataSchema = z.looseObject({
  nodes: z.array(NodeId),
  prompt_id: z.string(),
  timestamp: Timestamp,
});

/**
 * `node: null` is the final "done" event of a prompt. A missing `prompt_id` is the reconnect
 * hint the server sends to a socket re-registering while its prompt runs (§4.1); it must not
 * be attributed to any prompt (§9 pitfall 5).
 */
export const ExecutingDataSchema = z.looseObject({
  node: NodeId.nullable(),
  display_node: NodeId.nullish(),
  prompt_id: z.string().nullish(),
});

export const ProgressDataSchema = z.looseObject({
  value: z.number(),
  max: z.number(),
  prompt_id: z.string().nullish(),
  node: NodeId.nullish(),
});

export const NodeProgressSchema = z.looseObject({
  value: z.number(),
  max: z.number(),
  /** `running` or `finished` in practice; `pending` and `error` exist in the server's enum. */
  state: z.string(),
  node_id: NodeId.nullish(),
  prompt_id: z.string().nullish(),
  display_node_id: NodeId.nullish(),
  parent_node_id: NodeId.nullish(),
  real_node_id: NodeId.nullish(),
});

export const ProgressStateDataSchema = z.looseObject({
  prompt_id: z.string(),
  nodes: z.record(z.string(), NodeProgressSchema),
});

/** A node's UI output dict: `images`, `audio`, `text`, … or anything a custom node returns. */
export const NodeOutputSchema = z.record(z.string(), z.unknown());

export const ExecutedDataSchema = z.looseObject({
  node: NodeId,
  display_node: NodeId.nullish(),
  /** null when a cached output node had no UI output (§4.3). */
  output: NodeOutputSchema.nullish(),
  prompt_id: z.string(),
});

export const ExecutionSuccessDataSchema = z.looseObject({
  prompt_id: z.string(),
  timestamp: Timestamp,
});

/**
 * The "ExecutionBlocked" variant carries `traceback: []`, `current_inputs: []`,
 * `current_outputs: []` and no timestamp, and is informational: execution continues (§4.3).
 * Older servers sent `current_outputs` as a dict, hence the unions.
 */
export const ExecutionErrorDataSchema = z.looseObject({
  prompt_id: z.string(),
  node_id: NodeId.nullish(),
  node_type: z.string().nullish(),
  executed: z.array(NodeId).nullish(),
  exception_message: z.string(),
  exception_type: z.string(),
  traceback: z.array(z.string()).nullish(),
  current_inputs: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).nullish(),
  current_outputs: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullish(),
  timestamp: Timestamp,
});

export const ExecutionInterruptedDataSchema = z.looseObject({
  prompt_id: z.string(),
  node_id: NodeId.nullish(),
  node_type: z.string().nullish(),
  executed: z.array(NodeId).nullish(),
  timestamp: Timestamp,
});

export const LogsDataSchema = z.looseObject({
  entries: z.array(z.looseObject({ t: z.string(), m: z.string() })),
  size: z.unknown().optional(),
});

/** Server feature flags: the `feature_flags` reply and `GET /features` (§4.2). */
export const FeatureFlagsSchema = z.looseObject({
  supports_preview_metadata: z.boolean().nullish(),
  max_upload_size: z.number().nullish(),
  extension: z.record(z.string(), z.unknown()).nullish(),
  node_replacements: z.boolean().nullish(),
  assets: z.boolean().nullish(),
});

function message<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({ type: z.literal(type), data });
}

export const WsMessageSchema = z.discriminatedUnion('type', [
  message('status', StatusDataSchema),
  message('feature_flags', FeatureFlagsSchema),
  message('execution_start', ExecutionStartDataSchema),
  message('execution_cached', ExecutionCachedDataSchema),
  message('executing', ExecutingDataSchema),
  message('progress', ProgressDataSchema),
  message('progress_state', ProgressStateDataSchema),
  message('executed', ExecutedDataSchema),
  message('execution_success', ExecutionSuccessDataSchema),
  message('execution_error', ExecutionErrorDataSchema),
  message('execution_interrupted', ExecutionInterruptedDataSchema),
  message('logs', LogsDataSchema),
]);

export type WsMessage = z.infer<typeof WsMessageSchema>;
export type WsMessageType = WsMessage['type'];
export type WsMessageOf<T extends WsMessageType> = Extract<WsMessage, { type: T }>;
export type StatusData = z.infer<typeof StatusDataSchema>;
export type FeatureFlags = z.infer<typeof FeatureFlagsSchema>;
export type ExecutionStartData = z.infer<typeof ExecutionStartDataSchema>;
export type ExecutionCachedData = z.infer<typeof ExecutionCachedDataSchema>;
export type ExecutingData = z.infer<typeof ExecutingDataSchema>;
export type ProgressData = z.infer<typeof ProgressDataSchema>;
export type NodeProgress = z.infer<typeof NodeProgressSchema>;
export type ProgressStateData = z.infer<typeof ProgressStateDataSchema>;
export type NodeOutput = z.infer<typeof NodeOutputSchema>;
export type ExecutedData = z.infer<typeof ExecutedDataSchema>;
export type ExecutionSuccessData = z.infer<typeof ExecutionSuccessDataSchema>;
export type ExecutionErrorData = z.infer<typeof ExecutionErrorDataSchema>;
export type ExecutionInterruptedData = z.infer<typeof ExecutionInterruptedDataSchema>;
export type LogsData = z.infer<typeof LogsDataSchema>;

export const KNOWN_WS_TYPES: ReadonlySet<string> = new Set(
  WsMessageSchema.options.map((option) => option.shape.type.value),
);

/** A text frame that is not one of the known messages. `reason` says why. */
export interface UnknownWsFrame {
  /** `unknown_type`: tolerated by design; `invalid`: a known type with an unexpected shape. */
  reason: 'unknown_type' | 'invalid' | 'not_json';
  type: string | null;
  raw: unknown;
  issues?: string;
}

export type WsParseResult =
  | { ok: true; message: WsMessage }
  | { ok: false; unknown: UnknownWsFrame };

/** Parses one text frame: the raw string, or an already decoded JSON value. Never throws. */
export function parseWsMessage(input: unknown): WsParseResult {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      return { ok: false, unknown: { reason: 'not_json', type: null, raw: input } };
    }
  }
  const type = isRecord(raw) && typeof raw['type'] === 'string' ? raw['type'] : null;
  if (type === null || !KNOWN_WS_TYPES.has(type)) {
    return { ok: false, unknown: { reason: 'unknown_type', type, raw } };
  }
  const parsed = WsMessageSchema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  return {
    ok: false,
    unknown: { reason: 'invalid', type, raw, issues: z.prettifyError(parsed.error) },
  };
}

/** The ExecutionBlocked variant of `execution_error` does not end the prompt (§4.3). */
export function isExecutionBlocked(data: ExecutionErrorData): boolean {
  return data.exception_type === 'ExecutionBlocked';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
