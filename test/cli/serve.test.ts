// `comfy-fleet serve` starts the service like `npm start` (flags fill the environment) and stops
// cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { until } from '../helpers/jobs.ts';
import { BIN } from './run.ts';

test('serve: listens where the flags say, serves the page and the example templates, exits 0 on SIGTERM', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-serve-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // An attached (unreachable) server instead of spawned stand-ins: this test is about the CLI.
  const env = { ...process.env, COMFY_SERVERS: 'http://127.0.0.1:9', LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--examples'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => { logs += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { logs += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

  const url = await until(() => /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs)?.[1], (u) => u !== undefined, 30_000, 'the listening log line');
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.match(await (await fetch(`${url}/`)).text(), /comfy-fleet demo/);
  const names = await until(async () => ((await (await fetch(`${url}/templates`)).json()) as { templates: { name: string }[] }).templates.map((x) => x.name),
    (n) => n.length >= 3, 10_000, 'the example templates');
  assert.deepEqual(names.sort(), ['invert-image', 'solid-color', 'txt2img']);

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
