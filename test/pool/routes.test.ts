// /servers over REST against a real pool (the simulated default: stand-ins spawned through the
// supervisor): listing, logs, attach/spawn, drain, remove, and problem+json errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { FAST, killRecorded, tempDir } from './helpers.ts';

test('/servers: list, logs, spawn, drain, remove, and clear 4xx errors', async (t) => {
  // Nothing configured at all: the service runs simulated stand-ins (one here, to keep it quick).
  const config = loadConfig({ DATA_DIR: tempDir(), COMFY_SPAWN_COUNT: '1', ...FAST });
  assert.equal(config.comfy.simulated, true);
  const app = await buildApp(config, { logger: false });
  t.after(async () => {
    await app.close();
    killRecorded(config.dataDir);
  });
  await app.ready();
  assert.ok(await app.pool.waitFor((l) => l[0]?.state === 'ready', 30_000), 'stand-in ready');

  const ready = await app.inject({ method: 'GET', url: '/ready' });
  assert.equal(ready.statusCode, 200);
  assert.equal(ready.json().simulated, true);

  const list = await app.inject({ method: 'GET', url: '/servers' });
  assert.equal(list.statusCode, 200);
  const body = list.json() as { simulated: boolean; servers: { id: string; simulated: boolean; state: string; capabilities: { nodeClasses: number } }[] };
  assert.equal(body.simulated, true);
  assert.deepEqual(body.servers.map((s) => [s.id, s.simulated, s.state]), [['local-1', true, 'ready']]);
  assert.ok((body.servers[0]?.capabilities.nodeClasses ?? 0) > 0);

  const logs = await app.inject({ method: 'GET', url: '/servers/local-1/logs?tail=2' });
  assert.equal(logs.statusCode, 200);
  assert.equal(logs.json().lines.length, 2);
  assert.ok((logs.json().lines as string[]).some((l) => l.includes('To see the GUI go to')));

  const problem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string): void => {
    assert.equal(res.statusCode, status);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    assert.equal((res.json() as { code: string }).code, code);
  };
  problem(await app.inject({ method: 'GET', url: '/servers/nope' }), 404, 'FLEET_SERVER_NOT_FOUND');
  problem(await app.inject({ method: 'POST', url: '/servers', payload: { url: 'ftp://example.com' } }), 422, 'FLEET_SERVER_BAD_URL');
  problem(await app.inject({ method: 'POST', url: '/servers', payload: { url: body.servers.length ? app.pool.list()[0]?.url : '' } }), 409, 'FLEET_SERVER_DUPLICATE');
  problem(await app.inject({ method: 'POST', url: '/servers', payload: { both: 1 } }), 400, 'FLEET_INVALID_REQUEST');

  // A spawned server that cannot start ends `failed`; draining it is an invalid transition.
  const spawned = await app.inject({ method: 'POST', url: '/servers', payload: { spawn: true, args: ['--no-such-flag'] } });
  assert.equal(spawned.statusCode, 201);
  assert.equal(spawned.headers.location, '/servers/local-2');
  assert.ok(await app.pool.waitFor((l) => l.find((b) => b.id === 'local-2')?.state === 'failed', 30_000));
  problem(await app.inject({ method: 'POST', url: '/servers/local-2/drain' }), 409, 'FLEET_SERVER_INVALID_TRANSITION');
  assert.equal((await app.inject({ method: 'DELETE', url: '/servers/local-2' })).statusCode, 202);

  const drained = await app.inject({ method: 'POST', url: '/servers/local-1/drain' });
  assert.equal(drained.statusCode, 200);
  assert.equal(drained.json().state, 'draining');
  assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 503, 'a draining server takes no work');

  const pid = app.pool.get('local-1')?.pid ?? 0;
  const removed = await app.inject({ method: 'DELETE', url: '/servers/local-1' });
  assert.equal(removed.statusCode, 202);
  assert.ok(await app.pool.waitFor((l) => l.length === 0, 20_000), 'both removed');
  problem(await app.inject({ method: 'GET', url: '/servers/local-1' }), 404, 'FLEET_SERVER_NOT_FOUND');
  assert.throws(() => process.kill(pid, 0), 'the removed server was stopped');
});
