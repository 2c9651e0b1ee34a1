// Start-up of N spawned stand-ins in parallel against the slowest single start, in one run.
// Each stand-in sleeps STANDIN_STARTUP_DELAY_MS before listening (like ComfyUI importing its
// nodes), so the ratio shows whether the pool starts servers concurrently (goal: ≤ 1.2×).
// Measured twice in the same run: with the stand-in booted through tsx (`node --import tsx
// src/standin/main.ts`, what the service spawns by default: ~0.6-1 s of CPU per process to
// transpile its modules) and with COMFY_COMMAND pointing at a prebuilt bundle of the same
// source (~0.15 s). On a 2-core machine eight tsx boots queue for the CPU, which is what the
// first ratio shows; the second is the pool's own concurrency.
//   npx tsx bench/pool-startup.ts [count=8] [delayMs=1000]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, standinCommand } from '../src/config.ts';
import { Pool } from '../src/pool/pool.ts';
import { figure, pick, writeResult } from './lib/bench.ts';
import { standinBundle } from './lib/build.ts';

const count = Number(process.argv[2] ?? 8);
const delayMs = Number(process.argv[3] ?? 1000);
const singlesRuns = pick(3, 2);
const env = { STANDIN_STARTUP_DELAY_MS: String(delayMs) };

interface Run {
  readyMs: number;
  /** From start() to the last process launch: the pool's own serialisation, if any. */
  lastLaunchMs: number;
}

/** Time from start() until every server is ready (ms), then stops them. */
async function startPool(n: number, command: string[]): Promise<Run> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-')),
    COMFY_COMMAND: command.join(' '),
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

async function measure(label: string, command: string[]) {
  const singles: number[] = [];
  for (let i = 0; i < singlesRuns; i++) singles.push((await startPool(1, command)).readyMs);
  const slowestSingleMs = Math.max(...singles);
  const parallel = await startPool(count, command);
  const ratio = parallel.readyMs / slowestSingleMs;
  console.log(`${label}: ${count} stand-ins in parallel ${Math.round(parallel.readyMs)} ms (all launched within ${parallel.lastLaunchMs} ms); slowest single ${Math.round(slowestSingleMs)} ms; ratio ${ratio.toFixed(2)}`);
  return {
    command: label,
    singleMs: singles.map((v) => Math.round(v)),
    slowestSingleMs: Math.round(slowestSingleMs),
    parallelMs: Math.round(parallel.readyMs),
    lastLaunchMs: parallel.lastLaunchMs,
    ratio: Number(ratio.toFixed(3)),
  };
}

const tsx = await measure('tsx', standinCommand());
const bundle = await measure('bundle', await standinBundle());
writeResult('pool-startup', {
  count,
  startupDelayMs: delayMs,
  tsx,
  bundle,
  figures: [
    figure(`pool start-up: ${count} in parallel / slowest single (prebuilt stand-in)`, bundle.ratio, '×', 1.2, 'lower'),
    figure(`pool start-up: ${count} in parallel / slowest single (stand-in through tsx)`, tsx.ratio, '×', 1.2, 'lower'),
  ],
});
