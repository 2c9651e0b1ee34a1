// Memory: (1) the service's RSS with 100,000 jobs queued while no backend accepts work (its one
// stand-in drained first), against its RSS before the first job in the same run; (2) the RSS a
// 1 GB output adds while it streams through GET /jobs/:id/outputs/0 from a backend's /view (a
// plain HTTP server in this process generating the bytes; the service runs with an in-memory
// backend whose prompts succeed at once naming that file, and outputs collection off so the
// download really streams from the backend). Goals: ≤ 200 MB with 100k queued; ≤ 50 MB added.
import http from 'node:http';
import { figure, pick, sleep, writeResult } from './lib/bench.ts';
import { request, startService, zeroWorkflow } from './lib/service.ts';

const queued = Number(process.env.BENCH_QUEUED ?? pick(100_000, 20_000));
const streamBytes = Number(process.env.BENCH_STREAM_MB ?? pick(1024, 256)) * 2 ** 20;

async function pool(n: number, c: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: c }, async () => { while (next < n) await task(next++); }));
}

// ---- 1. queued jobs ----------------------------------------------------------------------
const svc = await startService({ COMFY_SPAWN_COUNT: '1' });
let queue: { idleRssMb: number; queuedRssMb: number; peakRssMb: number; submitSeconds: number; queued: number };
try {
  const [backend] = await svc.ready(1);
  const drained = await request('POST', `${svc.url}/servers/${backend?.id}/drain`);
  if (drained.status !== 200) throw new Error(`drain: ${drained.status} ${JSON.stringify(drained.json)}`);
  await sleep(1000);
  const idleRssMb = svc.rssMb();
  let peakRssMb = idleRssMb;
  const t = setInterval(() => { peakRssMb = Math.max(peakRssMb, svc.rssMb()); }, 250);
  const t0 = performance.now();
  let refused = 0;
  await pool(queued, 16, async () => {
    const r = await request('POST', `${svc.url}/jobs`, { workflow: zeroWorkflow() });
    if (r.status !== 202) refused++;
  });
  const submitSeconds = (performance.now() - t0) / 1000;
  await sleep(2000);
  clearInterval(t);
  const queuedRssMb = svc.rssMb();
  const probe = await request<{ queuePosition: number | null; status: string }>('GET', `${svc.url}/jobs?status=queued&limit=1`);
  if (refused > 0) console.log(`  ${refused} submissions refused`);
  queue = { idleRssMb, queuedRssMb, peakRssMb: Math.max(peakRssMb, queuedRssMb), submitSeconds: Number(submitSeconds.toFixed(1)), queued: queued - refused };
  console.log(`memory: ${queue.queued} queued (submitted at ${(queued / submitSeconds).toFixed(0)}/s): RSS idle ${idleRssMb} MB, with the queue ${queuedRssMb} MB, peak ${queue.peakRssMb} MB (${probe.status})`);
} finally {
  await svc.close();
}

// ---- 2. a 1 GB output streamed through --------------------------------------------------
const chunk = Buffer.alloc(64 * 1024, 7);
const fake = http.createServer((req, res) => {
  if (!req.url?.startsWith('/view')) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(streamBytes) });
  let sent = 0;
  const pump = () => {
    while (sent < streamBytes) {
      const n = Math.min(chunk.length, streamBytes - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
const port = (fake.address() as { port: number }).port;
const svc2 = await startService({ BENCH_SOURCE: 'view', BENCH_VIEW_URL: `http://127.0.0.1:${port}`, JOB_COLLECT_OUTPUTS: 'false' });
let stream: { beforeRssMb: number; peakRssMb: number; addedMb: number; bytes: number; seconds: number };
try {
  const job = await request<{ id: string; status: string }>('POST', `${svc2.url}/jobs?wait=10`, { workflow: zeroWorkflow() });
  if (job.json.status !== 'succeeded') throw new Error(`job ${JSON.stringify(job.json)}`);
  await sleep(500);
  const beforeRssMb = svc2.rssMb();
  let peakRssMb = beforeRssMb;
  const t = setInterval(() => { peakRssMb = Math.max(peakRssMb, svc2.rssMb()); }, 100);
  const t0 = performance.now();
  const bytes = await new Promise<number>((resolve, reject) => {
    http.get(`${svc2.url}/jobs/${job.json.id}/outputs/0`, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(t);
  stream = { beforeRssMb, peakRssMb, addedMb: Number((peakRssMb - beforeRssMb).toFixed(1)), bytes, seconds: Number(seconds.toFixed(2)) };
  console.log(`memory: streamed ${(bytes / 2 ** 20).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s); RSS before ${beforeRssMb} MB, peak ${peakRssMb} MB`);
  if (bytes !== streamBytes) throw new Error(`short download: ${bytes} of ${streamBytes}`);
} finally {
  await svc2.close();
  fake.close();
}

writeResult('memory', {
  queue,
  stream,
  figures: [
    figure(`memory: service RSS with ${queue.queued} jobs queued`, queue.peakRssMb, 'MB', 200, 'lower'),
    figure(`memory: RSS added streaming a ${(streamBytes / 2 ** 20).toFixed(0)} MiB output`, stream.addedMb, 'MB', 50, 'lower'),
  ],
});
