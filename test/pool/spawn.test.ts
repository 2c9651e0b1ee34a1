// Spawned servers: parallel start, readiness (line or probe), per-server directories and
// records, capabilities, failure of a first start with the last log lines, stop.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makePool, one, poolConfig, until } from './helpers.ts';

test('N servers start in parallel, each with its own port, directories, record and capabilities', async (t) => {
  const config = poolConfig({ COMFY_SPAWN_COUNT: '3' });
  const pool = makePool(t, config, {
    STANDIN_STARTUP_DELAY_MS: '300',
    STANDIN_MODELS: JSON.stringify({ checkpoints: ['a.safetensors', 'b.safetensors'], loras: ['l.safetensors'] }),
  });
  let launchedAtFirstReady: number | null = null;
  pool.on('backend:state', ({ to }) => {
    if (to === 'ready') launchedAtFirstReady ??= pool.list().filter((b) => b.pid !== null).length;
  });
  await pool.start();
  const list = await until(pool, 'all ready', (l) => l.length === 3 && l.every((b) => b.state === 'ready'));

  // Parallel: every server had been launched when the first one became ready.
  assert.equal(launchedAtFirstReady, 3);
  assert.equal(new Set(list.map((b) => b.pid)).size, 3);
  assert.equal(new Set(list.map((b) => b.port)).size, 3);
  for (const b of list) {
    assert.equal(b.kind, 'spawned');
    assert.equal(b.url, `http://127.0.0.1:${b.port}`);
    assert.match(b.reason, /ready on port \d+ \((readiness line|HTTP probe)\)/);
    assert.ok(b.capabilities.nodeClasses > 5, 'object_info read');
    assert.deepEqual(b.capabilities.models, { checkpoints: 2, loras: 1 });
    const root = path.join(config.dataDir, 'servers', b.id);
    assert.ok(existsSync(path.join(root, 'input')), 'input dir created before start');
    assert.match(readFileSync(path.join(root, 'comfy.log'), 'utf8'), /To see the GUI go to/);
  }
  const records = JSON.parse(readFileSync(path.join(config.dataDir, 'servers', 'records.json'), 'utf8')) as { servers: { id: string; pid: number }[] };
  assert.deepEqual(records.servers.map((r) => r.pid).sort(), list.map((b) => b.pid).sort());
  assert.equal(pool.nodeInfo().length, 3);
  assert.ok(pool.capabilities().every((c) => c.nodeClasses.has('KSampler') && c.models['checkpoints']?.includes('a.safetensors')));
  assert.ok(pool.client('local-1'), 'a ComfyClient per backend');

  await pool.close();
  assert.ok(pool.list().every((b) => b.state === 'stopped'));
  for (const b of list) assert.throws(() => process.kill(b.pid ?? 0, 0), 'process gone after close()');
  const after = JSON.parse(readFileSync(path.join(config.dataDir, 'servers', 'records.json'), 'utf8')) as { servers: unknown[] };
  assert.equal(after.servers.length, 0, 'records removed on stop');
});

test('readiness by HTTP probe when the server prints no readiness line (--dont-print-server)', async (t) => {
  const pool = makePool(t, poolConfig({ COMFY_EXTRA_ARGS: '--dont-print-server' }));
  await pool.start();
  const [b] = await until(pool, 'ready', (l) => l[0]?.state === 'ready');
  assert.match(b?.reason ?? '', /\(HTTP probe\)/);
  assert.ok(!pool.logs('local-1').lines.some((l) => l.includes('To see the GUI')));
});

test('a server that exits before it is ready fails its first start, quoting its last output', async (t) => {
  const pool = makePool(t, poolConfig({ COMFY_EXTRA_ARGS: '--no-such-flag' }));
  await pool.start();
  const list = await until(pool, 'failed', (l) => l[0]?.state === 'failed');
  const b = one(list, 'local-1');
  assert.match(b.reason, /first start failed: exited before it was ready \(exit code 2\)/);
  assert.match(b.reason, /unrecognized arguments: --no-such-flag/);
  assert.equal(b.pid, null);
  assert.ok(pool.logs('local-1').lines.some((l) => l.includes('unrecognized arguments')));
  assert.equal(b.restarts, 0, 'a failed first start is not retried');
});
