// Affinity makespan: jobs using 3 checkpoints over 4 stand-ins whose model switch costs
// STANDIN_MODEL_LOAD_MS (2 s), through the service's scheduler (prefers the backend that has the
// job's checkpoint loaded, within a window, never starving a job) against a naive round-robin
// dispatcher in this process that posts job i to stand-in i mod 4 directly. Same stand-ins, same
// job sequence, models unloaded (POST /free) before each run. Goal: makespan ≥ 1.5× better.
import { ComfyClient } from '../src/comfy/index.ts';
import { figure, pick, writeResult } from './lib/bench.ts';
import { request, startService } from './lib/service.ts';
import { JobWatcher } from './lib/watch.ts';

const jobs = pick(200, 60);
const switchMs = pick(2000, 500);
const steps = 10;
const stepMs = 20;
const CHECKPOINTS = ['a.safetensors', 'b.safetensors', 'c.safetensors'];

/** Deterministic pseudo-random checkpoint sequence (the same for both runs). */
function sequence(n: number): string[] {
  let x = 12345;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return CHECKPOINTS[x % CHECKPOINTS.length] as string;
  });
}

function txt2img(ckpt: string, seed: number): Record<string, unknown> {
  return {
    4: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: ckpt } },
    6: { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse', clip: ['4', 1] } },
    7: { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
    5: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
    3: { class_type: 'KSampler', inputs: { seed, steps, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } },
    8: { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    9: { class_type: 'PreviewImage', inputs: { images: ['8', 0] } },
  };
}

const service = await startService({
  COMFY_SPAWN_COUNT: '4',
  STANDIN_STEP_MS: String(stepMs),
  STANDIN_MODEL_LOAD_MS: String(switchMs),
  STANDIN_MODELS: JSON.stringify({ checkpoints: CHECKPOINTS }),
  JOB_SILENCE_MS: '600000',
});
try {
  const list = await service.ready(4);
  const clients = await Promise.all(list.map(async (s) => { const c = new ComfyClient({ baseUrl: s.url }); await c.start(); return c; }));
  const unload = () => Promise.all(clients.map((c) => c.http.free({ unloadModels: true, freeMemory: true })));
  const seq = sequence(jobs);

  // Through the service: everything submitted at once, followed over the websocket.
  await unload();
  const watcher = new JobWatcher(service.url);
  const t0 = performance.now();
  const ends: Promise<unknown>[] = [];
  for (const [i, ckpt] of seq.entries()) {
    const r = await request<{ id: string }>('POST', `${service.url}/jobs`, { workflow: txt2img(ckpt, i) });
    if (r.status !== 202) throw new Error(`POST /jobs: ${r.status} ${JSON.stringify(r.json)}`);
    ends.push(watcher.watch(r.json.id));
  }
  await Promise.all(ends);
  const serviceMs = performance.now() - t0;
  watcher.close();
  console.log(`service scheduler: ${jobs} jobs in ${(serviceMs / 1000).toFixed(1)} s`);

  // Naive round robin straight to the stand-ins (each ComfyUI queues what it gets).
  await new Promise((r) => setTimeout(r, 500));
  await unload();
  const t1 = performance.now();
  const runs = await Promise.all(seq.map((ckpt, i) => (clients[i % clients.length] as ComfyClient).submit(txt2img(ckpt, i))));
  const results = await Promise.all(runs.map((r) => r.done));
  const rrMs = performance.now() - t1;
  const failed = results.filter((r) => r.status !== 'success').length;
  console.log(`round robin: ${jobs} jobs in ${(rrMs / 1000).toFixed(1)} s (${failed} failed)`);
  await Promise.all(clients.map((c) => c.close()));

  const ratio = rrMs / serviceMs;
  const ideal = (jobs * steps * stepMs) / 4 + switchMs;
  writeResult('affinity', {
    jobs,
    backends: 4,
    checkpoints: CHECKPOINTS.length,
    switchMs,
    jobMs: steps * stepMs,
    serviceMakespanMs: Math.round(serviceMs),
    roundRobinMakespanMs: Math.round(rrMs),
    idealMakespanMs: Math.round(ideal),
    figures: [figure('affinity: makespan round robin / service scheduler', ratio, '×', 1.5, 'higher')],
  });
} finally {
  await service.close();
}
