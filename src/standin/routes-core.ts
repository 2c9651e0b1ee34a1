/** The JSON routes of §3.2 other than /prompt POST, files and jobs. */
import { existsSync, readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Core } from './core.ts';
import { queryInt } from './history.ts';
import { empty, isDict, json, parseJsonBody } from './http.ts';
import type { Reply } from './http.ts';
import { PyFloat } from './pyjson.ts';
import { Http500 } from './pyerrors.ts';
import { itemArray } from './queue.ts';
import type { Ctx, Router } from './router.ts';
import { postPrompt } from './prompt-route.ts';

export const MODEL_FOLDERS = ['checkpoints', 'configs', 'loras', 'vae', 'text_encoders', 'diffusion_models', 'clip_vision', 'style_models',
  'embeddings', 'diffusers', 'vae_approx', 'controlnet', 'gligen', 'upscale_models', 'latent_upscale_models', 'custom_nodes', 'hypernetworks',
  'photomaker', 'classifiers', 'model_patches', 'audio_encoders', 'background_removal', 'frame_interpolation', 'geometry_estimation',
  'optical_flow', 'detection'];

const ROOT_HTML = '<!doctype html><title>ComfyUI API only (no frontend)</title>\n';

function truthy(v: unknown): boolean {
  return !(v === false || v === null || v === undefined || v === 0 || v === '' || (v instanceof PyFloat && v.value === 0));
}

function systemStats(core: Core): Record<string, unknown> {
  const { opts } = core;
  const ramTotal = totalmem();
  const ramFree = freemem();
  const device = opts.cpu
    ? { name: 'cpu', type: 'cpu', index: null, vram_total: ramTotal, vram_free: ramFree, torch_vram_total: ramTotal, torch_vram_free: ramFree }
    : { name: `cuda:0 Stand-in GPU (device ${opts.cudaDevice ?? 0}) : cudaMallocAsync`, type: 'cuda', index: 0,
      vram_total: 25757220864, vram_free: 25181503488, torch_vram_total: 0, torch_vram_free: 0 };
  const pkg = (name: string, version: string): Record<string, unknown> => ({ name, installed: version, required: version });
  return {
    system: {
      os: process.platform, ram_total: ramTotal, ram_free: ramFree, comfyui_version: '0.27.0', required_frontend_version: '1.45.20',
      installed_templates_version: '0.11.2', required_templates_version: '0.11.2',
      comfy_package_versions: [pkg('comfyui-frontend-package', '1.45.20'), pkg('comfyui-workflow-templates', '0.11.2'),
        pkg('comfyui-embedded-docs', '0.5.6'), pkg('comfy-kitchen', '0.2.16'), pkg('comfy-aimdo', '0.4.10')],
      python_version: '3.12.3 (main, Feb  4 2025, 14:48:35) [GCC 13.3.0]', pytorch_version: opts.cpu ? '2.7.1+cpu' : '2.7.1+cu128',
      embedded_python: false, deploy_environment: 'local-git', argv: ['main.py', ...opts.argv],
    },
    devices: [device],
  };
}

async function postQueue(ctx: Ctx): Promise<Reply> {
  const { queue } = ctx.core;
  const body = parseJsonBody(await ctx.body());
  if (!isDict(body)) throw new Http500('not a dict');
  if (Object.hasOwn(body, 'clear') && truthy(body['clear'])) queue.wipe();
  if (Object.hasOwn(body, 'delete')) {
    const ids = body['delete'];
    if (!Array.isArray(ids)) throw new Http500('delete is not a list');
    for (const id of ids) queue.deleteFirst((i) => i.promptId === id);
  }
  return empty();
}

async function postHistory(ctx: Ctx): Promise<Reply> {
  const { history } = ctx.core;
  const body = parseJsonBody(await ctx.body());
  if (!isDict(body)) throw new Http500('not a dict');
  if (Object.hasOwn(body, 'clear') && truthy(body['clear'])) history.clear();
  if (Object.hasOwn(body, 'delete')) {
    const ids = body['delete'];
    if (!Array.isArray(ids)) throw new Http500('delete is not a list');
    for (const id of ids) if (typeof id === 'string') history.delete(id);
  }
  return empty();
}

export function addCoreRoutes(r: Router): void {
  r.add('GET', '/', ({ core }) => {
    const index = core.opts.frontEndRoot ? join(core.opts.frontEndRoot, 'index.html') : undefined;
    const body = index && existsSync(index) ? readFileSync(index) : ROOT_HTML;
    return { status: 200, headers: { 'Content-Type': 'text/html', 'Cache-Control': 'no-cache', Pragma: 'no-cache', Expires: '0' }, body };
  }, false);
  r.add('POST', '/prompt', postPrompt);
  r.add('GET', '/prompt', ({ core }) => json(core.queueInfo()));
  r.add('GET', '/queue', ({ core }) => json({
    queue_running: [...core.queue.running.values()].map(itemArray),
    queue_pending: core.queue.heap.map(itemArray),
  }));
  r.add('POST', '/queue', postQueue);
  r.add('POST', '/interrupt', async ({ core, body }) => {
    let data: unknown = {};
    try {
      data = parseJsonBody(await body());
    } catch (err) {
      if (!(err instanceof Http500)) throw err;
    }
    const target = isDict(data) ? data['prompt_id'] : undefined;
    if (target === undefined || target === null) core.executor.interrupt();
    else if (typeof target === 'string' && core.queue.isRunning(target)) core.executor.interrupt();
    return empty();
  });
  r.add('POST', '/free', async ({ core, body }) => {
    const data = parseJsonBody(await body());
    if (!isDict(data)) throw new Http500('not a dict');
    core.freeRequests.push({ unloadModels: truthy(data['unload_models']), freeMemory: truthy(data['free_memory']) });
    core.freeCalls.count++;
    core.queue.wake();
    return empty();
  });
  r.add('GET', '/history', ({ core, url }) => {
    const max = url.searchParams.get('max_items');
    const offset = url.searchParams.get('offset');
    return json(core.history.page(max === null ? undefined : queryInt(max), offset === null ? undefined : queryInt(offset)));
  });
  r.add('GET', '/history/{prompt_id}', ({ core, params }) => {
    const e = core.history.get(params['prompt_id'] ?? '');
    return json(e ? new Map([[params['prompt_id'] ?? '', e]]) : {});
  });
  r.add('POST', '/history', postHistory);
  r.add('GET', '/object_info', ({ core }) => json(core.registry.all((name, err) => core.log.error(`[ERROR] An error occurred while retrieving information for the '${name}' node.\n${String(err)}`))));
  r.add('GET', '/object_info/{node_class}', ({ core, params }) => {
    const name = params['node_class'] ?? '';
    let def: unknown;
    try {
      def = core.registry.get(name);
    } catch {
      def = undefined;
    }
    return json(def === undefined ? {} : new Map([[name, def]]));
  });
  r.add('GET', '/system_stats', ({ core }) => json(systemStats(core)));
  r.add('GET', '/features', ({ core }) => json(core.serverFeatures()));
  r.add('GET', '/embeddings', ({ core }) => json((core.opts.models['embeddings'] ?? []).map((n) => n.replace(/\.[^./]+$/, ''))));
  r.add('GET', '/extensions', () => json([]));
  r.add('GET', '/models', ({ core }) => json([...new Set([...MODEL_FOLDERS, ...Object.keys(core.opts.models)])]));
  r.add('GET', '/models/{folder}', ({ core, params }) => {
    const folder = params['folder'] ?? '';
    if (!MODEL_FOLDERS.includes(folder) && !Object.hasOwn(core.opts.models, folder)) return empty(404);
    return json([...(core.opts.models[folder] ?? [])].sort());
  });
}

