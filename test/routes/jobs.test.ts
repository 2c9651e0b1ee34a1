import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, terminal, until, workflow } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';

async function setup(t: TestContext, backends = [new FakeBackend('b1')], env: Record<string, string> = {}) {
  const source = new FakeSource(backends);
  const app = await makeApp(t, env, { jobSource: source, resolver: passThrough });
  return { app, source };
}

const post = (app: Awaited<ReturnType<typeof setup>>['app'], body: unknown, headers: Record<string, string> = {}, url = '/jobs') =>
  app.inject({ method: 'POST', url, payload: body as object, headers });

test('POST /jobs → 202 with Location; GET /jobs/:id follows it to success', async (t) => {
  const { app } = await setup(t);
  const res = await post(app, { workflow: workflow(), metadata: { user: 'ann' } });
  assert.equal(res.statusCode, 202);
  const job = res.json() as Job;
  assert.equal(res.headers.location, `/jobs/${job.id}`);
  assert.equal(job.status, 'queued');
  assert.deepEqual(job.metadata, { user: 'ann' });
  const done = await until(async () => (await app.inject({ method: 'GET', url: `/jobs/${job.id}` })).json() as Job, terminal);
  assert.equal(done.status, 'succeeded');
  const wf = await app.inject({ method: 'GET', url: `/jobs/${job.id}/workflow` });
  assert.deepEqual(wf.json(), workflow());
});

test('validation: neither or both of template/workflow, bad priority → 400 problem listing each issue', async (t) => {
  const { app } = await setup(t);
  const none = await post(app, { priority: 500 });
  assert.equal(none.statusCode, 400);
  const p = none.json() as { code: string; errors: { path: string }[] };
  assert.equal(p.code, 'FLEET_INVALID_REQUEST');
  assert.ok(p.errors.some((e) => e.path === 'body/priority'));
  assert.equal((await post(app, { template: 'x', workflow: workflow() })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: '/jobs/not-a-uuid' })).statusCode, 400);
  const missing = await app.inject({ method: 'GET', url: '/jobs/00000000-0000-4000-8000-000000000000' });
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as { code: string }).code, 'FLEET_JOB_NOT_FOUND');
});

test('Idempotency-Key: same body → the original job (200); different body → 422', async (t) => {
  const { app } = await setup(t);
  const first = await post(app, { workflow: workflow() }, { 'idempotency-key': 'k1' });
  assert.equal(first.statusCode, 202);
  const again = await post(app, { workflow: workflow() }, { 'idempotency-key': 'k1' });
  assert.equal(again.statusCode, 200);
  assert.equal((again.json() as Job).id, (first.json() as Job).id);
  const other = await post(app, { workflow: workflow({ color: 5 }) }, { 'idempotency-key': 'k1' });
  assert.equal(other.statusCode, 422);
  assert.equal((other.json() as { code: string }).code, 'FLEET_IDEMPOTENCY_KEY_REUSED');
  const list = (await app.inject({ method: 'GET', url: '/jobs' })).json() as { jobs: Job[] };
  assert.equal(list.jobs.length, 1);
});

test('?wait returns the finished job; a job that does not finish in time comes back 202', async (t) => {
  const b = new FakeBackend('b1');
  const { app } = await setup(t, [b]);
  const quick = await post(app, { workflow: workflow() }, {}, '/jobs?wait=5');
  assert.equal(quick.statusCode, 200);
  assert.equal((quick.json() as Job).status, 'succeeded');
  b.script = ['hang'];
  const slow = await post(app, { workflow: workflow() }, {}, '/jobs?wait=0.2');
  assert.equal(slow.statusCode, 202);
  assert.equal((slow.json() as Job).status, 'running');
});

test('backpressure: a full queue answers 503 with Retry-After', async (t) => {
  const b = new FakeBackend('b1');
  b.up = false;
  const { app } = await setup(t, [b], { JOB_MAX_QUEUED: '2' });
  assert.equal((await post(app, { workflow: workflow() })).statusCode, 202);
  assert.equal((await post(app, { workflow: workflow() })).statusCode, 202);
  const full = await post(app, { workflow: workflow() });
  assert.equal(full.statusCode, 503);
  assert.equal(full.headers['retry-after'], '5');
  assert.equal((full.json() as { code: string }).code, 'FLEET_QUEUE_FULL');
});

test('GET /jobs filters by status, template and metadata, and pages with a cursor', async (t) => {
  const b = new FakeBackend('b1');
  b.up = false;
  const { app } = await setup(t, [b]);
  for (let i = 0; i < 5; i++) await post(app, { workflow: workflow(), metadata: { n: i, team: i % 2 ? 'odd' : 'even' } });
  const page1 = (await app.inject({ method: 'GET', url: '/jobs?limit=2' })).json() as { jobs: Job[]; nextCursor: string };
  assert.equal(page1.jobs.length, 2);
  assert.deepEqual(page1.jobs.map((j) => j.metadata.n), [4, 3]);
  const page2 = (await app.inject({ method: 'GET', url: `/jobs?limit=2&cursor=${page1.nextCursor}` })).json() as { jobs: Job[]; nextCursor: string | null };
  assert.deepEqual(page2.jobs.map((j) => j.metadata.n), [2, 1]);
  const odd = (await app.inject({ method: 'GET', url: '/jobs?metadata=team:odd' })).json() as { jobs: Job[] };
  assert.deepEqual(odd.jobs.map((j) => j.metadata.n), [3, 1]);
  const queued = (await app.inject({ method: 'GET', url: '/jobs?status=queued&limit=10' })).json() as { jobs: Job[] };
  assert.equal(queued.jobs.length, 5);
  assert.equal(queued.jobs[4]?.queuePosition, 0);
  assert.equal((await app.inject({ method: 'GET', url: '/jobs?metadata=nocolon' })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: '/jobs?cursor=%%%' })).statusCode, 400);
});

test('cancel is idempotent and answers the job', async (t) => {
  const b = new FakeBackend('b1');
  b.up = false;
  const { app } = await setup(t, [b]);
  const job = (await post(app, { workflow: workflow() })).json() as Job;
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({ method: 'POST', url: `/jobs/${job.id}/cancel` });
    assert.equal(res.statusCode, 200);
    assert.equal((res.json() as Job).status, 'cancelled');
  }
});

test('outputs: listed, streamed from the backend, cached, Range served from the cache', async (t) => {
  const b = new FakeBackend('b1');
  let views = 0;
  const view = b.view.bind(b);
  b.view = async (ref) => { views++; return view(ref); };
  const { app } = await setup(t, [b]);
  const job = (await post(app, { workflow: workflow() }, {}, '/jobs?wait=5')).json() as Job;
  const list = (await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs` })).json() as { outputs: Job['outputs'] };
  assert.equal(list.outputs.length, 1);
  const expected = `bytes of ${list.outputs[0]?.filename}`;
  const first = await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/0` });
  assert.equal(first.statusCode, 200);
  assert.equal(first.headers['content-type'], 'image/png');
  assert.equal(first.body, expected);
  await until(async () => (await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/0`, headers: { range: 'bytes=0-4' } })).statusCode, (s) => s === 206);
  const cachedAfter = views;
  const ranged = await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/0`, headers: { range: 'bytes=0-4' } });
  assert.equal(ranged.body, expected.slice(0, 5));
  assert.equal(ranged.headers['content-range'], `bytes 0-4/${expected.length}`);
  const whole = await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/0` });
  assert.equal(whole.body, expected);
  assert.equal(whole.headers['content-length'], String(expected.length));
  assert.equal(views, cachedAfter, 'once cached, downloads no longer reach the backend');
  const bad = await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/0`, headers: { range: 'bytes=999-' } });
  assert.equal(bad.statusCode, 416);
  assert.equal((await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/7` })).statusCode, 404);
});

test('collection: outputs are copied to our cache, the prompt leaves ComfyUI history, downloads survive the backend', async (t) => {
  const b = new FakeBackend('b1');
  const source = new FakeSource([b]);
  const app = await makeApp(t, { JOB_COLLECT_OUTPUTS: 'true' }, { jobSource: source, resolver: passThrough });
  const job = (await app.inject({ method: 'POST', url: '/jobs?wait=5', payload: { workflow: workflow() } })).json() as Job;
  assert.equal(job.status, 'succeeded');
  await until(() => b.forgotten.length, (n) => n === 1, 5000, 'history deleted after collection');
  assert.deepEqual(b.forgotten, [job.attempts[0]?.promptId]);
  source.list.splice(0);
  const res = await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/0` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, `bytes of ${job.outputs[0]?.filename}`);
});
