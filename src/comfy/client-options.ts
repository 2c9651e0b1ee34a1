/**
 * The options, ports and public types of `ComfyClient`, kept apart from its logic.
 */
import { z } from 'zod';
import type { CallOptions, ComfyHttp } from './http.ts';
import type { ComfyLogger } from './logger.ts';
import type { PromptEvent } from './run.ts';
import type { ComfySocketEvents, ComfySocketOptions, OpenInfo, SocketState } from './socket.ts';

/** What the client needs of a socket; `ComfySocket` is the real one, tests pass a fake. */
export interface SocketPort {
  readonly clientId: string;
  readonly lastFrameAt: number;
  readonly state: SocketState;
  on<K extends keyof ComfySocketEvents>(event: K, listener: (payload: ComfySocketEvents[K]) => void): () => void;
  start(): void;
  opened(): Promise<OpenInfo>;
  reconnect(reason: string): void;
  close(): Promise<void>;
}

export const ComfyClientOptionsSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Fixed per backend so a reconnect gets the events of prompts already submitted. */
  clientId: z.string().min(1).optional(),
  apiPrefix: z.string().default('/api'),
  httpTimeoutMs: z.number().int().positive().default(30_000),
  /** How long to poll /history/{id} after a terminal event while it is still `{}`. */
  historyRetry: z
    .object({ attempts: z.number().int().min(1).default(20), delayMs: z.number().int().min(0).default(100) })
    .prefault({}),
  /** No frame for this long while prompts are in flight → `silence` event and reconcile. */
  silenceMs: z.number().int().positive().default(60_000),
  /** Reconcile in-flight prompts on this cadence as well (null: only on open/silence/demand). */
  reconcileEveryMs: z.number().int().positive().nullable().default(null),
});

export type ComfyClientOptions = z.input<typeof ComfyClientOptionsSchema> & {
  logger?: ComfyLogger;
  /** Socket tuning (reconnect, heartbeat, …); baseUrl/clientId/apiPrefix come from above. */
  socketOptions?: Omit<ComfySocketOptions, 'baseUrl' | 'clientId' | 'apiPrefix' | 'logger'>;
  fetch?: typeof globalThis.fetch;
  /** Injected transports (tests); built from baseUrl when absent. */
  http?: ComfyHttp;
  socket?: SocketPort;
};

export interface SubmitOptions extends CallOptions {
  /**
   * Our own id for the prompt (a canonical lowercase uuid, as ComfyUI ≥0.25 demands), e.g. one
   * a job store persisted before submitting; minted with crypto.randomUUID() when absent.
   */
  promptId?: string;
  extraData?: Record<string, unknown>;
  number?: number;
  front?: boolean;
  partialExecutionTargets?: string[];
  /** Receives every event of the run, including those that arrive before `submit` resolves. */
  onEvent?: (event: PromptEvent) => void;
}

export interface ReconcileReport {
  finished: string[];
  stillRunning: string[];
  lost: string[];
}

export interface ComfyClientEvents {
  /** A reconciliation looked at in-flight prompts. */
  reconciled: ReconcileReport & { reason: string };
  /** No websocket frame for `silentMs` while prompts were in flight. */
  silence: { silentMs: number; promptIds: string[] };
}

export type InterruptOutcome = 'interrupted' | 'dequeued' | 'not_found';

export interface FollowOptions extends CallOptions {
  onEvent?: (event: PromptEvent) => void;
}
