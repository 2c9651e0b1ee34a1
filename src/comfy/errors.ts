/**
 * Typed errors of the ComfyUI client and the one place that sorts them into the two kinds the
 * job layer acts on (ARCHITECTURE.md "Job states"):
 *
 * - `workflow`: the prompt itself is at fault (400 validation, a node raising). Retrying it on
 *   another backend gives the same answer, so the job fails at once with ComfyUI's message.
 * - `infrastructure`: the backend is (5xx, unreachable, timeout, lost prompt, OOM). The attempt
 *   ends and the job may be retried elsewhere.
 */
import type { ExecutionErrorData } from './messages.ts';
import type { NodeErrorSchema, PromptErrorBody, ValidationError } from './replies.ts';
import type { z } from 'zod';

export type ComfyErrorKind = 'workflow' | 'infrastructure';

/** A non-2xx reply. The body is kept as text: 500 and 413 bodies are text/plain or HTML (§9.7). */
export class ComfyHttpError extends Error {
  override readonly name = 'ComfyHttpError';
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly contentType: string | null;
  readonly bodyText: string;

  constructor(init: { status: number; method: string; url: string; contentType: string | null; bodyText: string }) {
    const excerpt = init.bodyText.trim().replace(/\s+/g, ' ').slice(0, 200);
    super(`ComfyUI ${init.method} ${init.url} answered ${init.status}${excerpt ? `: ${excerpt}` : ''}`);
    this.status = init.status;
    this.method = init.method;
    this.url = init.url;
    this.contentType = init.contentType;
    this.bodyText = init.bodyText;
  }
}

/** One validation error of one node, flattened out of `node_errors` (§7.2). */
export interface FlatNodeError {
  nodeId: string;
  classType: string | null;
  type: string;
  message: string;
  details: string;
  inputName?: string;
  receivedValue?: unknown;
  /** What the input accepts: `input_config` from `extra_info` (a spec like `["INT", {min, max}]`). */
  expected?: unknown;
}

/** `POST /prompt` answered 400: the prompt failed validation and nothing was queued. */
export class ComfyPromptError extends Error {
  override readonly name = 'ComfyPromptError';
  readonly status: number;
  /** `error.type`, e.g. `prompt_outputs_failed_validation`, `missing_node_type`, `no_prompt`. */
  readonly errorType: string;
  readonly details: string;
  readonly extraInfo: Record<string, unknown>;
  readonly nodeErrors: FlatNodeError[];
  readonly body: PromptErrorBody;

  constructor(body: PromptErrorBody, status = 400) {
    const error = typeof body.error === 'string'
      ? { type: 'unknown', message: body.error, details: '', extra_info: {} }
      : body.error;
    const nodeErrors = flattenNodeErrors(body.node_errors ?? {});
    super(describePromptError(error.message, nodeErrors));
    this.status = status;
    this.errorType = error.type;
    this.details = error.details ?? '';
    this.extraInfo = error.extra_info ?? {};
    this.nodeErrors = nodeErrors;
    this.body = body;
  }
}

/** Connection refused, reset, DNS failure or timeout: no HTTP answer at all. */
export class ComfyUnreachableError extends Error {
  override readonly name = 'ComfyUnreachableError';
  readonly reason: 'timeout' | 'network';
  readonly url: string;

  constructor(init: { reason: 'timeout' | 'network'; url: string; cause?: unknown; timeoutMs?: number }) {
    const what = init.reason === 'timeout' ? `timed out after ${init.timeoutMs ?? '?'} ms` : 'is unreachable';
    const code = errorCode(init.cause);
    super(`ComfyUI ${init.url} ${what}${code ? ` (${code})` : ''}`, { cause: init.cause });
    this.reason = init.reason;
    this.url = init.url;
  }
}

/** A 2xx reply whose body does not match the schema we rely on. */
export class ComfyProtocolError extends Error {
  override readonly name = 'ComfyProtocolError';
  readonly url: string;
  readonly bodyText: string;

  constructor(init: { url: string; message: string; bodyText: string }) {
    super(`ComfyUI ${init.url} sent an unexpected reply: ${init.message}`);
    this.url = init.url;
    this.bodyText = init.bodyText;
  }
}

/** A prompt we submitted is neither in `/history` nor in `/queue` (restart, crash, §9.3). */
export class ComfyPromptLostError extends Error {
  override readonly name = 'ComfyPromptLostError';
  readonly promptId: string;

  constructor(promptId: string, why = 'is in neither /history nor /queue') {
    super(`ComfyUI prompt ${promptId} was lost: it ${why}`);
    this.promptId = promptId;
  }
}

/** The client was closed while the prompt was still in flight. */
export class ComfyClientClosedError extends Error {
  override readonly name = 'ComfyClientClosedError';
}

type NodeErrors = Record<string, z.infer<typeof NodeErrorSchema>>;

export function flattenNodeErrors(nodeErrors: NodeErrors): FlatNodeError[] {
  const flat: FlatNodeError[] = [];
  for (const [nodeId, nodeError] of Object.entries(nodeErrors)) {
    for (const error of nodeError.errors) flat.push(flattenOne(nodeId, nodeError.class_type ?? null, error));
  }
  return flat;
}

function flattenOne(nodeId: string, classType: string | null, error: ValidationError): FlatNodeError {
  const info = error.extra_info ?? {};
  const flat: FlatNodeError = { nodeId, classType, type: error.type, message: error.message, details: error.details ?? '' };
  if (typeof info['input_name'] === 'string') flat.inputName = info['input_name'];
  if ('received_value' in info) flat.receivedValue = info['received_value'];
  else if ('received_type' in info) flat.receivedValue = info['received_type'];
  if (info['input_config'] !== undefined && info['input_config'] !== null) flat.expected = info['input_config'];
  return flat;
}

function describePromptError(message: string, nodeErrors: FlatNodeError[]): string {
  if (nodeErrors.length === 0) return message;
  const lines = nodeErrors
    .slice(0, 5)
    .map((e) => `node ${e.nodeId}${e.classType ? ` (${e.classType})` : ''}: ${e.message}${e.details ? ` [${e.details}]` : ''}`);
  const more = nodeErrors.length > 5 ? `; and ${nodeErrors.length - 5} more` : '';
  return `${message}: ${lines.join('; ')}${more}`;
}

/** OOM is the backend's state, not the prompt's fault: it may run on a less loaded server. */
export function isOutOfMemory(data: Pick<ExecutionErrorData, 'exception_type' | 'exception_message'>): boolean {
  return /OutOfMemoryError/.test(data.exception_type) || /out of memory/i.test(data.exception_message);
}

/** Sorts a node's runtime error (`execution_error` data). */
export function classifyExecutionError(data: Pick<ExecutionErrorData, 'exception_type' | 'exception_message'>): ComfyErrorKind {
  return isOutOfMemory(data) ? 'infrastructure' : 'workflow';
}

/** Sorts anything thrown by the client. Unknown errors count as infrastructure (retryable). */
export function classifyComfyError(err: unknown): ComfyErrorKind {
  if (err instanceof ComfyPromptError) return 'workflow';
  if (err instanceof ComfyHttpError) {
    // 403 (origin check) and 408/429 say nothing about the prompt; other 4xx are its fault
    // (400 bad input, 404 missing file, 413 body too large).
    if (err.status >= 500 || err.status === 403 || err.status === 408 || err.status === 429) return 'infrastructure';
    return err.status >= 400 ? 'workflow' : 'infrastructure';
  }
  return 'infrastructure';
}

function errorCode(cause: unknown): string | undefined {
  let current: unknown = cause;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}
