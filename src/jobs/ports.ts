// What the job engine needs from a backend, and nothing more. The pool adapter implements it on
// top of src/pool + src/comfy; unit tests implement it in memory. Keeping it narrow keeps the
// scheduler testable and the flow one-directional (jobs → pool → comfy).

/** Node classes and model files a prompt needs, e.g. {classes: ['KSampler'], models: {checkpoints: ['a.safetensors']}}. */
export interface Requirements {
  classes: string[];
  models: Record<string, string[]>;
  /** The checkpoint the prompt loads, if any: the strongest affinity signal. */
  checkpoint?: string | null;
  /** Files the prompt reads from the backend's input folder, copied there before it is posted. */
  files?: InputFile[];
  /** Jobs whose outputs this one reads: it waits until they succeeded. */
  after?: string[];
}

/** A file in a backend's input folder and where its bytes come from. */
export interface InputFile {
  name: string;
  source: { upload: string } | { job: string; output: number };
}

export interface FileRef {
  filename: string;
  subfolder: string;
  type: string;
}

/** Progress reported while a prompt runs; all optional hints, the final result is the truth. */
export type RunEvent =
  | { type: 'started' }
  | { type: 'cached'; nodes: string[] }
  | { type: 'node'; nodeId: string }
  | { type: 'progress'; nodeId: string | null; value: number; max: number }
  | { type: 'preview'; mime: string; image: Buffer; nodeId: string | null }
  | { type: 'output'; nodeId: string; output: Record<string, unknown> };

export interface RunResult {
  status: 'success' | 'error' | 'interrupted';
  /** history.outputs: node id → {images: [FileRef...], ...}. */
  outputs: Record<string, Record<string, unknown>>;
  error?: {
    nodeId?: string;
    classType?: string;
    exceptionType?: string;
    message: string;
    traceback?: string[];
  };
  /** execution_start → end, as ComfyUI timed it. */
  comfyMs: number | null;
}

export interface RunHandle {
  promptId: string;
  /** Resolves with the result; rejects with an Error whose `kind` is 'workflow' or 'infrastructure'. */
  done: Promise<RunResult>;
}

export class BackendFailure extends Error {
  readonly kind: 'workflow' | 'infrastructure';
  readonly details: Record<string, unknown>;
  constructor(kind: 'workflow' | 'infrastructure', message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'BackendFailure';
    this.kind = kind;
    this.details = details;
  }
}

export type PromptWhere = 'pending' | 'stalled' | 'running' | 'finished' | 'missing' | 'unreachable';

export interface JobBackend {
  readonly id: string;
  /** Ready or busy, not draining: may be given new prompts. */
  accepting(): boolean;
  /** Why the backend cannot run these requirements, or null when it can. */
  missing(req: Requirements): string | null;
  /** Higher is better: the checkpoint is loaded, or this backend last ran this template. */
  affinity(req: Requirements, template: string | null): number;
  /** Posts the prompt (subscribing first). Rejects with BackendFailure when ComfyUI refuses it. */
  submit(prompt: Record<string, unknown>, opts: { promptId: string; template: string | null; onEvent: (e: RunEvent) => void }): Promise<RunHandle>;
  /** Stops only this prompt: removed from ComfyUI's queue if pending, interrupted if running. */
  cancel(promptId: string): Promise<void>;
  /** Re-follows a prompt submitted before a restart of the service: null if ComfyUI has no trace of it. */
  reattach(promptId: string, onEvent: (e: RunEvent) => void): Promise<RunHandle | null>;
  /**
   * Where a prompt stands, from ComfyUI's /queue and /history (the watchdog's question).
   * `stalled`: still pending while the backend runs nothing (its worker is stuck).
   */
  check(promptId: string): Promise<PromptWhere>;
  /** The backend hung: interrupt it, then restart it (spawned) or mark it unhealthy (remote). */
  recover(reason: string): Promise<void>;
  /** After an OOM: unload models and free memory before taking more work. */
  free(): Promise<void>;
  /** Makes sure the input folder has this file (uploads once per backend). */
  ensureFile(name: string, load: () => Promise<Buffer>): Promise<void>;
  /** Drops a finished prompt from ComfyUI's history once we have its results (history grows without bound otherwise). */
  forget(promptId: string): Promise<void>;
  /** Streams a file produced by a prompt. */
  view(ref: FileRef, range?: string): Promise<Response>;
}

export interface BackendSource {
  backends(): JobBackend[];
  /** Called whenever a backend changes state, so waiting jobs can be dispatched. Returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}
