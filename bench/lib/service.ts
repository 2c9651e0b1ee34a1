// Starts bench/lib/server.ts (built, see build.ts) as a child process and talks to it over loopback HTTP with a
// keep-alive agent (cheaper per request than fetch, so the client adds little to what is timed).
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rssMb, sleep } from './bench.ts';
import { serviceCommand, standinBundleCommand } from './build.ts';

export interface HttpReply<T> {
  status: number;
  json: T;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

export function request<T = unknown>(method: string, url: string, body?: unknown, timeoutMs = 120_000): Promise<HttpReply<T>> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, {
      method,
      agent,
      timeout: timeoutMs,
      headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        try {
          resolve({ status: res.statusCode ?? 0, json: (text ? JSON.parse(text) : null) as T });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

export interface ServerSummary { id: string; url: string; state: string; pid: number | null; loadedModel: string | null }

export interface Service {
  url: string;
  pid: number;
  child: ChildProcess;
  rssMb(): number;
  servers(): Promise<ServerSummary[]>;
  /** Waits until `count` backends are ready. */
  ready(count: number, timeoutMs?: number): Promise<ServerSummary[]>;
  close(): Promise<void>;
}

/** Settings every benchmark shares: loopback, no rate limit or per-key cap, silent logs. */
export async function baseEnv(): Promise<Record<string, string>> {
  return {
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-')),
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    COMFY_SERVERS: '',
    COMFY_SIMULATED: 'true',
    COMFY_COMMAND: await standinBundleCommand(),
    COMFY_PROBE_INTERVAL_MS: '200',
    RATE_LIMIT_PER_MINUTE: '0',
    MAX_QUEUED_PER_KEY: '0',
    JOB_MAX_QUEUED: '1000000',
    COMFY_STOP_GRACE_MS: '2000',
  };
}

export async function startService(env: Record<string, string>): Promise<Service> {
  const [node, ...args] = await serviceCommand();
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(node as string, [...prof, ...args], {
    env: { ...process.env, ...(await baseEnv()), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /BENCH_READY (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`service exited (${code}) before listening: ${out}`)));
  });
  child.stdout?.resume();
  const servers = async () => (await request<{ servers: ServerSummary[] }>('GET', `${url}/servers`)).json.servers;
  return {
    url,
    pid: child.pid as number,
    child,
    rssMb: () => rssMb(child.pid as number),
    servers,
    async ready(count, timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const list = await servers();
        if (list.length === count && list.every((s) => s.state === 'ready')) return list;
        if (Date.now() > until) throw new Error(`backends not ready: ${JSON.stringify(list.map((s) => [s.id, s.state]))}`);
        await sleep(100);
      }
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A model-free workflow that runs in ~0 ms: a 1×1 image of a random colour (never cached), previewed. */
export function zeroWorkflow(): Record<string, unknown> {
  return {
    1: { class_type: 'EmptyImage', inputs: { width: 1, height: 1, batch_size: 1, color: Math.floor(Math.random() * 0xffffff) } },
    2: { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
  };
}
