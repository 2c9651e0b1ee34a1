// Shared harness of the chaos suite: a fleet of spawned stand-ins behind the service (in this
// process, listening on loopback), a small HTTP client, fault injection and the end-of-run checks
// (nothing lost, nothing left running, every server back). Counts come from `scale()`: the CI
// mode is bounded, CHAOS_LONG=1 runs the counts of issue 9.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Job } from '../../src/jobs/schemas.ts';
import { testConfig } from '../helpers/config.ts';
import { until } from '../helpers/jobs.ts';
import { EXAMPLES_DIR } from '../browser/fleet.ts';

export const LONG = process.env.CHAOS_LONG === '1';
/** `ci` in the default (bounded) mode, `long` with CHAOS_LONG=1. */
export const scale = (ci: number, long: number): number => (LONG ? long : ci);

export interface Server { id: string; url: string; state: string; pid: number | null; restarts: number; reason: string; adopted: boolean }

export interface Client {
  url: string;
  api<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: T; headers: Headers }>;
  servers(): Promise<Server[]>;
  submit(body: unknown, headers?: Record<string, string>): Promise<Job>;
  job(id: string): Promise<Job>;
  /** Every job the service knows, all pages of GET /jobs. */
  allJobs(): Promise<Job[]>;
  fault(server: Server, patch: Record<string, unknown>): Promise<void>;
  standinState(server: Server): Promise<StandinState>;
}

export interface StandinState { faults: Record<string, unknown>; free_calls?: number; queue: { running: string[]; pending: number }; history_size: number }

export function client(url: string): Client {
  const api = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  };
  const c: Client = {
    url,
    api,
    servers: async () => (await api<{ servers: Server[] }>('GET', '/servers')).json.servers,
    async submit(body, headers) {
      const r = await api<Job>('POST', '/jobs', body, headers);
      assert.ok(r.status === 202 || r.status === 200, `POST /jobs answered ${r.status}: ${JSON.stringify(r.json)}`);
      return r.json;
    },
    job: async (id) => (await api<Job>('GET', `/jobs/${id}`)).json,
    async allJobs() {
      const out: Job[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; json: { jobs: Job[]; nextCursor: string | null } } =
          await api('GET', `/jobs?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        out.push(...page.json.jobs);
        cursor = page.json.nextCursor;
      } while (cursor);
      return out;
    },
    async fault(server, patch) {
      const res = await fetch(`${server.url}/__standin/faults`, { method: 'POST', body: JSON.stringify(patch) });
      assert.equal(res.status, 200, `fault ${JSON.stringify(patch)} on ${server.id}`);
    },
    standinState: async (server) => (await (await fetch(`${server.url}/__standin/state`)).json()) as StandinState,
  };
  return c;
}

export interface Fleet extends Client {
  app: FastifyInstance;
}

/**
 * The service with `count` spawned stand-ins, listening on loopback; closed (stand-ins stopped,
 * and any left over killed by process group) when the test ends. Stand-ins inherit `standinEnv`.
 */
export async function startFleet(t: TestContext, opts: { count: number; env?: Record<string, string>; standinEnv?: Record<string, string> }): Promise<Fleet> {
  Object.assign(process.env, { STANDIN_STEP_MS: '0', STANDIN_MODEL_LOAD_MS: '0', ...opts.standinEnv });
  const app = await buildApp(testConfig({
    COMFY_SERVERS: '',
    COMFY_SIMULATED: 'true',
    COMFY_SPAWN_COUNT: String(opts.count),
    COMFY_STOP_GRACE_MS: '1000',
    COMFY_RESTART_BACKOFF_MS: '50',
    COMFY_RESTART_BACKOFF_MAX_MS: '500',
    COMFY_CRASH_LOOP_COUNT: '1000',
    COMFY_PROBE_INTERVAL_MS: '250',
    COMFY_PROBE_TIMEOUT_MS: '2000',
    JOB_SILENCE_MS: '1500',
    JOB_MAX_ATTEMPTS: '10',
    RATE_LIMIT_PER_MINUTE: '0',
    MAX_QUEUED_PER_KEY: '0',
    TEMPLATES_DIR: EXAMPLES_DIR,
    ...opts.env,
  }), { logger: false });
  const pids = new Set<number>();
  t.after(async () => {
    await app.close();
    for (const pid of pids) killGroup(pid);
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const c = client(url);
  const servers = async () => {
    const list = await c.servers();
    for (const s of list) if (s.pid) pids.add(s.pid);
    return list;
  };
  await until(servers, (s) => s.length === opts.count && s.every((x) => x.state === 'ready'), 60_000, `${opts.count} ready stand-ins`);
  await until(async () => (await c.api<{ templates: unknown[] }>('GET', '/templates')).json.templates.length, (n) => n >= 3, 20_000, 'example templates');
  return { ...c, servers, app };
}

/** SIGKILL the process group of a stand-in if that pid still runs one; a group already gone is fine. */
export function killGroup(pid: number): void {
  let cmdline = '';
  try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* gone, or no /proc */ }
  if (!cmdline.includes('standin')) return;
  try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
}

/** A model-free job that is never served from ComfyUI's cache: the colour differs every time. */
export const solid = (n: number, extra: Record<string, unknown> = {}) => ({
  template: 'solid-color',
  params: { width: 8 + (n % 8), height: 8, color: (n * 7919) % 0xffffff, prefix: `chaos/j${n}` },
  metadata: { n },
  ...extra,
});

/** A job designed to fail inside ComfyUI (SaveImage refuses a prefix outside its output folder). */
export const doomed = (n: number) => ({
  template: 'solid-color',
  params: { width: 8, height: 8, color: n, prefix: `../../escape/j${n}` },
  metadata: { n, doomed: true },
});

/** Waits until no job is queued or running (bounded), then returns every job. */
export async function drained(c: Client, ms: number): Promise<Job[]> {
  const live = async () => {
    const q = await c.api<{ jobs: Job[] }>('GET', '/jobs?status=queued&limit=1');
    const r = await c.api<{ jobs: Job[] }>('GET', '/jobs?status=running&limit=5');
    return [...q.json.jobs, ...r.json.jobs].map((j) => `${j.id}:${j.status}:${j.backendId ?? '-'}`);
  };
  await until(live, (l) => l.length === 0, ms, 'every job to finish');
  return c.allJobs();
}

/** Every submitted job is known, terminal, and ended as designed. */
export function assertOutcomes(jobs: Job[], submitted: Map<string, { doomed: boolean }>): void {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  for (const [id, want] of submitted) {
    const j = byId.get(id);
    assert.ok(j, `job ${id} was lost`);
    if (want.doomed) {
      assert.equal(j.status, 'failed', `designed-to-fail job ${id}: ${JSON.stringify(j.attempts)}`);
      assert.equal(j.error?.kind, 'workflow', JSON.stringify(j.error));
    } else {
      assert.equal(j.status, 'succeeded', `job ${id} ended ${j.status}: ${JSON.stringify({ error: j.error, attempts: j.attempts })}`);
      assert.equal(j.outputs.length, 1, `job ${id} has ${j.outputs.length} outputs`);
      assert.equal(j.attempts.filter((a) => a.outcome === 'succeeded').length, 1, `job ${id}: exactly one successful attempt`);
    }
    assert.ok(j.attempts.every((a) => a.finishedAt !== null && a.outcome !== null), `job ${id} has an unfinished attempt: ${JSON.stringify(j.attempts)}`);
  }
}

export async function allReady(c: Client, count: number, ms = 60_000): Promise<Server[]> {
  return until(c.servers, (s) => s.length === count && s.every((x) => x.state === 'ready'), ms, 'every server back ready');
}

/** Runs `fn` every `everyMs` until `stop()` (no fixed sleeps in the assertions: this paces a load). */
export function every(everyMs: number, fn: () => Promise<void>): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await fn();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { stop: async () => { stopped = true; await loop; } };
}

export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
