import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, workflow } from '../helpers/jobs.ts';
import { as, keyedApp, KEYS, problemCode, submitAs } from './helpers.ts';

test('rate limit: per key, 429 problem+json with Retry-After; other keys and probes unaffected', async (t) => {
  const { app } = await keyedApp(t, { RATE_LIMIT_PER_MINUTE: '3' });
  for (let i = 0; i < 3; i++) assert.equal((await as(app, KEYS.web, { method: 'GET', url: '/jobs' })).statusCode, 200);
  const limited = await as(app, KEYS.web, { method: 'GET', url: '/jobs' });
  assert.equal(limited.statusCode, 429);
  assert.match(String(limited.headers['content-type']), /^application\/problem\+json/);
  assert.equal(problemCode(limited), 'FLEET_RATE_LIMITED');
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
  assert.equal((await as(app, KEYS.mobile, { method: 'GET', url: '/jobs' })).statusCode, 200);
  for (let i = 0; i < 5; i++) assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});

test('without keys (open mode) the rate limit is per client IP; failed authentication is never counted', async (t) => {
  const open = await makeApp(t, { RATE_LIMIT_PER_MINUTE: '2' }, { jobSource: new FakeSource([new FakeBackend('b1')]), resolver: passThrough, processMetrics: false });
  const from = (remoteAddress: string) => open.inject({ method: 'GET', url: '/jobs', remoteAddress });
  assert.equal((await from('10.0.0.1')).statusCode, 200);
  assert.equal((await from('10.0.0.1')).statusCode, 200);
  assert.equal((await from('10.0.0.1')).statusCode, 429);
  assert.equal((await from('10.0.0.2')).statusCode, 200);

  const { app } = await keyedApp(t, { RATE_LIMIT_PER_MINUTE: '2' });
  for (let i = 0; i < 4; i++) assert.equal((await app.inject({ method: 'GET', url: '/jobs' })).statusCode, 401);
});

test('queue cap per key: 429 FLEET_QUOTA_EXCEEDED with Retry-After; other keys and idempotent repeats still pass', async (t) => {
  const b = new FakeBackend('b1');
  b.up = false;
  const { app } = await keyedApp(t, { MAX_QUEUED_PER_KEY: '2' }, [b]);
  await submitAs(app, KEYS.web);
  const keyed = await as(app, KEYS.web, { method: 'POST', url: '/jobs', payload: { workflow: workflow() }, headers: { 'idempotency-key': 'k1' } });
  assert.equal(keyed.statusCode, 202);
  const over = await as(app, KEYS.web, { method: 'POST', url: '/jobs', payload: { workflow: workflow() } });
  assert.equal(over.statusCode, 429);
  assert.equal(problemCode(over), 'FLEET_QUOTA_EXCEEDED');
  assert.equal(over.headers['retry-after'], '10');
  const repeat = await as(app, KEYS.web, { method: 'POST', url: '/jobs', payload: { workflow: workflow() }, headers: { 'idempotency-key': 'k1' } });
  assert.equal(repeat.statusCode, 200);
  assert.equal((await as(app, KEYS.mobile, { method: 'POST', url: '/jobs', payload: { workflow: workflow() } })).statusCode, 202);
  assert.equal(app.jobs.store.queuedCount('web'), 2);
});
