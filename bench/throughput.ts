// Throughput and idle gap: N jobs of a ~0 ms workflow over 8 stand-ins, end to end through the
// service (POST /jobs?wait=60 with many in flight), against a baseline dispatcher in this
// process that posts the same workflow straight to the same stand-ins (ComfyClient, two in each
// ComfyUI queue, like the service's one running + one prefetched). Idle gap: for each stand-in,
// the time between one prompt's execution_success and the next one's execution_start, from the
// timestamps in its /history (so outputs collection, which deletes history, is off here).
// Goals: ≥ 1,000 jobs/s; median idle gap ≤ 2 ms.
import { ComfyClient, ComfyHttp } from '../src/comfy/index.ts';
import { cpuMs, figure, pick, summarise, writeResult } from './lib/bench.ts';
import { request, startService, zeroWorkflow } from './lib/service.ts';

const total = pick(10_000, 1_000);
const backends = 8;
const inflight = 64;
/** Prompts waiting in each ComfyUI queue behind the running one (the service's JOB_PREFETCH). */
const prefetch = Number(process.env.BENCH_PREFETCH ?? 1);

/** Runs `n` tasks with at most `c` at a time. */
async function pool(n: number, c: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: c }, async () => {
    while (next < n) await task(next++);
  }));
}

/** Gaps (ms) between consecutive prompts on each stand-in, from /history message timestamps. */
async function idleGaps(urls: string[]): Promise<number[]> {
  const gaps: number[] = [];
  for (const url of urls) {
    const history = await new ComfyHttp({ baseUrl: url }).historyPage({ maxItems: 100_000 });
    const runs = Object.values(history).map((h) => {
      const ts = (name: string) => (h.status?.messages ?? []).find(([m]) => m === name)?.[1] as { timestamp?: number } | undefined;
      return { start: ts('execution_start')?.timestamp ?? Number.NaN, end: ts('execution_success')?.timestamp ?? Number.NaN };
    }).filter((r) => Number.isFinite(r.start) && Number.isFinite(r.end)).sort((a, b) => a.start - b.start);
    for (let i = 1; i < runs.length; i++) gaps.push(Math.max(0, (runs[i]?.start ?? 0) - (runs[i - 1]?.end ?? 0)));
  }
  return gaps;
}

const service = await startService({ COMFY_SPAWN_COUNT: String(backends), STANDIN_STEP_MS: '0', JOB_COLLECT_OUTPUTS: 'false', JOB_PREFETCH: String(prefetch) });
try {
  const list = await service.ready(backends);
  const urls = list.map((s) => s.url);
  // CPU per job, split by process: where the machine's cores go (the ceiling on jobs/s).
  const pids = list.map((s) => s.pid ?? 0);
  const cpu = () => ({ service: cpuMs(service.pid), standins: pids.reduce((a, p) => a + cpuMs(p), 0), bench: cpuMs(process.pid) });
  const perJob = (a: ReturnType<typeof cpu>, b: ReturnType<typeof cpu>) => ({
    service: Number(((b.service - a.service) / total).toFixed(2)),
    standins: Number(((b.standins - a.standins) / total).toFixed(2)),
    bench: Number(((b.bench - a.bench) / total).toFixed(2)),
  });

  // Baseline: straight to the stand-ins, 1 + prefetch prompts in each, no service in between.
  const clients = await Promise.all(urls.map(async (baseUrl) => { const c = new ComfyClient({ baseUrl }); await c.start(); return c; }));
  let rr = 0;
  const c0 = cpu();
  const t0 = performance.now();
  await pool(total, backends * (1 + prefetch), async () => {
    const c = clients[rr++ % clients.length] as ComfyClient;
    const r = await (await c.submit(zeroWorkflow())).done;
    if (r.status !== 'success') throw new Error(`direct prompt ended ${r.status}`);
  });
  const directS = (performance.now() - t0) / 1000;
  const directCpu = perJob(c0, cpu());
  const directGaps = summarise(await idleGaps(urls));
  await Promise.all(clients.map(async (c) => { await c.http.clearHistory(); await c.close(); }));
  console.log(`direct: ${total} prompts in ${directS.toFixed(2)} s = ${(total / directS).toFixed(0)}/s; idle gap p50 ${directGaps.p50} ms; CPU ms per job ${JSON.stringify(directCpu)}`);

  // Through the service.
  let failed = 0;
  const c1 = cpu();
  const t1 = performance.now();
  await pool(total, inflight, async () => {
    const r = await request<{ status: string }>('POST', `${service.url}/jobs?wait=60`, { workflow: zeroWorkflow() });
    if (r.status !== 200 || r.json.status !== 'succeeded') failed++;
  });
  const serviceS = (performance.now() - t1) / 1000;
  const serviceCpu = perJob(c1, cpu());
  const gaps = summarise(await idleGaps(urls));
  const rate = total / serviceS;
  console.log(`service: ${total} jobs in ${serviceS.toFixed(2)} s = ${rate.toFixed(0)}/s (${failed} not succeeded); idle gap p50 ${gaps.p50} ms p90 ${gaps.p90} ms; CPU ms per job ${JSON.stringify(serviceCpu)}`);
  writeResult('throughput', {
    jobs: total,
    backends,
    prefetch,
    inflight,
    failed,
    direct: { seconds: Number(directS.toFixed(3)), jobsPerSecond: Number((total / directS).toFixed(1)), idleGapMs: directGaps, cpuMsPerJob: directCpu },
    service: { seconds: Number(serviceS.toFixed(3)), jobsPerSecond: Number(rate.toFixed(1)), idleGapMs: gaps, cpuMsPerJob: serviceCpu },
    ratio: Number((rate / (total / directS)).toFixed(3)),
    figures: [
      figure('throughput: jobs/s end to end (8 stand-ins)', rate, 'jobs/s', 1000, 'higher'),
      figure('throughput: idle gap between jobs, median', gaps.p50, 'ms', 2, 'lower'),
    ],
  });
} finally {
  await service.close();
}
