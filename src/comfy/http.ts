/**
 * `ComfyHttp`: one method per ComfyUI HTTP route comfy-fleet needs (PROTOCOL.md §3.2), for one
 * backend. Every call has a timeout (per client, overridable per call) and takes an AbortSignal.
 * Replies are checked with the zod schemas of replies.ts; error bodies are kept as raw text
 * because 500/413 bodies are text/plain or HTML (§9.7).
 */
import { z } from 'zod';
import {
  ComfyHttpError,
  ComfyPromptError,
  ComfyProtocolError,
  ComfyUnreachableError,
  flattenNodeErrors,
  type FlatNodeError,
} from './errors.ts';
import { FeatureFlagsSchema, type FeatureFlags } from './messages.ts';
import {
  HistorySchema,
  NodeDefinitionSchema,
  ObjectInfoSchema,
  PromptCounterSchema,
  PromptErrorBodySchema,
  PromptOkSchema,
  QueueSchema,
  StringListSchema,
  SystemStatsSchema,
  UploadImageSchema,
  type History,
  type HistoryEntry,
  type NodeDefinition,
  type ObjectInfo,
  type QueueItem,
  type SystemStats,
  type UploadImageReply,
} from './replies.ts';
import { comfyUrl, normalisePrefix, type QueryValue } from './urls.ts';

type FetchFn = typeof globalThis.fetch;

export const ComfyHttpOptionsSchema = z.object({
  /** e.g. `http://127.0.0.1:8188`; may carry a path when ComfyUI sits behind a proxy. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  timeoutMs: z.number().int().positive().default(30_000),
  apiPrefix: z.string().default('/api'),
  fetch: z.custom<FetchFn>((value) => typeof value === 'function', 'fetch must be a function').optional(),
});
export type ComfyHttpOptions = z.input<typeof ComfyHttpOptionsSchema>;

/** Per-call options accepted by every method. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface PostPromptRequest {
  prompt: Record<string, unknown>;
  clientId: string;
  promptId: string;
  extraData?: Record<string, unknown>;
  number?: number;
  front?: boolean;
  partialExecutionTargets?: string[];
}

export interface PostPromptReply {
  promptId: string;
  number: number;
  /** Non-empty means some outputs failed validation and were dropped; the rest will run. */
  nodeErrors: FlatNodeError[];
}

export interface FileRef {
  filename: string;
  subfolder?: string | null;
  type?: string | null;
}

export interface ViewOptions extends CallOptions {
  /** Byte range: `{start, end?}` (inclusive) or a raw `Range` header value. */
  range?: { start: number; end?: number } | string;
  /** `/view?preview=webp;90` re-encoding and `channel=rgb|a|rgba` (§3.3.9). */
  preview?: string;
  channel?: 'rgba' | 'rgb' | 'a';
}

export interface UploadOptions extends CallOptions {
  filename: string;
  subfolder?: string;
  type?: 'input' | 'output' | 'temp';
  overwrite?: boolean;
}

interface Sent {
  response: Response;
  url: string;
  method: string;
  /**
   * Clears the timeout once the body has been read (or handed to the caller) and unhooks the
   * caller's signal, unless the body is still to be streamed under it.
   */
  release(keepUserSignal?: boolean): void;
  /** Maps an error thrown while reading the body the same way as a fetch error. */
  mapError(err: unknown): unknown;
}

type Body = { json: unknown } | { form: FormData } | undefined;

export class ComfyHttp {
  readonly baseUrl: string;
  readonly apiPrefix: string;
  readonly timeoutMs: number;
  readonly #fetch: FetchFn;

  constructor(options: ComfyHttpOptions) {
    const parsed = ComfyHttpOptionsSchema.parse(options);
    this.baseUrl = parsed.baseUrl;
    this.apiPrefix = normalisePrefix(parsed.apiPrefix);
    this.timeoutMs = parsed.timeoutMs;
    this.#fetch = parsed.fetch ?? globalThis.fetch;
  }

  systemStats(call?: CallOptions): Promise<SystemStats> {
    return this.#getJson('/system_stats', SystemStatsSchema, undefined, call);
  }

  objectInfo(call?: CallOptions): Promise<ObjectInfo> {
    return this.#getJson('/object_info', ObjectInfoSchema, undefined, call);
  }

  /** One node class, or null: an unknown class is `{}` with status 200 (§3.3.12). */
  async objectInfoClass(classType: string, call?: CallOptions): Promise<NodeDefinition | null> {
    const schema = z.record(z.string(), NodeDefinitionSchema);
    const reply = await this.#getJson(`/object_info/${encodeURIComponent(classType)}`, schema, undefined, call);
    return reply[classType] ?? null;
  }

  features(call?: CallOptions): Promise<FeatureFlags> {
    return this.#getJson('/features', FeatureFlagsSchema, undefined, call);
  }

  models(call?: CallOptions): Promise<string[]> {
    return this.#getJson('/models', StringListSchema, undefined, call);
  }

  /** Files in a model folder, or null for an unknown folder (404, §3.3.15). */
  async modelFiles(folder: string, call?: CallOptions): Promise<string[] | null> {
    try {
      return await this.#getJson(`/models/${encodeURIComponent(folder)}`, StringListSchema, undefined, call);
    } catch (err) {
      if (err instanceof ComfyHttpError && err.status === 404) return null;
      throw err;
    }
  }

  embeddings(call?: CallOptions): Promise<string[]> {
    return this.#getJson('/embeddings', StringListSchema, undefined, call);
  }

  /** `GET /prompt`: pending + running count. */
  async promptCounter(call?: CallOptions): Promise<{ queueRemaining: number }> {
    const reply = await this.#getJson('/prompt', PromptCounterSchema, undefined, call);
    return { queueRemaining: reply.exec_info.queue_remaining };
  }

  /** Throws `ComfyPromptError` on a 400 with ComfyUI's JSON error body. */
  async postPrompt(request: PostPromptRequest, call?: CallOptions): Promise<PostPromptReply> {
    const body: Record<string, unknown> = {
      prompt: request.prompt,
      client_id: request.clientId,
      prompt_id: request.promptId,
    };
    if (request.extraData !== undefined) body['extra_data'] = request.extraData;
    if (request.number !== undefined) body['number'] = request.number;
    if (request.front !== undefined) body['front'] = request.front;
    if (request.partialExecutionTargets !== undefined) body['partial_execution_targets'] = request.partialExecutionTargets;
    const sent = await this.#send('POST', '/prompt', { json: body }, undefined, call);
    const text = await this.#readText(sent, { throwIfNotOk: false });
    if (sent.response.status === 400) {
      const parsed = PromptErrorBodySchema.safeParse(tryJson(text));
      if (parsed.success) throw new ComfyPromptError(parsed.data, 400);
    }
    if (!sent.response.ok) throw httpError(sent, text);
    const reply = this.#checked(sent, text, PromptOkSchema);
    return { promptId: reply.prompt_id, number: reply.number, nodeErrors: flattenNodeErrors(reply.node_errors ?? {}) };
  }

  /** Running and pending items; pending sorted into execution order (the server's heap is not, §3.3.3). */
  async queue(call?: CallOptions): Promise<{ running: QueueItem[]; pending: QueueItem[] }> {
    const reply = await this.#getJson('/queue', QueueSchema, undefined, call);
    const pending = [...reply.queue_pending].sort(
      (a, b) => a.number - b.number || (a.promptId < b.promptId ? -1 : a.promptId > b.promptId ? 1 : 0),
    );
    return { running: reply.queue_running, pending };
  }

  /** Removes pending items; running ones are untouched (use `interrupt`). */
  deleteFromQueue(promptIds: string[], call?: CallOptions): Promise<void> {
    return this.#postEmpty('/queue', { delete: promptIds }, call);
  }

  clearQueue(call?: CallOptions): Promise<void> {
    return this.#postEmpty('/queue', { clear: true }, call);
  }

  /** With an id, only interrupts if that prompt is running (≥0.3.57); without, global. */
  interrupt(promptId?: string, call?: CallOptions): Promise<void> {
    return this.#postEmpty('/interrupt', promptId === undefined ? {} : { prompt_id: promptId }, call);
  }

  free(options: { unloadModels?: boolean; freeMemory?: boolean }, call?: CallOptions): Promise<void> {
    const body = { unload_models: options.unloadModels ?? false, free_memory: options.freeMemory ?? false };
    return this.#postEmpty('/free', body, call);
  }

  /** The entry, or null while pending/running or when unknown (the server answers `{}`). */
  async history(promptId: string, call?: CallOptions): Promise<HistoryEntry | null> {
    const reply = await this.#getJson(`/history/${encodeURIComponent(promptId)}`, HistorySchema, undefined, call);
    return reply[promptId] ?? null;
  }

  /** Oldest first. `maxItems` alone gives the newest N; with `offset`, the window [offset, offset+N). */
  historyPage(page: { maxItems?: number; offset?: number }, call?: CallOptions): Promise<History> {
    return this.#getJson('/history', HistorySchema, { max_items: page.maxItems, offset: page.offset }, call);
  }

  deleteHistory(promptIds: string[], call?: CallOptions): Promise<void> {
    return this.#postEmpty('/history', { delete: promptIds }, call);
  }

  clearHistory(call?: CallOptions): Promise<void> {
    return this.#postEmpty('/history', { clear: true }, call);
  }

  /**
   * `GET /view`: the Response with its body unread, to be streamed by the caller. The timeout
   * covers the headers only; the caller's signal still aborts the body.
   */
  async view(file: FileRef, options: ViewOptions = {}): Promise<Response> {
    const query: Record<string, QueryValue> = {
      filename: file.filename,
      subfolder: file.subfolder ?? '',
      type: file.type ?? 'output',
      preview: options.preview,
      channel: options.channel,
    };
    const headers: Record<string, string> = {};
    if (typeof options.range === 'string') headers['range'] = options.range;
    else if (options.range) headers['range'] = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    headers['accept'] = '*/*';
    const sent = await this.#send('GET', '/view', undefined, query, options, headers);
    if (!sent.response.ok) {
      await this.#readText(sent); // throws ComfyHttpError with the body
    }
    sent.release(true);
    return sent.response;
  }

  async uploadImage(bytes: Uint8Array | Blob, options: UploadOptions): Promise<UploadImageReply> {
    const form = new FormData();
    const blob = bytes instanceof Blob ? bytes : new Blob([bytes]);
    form.set('image', blob, options.filename);
    if (options.subfolder !== undefined) form.set('subfolder', options.subfolder);
    if (options.type !== undefined) form.set('type', options.type);
    if (options.overwrite !== undefined) form.set('overwrite', options.overwrite ? 'true' : 'false');
    const sent = await this.#send('POST', '/upload/image', { form }, undefined, options);
    return this.#checked(sent, await this.#readText(sent), UploadImageSchema);
  }

  async #getJson<S extends z.ZodType>(
    route: string,
    schema: S,
    query: Record<string, QueryValue> | undefined,
    call: CallOptions | undefined,
  ): Promise<z.output<S>> {
    const sent = await this.#send('GET', route, undefined, query, call);
    return this.#checked(sent, await this.#readText(sent), schema);
  }

  /** Mutating routes answer 200 with an empty body (§3.1). */
  async #postEmpty(route: string, json: unknown, call: CallOptions | undefined): Promise<void> {
    const sent = await this.#send('POST', route, { json }, undefined, call);
    await this.#readText(sent);
  }

  /** Reads the body under the call's timeout; a non-2xx becomes `ComfyHttpError`. */
  async #readText(sent: Sent, options = { throwIfNotOk: true }): Promise<string> {
    let text: string;
    try {
      text = await sent.response.text();
    } catch (err) {
      throw sent.mapError(err);
    } finally {
      sent.release();
    }
    if (options.throwIfNotOk && !sent.response.ok) throw httpError(sent, text);
    return text;
  }

  #checked<S extends z.ZodType>(sent: Sent, text: string, schema: S): z.output<S> {
    const json = tryJson(text);
    if (json === undefined) throw new ComfyProtocolError({ url: sent.url, message: 'body is not JSON', bodyText: text });
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ComfyProtocolError({ url: sent.url, message: z.prettifyError(parsed.error), bodyText: text });
    }
    return parsed.data;
  }

  async #send(
    method: string,
    route: string,
    body: Body,
    query: Record<string, QueryValue> | undefined,
    call: CallOptions | undefined,
    extraHeaders: Record<string, string> = {},
  ): Promise<Sent> {
    const url = comfyUrl(this.baseUrl, this.apiPrefix, route, query).toString();
    const timeoutMs = call?.timeoutMs ?? this.timeoutMs;
    const userSignal = call?.signal;
    userSignal?.throwIfAborted();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onUserAbort = (): void => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    const mapError = (err: unknown): unknown => {
      if (timedOut) return new ComfyUnreachableError({ reason: 'timeout', url, cause: err, timeoutMs });
      if (userSignal?.aborted) return userSignal.reason;
      return new ComfyUnreachableError({ reason: 'network', url, cause: err });
    };
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    let payload: string | FormData | undefined;
    if (body !== undefined && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body !== undefined) {
      payload = body.form;
    }
    try {
      const response = await this.#fetch(url, { method, headers, body: payload, signal: controller.signal });
      const release = (keepUserSignal = false): void => {
        clearTimeout(timer);
        if (!keepUserSignal) userSignal?.removeEventListener('abort', onUserAbort);
      };
      return { response, url, method, release, mapError };
    } catch (err) {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onUserAbort);
      throw mapError(err);
    }
  }
}

function httpError(sent: Sent, bodyText: string): ComfyHttpError {
  const contentType = sent.response.headers.get('content-type');
  return new ComfyHttpError({ status: sent.response.status, method: sent.method, url: sent.url, contentType, bodyText });
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
