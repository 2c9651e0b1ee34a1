// Chaos: every stand-in drops 10 % of its websocket messages at random (including the final
// execution_success), and sockets are closed under the service every few hundred ms. Nothing
// hangs: the client's reconcile on reconnect and the watchdog (/history) finish every job.
// 1,000 jobs as issue 9 asks, in CI too (about 30 s on 2 cores); CHAOS_LONG=1 runs 5,000.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allReady, assertOutcomes, drained, every, scale, solid, startFleet } from './fleet.ts';

const JOBS = scale(1000, 5000);
const SERVERS = 3;

test(`dropped websocket messages (10 %) and socket closes: ${JOBS} jobs, none hung`, { timeout: scale(200_000, 1_200_000) }, async (t) => {
  const fleet = await startFleet(t, { count: SERVERS });
  const servers = await fleet.servers();
  for (const s of servers) await fleet.fault(s, { dropFraction: 0.1 });

  let closes = 0;
  const closer = every(300, async () => {
    const s = servers[closes % servers.length];
    if (!s) return;
    await fleet.fault(s, { closeSockets: true });
    closes++;
  });
  const submitted = new Map<string, { doomed: boolean }>();
  const startedAt = Date.now();
  for (let i = 0; i < JOBS; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, JOBS - i) }, (_, k) => fleet.submit(solid(i + k))));
    for (const j of batch) submitted.set(j.id, { doomed: false });
  }
  let jobs;
  try {
    jobs = await drained(fleet, scale(150_000, 900_000));
  } finally {
    await closer.stop();
  }
  assertOutcomes(jobs, submitted);
  const retried = jobs.filter((j) => j.attempts.length > 1).length;
  t.diagnostic(`${JOBS} jobs in ${Date.now() - startedAt} ms with ${closes} socket closes; ${retried} needed a second attempt`);
  assert.ok(closes > 0);
  for (const s of servers) await fleet.fault(s, { dropFraction: 0 });
  await allReady(fleet, SERVERS);
});
