// Runs bin/comfy-fleet.js as a child process, the way a user does, and collects what it printed.
import { execFile } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/comfy-fleet.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { url?: string; cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  // The caller's own COMFY_FLEET_* must not leak into what a test asserts.
  const env: Record<string, string | undefined> = { ...process.env, COMFY_FLEET_KEY: undefined, COMFY_FLEET_URL: opts.url, ...opts.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
