// Start-up of N spawned stand-ins in parallel against the slowest single start, in one run.
// Each stand-in sleeps STANDIN_STARTUP_DELAY_MS before listening (like ComfyUI importing its
// nodes), so the ratio shows whether the pool starts servers concurrently (goal: ≤ 1.2×).
//   npx tsx bench/pool-startup.ts [count=8] [delayMs=1000]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, standinCommand } from '../src/config.ts';
import { Pool } from '../src/pool/pool.ts';

const count = Number(process.argv[2] ?? 8);
const delayMs = Number(process.argv[3] ?? 1000);
const env = { STANDIN_STARTUP_DELAY_MS: String(delayMs) };

interface Run {
  readyMs: number;
  /** From start() to the last process launch: the pool's own serialisation, if any. */
  lastLaunchMs: number;
}

/** Time from start() until every server is ready (ms), then stops them. */
async function startPool(n: number): Promise<Run> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-')),
    COMFY_COMMAND: standinCommand().join(' '),
    COMFY_SPAWN_COUNT: String(n),
    COMFY_PROBE_INTERVAL_MS: '100',
    LOG_LEVEL: 'silent',
  });
  const pool = new Pool({ config, spawnEnv: env });
  const startedAt = performance.now();
  const startedAtEpoch = Date.now();
  try {
    await pool.start();
    const ok = await pool.waitFor((l) => l.length === n && l.every((b) => b.state === 'ready'), 120_000);
    if (!ok) throw new Error(`not all ready: ${JSON.stringify(pool.list().map((b) => [b.id, b.state, b.reason]))}`);
    const readyMs = performance.now() - startedAt;
    // The supervisor stamps each launch in the server's log: `[comfy-fleet] <ISO> launched pid …`.
    const launches = pool.list().map((b) => {
      const line = pool.logs(b.id).lines.find((l) => l.startsWith('[comfy-fleet]') && l.includes(' launched pid '));
      return Date.parse(line?.split(' ')[1] ?? '') - startedAtEpoch;
    });
    return { readyMs, lastLaunchMs: Math.max(...launches) };
  } finally {
    await pool.close();
  }
}

const singles: number[] = [];
for (let i = 0; i < 3; i++) singles.push((await startPool(1)).readyMs);
const slowestSingleMs = Math.max(...singles);
const parallel = await startPool(count);
const ratio = parallel.readyMs / slowestSingleMs;
const result = {
  count,
  startupDelayMs: delayMs,
  singleMs: singles.map((v) => Math.round(v)),
  slowestSingleMs: Math.round(slowestSingleMs),
  parallelMs: Math.round(parallel.readyMs),
  lastLaunchMs: parallel.lastLaunchMs,
  ratio: Number(ratio.toFixed(3)),
  loadAverage: os.loadavg().map((v) => Number(v.toFixed(2))),
  goal: 1.2,
  cpus: os.cpus().length,
  node: process.version,
  at: new Date().toISOString(),
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/pool-startup.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(`${count} stand-ins in parallel: ${result.parallelMs} ms (all launched within ${result.lastLaunchMs} ms); slowest single start: ${result.slowestSingleMs} ms; ratio ${result.ratio} (goal ≤ ${result.goal}); ${result.cpus} CPUs, load ${result.loadAverage.join(' ')}`);
