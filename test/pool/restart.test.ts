// Crash handling of spawned servers: SIGKILL → restart with backoff on the same port; K crashes
// within the window → `failed` (no more restarts); an operator restart re-arms it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePool, one, poolConfig, until } from './helpers.ts';

test('a crashed server is restarted after a backoff, on the same port, with a new pid', async (t) => {
  const pool = makePool(t, poolConfig({ COMFY_CRASH_LOOP_COUNT: '5' }));
  const seen: string[] = [];
  pool.on('backend:state', ({ to, reason }) => seen.push(`${to}: ${reason}`));
  await pool.start();
  const before = one(await until(pool, 'ready', (l) => l[0]?.state === 'ready'), 'local-1');
  process.kill(before.pid ?? 0, 'SIGKILL');

  const after = one(await until(pool, 'ready again with a new pid', (l) => l[0]?.state === 'ready' && l[0].pid !== before.pid), 'local-1');
  assert.equal(after.port, before.port, 'same port, so the URL stays valid');
  assert.equal(after.restarts, 1);
  const restarting = seen.find((s) => s.startsWith('restarting'));
  assert.match(restarting ?? '', /crashed \(signal SIGKILL\); restarting in 100 ms/);
  assert.ok(pool.logs('local-1').lines.some((l) => l.includes('process exited (signal SIGKILL)')));
});

test('crash loop: K crashes within the window mark the server failed; an operator restart re-arms it', async (t) => {
  const pool = makePool(t, poolConfig({ COMFY_CRASH_LOOP_COUNT: '2', COMFY_CRASH_LOOP_WINDOW_MS: '60000' }));
  const delays: string[] = [];
  pool.on('backend:state', ({ to, reason }) => {
    if (to === 'restarting') delays.push(reason);
  });
  await pool.start();
  const first = one(await until(pool, 'ready', (l) => l[0]?.state === 'ready'), 'local-1');
  process.kill(first.pid ?? 0, 'SIGKILL');
  const second = one(await until(pool, 'restarted', (l) => l[0]?.state === 'ready' && l[0].pid !== first.pid), 'local-1');
  process.kill(second.pid ?? 0, 'SIGKILL');

  const failed = one(await until(pool, 'failed', (l) => l[0]?.state === 'failed'), 'local-1');
  assert.match(failed.reason, /crash loop: 2 crashes within COMFY_CRASH_LOOP_WINDOW_MS=60000/);
  assert.equal(delays.length, 1, 'restarted once, then the breaker tripped');
  assert.equal(pool.accepting().length, 0);

  pool.restart('local-1');
  const rearmed = one(await until(pool, 're-armed', (l) => l[0]?.state === 'ready'), 'local-1');
  assert.notEqual(rearmed.pid, second.pid);
  assert.equal(rearmed.restarts, 2);
});

test('an operator restart of a ready server stops it (interrupt, SIGTERM) and starts a new process', async (t) => {
  const pool = makePool(t, poolConfig());
  await pool.start();
  const before = one(await until(pool, 'ready', (l) => l[0]?.state === 'ready'), 'local-1');
  const states: string[] = [];
  pool.on('backend:state', ({ to }) => states.push(to));
  pool.restart('local-1');
  const after = one(await until(pool, 'restarted', (l) => l[0]?.state === 'ready' && l[0].pid !== before.pid), 'local-1');
  assert.deepEqual(states, ['starting', 'ready']);
  assert.throws(() => process.kill(before.pid ?? 0, 0), 'old process gone');
  assert.equal(after.restarts, 1);
});
