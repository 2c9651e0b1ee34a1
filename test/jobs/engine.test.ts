import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { ckptWorkflow, makeJobs, terminal, until, workflow } from '../helpers/jobs.ts';

const submit = (jobs: ReturnType<typeof makeJobs>['jobs'], body: Record<string, unknown> = {}) =>
  jobs.submit({ workflow: workflow(), priority: 0, metadata: {}, ...body }, { owner: '', idempotencyKey: null });

test('a job runs, succeeds and records its outputs and attempt', async (t) => {
  const b = new FakeBackend('b1');
  const { jobs } = makeJobs(t, new FakeSource([b]));
  const { job } = await submit(jobs);
  assert.equal(job.status, 'queued');
  const done = await until(() => jobs.get(job.id), terminal);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.backendId, 'b1');
  assert.equal(done.attempts.length, 1);
  assert.equal(done.attempts[0]?.outcome, 'succeeded');
  assert.equal(done.outputs.length, 1);
  assert.equal(done.outputs[0]?.url, `/jobs/${job.id}/outputs/0`);
  assert.equal(done.outputs[0]?.filename, `${done.attempts[0]?.promptId}.png`);
  assert.ok(done.timings.runMs !== null && done.timings.queuedMs !== null);
});

test('priority then FIFO; one running plus one prefetched per backend', async (t) => {
  const b = new FakeBackend('b1');
  b.autoFinish = false;
  const { jobs } = makeJobs(t, new FakeSource([b]));
  const low = await submit(jobs, { priority: 0 });
  const low2 = await submit(jobs, { priority: 0 });
  await until(() => b.submitted.length, (n) => n === 2, 2000, 'two prompts in the backend');
  const low3 = await submit(jobs, { priority: 0 });
  const high = await submit(jobs, { priority: 5 });
  await new Promise((r) => setImmediate(r));
  assert.equal(b.submitted.length, 2, 'never more than running + prefetch');
  assert.equal(jobs.get(high.job.id).queuePosition, 0);
  assert.equal(jobs.get(low3.job.id).queuePosition, 1);
  b.finish(b.submitted[0] as string);
  await until(() => b.submitted.length, (n) => n === 3);
  assert.equal(jobs.get(high.job.id).status, 'running', 'the high-priority job goes next');
  assert.equal(jobs.get(low3.job.id).status, 'queued');
  assert.equal(jobs.get(low.job.id).status, 'succeeded');
  assert.equal(jobs.get(low2.job.id).status, 'running');
});

test('infrastructure failure retries on another backend; exhausted attempts fail', async (t) => {
  const b1 = new FakeBackend('b1');
  const b2 = new FakeBackend('b2');
  b1.script = ['crash'];
  b2.up = false;
  const source = new FakeSource([b1, b2]);
  const { jobs } = makeJobs(t, source, { maxAttempts: 2 });
  const { job } = await submit(jobs);
  await until(() => jobs.get(job.id).attempts.length, (n) => n >= 1);
  b2.up = true;
  source.changed();
  const done = await until(() => jobs.get(job.id), terminal);
  assert.equal(done.status, 'succeeded');
  assert.deepEqual(done.attempts.map((a) => [a.backendId, a.outcome]), [['b1', 'infrastructure'], ['b2', 'succeeded']]);
  assert.match(done.attempts[0]?.error?.message ?? '', /crashed/);

  b1.script = ['crash'];
  b2.script = ['reject-infra'];
  const again = await submit(jobs);
  const failed = await until(() => jobs.get(again.job.id), terminal);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.attempts.length, 2);
  assert.equal(failed.error?.kind, 'infrastructure');
  assert.match(failed.error?.message ?? '', /^gave up after 2 attempts/);
});

test('a workflow error fails the job at once with ComfyUI\'s node, class and message', async (t) => {
  const b = new FakeBackend('b1');
  b.script = ['workflow-error', 'reject-workflow'];
  const { jobs } = makeJobs(t, new FakeSource([b, new FakeBackend('b2')]));
  const { job } = await submit(jobs);
  const done = await until(() => jobs.get(job.id), terminal);
  assert.equal(done.status, 'failed');
  assert.equal(done.attempts.length, 1);
  assert.deepEqual(done.error, { kind: 'workflow', message: 'boom', nodeId: '1', classType: 'EmptyImage', exceptionType: 'RuntimeError', traceback: ['b', 'c', 'd'] });
  const second = await submit(jobs);
  const rejected = await until(() => jobs.get(second.job.id), terminal);
  assert.equal(rejected.status, 'failed');
  assert.equal(rejected.attempts.length, 1, 'a 400 from /prompt is not retried');
});

test('OOM: /free is called on that backend and the job is retried', async (t) => {
  const b1 = new FakeBackend('b1');
  const b2 = new FakeBackend('b2');
  b1.script = ['oom'];
  b2.up = false;
  const source = new FakeSource([b1, b2]);
  const { jobs } = makeJobs(t, source);
  const { job } = await submit(jobs);
  await until(() => b1.frees, (n) => n === 1);
  b2.up = true;
  source.changed();
  const done = await until(() => jobs.get(job.id), terminal);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.attempts[0]?.outcome, 'infrastructure');
  assert.equal(done.attempts[0]?.error?.exceptionType, 'torch.OutOfMemoryError');
});

test('cancel: a queued job never starts; a running one is interrupted on its backend only; idempotent', async (t) => {
  const b = new FakeBackend('b1');
  b.autoFinish = false;
  const { jobs } = makeJobs(t, new FakeSource([b]), { prefetch: 0 });
  const running = await submit(jobs);
  const queued = await submit(jobs);
  await until(() => jobs.get(running.job.id).status, (s) => s === 'running');
  assert.equal((await jobs.cancel(queued.job.id)).status, 'cancelled');
  assert.equal((await jobs.cancel(queued.job.id)).status, 'cancelled');
  await jobs.cancel(running.job.id);
  const done = await until(() => jobs.get(running.job.id), terminal);
  assert.equal(done.status, 'cancelled');
  assert.deepEqual(b.cancelled, [done.attempts[0]?.promptId]);
  assert.equal(b.submitted.length, 1, 'the cancelled queued job never reached the backend');
  assert.equal(jobs.get(queued.job.id).attempts.length, 0);
});

test('timeout interrupts the prompt and fails the job with a timeout error', async (t) => {
  const b = new FakeBackend('b1');
  b.script = ['hang'];
  const { jobs } = makeJobs(t, new FakeSource([b]));
  const { job } = await submit(jobs, { timeoutMs: 1000 });
  const done = await until(() => jobs.get(job.id), terminal, 5000);
  assert.equal(done.status, 'failed');
  assert.equal(done.error?.kind, 'timeout');
  assert.equal(done.attempts[0]?.outcome, 'timeout');
  assert.equal(b.cancelled.length, 1);
});

test('routing: only backends with the node classes and models; affinity for the loaded checkpoint', async (t) => {
  const lacking = new FakeBackend('lacking', { checkpoints: ['a.safetensors'] });
  const full = new FakeBackend('full', { checkpoints: ['a.safetensors', 'b.safetensors'] });
  const { jobs } = makeJobs(t, new FakeSource([lacking, full]));
  const onlyB = await submit(jobs, { workflow: ckptWorkflow('b.safetensors') });
  const done = await until(() => jobs.get(onlyB.job.id), terminal);
  assert.equal(done.backendId, 'full');

  lacking.loaded = 'a.safetensors';
  full.loaded = 'b.safetensors';
  lacking.autoFinish = full.autoFinish = false;
  const runs = [];
  for (const ck of ['b.safetensors', 'a.safetensors']) runs.push(await submit(jobs, { workflow: ckptWorkflow(ck) }));
  await until(() => lacking.submitted.length + full.submitted.length, (n) => n === 3);
  assert.equal(jobs.get(runs[0]!.job.id).backendId, 'full');
  assert.equal(jobs.get(runs[1]!.job.id).backendId, 'lacking');
});

test('watchdog: a silent running prompt on a hung backend is recovered and requeued', async (t) => {
  const hung = new FakeBackend('hung');
  hung.script = ['hang'];
  const spare = new FakeBackend('spare');
  const { jobs } = makeJobs(t, new FakeSource([hung, spare]), { silenceMs: 200 });
  const { job } = await submit(jobs);
  await until(() => hung.recovers, (n) => n >= 1, 5000, 'recover() on the hung backend');
  const done = await until(() => jobs.get(job.id), terminal, 5000);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.attempts[0]?.outcome, 'infrastructure');
  assert.equal(done.attempts[1]?.backendId, 'spare');
});

test('progress percent weighs nodes by their steps, so a sampler dominates', async (t) => {
  const b = new FakeBackend('b1');
  const { jobs, bus } = makeJobs(t, new FakeSource([b]));
  const prompt = {
    '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
    '3': { class_type: 'KSampler', inputs: { steps: 18 } },
    '9': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
  };
  const { job } = await jobs.submit({ workflow: prompt, priority: 0, metadata: {} }, { owner: '', idempotencyKey: null });
  const seen: number[] = [];
  bus.subscribe(job.id, (e) => { if (e.type === 'progress') seen.push(e.data.percent as number); });
  await until(() => jobs.get(job.id), terminal);
  // The fake reports node 1 at 1 of 2: half of weight 1 out of 1 + 19 + 1.
  assert.deepEqual(seen, [Math.round((0.5 / 21) * 1000) / 10]);
});
