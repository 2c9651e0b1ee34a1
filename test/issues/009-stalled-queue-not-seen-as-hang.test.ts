// Found by test/chaos/hang.test.ts: a stand-in hung between two prompts (its worker stuck, its
// socket open) held the prompts queued on it for ever. The watchdog asked /queue, saw them
// `pending` and took that as "waiting its turn", though nothing was running. A prompt pending
// on a backend that runs nothing, twice in a row, is now a hang: the backend is recovered (once,
// however many jobs ask) and the jobs are requeued elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { makeJobs, terminal, until, workflow } from '../helpers/jobs.ts';
import type { PromptWhere } from '../../src/jobs/ports.ts';

class StuckWorker extends FakeBackend {
  override async check(): Promise<PromptWhere> {
    return 'stalled';
  }
  /** The restart is slow: the jobs must not wait for it. */
  override async recover(): Promise<void> {
    this.recovers++;
  }
}

test('prompts pending behind a stuck worker are requeued elsewhere after two checks', async (t) => {
  const stuck = new StuckWorker('stuck');
  stuck.script = ['hang', 'hang'];
  const spare = new FakeBackend('spare');
  spare.up = false;
  const source = new FakeSource([stuck, spare]);
  const silenceMs = 200;
  const { jobs } = makeJobs(t, source, { silenceMs, prefetch: 1 });
  const submit = async () => (await jobs.submit({ workflow: workflow(), priority: 0, metadata: {} }, { owner: '', idempotencyKey: null })).job;
  const a = await submit();
  const b = await submit();
  await until(() => [jobs.get(a.id), jobs.get(b.id)], (js) => js.every((j) => j.status === 'running' && j.backendId === 'stuck'), 2000, 'both on the stuck backend');
  spare.up = true;
  source.changed();
  for (const id of [a.id, b.id]) {
    const done = await until(() => jobs.get(id), terminal, 5000, `job ${id} to finish elsewhere`);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.backendId, 'spare');
    assert.match(done.attempts[0]?.error?.message ?? '', /queued prompt not started/);
  }
  assert.ok(stuck.recovers >= 1, 'the stuck backend is recovered');
});
