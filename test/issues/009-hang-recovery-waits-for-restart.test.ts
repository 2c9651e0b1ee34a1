// Found by test/chaos/hang.test.ts: the watchdog awaited backend.recover() — for a spawned server
// a full stop and start — before requeuing the hung job, so the job was held for as long as the
// restart took (a real ComfyUI takes 30 s to minutes to start), not JOB_SILENCE_MS. The job must
// be requeued as soon as the hang is seen; the restart carries on in the background.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { makeJobs, terminal, until, workflow } from '../helpers/jobs.ts';

/** A backend whose recovery (restart) takes far longer than the watchdog's silence limit. */
class SlowRestart extends FakeBackend {
  restarting = false;
  override async recover(): Promise<void> {
    this.recovers++;
    this.restarting = true;
    await new Promise((r) => setTimeout(r, 30_000).unref());
  }
}

test('a hung job is requeued at once, without waiting for its backend to restart', async (t) => {
  const hung = new SlowRestart('hung');
  hung.script = ['hang'];
  const spare = new FakeBackend('spare');
  spare.up = false;
  const source = new FakeSource([hung, spare]);
  const silenceMs = 200;
  const { jobs } = makeJobs(t, source, { silenceMs });
  const { job } = await jobs.submit({ workflow: workflow(), priority: 0, metadata: {} }, { owner: '', idempotencyKey: null });
  await until(() => jobs.get(job.id), (j) => j.status === 'running', 2000, 'running on the hung backend');
  spare.up = true;
  source.changed();
  const hungAt = Date.now();
  const done = await until(() => jobs.get(job.id), terminal, 5000, 'the job to finish elsewhere');
  assert.equal(done.status, 'succeeded');
  assert.equal(done.backendId, 'spare');
  assert.equal(done.attempts[0]?.outcome, 'infrastructure');
  assert.match(done.attempts[0]?.error?.message ?? '', /hung/);
  assert.ok(Date.now() - hungAt < silenceMs * 10, `requeued after ${Date.now() - hungAt} ms`);
  assert.equal(hung.restarting, true, 'the hung backend is being restarted');
});
