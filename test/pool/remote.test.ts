// Remote servers: attached by URL, probed and connected, never spawned or killed; unreachable →
// unhealthy and re-probed with backoff; back on the same port → ready again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { FAST, freePort, makePool, one, startStandin, tempDir, until } from './helpers.ts';

test('a remote server going away and coming back: ready → unhealthy → ready', async (t) => {
  const port = await freePort();
  let standin = startStandin(t, port);
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ DATA_DIR: tempDir(), COMFY_SERVERS: url, ...FAST });
  const pool = makePool(t, config);
  await pool.start();
  const ready = one(await until(pool, 'remote ready', (l) => l[0]?.state === 'ready'), 'remote-1');
  assert.equal(ready.kind, 'remote');
  assert.equal(ready.pid, null);
  assert.equal(ready.port, port);
  assert.ok(ready.capabilities.nodeClasses > 0);
  assert.ok(pool.client('remote-1'), 'websocket client kept');

  await standin.stop();
  const down = one(await until(pool, 'unhealthy', (l) => l[0]?.state === 'unhealthy'), 'remote-1');
  assert.match(down.reason, /probe\(s\) of .* failed/);
  assert.equal(pool.accepting().length, 0);

  standin = startStandin(t, port);
  const back = one(await until(pool, 'ready again', (l) => l[0]?.state === 'ready'), 'remote-1');
  assert.match(back.reason, /answering again/);

  // Removing a remote detaches it: the server itself keeps running.
  const { done } = pool.remove('remote-1');
  await done;
  assert.equal(pool.list().length, 0);
  process.kill(standin.pid, 0); // throws if it had been killed
});

test('attaching at run time: bad URLs and duplicates are refused; an unreachable URL joins as unhealthy', async (t) => {
  const pool = makePool(t, loadConfig({ DATA_DIR: tempDir(), COMFY_SERVERS: 'http://127.0.0.1:9', ...FAST }));
  await pool.start();
  assert.throws(() => pool.attach('ftp://example.com'), { code: 'FLEET_SERVER_BAD_URL' });
  assert.throws(() => pool.attach('not a url'), { code: 'FLEET_SERVER_BAD_URL' });
  assert.throws(() => pool.attach('http://127.0.0.1:9/'), { code: 'FLEET_SERVER_DUPLICATE' });
  assert.throws(() => pool.spawn(), { code: 'FLEET_SPAWN_DISABLED' });
  const added = pool.attach(`http://127.0.0.1:${await freePort()}`);
  assert.equal(added.id, 'remote-2');
  await until(pool, 'both unhealthy', (l) => l.length === 2 && l.every((b) => b.state === 'unhealthy'));
});
