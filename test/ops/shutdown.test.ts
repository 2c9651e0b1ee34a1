import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { drainAndClose } from '../../src/ops/shutdown.ts';
import { until, workflow } from '../helpers/jobs.ts';
import { API_KEYS, as, keyedApp, KEYS, problemCode, submitAs } from '../auth/helpers.ts';

test('drain: new jobs get 503 with Retry-After, queued ones do not start, the running one finishes, then the app closes', async (t) => {
  const { app, backend } = await keyedApp(t, { JOB_PREFETCH: '0' });
  backend.autoFinish = false;
  const running = await submitAs(app, KEYS.web);
  await until(() => backend.submitted.length, (n) => n === 1);
  const waiting = await submitAs(app, KEYS.web);
  assert.equal(app.jobs.store.get(waiting.id)?.status, 'queued');

  const drained = drainAndClose(app, 10_000);
  assert.equal(app.shutdown.draining, true);
  const refused = await as(app, KEYS.web, { method: 'POST', url: '/jobs', payload: { workflow: workflow() } });
  assert.equal(refused.statusCode, 503);
  assert.equal(problemCode(refused), 'FLEET_SHUTTING_DOWN');
  assert.equal(refused.headers['retry-after'], '5');
  // Reads still work while draining.
  assert.equal((await as(app, KEYS.web, { method: 'GET', url: `/jobs/${running.id}` })).statusCode, 200);

  backend.finish(backend.submitted[0] as string);
  const result = await drained;
  assert.equal(result.drained, true);
  assert.equal(result.stillRunning, 0);
  assert.deepEqual(backend.submitted.length, 1, 'the queued job was not dispatched during the drain');
});

test('drain: a job still running when the grace period ends is left running (detached), and close proceeds', async (t) => {
  const { app, backend } = await keyedApp(t);
  backend.script = ['hang'];
  const job = await submitAs(app, KEYS.web);
  await until(() => app.jobs.store.get(job.id)?.status, (s) => s === 'running');
  const result = await drainAndClose(app, 150);
  assert.equal(result.drained, false);
  assert.equal(result.stillRunning, 1);
  assert.ok(result.waitedMs >= 150);
  assert.equal(backend.cancelled.length, 0, 'the job was not cancelled: the next start re-adopts it');
});

test('SIGTERM on the real process: logs the drain and exits 0', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-sigterm-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('../../', import.meta.url).pathname,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, COMFY_SERVERS: 'http://127.0.0.1:9', API_KEYS, SHUTDOWN_GRACE_MS: '2000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await until(() => out, (s) => s.includes('Server listening'), 30_000, 'the service to listen');
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref())]);
    assert.equal(code, 0, out);
    assert.match(out, /shutting down: no new jobs/);
    assert.match(out, /running jobs finished; closing/);
  } finally {
    child.kill('SIGKILL');
  }
});
