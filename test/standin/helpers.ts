/**
 * Test helpers for the stand-in: in-process instances (createStandin) on port 0, child
 * processes for the executable, a websocket collector, bounded polling.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { createLogger } from '../../src/standin/log.ts';
import { parseOptions } from '../../src/standin/options.ts';
import { createStandin } from '../../src/standin/server.ts';
import type { Standin } from '../../src/standin/server.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(REPO, 'src/standin/main.ts');
export const CAPTURES = fileURLToPath(new URL('../../../shared/comfyui/captures/', import.meta.url));
export const SAMPLE_PNG = join(CAPTURES, 'view_output.png');
export const CLIENT = 'capture-client-848b7dd9';

export interface Dirs {
  root: string;
  input: string;
  output: string;
  tempParent: string;
}

export function makeDirs(t: TestContext): Dirs {
  const root = mkdtempSync(join(tmpdir(), 'standin-test-'));
  const dirs = { root, input: join(root, 'input'), output: join(root, 'output'), tempParent: join(root, 'tmp') };
  mkdirSync(dirs.input);
  mkdirSync(dirs.output);
  copyFileSync(SAMPLE_PNG, join(dirs.input, 'capture_in.png'));
  writeFileSync(join(dirs.input, 'broken.png'), 'this is not an image');
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return dirs;
}

export interface Running {
  standin: Standin;
  url: string;
  dirs: Dirs;
  logs: string[];
  crashes: number;
  get(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, body: unknown): Promise<Response>;
}

/** An in-process stand-in on a free port; `crash` only counts instead of killing the runner. */
export async function startInProcess(t: TestContext, flags: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  const dirs = makeDirs(t);
  const opts = parseOptions(['--listen', '127.0.0.1', '--port', '0', '--input-directory', dirs.input, '--output-directory', dirs.output,
    '--temp-directory', dirs.tempParent, ...flags], { STANDIN_STEP_MS: '2', STANDIN_MODEL_LOAD_MS: '5', ...env });
  const logs: string[] = [];
  const log = createLogger({ level: 'DEBUG', logStdout: false, stdout: (s) => logs.push(s), stderr: (s) => logs.push(s) });
  const r: Running = {
    standin: undefined as unknown as Standin, url: '', dirs, logs, crashes: 0,
    get: (path, init) => fetch(`${r.url}${path}`, init),
    post: (path, body) => fetch(`${r.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
  r.standin = createStandin(opts, { log, crash: () => { r.crashes++; } });
  const port = await r.standin.listen();
  r.url = `http://127.0.0.1:${port}`;
  t.after(() => r.standin.close());
  return r;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

export interface Child {
  proc: ChildProcess;
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnStandin(t: TestContext, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.once('exit', (code, signal) => res({ code, signal })));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, stderr: () => err, stdout: () => out, exited };
}

export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Poll `check` until it returns a value other than undefined/false, or fail after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000, what = 'condition', maxDelayMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let delay = 5;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, maxDelayMs);
  }
}

export interface WsMessage {
  type: string;
  data: Record<string, unknown>;
}

export interface Collector {
  ws: WebSocket;
  messages: WsMessage[];
  binary: Buffer[];
  /** Text and binary frames in arrival order ('bin' for binary). */
  order: string[];
  until(pred: (m: WsMessage) => boolean, what?: string): Promise<WsMessage>;
  close(): Promise<void>;
}

export async function connectWs(url: string, clientId?: string, firstMessage?: unknown): Promise<Collector> {
  const q = clientId === undefined ? '' : `?clientId=${encodeURIComponent(clientId)}`;
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws${q}`);
  const c: Collector = {
    ws, messages: [], binary: [], order: [],
    until: (pred, what) => waitFor(() => c.messages.find(pred), 10_000, what, 5),
    close: () => new Promise((res) => {
      if (ws.readyState === ws.CLOSED) return res();
      ws.once('close', () => res());
      ws.close();
    }),
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      c.binary.push(data);
      c.order.push('bin');
    } else {
      const m = JSON.parse(data.toString()) as WsMessage;
      c.messages.push(m);
      c.order.push(m.type);
    }
  });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  if (firstMessage !== undefined) ws.send(JSON.stringify(firstMessage));
  await waitFor(() => c.messages.length > 0, 5000, 'first ws message');
  return c;
}

export const SIMPLE = (prefix = 'capture', image = 'capture_in.png'): Record<string, unknown> => ({
  1: { class_type: 'LoadImage', inputs: { image } },
  2: { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
});

export const EMPTY = (prefix = 'x', color = 0, w = 8, h = 8): Record<string, unknown> => ({
  1: { class_type: 'EmptyImage', inputs: { width: w, height: h, batch_size: 1, color } },
  3: { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});

export const TXT2IMG = (steps = 3, seed = 42, ckpt = 'v1-5-pruned-emaonly-fp16.safetensors'): Record<string, unknown> => ({
  3: { class_type: 'KSampler', inputs: { seed, steps, cfg: 7.0, sampler_name: 'euler', scheduler: 'normal', denoise: 1.0, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } },
  4: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: ckpt } },
  5: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  6: { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse', clip: ['4', 1] } },
  7: { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
  8: { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  9: { class_type: 'SaveImage', inputs: { filename_prefix: 'txt2img/ComfyUI', images: ['8', 0] } },
});

/** POST a prompt and wait until its history entry exists. */
export async function runPrompt(r: Running, body: Record<string, unknown>): Promise<{ id: string; entry: Record<string, unknown> }> {
  const res = await r.post('/prompt', body);
  const reply = (await res.json()) as { prompt_id: string };
  if (res.status !== 200) throw new Error(`POST /prompt ${res.status}: ${JSON.stringify(reply)}`);
  const entry = await waitFor(async () => {
    const h = (await (await r.get(`/history/${reply.prompt_id}`)).json()) as Record<string, Record<string, unknown>>;
    return h[reply.prompt_id];
  }, 15_000, 'history entry');
  return { id: reply.prompt_id, entry };
}
