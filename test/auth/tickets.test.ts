import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TicketStore } from '../../src/auth/tickets.ts';
import { terminal, until } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';
import { as, keyedApp, KEYS, openWs, problemCode, submitAs, wsOutcome } from './helpers.ts';

const ticketFor = async (app: Awaited<ReturnType<typeof keyedApp>>['app'], key: string, body: Record<string, unknown> = {}) => {
  const res = await as(app, key, { method: 'POST', url: '/auth/ticket', payload: body });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['cache-control'], 'no-store');
  return (res.json() as { ticket: string }).ticket;
};

test('TicketStore: single use, expiry, job binding, bounded size', () => {
  let now = 1_000;
  const store = new TicketStore({ ttlMs: 60_000, now: () => now, max: 3 });
  const a = store.issue('web');
  assert.deepEqual(store.redeem(a.ticket, { jobId: null }), { ok: true, principal: 'web' });
  assert.deepEqual(store.redeem(a.ticket, { jobId: null }), { ok: false, reason: 'ticket unknown or already used' });
  const b = store.issue('web');
  now += 60_000;
  assert.deepEqual(store.redeem(b.ticket, { jobId: null }), { ok: false, reason: 'ticket expired' });
  const c = store.issue('web', 'job-1');
  assert.equal(store.redeem(c.ticket, { jobId: 'job-2' }).ok, false);
  for (let i = 0; i < 10; i++) store.issue('web');
  assert.equal(store.size, 3);
});

test('SSE with ?ticket=: works once for the key\'s own job; reuse → 401', async (t) => {
  const { app } = await keyedApp(t);
  const job = await submitAs(app, KEYS.web);
  await until(async () => (await as(app, KEYS.web, { method: 'GET', url: `/jobs/${job.id}` })).json() as Job, terminal);
  const ticket = await ticketFor(app, KEYS.web);
  const first = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events?ticket=${ticket}` });
  assert.equal(first.statusCode, 200);
  assert.match(first.body, /event: succeeded/);
  const again = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events?ticket=${ticket}` });
  assert.equal(again.statusCode, 401);
  assert.equal(problemCode(again), 'FLEET_UNAUTHORIZED');
  assert.match((again.json() as { detail: string }).detail, /unknown or already used/);
});

test('tickets: expired → 401; bound to another job → 401; the ticket carries its key\'s ownership', async (t) => {
  const { app } = await keyedApp(t);
  const job = await submitAs(app, KEYS.web);
  const other = await submitAs(app, KEYS.web);

  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const expiring = await ticketFor(app, KEYS.web);
  t.mock.timers.tick(60_001);
  const expired = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events?ticket=${expiring}` });
  t.mock.timers.reset();
  assert.equal(expired.statusCode, 401);
  assert.match((expired.json() as { detail: string }).detail, /expired/);

  const bound = await ticketFor(app, KEYS.web, { jobId: job.id });
  assert.equal((await app.inject({ method: 'GET', url: `/jobs/${other.id}/events?ticket=${bound}` })).statusCode, 401);

  const mobiles = await ticketFor(app, KEYS.mobile);
  const foreign = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events?ticket=${mobiles}` });
  assert.equal(foreign.statusCode, 404);
});

test('a ticket is only accepted on the streaming routes, and a key is never accepted in the URL', async (t) => {
  const { app } = await keyedApp(t);
  const ticket = await ticketFor(app, KEYS.web);
  const elsewhere = await app.inject({ method: 'GET', url: `/jobs?ticket=${ticket}` });
  assert.equal(elsewhere.statusCode, 401);
  const job = await submitAs(app, KEYS.web);
  const keyInUrl = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events?ticket=${KEYS.web}` });
  assert.equal(keyInUrl.statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/auth/ticket' })).statusCode, 401);
});

test('websocket: a ticket opens it once; reuse and missing credentials close 4401', async (t) => {
  const { app, backend } = await keyedApp(t);
  backend.autoFinish = false;
  const job = await submitAs(app, KEYS.web);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `${address.replace('http', 'ws')}/ws`;
  const ticket = await ticketFor(app, KEYS.web);

  const { ws, msgs } = await openWs(t, `${base}?ticket=${ticket}`);
  ws.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: job.id }] }));
  await until(() => msgs.length, (n) => n >= 1);
  assert.equal(msgs[0]?.type, 'snapshot');

  const reused = await wsOutcome(`${base}?ticket=${ticket}`);
  assert.equal(reused.code, 4401);
  assert.match(reused.reason, /already used/);
  const none = await wsOutcome(base);
  assert.equal(none.code, 4401);
  const header = await openWs(t, base, { authorization: `Bearer ${KEYS.reader}` });
  header.ws.send(JSON.stringify({ type: 'ping' }));
  await until(() => header.msgs.length, (n) => n === 1);
  assert.equal(header.msgs[0]?.type, 'pong');
});
