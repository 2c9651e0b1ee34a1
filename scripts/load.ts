// Load: the service with spawned stand-ins (model-free workflow, STANDIN_STEP_MS=0) on loopback,
// hammered for a bounded time by several hundred concurrent connections that submit jobs and
// poll them until they finish. Reports the error rate and latency percentiles per route and
// writes them to bench/results/load.json.
//
//   npm run load -- [--duration 20] [--connections 300] [--servers 2] [--out bench/results/load.json]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '300' },
    servers: { type: 'string', default: '2' },
    out: { type: 'string', default: 'bench/results/load.json' },
  },
});
const durationMs = Number(args.duration) * 1000;
const connections = Number(args.connections);
const servers = Number(args.servers);

type Route = 'POST /jobs' | 'GET /jobs/:id';
const samples: Record<Route, number[]> = { 'POST /jobs': [], 'GET /jobs/:id': [] };
const errors: Record<Route, Record<string, number>> = { 'POST /jobs': {}, 'GET /jobs/:id': {} };
const jobs = { submitted: 0, succeeded: 0, failed: 0, unfinished: 0 };

const ROOT = path.resolve(import.meta.dirname, '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-load-'));
process.env.STANDIN_STEP_MS = '0';
process.env.STANDIN_MODEL_LOAD_MS = '0';
const app = await buildApp(loadConfig({
  DATA_DIR: dataDir, LOG_LEVEL: 'silent', COMFY_SIMULATED: 'true', COMFY_SPAWN_COUNT: String(servers),
  TEMPLATES_DIR: path.join(ROOT, 'examples'), RATE_LIMIT_PER_MINUTE: '0', MAX_QUEUED_PER_KEY: '0', COMFY_STOP_GRACE_MS: '1000',
}), { logger: false });

let url = '';
try {
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  await waitFor(async () => {
    const s = (await (await fetch(`${url}/servers`)).json()) as { servers: { state: string }[] };
    return s.servers.length === servers && s.servers.every((x) => x.state === 'ready');
  }, 60_000, 'ready stand-ins');
  await waitFor(async () => ((await (await fetch(`${url}/templates`)).json()) as { templates: unknown[] }).templates.length >= 3, 20_000, 'templates');
  // Node's fetch keeps connections alive and opens as many as there are requests in flight:
  // one per virtual user.

  const startedAt = performance.now();
  const until = startedAt + durationMs;
  let seq = 0;
  const user = async () => {
    while (performance.now() < until) {
      const n = seq++;
      const body = { template: 'solid-color', params: { width: 8, height: 8, color: n % 0xffffff, prefix: `load/${n}` } };
      const r = await timed('POST /jobs', () => fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
      if (!r || (r.status !== 202 && r.status !== 200)) continue;
      const { id } = (await r.json()) as { id: string };
      jobs.submitted++;
      for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
        await new Promise((res) => setTimeout(res, delay));
        const p = await timed('GET /jobs/:id', () => fetch(`${url}/jobs/${id}`));
        if (!p || p.status !== 200) continue;
        const { status } = (await p.json()) as { status: string };
        if (status === 'succeeded') { jobs.succeeded++; break; }
        if (status === 'failed' || status === 'cancelled') { jobs.failed++; break; }
        if (performance.now() > until + 30_000) { jobs.unfinished++; break; }
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, user));
  const elapsedS = (performance.now() - startedAt) / 1000;

  const routes = Object.fromEntries((Object.keys(samples) as Route[]).map((route) => {
    const ms = samples[route].sort((a, b) => a - b);
    const failed = Object.values(errors[route]).reduce((a, b) => a + b, 0);
    const total = ms.length + failed;
    return [route, {
      requests: total,
      perSecond: Math.round(total / elapsedS),
      errorRate: total ? failed / total : 0,
      errors: errors[route],
      latencyMs: { p50: pct(ms, 50), p90: pct(ms, 90), p99: pct(ms, 99), max: ms.at(-1) ?? null },
    }];
  }));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? null, node: process.version },
    settings: { durationS: durationMs / 1000, connections, servers, workflow: 'examples/solid-color.json', standinStepMs: 0 },
    elapsedS: Math.round(elapsedS * 10) / 10,
    jobs: { ...jobs, perSecond: Math.round(jobs.succeeded / elapsedS) },
    routes,
  };
  mkdirSync(path.dirname(path.resolve(ROOT, args.out)), { recursive: true });
  writeFileSync(path.resolve(ROOT, args.out), `${JSON.stringify(result, null, 2)}\n`);
  for (const [route, r] of Object.entries(routes)) {
    process.stdout.write(`${route.padEnd(14)} ${String(r.requests).padStart(7)} req  ${String(r.perSecond).padStart(5)}/s  errors ${(r.errorRate * 100).toFixed(2)}%  ` +
      `p50 ${fmt(r.latencyMs.p50)}  p90 ${fmt(r.latencyMs.p90)}  p99 ${fmt(r.latencyMs.p99)} ms\n`);
  }
  process.stdout.write(`jobs: ${jobs.submitted} submitted, ${jobs.succeeded} succeeded (${result.jobs.perSecond}/s), ${jobs.failed} failed, ${jobs.unfinished} unfinished → ${args.out}\n`);
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

async function timed(route: Route, call: () => Promise<Response>): Promise<Response | null> {
  const t0 = performance.now();
  try {
    const res = await call();
    const ms = performance.now() - t0;
    if (res.status >= 400) {
      errors[route][String(res.status)] = (errors[route][String(res.status)] ?? 0) + 1;
      await res.body?.cancel();
      return null;
    }
    samples[route].push(ms);
    return res;
  } catch (err) {
    const key = err instanceof Error ? (err.cause as { code?: string } | undefined)?.code ?? err.name : 'error';
    errors[route][key] = (errors[route][key] ?? 0) + 1;
    return null;
  }
}

function pct(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) * 10) / 10;
}

function fmt(v: number | null): string {
  return v === null ? '-' : v.toFixed(1).padStart(7);
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
