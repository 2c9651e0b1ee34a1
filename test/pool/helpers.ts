// Shared by the pool tests: a pool on its own DATA_DIR with fast timings, spawning the stand-in
// through the real supervisor; a hand-started stand-in for remote tests; bounded waits; and a
// safety net that kills every process group a test may have left behind.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { loadConfig, standinCommand, type Config } from '../../src/config.ts';
import { Pool, type BackendSummary } from '../../src/pool/pool.ts';
import { PortAllocator } from '../../src/pool/ports.ts';

export const FAST: Record<string, string> = {
  COMFY_PROBE_INTERVAL_MS: '100',
  COMFY_PROBE_TIMEOUT_MS: '1000',
  COMFY_RESTART_BACKOFF_MS: '100',
  COMFY_RESTART_BACKOFF_MAX_MS: '400',
  COMFY_STOP_GRACE_MS: '3000',
  COMFY_START_TIMEOUT_MS: '30000',
  LOG_LEVEL: 'silent',
};

export function tempDir(prefix = 'fleet-pool-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Spawns `count` stand-ins through COMFY_COMMAND (the same path as a real ComfyUI). */
export function poolConfig(env: Record<string, string> = {}, dataDir = tempDir()): Config {
  return loadConfig({ DATA_DIR: dataDir, COMFY_COMMAND: standinCommand().join(' '), COMFY_SPAWN_COUNT: '1', ...FAST, ...env });
}

export function makePool(t: TestContext, config: Config, spawnEnv: Record<string, string> = {}): Pool {
  const pool = new Pool({ config, spawnEnv });
  t.after(async () => {
    await pool.close();
    killRecorded(config.dataDir);
  });
  return pool;
}

/** Safety net: SIGKILL every process group still named in DATA_DIR/servers/records.json. */
export function killRecorded(dataDir: string): void {
  try {
    const file = JSON.parse(readFileSync(path.join(dataDir, 'servers', 'records.json'), 'utf8')) as { servers: { pid: number }[] };
    for (const { pid } of file.servers) killGroup(pid);
  } catch { /* no records */ }
}

export function killGroup(pid: number | null | undefined): void {
  if (!pid) return;
  try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
}

/** Waits (event-driven, bounded) until `predicate` holds for the pool's list; throws on timeout. */
export async function until(pool: Pool, what: string, predicate: (list: BackendSummary[]) => boolean, timeoutMs = 20_000): Promise<BackendSummary[]> {
  if (!(await pool.waitFor(predicate, timeoutMs))) {
    throw new Error(`timed out waiting for ${what}; servers: ${JSON.stringify(pool.list().map((b) => ({ id: b.id, state: b.state, reason: b.reason })))}`);
  }
  return pool.list();
}

export function one(list: BackendSummary[], id: string): BackendSummary {
  const b = list.find((x) => x.id === id);
  if (!b) throw new Error(`no server ${id}`);
  return b;
}

/** Bounded polling with backoff for conditions the pool emits no event for. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let gap = 20;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, gap));
    gap = Math.min(gap * 2, 250);
  }
}

export async function freePort(): Promise<number> {
  return new PortAllocator().reserve();
}

/** A stand-in started by hand (not by the pool), as a "remote" ComfyUI; killed in t.after. */
export function startStandin(t: TestContext, port: number, dir = tempDir('fleet-remote-')): { pid: number; stop(): Promise<void> } {
  const child = execa(standinCommand()[0] ?? process.execPath, [
    ...standinCommand().slice(1), '--listen', '127.0.0.1', '--port', String(port),
    '--input-directory', path.join(dir, 'in'), '--output-directory', path.join(dir, 'out'), '--temp-directory', dir,
  ], { detached: true, stdio: 'ignore', reject: false });
  const pid = child.pid ?? 0;
  t.after(() => killGroup(pid));
  return {
    pid,
    stop: async () => {
      killGroup(pid);
      await child;
    },
  };
}
