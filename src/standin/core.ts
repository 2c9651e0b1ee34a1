/**
 * Everything one stand-in instance owns, built once by `createCore` and handed to routes,
 * the websocket hub and the worker. No module-level state: two instances never share anything.
 */
import { OutputCache } from './cache.ts';
import { PromptExecutor } from './execute.ts';
import { Faults } from './faults.ts';
import type { Folders } from './files.ts';
import { inputImagePath } from './files.ts';
import { History } from './history.ts';
import type { Logger } from './log.ts';
import { ModelState } from './models.ts';
import type { StandinOptions } from './options.ts';
import { pyFloat } from './pyjson.ts';
import { PromptQueue } from './queue.ts';
import { Registry } from './registry.ts';
import { WsHub } from './ws.ts';

export interface FreeRequest {
  unloadModels: boolean;
  freeMemory: boolean;
}

export interface Core {
  opts: StandinOptions;
  log: Logger;
  folders: Folders;
  faults: Faults;
  registry: Registry;
  hub: WsHub;
  queue: PromptQueue;
  history: History;
  cache: OutputCache;
  models: ModelState;
  executor: PromptExecutor;
  /** The server's own priority counter (PromptServer.number). */
  counter: { next: number };
  /** Pending /free flags, applied by the worker between prompts. */
  freeRequests: FreeRequest[];
  /** POST /free requests received since start (GET /__standin/state shows it to tests). */
  freeCalls: { count: number };
  queueInfo(): Record<string, unknown>;
  serverFeatures(): Record<string, unknown>;
  resolveInputPath(name: string): string;
  /** Resolves when the hang fault is off. */
  waitWhileHung(): Promise<void>;
  crash(): void;
}

export interface CoreHooks {
  crash(): void;
}

export function createCore(opts: StandinOptions, log: Logger, hooks: CoreHooks): Core {
  const folders: Folders = { input: opts.inputDir, output: opts.outputDir, temp: opts.tempDir };
  const faults = new Faults();
  const resumeWaiters: (() => void)[] = [];
  const maxUpload = opts.argv.some((a) => a.startsWith('--max-upload-size')) ? pyFloat(opts.maxUploadBytes) : opts.maxUploadBytes;
  const core = {
    opts, log, folders, faults,
    registry: new Registry({ inputDir: opts.inputDir, models: opts.models }),
    history: new History(),
    cache: new OutputCache(opts.cache),
    models: new ModelState(opts.modelLoadMs),
    counter: { next: 0 },
    freeRequests: [] as FreeRequest[],
    freeCalls: { count: 0 },
    queueInfo: () => ({ exec_info: { queue_remaining: core.queue.remaining() } }),
    serverFeatures: () => ({ supports_preview_metadata: true, max_upload_size: maxUpload, extension: { manager: { supports_v4: true } }, node_replacements: true, assets: false }),
    resolveInputPath: (name: string) => inputImagePath(folders, name),
    waitWhileHung: async () => {
      while (faults.state.hang) await new Promise<void>((r) => resumeWaiters.push(r));
    },
    crash: hooks.crash,
  } as Omit<Core, 'hub' | 'queue' | 'executor'> as Core; // the three are filled in right below
  core.hub = new WsHub({
    faults, log, queueInfo: core.queueInfo, serverFeatures: core.serverFeatures,
    executingNodeFor: (sid) => (core.executor.clientId === sid && core.executor.lastNodeId !== null ? core.executor.lastNodeId : undefined),
  });
  // Every queue change broadcasts `status`, before the HTTP reply when it comes from a POST.
  core.queue = new PromptQueue(() => core.hub.send('status', { status: core.queueInfo() }, null));
  core.executor = new PromptExecutor({
    registry: core.registry, hub: core.hub, faults, log, cache: core.cache, folders, opts, models: core.models,
    crash: () => core.crash(), waitWhileHung: () => core.waitWhileHung(),
  });
  faults.setHooks({
    onResume: () => {
      for (const r of resumeWaiters.splice(0)) r();
    },
    onCloseSockets: () => undefined,
    onCrashNow: () => core.crash(),
  });
  faults.apply(opts.faults);
  return core;
}
