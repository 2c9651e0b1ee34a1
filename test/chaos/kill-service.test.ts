// Chaos: kill -9 of the service itself in the middle of a run, then a restart on the same
// DATA_DIR and port. The spawned stand-ins survive (their own process groups) and are re-adopted;
// jobs running at the kill are re-attached on their backend. The client resubmits every request
// with its Idempotency-Key (the ones it had an answer for, and the ones cut off by the kill):
// each key names one job, every job finishes exactly once, and each ran exactly once — one
// SaveImage file per job across all stand-ins' output folders.
// CI: 2 kills over 60 jobs; CHAOS_LONG=1: 5 kills over 300 jobs.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Job } from '../../src/jobs/schemas.ts';
import { until } from '../helpers/jobs.ts';
import { EXAMPLES_DIR } from '../browser/fleet.ts';
import { client, killGroup, pause, scale, solid, type Client } from './fleet.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KILLS = scale(2, 5);
const JOBS = scale(60, 300);

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

/** Every file the stand-ins saved, by name, under DATA_DIR/servers/<id>/output/svc/. */
function savedFiles(dataDir: string): string[] {
  const out: string[] = [];
  const servers = path.join(dataDir, 'servers');
  for (const id of readdirSync(servers)) {
    try { out.push(...readdirSync(path.join(servers, id, 'output', 'svc'))); } catch { /* nothing saved there yet */ }
  }
  return out;
}

test(`kill -9 of the service mid-run, restart: ${JOBS} jobs each finish and run exactly once`, { timeout: scale(180_000, 900_000) }, async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-chaos-svc-'));
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn',
    COMFY_SERVERS: '', COMFY_SIMULATED: 'true', COMFY_SPAWN_COUNT: '2', COMFY_STOP_GRACE_MS: '1000',
    COMFY_RESTART_BACKOFF_MS: '100', COMFY_PROBE_INTERVAL_MS: '250', TEMPLATES_DIR: EXAMPLES_DIR,
    JOB_SILENCE_MS: '1500', JOB_MAX_ATTEMPTS: '10', RATE_LIMIT_PER_MINUTE: '0', MAX_QUEUED_PER_KEY: '0',
    // Three nodes of 100 ms: a job runs ~300 ms, so the kills find jobs queued, running and done.
    STANDIN_STEP_MS: '0', STANDIN_MODEL_LOAD_MS: '0', STANDIN_NODE_MS: '100',
  };
  let service: ChildProcess | null = null;
  const pids = new Set<number>();
  let logs = '';
  const start = async (): Promise<Client> => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => { logs = (logs + d.toString()).slice(-20_000); });
    child.stderr?.on('data', (d: Buffer) => { logs = (logs + d.toString()).slice(-20_000); });
    service = child;
    const c = client(`http://127.0.0.1:${port}`);
    const servers = await until(() => c.servers().catch(() => []), (s) => s.length === 2 && s.every((x) => x.state === 'ready'), 60_000, 'the service with two ready stand-ins');
    for (const s of servers) if (s.pid) pids.add(s.pid);
    await until(async () => (await c.api<{ templates: unknown[] }>('GET', '/templates')).json.templates.length, (n) => n >= 3, 20_000, 'templates');
    return c;
  };
  t.after(async () => {
    const s = service as ChildProcess | null;
    if (s && s.exitCode === null) {
      s.kill('SIGTERM');
      await Promise.race([new Promise((r) => s.once('exit', r)), pause(10_000)]);
      if (s.exitCode === null) s.kill('SIGKILL');
    }
    for (const pid of pids) killGroup(pid);
    rmSync(dataDir, { recursive: true, force: true });
  });

  let c = await start();
  const firstIds = new Map<number, string>();
  const body = (i: number) => solid(i, { params: { width: 8, height: 8, color: i * 31, prefix: `svc/k${i}` } });
  const headers = (i: number) => ({ 'idempotency-key': `chaos-k${i}` });
  let next = 0;
  for (let k = 0; k < KILLS; k++) {
    // Submit a slice of the jobs, a few at a time; kill the service while requests are in flight.
    const slice = Math.ceil(JOBS / KILLS);
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < slice && next < JOBS; i++) {
      const n = next++;
      inflight.push(c.api<Job>('POST', '/jobs', body(n), headers(n)).then((r) => {
        if (r.status === 202 || r.status === 200) firstIds.set(n, r.json.id);
      }, () => undefined /* cut off by the kill: resubmitted below */));
      if (i % 4 === 3) await pause(60);
    }
    // Some jobs have finished, some run, some wait.
    await until(async () => (await c.api<{ jobs: Job[] }>('GET', '/jobs?status=succeeded&limit=1')).json.jobs.length, (x) => x > 0, 30_000, 'a finished job');
    const live = (await c.api<{ jobs: Job[] }>('GET', '/jobs?status=running&limit=5')).json.jobs.length;
    (service as ChildProcess | null)?.kill('SIGKILL');
    await Promise.allSettled(inflight);
    await until(() => (service as ChildProcess | null)?.exitCode ?? (service as ChildProcess | null)?.signalCode, (x) => x !== null && x !== undefined, 5000, 'the service to die');
    t.diagnostic(`kill ${k + 1}: ${firstIds.size} jobs acknowledged so far, ${live} running at the kill`);
    c = await start();
    const adopted = (await c.servers()).filter((s) => s.adopted).length;
    assert.equal(adopted, 2, 'both stand-ins re-adopted, none spawned again');
  }

  // The client resubmits everything: acknowledged keys answer with their job, cut-off ones are created now.
  const ids = new Map<number, string>();
  for (let n = 0; n < JOBS; n++) {
    const r = await c.api<Job>('POST', '/jobs', body(n), headers(n));
    assert.ok(r.status === 200 || r.status === 202, `resubmit ${n}: ${r.status} ${JSON.stringify(r.json)}`);
    const first = firstIds.get(n);
    if (first) {
      assert.equal(r.status, 200, `key ${n} was accepted before: the resubmit must return it`);
      assert.equal(r.json.id, first, `key ${n} names one job`);
    }
    ids.set(n, r.json.id);
  }
  const all = await until(() => c.allJobs(), (js) => js.every((j) => j.status === 'succeeded' || j.status === 'failed' || j.status === 'cancelled'), 120_000, 'every job to finish');
  assert.equal(all.length, JOBS, 'one job per key: no duplicate created by a resubmit');
  for (const j of all) {
    assert.equal(j.status, 'succeeded', `${j.id}: ${JSON.stringify({ error: j.error, attempts: j.attempts })}`);
    assert.equal(j.attempts.filter((a) => a.outcome === 'succeeded').length, 1);
    assert.ok(j.attempts.every((a) => a.outcome !== null), `${j.id} has an unfinished attempt`);
  }
  const files = savedFiles(dataDir);
  for (let n = 0; n < JOBS; n++) {
    const mine = files.filter((f) => f.startsWith(`k${n}_`));
    assert.equal(mine.length, 1, `job ${n} (${ids.get(n)}) ran ${mine.length} times: ${mine.join(', ')}`);
  }
  t.diagnostic(`${JOBS} jobs, ${KILLS} kills; ${firstIds.size} acknowledged before a kill; ${all.filter((j) => j.attempts.length > 1).length} needed a second attempt`);
  assert.doesNotMatch(logs, /unhandled|uncaught/i);
});
