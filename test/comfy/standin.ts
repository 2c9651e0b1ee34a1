/**
 * Spawns the stand-in ComfyUI (src/standin/main.ts) as a real child process on a free port with
 * its own temp directories, for the integration tests. Everything is cleaned up in `t.after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const STANDIN_MAIN = join(REPO, 'src/standin/main.ts');
export const standinAvailable = (): boolean => existsSync(STANDIN_MAIN);

const READY = /To see the GUI go to: (https?):\/\/(\S+):(\d+)/;
/** ComfyUI ≥0.23 colours its level tags even when stderr is not a terminal (§2.2). */
const ANSI = /\x1b\[[0-9;]*m/g;

export interface Standin {
  baseUrl: string;
  port: number;
  inputDir: string;
  outputDir: string;
  /** stderr lines of the current process. */
  stderr: string[];
  readonly process: ChildProcess;
  faults(patch: Record<string, unknown>): Promise<void>;
  /** Sends a signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a fresh process on the same port and directories. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startStandin(t: TestContext, env: Record<string, string> = {}): Promise<Standin> {
  const root = await mkdtemp(join(tmpdir(), 'comfy-standin-'));
  const inputDir = join(root, 'input');
  const outputDir = join(root, 'output');
  await mkdir(inputDir);
  await mkdir(outputDir);
  const port = await freePort();
  let child: ChildProcess | null = null;
  let stderr: string[] = [];

  const launch = async (): Promise<void> => {
    const args = ['--import', 'tsx', STANDIN_MAIN, '--listen', '127.0.0.1', '--port', String(port),
      '--input-directory', inputDir, '--output-directory', outputDir, '--temp-directory', root];
    const proc = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    stderr = [];
    await waitReady(proc, stderr);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = child;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  };

  t.after(async () => {
    await kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });
  await launch();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl, port, inputDir, outputDir,
    get stderr() { return stderr; },
    get process() { return child!; },
    faults: async (patch) => {
      const res = await fetch(`${baseUrl}/__standin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
      if (!res.ok) throw new Error(`faults ${JSON.stringify(patch)} → ${res.status} ${await res.text()}`);
    },
    kill,
    restart: async () => {
      await kill('SIGKILL');
      await launch();
    },
  };
}

function waitReady(proc: ChildProcess, stderr: string[], timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`stand-in not ready after ${timeoutMs} ms:\n${stderr.slice(-20).join('\n')}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        stderr.push(line);
        if (READY.test(line.replace(ANSI, ''))) {
          clearTimeout(timer);
          proc.off('exit', onExit);
          resolve();
        }
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      fail(new Error(`stand-in exited (${code ?? signal}) before ready:\n${stderr.slice(-20).join('\n')}`));
    };
    const fail = (err: Error): void => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(err);
    };
    proc.stderr?.on('data', onData);
    proc.once('exit', onExit);
  });
}
