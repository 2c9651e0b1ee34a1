import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';
import { as, keyedApp, KEYS, problemCode, submitAs, wsOutcome } from './helpers.ts';

test('another key gets 404 for a job on every job route; its list does not show it', async (t) => {
  const { app } = await keyedApp(t);
  const job = await submitAs(app, KEYS.web);
  await until(async () => ((await as(app, KEYS.web, { method: 'GET', url: `/jobs/${job.id}` })).json() as Job).status, (s) => s === 'succeeded');
  assert.equal(app.jobs.store.get(job.id)?.owner, 'web');

  for (const [method, url] of [
    ['GET', `/jobs/${job.id}`], ['POST', `/jobs/${job.id}/cancel`], ['GET', `/jobs/${job.id}/workflow`],
    ['GET', `/jobs/${job.id}/outputs`], ['GET', `/jobs/${job.id}/outputs/0`], ['GET', `/jobs/${job.id}/events`],
  ] as const) {
    const res = await as(app, KEYS.mobile, { method, url });
    assert.equal(res.statusCode, 404, `${method} ${url}`);
    assert.equal(problemCode(res), 'FLEET_JOB_NOT_FOUND', `${method} ${url}`);
    assert.notEqual((await as(app, KEYS.web, { method, url })).statusCode, 404, `owner: ${method} ${url}`);
  }
  const mine = await submitAs(app, KEYS.mobile);
  const list = (await as(app, KEYS.mobile, { method: 'GET', url: '/jobs' })).json() as { jobs: Job[] };
  assert.deepEqual(list.jobs.map((j) => j.id), [mine.id]);
});

test('admin sees and manages every key\'s jobs', async (t) => {
  const { app, backend } = await keyedApp(t);
  backend.autoFinish = false;
  const a = await submitAs(app, KEYS.web);
  const b = await submitAs(app, KEYS.mobile);
  const list = (await as(app, KEYS.admin, { method: 'GET', url: '/jobs' })).json() as { jobs: Job[] };
  assert.deepEqual(list.jobs.map((j) => j.id).sort(), [a.id, b.id].sort());
  assert.equal((await as(app, KEYS.admin, { method: 'GET', url: `/jobs/${a.id}` })).statusCode, 200);
  const cancelled = await as(app, KEYS.admin, { method: 'POST', url: `/jobs/${b.id}/cancel` });
  assert.equal(cancelled.statusCode, 200);
  // A cancel by another non-admin key changed nothing.
  assert.equal((await as(app, KEYS.mobile, { method: 'POST', url: `/jobs/${a.id}/cancel` })).statusCode, 404);
  assert.notEqual(app.jobs.store.get(a.id)?.status, 'cancelled');
});

test('websocket: subscribing to another key\'s job closes 4404 as for an unknown job', async (t) => {
  const { app } = await keyedApp(t);
  const job = await submitAs(app, KEYS.web);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${address.replace('http', 'ws')}/ws`;
  const other = await wsOutcome(url, { headers: { authorization: `Bearer ${KEYS.mobile}` }, send: { type: 'subscribe', jobs: [{ id: job.id }] } });
  assert.equal(other.code, 4404);
  assert.equal(other.msgs[0]?.code, 'FLEET_JOB_NOT_FOUND');
});
