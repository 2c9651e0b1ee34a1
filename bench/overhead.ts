// Added latency per job: the same ~0 ms workflow posted directly to a stand-in (ComfyClient:
// POST /prompt, events over its websocket, result from /history) and through the service
// (POST /jobs?wait=30 answers once the job is terminal), interleaved one by one against the
// same stand-in in one run. Goal: p50 ≤ 3 ms and p99 ≤ 15 ms added.
//   npx tsx bench/overhead.ts            (BENCH_QUICK=1 for fewer jobs)
import { ComfyClient } from '../src/comfy/index.ts';
import { figure, pick, summarise, writeResult } from './lib/bench.ts';
import { request, startService, zeroWorkflow } from './lib/service.ts';

const jobs = pick(1000, 200);
const warmup = pick(50, 20);

const service = await startService({ COMFY_SPAWN_COUNT: '1', STANDIN_STEP_MS: '0' });
try {
  const [backend] = await service.ready(1);
  const client = new ComfyClient({ baseUrl: backend?.url ?? '' });
  await client.start();

  const direct = async (): Promise<number> => {
    const t0 = performance.now();
    const run = await client.submit(zeroWorkflow());
    const r = await run.done;
    if (r.status !== 'success') throw new Error(`direct prompt ended ${r.status}`);
    return performance.now() - t0;
  };
  const viaService = async (): Promise<number> => {
    const t0 = performance.now();
    const r = await request<{ status: string }>('POST', `${service.url}/jobs?wait=30`, { workflow: zeroWorkflow() });
    if (r.status !== 200 || r.json.status !== 'succeeded') throw new Error(`job: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    return performance.now() - t0;
  };

  for (let i = 0; i < warmup; i++) { await direct(); await viaService(); }
  const d: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < jobs; i++) {
    // Alternate which goes first so drift in machine load hits both alike.
    if (i % 2 === 0) { d.push(await direct()); s.push(await viaService()); } else { s.push(await viaService()); d.push(await direct()); }
  }
  await client.close();

  const ds = summarise(d);
  const ss = summarise(s);
  const added = { p50: ss.p50 - ds.p50, p99: ss.p99 - ds.p99 };
  console.log(`overhead: ${jobs} jobs each way; direct p50 ${ds.p50} ms p99 ${ds.p99} ms; via service p50 ${ss.p50} ms p99 ${ss.p99} ms; ratio p50 ${(ss.p50 / ds.p50).toFixed(2)}×`);
  writeResult('overhead', {
    jobs,
    direct: ds,
    service: ss,
    ratioP50: Number((ss.p50 / ds.p50).toFixed(3)),
    ratioP99: Number((ss.p99 / ds.p99).toFixed(3)),
    figures: [
      figure('overhead: added latency p50', added.p50, 'ms', 3, 'lower'),
      figure('overhead: added latency p99', added.p99, 'ms', 15, 'lower'),
    ],
  });
} finally {
  await service.close();
}
