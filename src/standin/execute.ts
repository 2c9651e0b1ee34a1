/**
 * Running one prompt (execution.PromptExecutor.execute_async): execution_start, the cached
 * list, nodes in ExecutionList order with progress_state/executing/executed around each, and
 * exactly one of execution_success / execution_error / execution_interrupted. Messages go to
 * the prompt's client_id; without one only progress, previews and the interrupt broadcast.
 */
import type { OutputCache } from './cache.ts';
import type { Faults } from './faults.ts';
import type { Folders } from './files.ts';
import { inputImagePath } from './files.ts';
import { previewPng } from './images.ts';
import type { ImageBatch } from './images.ts';
import type { Logger } from './log.ts';
import type { ModelState } from './models.ts';
import { NODE_IMPLS } from './nodes/index.ts';
import type { NodeEnv, NodeOutput } from './nodes/types.ts';
import type { StandinOptions } from './options.ts';
import { ProgressState } from './progress.ts';
import { entriesOf, keysOf, PyBigInt, PyFloat, pyRepr } from './pyjson.ts';
import { executeFrames, InterruptedRun, PyException } from './pyerrors.ts';
import type { QueueItem } from './queue.ts';
import { MODEL_CLASSES } from './registry.ts';
import { ExecutionList } from './schedule.ts';
import type { Registry } from './registry.ts';
import { fileSha256 } from './hash.ts';
import { BinaryEventTypes } from './ws.ts';
import type { WsHub } from './ws.ts';
import type { Prompt } from './validate.ts';

export const OOM_TIP = 'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';
const OOM_TEXT = 'CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 23.99 GiB of which 1.02 GiB is free. ' +
  'Of the allocated memory 20.61 GiB is allocated by PyTorch, and 1.12 GiB is reserved by PyTorch but unallocated. ' +
  'If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.';

export interface ExecutorDeps {
  registry: Registry;
  hub: WsHub;
  faults: Faults;
  log: Logger;
  cache: OutputCache;
  folders: Folders;
  opts: StandinOptions;
  models: ModelState;
  crash(): void;
  /** Resolves once the `hang` fault is off. */
  waitWhileHung(): Promise<void>;
}

export interface ExecutionOutcome {
  success: boolean;
  outputs: Map<string, unknown>;
  meta: Map<string, unknown>;
  messages: [string, Record<string, unknown>][];
}

interface Run {
  item: QueueItem;
  prompt: Prompt;
  clientId: string | null;
  messages: [string, Record<string, unknown>][];
  progress: ProgressState;
  executed: string[];
  results: Map<string, unknown[]>;
  ui: Map<string, { output: unknown; meta: unknown }>;
  sigs: Map<string, string>;
  previewEnabled: boolean;
  hasModelNodes: boolean;
}

type Failure = { nodeId: string; error: unknown; inputs: Record<string, unknown> };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function formatValue(v: unknown): unknown {
  if (v === null || v === undefined || typeof v !== 'object' || v instanceof PyFloat || v instanceof PyBigInt) return v ?? null;
  const k = (v as { kind?: unknown }).kind;
  if (k === 'IMAGE' || k === 'MASK') {
    const b = v as { width: number; height: number; frames: unknown[] };
    return `tensor(shape=[${b.frames.length}, ${b.height}, ${b.width}${k === 'IMAGE' ? ', 3' : ''}])`;
  }
  if (k === 'MODEL') return '<comfy.model_patcher.ModelPatcher object at 0x7f3a5c1d2e90>';
  if (k === 'CLIP') return '<comfy.sd.CLIP object at 0x7f3a5c1d3f10>';
  if (k === 'VAE') return '<comfy.sd.VAE object at 0x7f3a5c1d4a50>';
  return pyRepr(v);
}

export class PromptExecutor {
  /** client_id of the running (or last) prompt; used by the reconnect hint. */
  clientId: string | null = null;
  lastNodeId: string | null = null;
  #interrupted = false;
  readonly #deps: ExecutorDeps;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  interrupt(): void {
    this.#interrupted = true;
  }

  #addMessage(run: Run, event: string, data: Record<string, unknown>, broadcast: boolean): void {
    const full = { ...data, timestamp: Date.now() };
    run.messages.push([event, full]);
    if (run.clientId !== null || broadcast) this.#deps.hub.send(event, full, run.clientId);
  }

  #isChanged(prompt: Prompt, id: string): unknown {
    const node = prompt[id];
    if (node?.class_type !== 'LoadImage') return null;
    return fileSha256(inputImagePath(this.#deps.folders, String(node.inputs?.['image'] ?? '')));
  }

  async execute(item: QueueItem): Promise<ExecutionOutcome> {
    const { opts, cache, hub, registry } = this.#deps;
    this.#interrupted = false;
    const rawClient = item.extraData['client_id'];
    this.clientId = Object.hasOwn(item.extraData, 'client_id') ? (rawClient === null ? null : String(rawClient)) : null;
    const method = item.extraData['preview_method'];
    const preview = typeof method === 'string' && method !== 'default' ? method : opts.previewMethod;
    const run: Run = {
      item, prompt: item.prompt, clientId: this.clientId, messages: [], executed: [], results: new Map(), ui: new Map(),
      progress: new ProgressState(item.promptId, (data) => hub.send('progress_state', data, this.clientId)),
      sigs: new Map(), previewEnabled: preview !== 'none', hasModelNodes: false,
    };
    this.#addMessage(run, 'execution_start', { prompt_id: item.promptId }, false);
    run.sigs = cache.signatures(item.prompt, (id) => this.#isChanged(item.prompt, id));
    const cached = keysOf(item.prompt).filter((id) => cache.get(run.sigs.get(id)) !== undefined);
    // Pin cached outputs now so LRU eviction during the run cannot take them from a consumer.
    for (const id of cached) run.results.set(id, cache.get(run.sigs.get(id))?.outputs ?? []);
    this.#addMessage(run, 'execution_cached', { nodes: cached, prompt_id: item.promptId }, false);
    run.hasModelNodes = keysOf(item.prompt).some((id) => MODEL_CLASSES.has(String(item.prompt[id]?.class_type)));
    const list = new ExecutionList(item.prompt, (id) => cache.get(run.sigs.get(id)) !== undefined,
      (id) => registry.isOutput(String(item.prompt[id]?.class_type)));
    for (const o of item.outputs) list.addNode(o);
    let failure: Failure | undefined;
    while (!list.isEmpty()) {
      const id = list.stage();
      if (id === undefined) {
        failure = { nodeId: keysOf(item.prompt)[0] ?? '', error: new PyException('graph.DependencyCycleError', 'Dependency cycle detected'), inputs: {} };
        break;
      }
      failure = await this.#runNode(run, id);
      if (failure) break;
      list.complete(id);
    }
    if (failure) this.#reportFailure(run, failure);
    else this.#addMessage(run, 'execution_success', { prompt_id: item.promptId }, false);
    cache.afterPrompt(run.sigs.values());
    this.lastNodeId = null;
    const outputs = new Map<string, unknown>();
    const meta = new Map<string, unknown>();
    for (const [id, u] of run.ui) {
      outputs.set(id, u.output);
      meta.set(id, u.meta);
    }
    return { success: !failure, outputs, meta, messages: run.messages };
  }

  #cachedNode(run: Run, id: string): boolean {
    const hit = this.#deps.cache.get(run.sigs.get(id));
    if (!hit) return false;
    if (run.clientId !== null) {
      this.#deps.hub.send('executed', { node: id, display_node: id, output: hit.ui?.output ?? null, prompt_id: run.item.promptId }, run.clientId);
      // Known quirk: without client_id the cached UI never reaches history.
      if (hit.ui) run.ui.set(id, hit.ui);
    }
    run.progress.finish(id);
    run.results.set(id, hit.outputs);
    return true;
  }

  #resolveInputs(run: Run, id: string): Record<string, unknown> {
    const inputs: Record<string, unknown> = {};
    for (const [name, v] of entriesOf(run.prompt[id]?.inputs ?? {})) {
      if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string') {
        const slot = typeof v[1] === 'number' ? v[1] : 0;
        // Cached upstream nodes are never staged; their outputs come straight from the cache.
        const outputs = run.results.get(v[0]) ?? this.#deps.cache.get(run.sigs.get(v[0]))?.outputs;
        inputs[name] = outputs?.[slot];
      } else inputs[name] = v;
    }
    return inputs;
  }

  async #runNode(run: Run, id: string): Promise<Failure | undefined> {
    const { hub, faults, opts } = this.#deps;
    await this.#deps.waitWhileHung();
    if (this.#cachedNode(run, id)) return undefined;
    const classType = String(run.prompt[id]?.class_type);
    const inputs = this.#resolveInputs(run, id);
    run.progress.start(id);
    if (run.clientId !== null) {
      this.lastNodeId = id;
      hub.send('executing', { node: id, display_node: id, prompt_id: run.item.promptId }, run.clientId);
    }
    if (faults.state.crashOnPrompt) this.#deps.crash();
    let out: NodeOutput;
    try {
      if (this.#interrupted) throw new InterruptedRun();
      if (faults.state.oom > 0 && (MODEL_CLASSES.has(classType) || !run.hasModelNodes)) {
        faults.takeOom();
        throw new PyException('torch.OutOfMemoryError', OOM_TEXT, executeFrames());
      }
      if (opts.nodeMs > 0) await sleep(opts.nodeMs);
      const impl = NODE_IMPLS[classType];
      if (!impl) throw new PyException('NotImplementedError', `the stand-in cannot execute ${classType}`, executeFrames());
      out = await impl({ nodeId: id, classType, inputs, prompt: run.prompt, extraData: run.item.extraData, env: this.#env(run, id) });
    } catch (error) {
      return { nodeId: id, error, inputs };
    }
    let ui: { output: unknown; meta: unknown } | undefined;
    if (out.ui && Object.keys(out.ui).length > 0) {
      ui = { meta: { node_id: id, display_node: id, parent_node: null, real_node_id: id }, output: out.ui };
      run.ui.set(id, ui);
      if (run.clientId !== null) hub.send('executed', { node: id, display_node: id, output: out.ui, prompt_id: run.item.promptId }, run.clientId);
    }
    run.results.set(id, out.outputs);
    const sig = run.sigs.get(id);
    if (sig) this.#deps.cache.set(sig, { outputs: out.outputs, ui });
    run.progress.finish(id);
    run.executed.push(id);
    return undefined;
  }

  #env(run: Run, id: string): NodeEnv {
    const { opts, models, folders, log } = this.#deps;
    return {
      folders, log, disableMetadata: opts.disableMetadata, stepMs: opts.stepMs, previewEnabled: run.previewEnabled, previewSize: opts.previewSize,
      random: Math.random, sleep, ensureModel: (ckpt) => models.ensure(ckpt),
      progress: (value, max, preview) => this.#tick(run, id, value, max, preview),
    };
  }

  /** The sampler's progress hook: interrupt check, progress_state, [type 4], progress, [type 1]. */
  async #tick(run: Run, id: string, value: number, max: number, preview?: ImageBatch): Promise<void> {
    const { hub } = this.#deps;
    await this.#deps.waitWhileHung();
    if (this.#interrupted) throw new InterruptedRun();
    run.progress.update(id, value, max);
    const png = preview ? previewPng(preview, Math.min(this.#deps.opts.previewSize, 64)) : undefined;
    const withMeta = run.clientId !== null && hub.supportsPreviewMetadata(run.clientId);
    if (png && withMeta) {
      const meta = Buffer.from(JSON.stringify({ node_id: id, prompt_id: run.item.promptId, display_node_id: id, parent_node_id: null, real_node_id: id, image_type: 'image/png' }));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(meta.length);
      hub.sendBinary(BinaryEventTypes.PREVIEW_IMAGE_WITH_METADATA, Buffer.concat([len, meta, png]), run.clientId);
    }
    hub.send('progress', { value, max, prompt_id: run.item.promptId, node: id }, run.clientId);
    if (png && !withMeta) {
      const fmt = Buffer.alloc(4);
      fmt.writeUInt32BE(2);
      hub.sendBinary(BinaryEventTypes.PREVIEW_IMAGE, Buffer.concat([fmt, png]), run.clientId);
    }
  }

  #reportFailure(run: Run, f: Failure): void {
    const { log, models } = this.#deps;
    const base = { prompt_id: run.item.promptId, node_id: f.nodeId, node_type: String(run.prompt[f.nodeId]?.class_type), executed: [...run.executed].reverse() };
    if (f.error instanceof InterruptedRun) {
      log.info('Processing interrupted');
      this.#addMessage(run, 'execution_interrupted', base, true);
      return;
    }
    const ex = f.error instanceof PyException ? f.error : new PyException('RuntimeError', String((f.error as Error)?.message ?? f.error), executeFrames());
    let tips = '';
    log.error(`!!! Exception during processing !!! ${ex.message}`);
    log.error(`Traceback (most recent call last):\n${ex.traceback.join('')}${ex.pyType}: ${ex.message}`);
    if (ex.pyType === 'torch.OutOfMemoryError') {
      tips = OOM_TIP;
      log.error('Got an OOM, unloading all loaded models.');
      models.unload();
    }
    const currentInputs = new Map<string, unknown>();
    for (const [k, v] of Object.entries(f.inputs)) currentInputs.set(k, [formatValue(v)]);
    this.#addMessage(run, 'execution_error', {
      ...base, exception_message: `${ex.message}\n${tips}`, exception_type: ex.pyType, traceback: ex.traceback,
      current_inputs: currentInputs, current_outputs: keysOf(run.prompt),
    }, false);
  }
}
