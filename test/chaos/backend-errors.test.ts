// Chaos: a backend answering HTTP 500 on POST /prompt, and one failing prompts with CUDA OOM.
// Both are infrastructure failures: the job is retried on the other backend, every attempt is
// recorded on the job, and after an OOM the service calls /free on the backend that ran out
// (the stand-in counts POST /free in GET /__standin/state).
// CI: 2 rounds of each on 2 stand-ins; CHAOS_LONG=1: 10 rounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job } from '../../src/jobs/schemas.ts';
import { until } from '../helpers/jobs.ts';
import { assertOutcomes, drained, scale, solid, startFleet, type Fleet, type Server } from './fleet.ts';

const ROUNDS = scale(2, 10);
const PER_ROUND = 12;

async function round(fleet: Fleet, first: number): Promise<Job[]> {
  const submitted = new Map<string, { doomed: boolean }>();
  for (let i = 0; i < PER_ROUND; i++) submitted.set((await fleet.submit(solid(first + i))).id, { doomed: false });
  const jobs = (await drained(fleet, 60_000)).filter((j) => submitted.has(j.id));
  assertOutcomes(jobs, submitted);
  return jobs;
}

test(`HTTP 500 from /prompt and OOM: retried elsewhere, /free called, attempts recorded (${ROUNDS} rounds)`, { timeout: scale(120_000, 600_000) }, async (t) => {
  const fleet = await startFleet(t, { count: 2, standinEnv: { STANDIN_NODE_MS: '30' } });
  let n = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const [bad, good] = (await fleet.servers()) as [Server, Server];

    await fleet.fault(bad, { prompt500: 3 });
    const jobs500 = await round(fleet, n);
    n += PER_ROUND;
    const hit500 = jobs500.filter((j) => j.attempts.some((a) => a.backendId === bad.id && a.outcome === 'infrastructure'));
    assert.ok(hit500.length >= 1, `no job met the 500s: ${JSON.stringify(jobs500.map((j) => j.attempts))}`);
    for (const j of hit500) {
      const failed = j.attempts.find((a) => a.backendId === bad.id && a.outcome === 'infrastructure');
      assert.match(failed?.error?.message ?? '', /500/, JSON.stringify(failed));
      assert.equal(failed?.error?.kind, 'infrastructure');
      const last = j.attempts.at(-1);
      assert.equal(last?.outcome, 'succeeded');
      assert.equal(last?.backendId, good.id, 'retried on the other backend');
      assert.deepEqual(j.attempts.map((a) => a.n), j.attempts.map((_, i) => i + 1), 'attempts numbered in order');
    }
    assert.equal((await fleet.standinState(bad)).faults.prompt500, 0, 'every injected 500 was met');

    const freesBefore = (await fleet.standinState(bad)).free_calls ?? 0;
    await fleet.fault(bad, { oom: 2 });
    const jobsOom = await round(fleet, n);
    n += PER_ROUND;
    const hitOom = jobsOom.filter((j) => j.attempts.some((a) => a.backendId === bad.id && a.error?.exceptionType === 'torch.OutOfMemoryError'));
    assert.equal(hitOom.length, 2, `two jobs met the OOMs: ${JSON.stringify(jobsOom.map((j) => j.attempts))}`);
    for (const j of hitOom) {
      const failed = j.attempts.find((a) => a.error?.exceptionType === 'torch.OutOfMemoryError');
      assert.equal(failed?.outcome, 'infrastructure');
      assert.match(failed?.error?.message ?? '', /out of memory/i);
      assert.equal(j.attempts.at(-1)?.backendId, good.id, 'retried on the other backend');
    }
    const frees = await until(async () => (await fleet.standinState(bad)).free_calls ?? 0, (f) => f >= freesBefore + 2, 10_000, '/free after each OOM');
    t.diagnostic(`round ${r}: ${hit500.length} jobs met a 500, ${hitOom.length} an OOM; /free called ${frees - freesBefore} times`);
    assert.equal((await fleet.standinState(good)).free_calls ?? 0, 0, '/free only where memory ran out');
  }
});
