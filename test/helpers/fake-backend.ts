// An in-memory JobBackend whose behaviour each test scripts: how a submitted prompt ends, how
// long it takes, what it holds. Lets the dispatcher be tested without processes or timing luck.
import { BackendFailure, type BackendSource, type FileRef, type JobBackend, type PromptWhere, type Requirements, type RunEvent, type RunHandle, type RunResult } from '../../src/jobs/ports.ts';

export type Script = 'success' | 'workflow-error' | 'oom' | 'crash' | 'reject-workflow' | 'reject-infra' | 'hang';

interface Pending {
  promptId: string;
  prompt: Record<string, unknown>;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
  onEvent: (e: RunEvent) => void;
}

export class FakeBackend implements JobBackend {
  readonly id: string;
  up = true;
  classes: Set<string>;
  checkpoints: Set<string>;
  loaded: string | null = null;
  script: Script[] = [];
  autoFinish = true;
  /** What a successful prompt reports as its files (default: one `<prompt id>.png`). */
  outputFiles: { filename: string; subfolder: string; type: string }[] | null = null;
  readonly submitted: string[] = [];
  readonly cancelled: string[] = [];
  readonly pending = new Map<string, Pending>();
  frees = 0;
  recovers = 0;
  /** What reattach finds for a prompt id (set by tests for restart recovery). */
  reattachable = new Map<string, RunResult>();

  constructor(id: string, opts: { classes?: string[]; checkpoints?: string[] } = {}) {
    this.id = id;
    this.classes = new Set(opts.classes ?? ['EmptyImage', 'SaveImage', 'KSampler', 'CheckpointLoaderSimple']);
    this.checkpoints = new Set(opts.checkpoints ?? ['a.safetensors', 'b.safetensors']);
  }

  accepting(): boolean {
    return this.up;
  }

  missing(req: Requirements): string | null {
    const cls = req.classes.filter((c) => !this.classes.has(c));
    if (cls.length) return `lacks ${cls.join(', ')}`;
    const ck = (req.models.checkpoints ?? []).filter((m) => !this.checkpoints.has(m));
    return ck.length ? `lacks ${ck.join(', ')}` : null;
  }

  affinity(req: Requirements): number {
    return req.checkpoint && req.checkpoint === this.loaded ? 10 : 0;
  }

  async submit(prompt: Record<string, unknown>, opts: { promptId: string; onEvent: (e: RunEvent) => void }): Promise<RunHandle> {
    const step = this.script.shift() ?? 'success';
    if (step === 'reject-workflow') throw new BackendFailure('workflow', 'Prompt outputs failed validation', { nodeId: '1' });
    if (step === 'reject-infra') throw new BackendFailure('infrastructure', 'HTTP 500 from /prompt');
    this.submitted.push(opts.promptId);
    const ckpt = Object.values(prompt).map((n) => (n as { inputs?: { ckpt_name?: string } }).inputs?.ckpt_name).find(Boolean);
    let resolve!: (r: RunResult) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<RunResult>((res, rej) => { resolve = res; reject = rej; });
    const p: Pending = { promptId: opts.promptId, prompt, resolve, reject, onEvent: opts.onEvent };
    this.pending.set(opts.promptId, p);
    if (step !== 'hang' && this.autoFinish) {
      setImmediate(() => {
        if (ckpt) this.loaded = ckpt;
        this.finish(opts.promptId, step);
      });
    }
    return { promptId: opts.promptId, done };
  }

  /** Ends a pending prompt the way `step` says. */
  finish(promptId: string, step: Script = 'success'): void {
    const p = this.pending.get(promptId);
    if (!p) return;
    this.pending.delete(promptId);
    p.onEvent({ type: 'started' });
    p.onEvent({ type: 'node', nodeId: '1' });
    p.onEvent({ type: 'progress', nodeId: '1', value: 1, max: 2 });
    if (step === 'success') p.resolve({ status: 'success', outputs: { '9': { images: this.outputFiles ?? [{ filename: `${promptId}.png`, subfolder: '', type: 'output' }] } }, comfyMs: 1 });
    else if (step === 'workflow-error') p.resolve({ status: 'error', outputs: {}, error: { message: 'boom\n', nodeId: '1', classType: 'EmptyImage', exceptionType: 'RuntimeError', traceback: ['a', 'b', 'c', 'd'] }, comfyMs: 1 });
    else if (step === 'oom') p.resolve({ status: 'error', outputs: {}, error: { message: 'CUDA out of memory.\nThis error means you ran out of memory on your GPU.', exceptionType: 'torch.OutOfMemoryError' }, comfyMs: 1 });
    else if (step === 'crash') p.reject(new BackendFailure('infrastructure', `backend ${this.id} crashed`));
  }

  async cancel(promptId: string): Promise<void> {
    this.cancelled.push(promptId);
    const p = this.pending.get(promptId);
    if (!p) return;
    this.pending.delete(promptId);
    p.resolve({ status: 'interrupted', outputs: {}, comfyMs: 1 });
  }

  async reattach(promptId: string, onEvent: (e: RunEvent) => void): Promise<RunHandle | null> {
    const r = this.reattachable.get(promptId);
    if (!r) return null;
    onEvent({ type: 'started' });
    return { promptId, done: Promise.resolve(r) };
  }

  async check(promptId: string): Promise<PromptWhere> {
    return this.pending.has(promptId) ? 'running' : 'missing';
  }

  async recover(): Promise<void> {
    this.recovers++;
    for (const id of [...this.pending.keys()]) this.finish(id, 'crash');
  }

  async free(): Promise<void> {
    this.frees++;
  }

  readonly files = new Map<string, Buffer>();
  async ensureFile(name: string, load: () => Promise<Buffer>): Promise<void> {
    if (!this.files.has(name)) this.files.set(name, await load());
  }

  readonly forgotten: string[] = [];
  async forget(promptId: string): Promise<void> {
    this.forgotten.push(promptId);
  }

  async view(ref: FileRef): Promise<Response> {
    return new Response(`bytes of ${ref.filename}`, { headers: { 'content-type': 'image/png' } });
  }
}

export class FakeSource implements BackendSource {
  readonly list: FakeBackend[];
  readonly #listeners = new Set<() => void>();
  constructor(list: FakeBackend[]) {
    this.list = list;
  }
  backends(): JobBackend[] {
    return this.list;
  }
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  changed(): void {
    for (const l of this.#listeners) l();
  }
}
