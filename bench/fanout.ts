// Websocket fan-out: 1,000 subscribers (one socket each) on jobs whose stand-in reports sampler
// progress at 20 Hz (STANDIN_STEP_MS=50), spread over the jobs running at once. Delivery latency
// is receive time minus the event's `at` (stamped by the service when it publishes; same clock).
// Baseline in the same run: one subscriber per job. Also the service's peak RSS meanwhile.
// Goals: p99 delivery latency ≤ 50 ms and RSS ≤ 250 MB with 1,000 subscribers.
import WebSocket from 'ws';
import { figure, pick, sleep, summarise, writeResult } from './lib/bench.ts';
import { request, startService, type Service } from './lib/service.ts';
import { openSocket } from './lib/watch.ts';

const subscribers = pick(1000, 1000);
const backends = 4;
const runSeconds = pick(20, 8);
const stepMs = 50;

function sampler(steps: number, seed: number): Record<string, unknown> {
  return {
    4: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly-fp16.safetensors' } },
    6: { class_type: 'CLIPTextEncode', inputs: { text: 'x', clip: ['4', 1] } },
    5: { class_type: 'EmptyLatentImage', inputs: { width: 16, height: 16, batch_size: 1 } },
    3: { class_type: 'KSampler', inputs: { seed, steps, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['6', 0], latent_image: ['5', 0] } },
    8: { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    9: { class_type: 'PreviewImage', inputs: { images: ['8', 0] } },
  };
}

interface Phase { latencies: number[]; events: number; peakRssMb: number; sockets: number; jobsEmitting: number }

/** Starts one long job per backend, attaches `n` sockets round-robin, measures progress delivery. */
async function phase(service: Service, n: number, seconds: number): Promise<Phase> {
  const steps = Math.ceil(((seconds + 4) * 1000) / stepMs);
  // Jobs of a previous phase are cancelled; start only once every backend is free again.
  for (let i = 0; i < 100; i++) {
    const running = await request<{ jobs: unknown[] }>('GET', `${service.url}/jobs?status=running&limit=1`);
    if (running.json.jobs.length === 0) break;
    await sleep(100);
  }
  const ids: string[] = [];
  for (let i = 0; i < backends; i++) {
    const r = await request<{ id: string }>('POST', `${service.url}/jobs`, { workflow: sampler(steps, Date.now() + i) });
    if (r.status !== 202) throw new Error(`POST /jobs: ${r.status} ${JSON.stringify(r.json)}`);
    ids.push(r.json.id);
  }
  const latencies: number[] = [];
  let measuring = false;
  let events = 0;
  const live = new Set<string>();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i++) {
    const ws = await openSocket(service.url);
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary || !measuring) return;
      const m = JSON.parse(raw.toString()) as { type: string; event?: string; at?: number };
      if (m.type !== 'event' || m.event !== 'progress' || m.at === undefined) return;
      latencies.push(Date.now() - m.at);
      events++;
      live.add(ids[i % ids.length] as string);
    });
    ws.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: ids[i % ids.length] }] }));
    sockets.push(ws);
  }
  await sleep(1000);
  measuring = true;
  let peakRssMb = service.rssMb();
  const t = setInterval(() => { peakRssMb = Math.max(peakRssMb, service.rssMb()); }, 250);
  await sleep(seconds * 1000);
  measuring = false;
  clearInterval(t);
  for (const ws of sockets) ws.terminate();
  await Promise.all(ids.map((id) => request('POST', `${service.url}/jobs/${id}/cancel`)));
  await sleep(500);
  return { latencies, events, peakRssMb, sockets: n, jobsEmitting: live.size };
}

const service = await startService({ COMFY_SPAWN_COUNT: String(backends), STANDIN_STEP_MS: String(stepMs), JOB_COLLECT_OUTPUTS: 'false' });
try {
  await service.ready(backends);
  const idleRssMb = service.rssMb();
  const base = await phase(service, backends, Math.min(5, runSeconds));
  const full = await phase(service, subscribers, runSeconds);
  const b = summarise(base.latencies);
  const f = summarise(full.latencies);
  const rate = full.events / runSeconds;
  console.log(`fanout: ${backends} subscribers p50 ${b.p50} ms p99 ${b.p99} ms; ${subscribers} subscribers: ${full.events} progress events (${rate.toFixed(0)}/s from ${full.jobsEmitting} jobs) p50 ${f.p50} ms p99 ${f.p99} ms; service RSS idle ${idleRssMb} MB, peak ${full.peakRssMb} MB`);
  writeResult('fanout', {
    subscribers,
    jobs: backends,
    progressHz: 1000 / stepMs,
    seconds: runSeconds,
    deliveredPerSecond: Math.round(rate),
    jobsEmitting: full.jobsEmitting,
    baseline: { subscribers: backends, latencyMs: b },
    latencyMs: f,
    ratioP99: Number((f.p99 / Math.max(1, b.p99)).toFixed(3)),
    idleRssMb,
    peakRssMb: full.peakRssMb,
    figures: [
      figure(`fanout: p99 delivery latency, ${subscribers} subscribers at 20 Hz`, f.p99, 'ms', 50, 'lower'),
      figure(`fanout: service RSS with ${subscribers} subscribers`, full.peakRssMb, 'MB', 250, 'lower'),
    ],
  });
} finally {
  await service.close();
}
