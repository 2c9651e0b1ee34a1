// Chaos: stand-ins that stop executing and stop sending while keeping their websocket open
// ({"hang":true}). The watchdog notices the silence within JOB_SILENCE_MS (checked every
// JOB_SILENCE_MS/2), asks /queue, restarts the hung server and requeues its jobs: each job that
// was running there is recovered within the configured timeout plus a margin, and all succeed.
// CI: 4 hangs under 60 jobs on 3 stand-ins; CHAOS_LONG=1: 20 hangs under 300 jobs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';
import { allReady, assertOutcomes, drained, scale, solid, startFleet } from './fleet.ts';

const SILENCE_MS = 1500;
/**
 * The watchdog ticks every SILENCE_MS/2, asks /history + /queue, requeues the running job and
 * restarts the server; the prompt queued behind it is freed when the server stops (SIGTERM, then
 * SIGKILL after COMFY_STOP_GRACE_MS = 1 s). Plus 2.5 s for a loaded CI machine.
 */
const MARGIN_MS = SILENCE_MS / 2 + 1000 + 2500;
const HANGS = scale(4, 20);
const JOBS = scale(60, 300);

test(`hung stand-ins: ${HANGS} hangs, jobs recovered within JOB_SILENCE_MS + ${MARGIN_MS} ms`, { timeout: scale(180_000, 1_200_000) }, async (t) => {
  const fleet = await startFleet(t, { count: 3, env: { JOB_SILENCE_MS: String(SILENCE_MS) }, standinEnv: { STANDIN_NODE_MS: '100' } });
  const submitted = new Map<string, { doomed: boolean }>();
  let n = 0;
  const submitMore = async (k: number) => {
    for (let i = 0; i < k; i++) submitted.set((await fleet.submit(solid(n++))).id, { doomed: false });
  };
  await submitMore(JOBS / HANGS);
  const recoveries: number[] = [];
  for (let h = 0; h < HANGS; h++) {
    // A server with a job running on it right now.
    const running = await until(async () => {
      const js = (await fleet.api<{ jobs: Job[] }>('GET', '/jobs?status=running&limit=20')).json.jobs;
      if (js.length === 0) await submitMore(6);
      return js;
    }, (js) => js.some((j) => j.backendId !== null), 30_000, 'a running job');
    const victimId = (running.find((j) => j.backendId !== null) as Job).backendId as string;
    const victim = (await fleet.servers()).find((s) => s.id === victimId);
    assert.ok(victim, victimId);
    const hungAt = Date.now();
    await fleet.fault(victim, { hang: true });
    const caught = running.filter((j) => j.backendId === victimId).map((j) => j.id);
    // Keep work coming while the watchdog does its job.
    await submitMore(JOBS / HANGS);
    for (const id of caught) {
      const j = await until(() => fleet.job(id), (x) => x.attempts.some((a) => a.backendId === victimId && a.finishedAt !== null), SILENCE_MS + MARGIN_MS + 30_000, `job ${id} freed from the hung ${victimId}`);
      const attempt = j.attempts.find((a) => a.backendId === victimId && a.finishedAt !== null);
      if (!attempt || attempt.outcome === 'succeeded') continue; // it finished just before the hang
      assert.equal(attempt.outcome, 'infrastructure', JSON.stringify(attempt));
      const tookMs = (attempt.finishedAt as number) - hungAt;
      recoveries.push(tookMs);
      assert.ok(tookMs <= SILENCE_MS + MARGIN_MS, `job ${id} was recovered ${tookMs} ms after the hang (limit ${SILENCE_MS + MARGIN_MS})`);
    }
    await allReady(fleet, 3).catch(async (err: unknown) => {
      const dump = await Promise.all((await fleet.servers()).map(async (s) => ({ id: s.id, queue: await (await fetch(`${s.url}/queue`)).json(), state: await fleet.standinState(s) })));
      const live = (await fleet.api<{ jobs: Job[] }>('GET', '/jobs?status=running&limit=20')).json.jobs.map((j) => ({ id: j.id, b: j.backendId, attempts: j.attempts }));
      t.diagnostic(JSON.stringify({ dump, live }));
      throw err;
    });
  }
  assert.ok(recoveries.length >= HANGS, `only ${recoveries.length} hung jobs observed`);
  const jobs = await drained(fleet, 120_000);
  assertOutcomes(jobs, submitted);
  t.diagnostic(`recoveries after a hang (ms): ${recoveries.join(', ')}`);
});
