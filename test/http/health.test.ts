import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

test('/health answers 200 while the process runs', async (t) => {
  const app = await makeApp(t);
  const res = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { status: string; version: string };
  assert.equal(body.status, 'ok');
  assert.equal(body.version, app.fleetVersion);
});

test('/ready is 503 with no ready backend and lists the backends', async (t) => {
  const app = await makeApp(t);
  const res = await app.inject({ method: 'GET', url: '/ready' });
  assert.equal(res.statusCode, 503);
  const body = res.json() as { ready: boolean; readyBackends: number; backends: unknown[] };
  assert.equal(body.ready, false);
  assert.equal(body.readyBackends, 0);
  assert.ok(Array.isArray(body.backends));
});
