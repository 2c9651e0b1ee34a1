import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { makeJobs, tempDb, terminal, until, workflow } from '../helpers/jobs.ts';

test('after a crash of the service, running jobs are re-attached, completed from history, or requeued', async (t) => {
  const { db } = tempDb(t);
  const before = new FakeBackend('b1');
  before.autoFinish = false;
  const first = makeJobs(t, new FakeSource([before]), { db, prefetch: 1 });
  const a = await first.jobs.submit({ workflow: workflow(), priority: 0, metadata: {} }, { owner: '', idempotencyKey: null });
  const b = await first.jobs.submit({ workflow: workflow({ color: 1 }), priority: 0, metadata: {} }, { owner: '', idempotencyKey: null });
  const c = await first.jobs.submit({ workflow: workflow({ color: 2 }), priority: 0, metadata: {} }, { owner: '', idempotencyKey: null });
  await until(() => before.submitted.length, (n) => n === 2, 2000, 'two prompts submitted');
  // The service dies: nothing is closed, the engine is simply abandoned.
  await first.jobs.close();
  const [promptA, promptB] = before.submitted as [string, string];

  const after = new FakeBackend('b1');
  after.reattachable.set(promptA, { status: 'success', outputs: { '9': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] } }, comfyMs: 5 });
  // promptB left no trace on the backend (e.g. it restarted too): requeued, runs again.
  const second = makeJobs(t, new FakeSource([after]), { db });
  const jobA = await until(() => second.jobs.get(a.job.id), terminal);
  assert.equal(jobA.status, 'succeeded');
  assert.equal(jobA.outputs[0]?.filename, 'a.png');
  assert.equal(jobA.attempts.length, 1, 'a finished prompt is not run twice');
  const jobB = await until(() => second.jobs.get(b.job.id), terminal);
  assert.equal(jobB.status, 'succeeded');
  assert.deepEqual(jobB.attempts.map((x) => x.outcome), ['infrastructure', 'succeeded']);
  assert.notEqual(jobB.attempts[1]?.promptId, promptB);
  const jobC = await until(() => second.jobs.get(c.job.id), terminal);
  assert.equal(jobC.status, 'succeeded', 'the job that was still queued runs after the restart');
  assert.ok(!after.submitted.includes(promptA));
});
