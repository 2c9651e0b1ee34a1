// Chaos: random kill -9 of spawned stand-ins while jobs keep arriving. Every job ends succeeded
// (or failed, for the ones designed to fail inside ComfyUI), none is lost, none stays running,
// and every killed server is restarted and back ready.
// CI: ≥ 200 jobs and ≥ 20 kills on 3 stand-ins (about a minute). CHAOS_LONG=1: ≥ 1,000 jobs, ≥ 100 kills.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allReady, assertOutcomes, doomed, drained, every, scale, solid, startFleet, type Server } from './fleet.ts';

const JOBS = scale(200, 1000);
const KILLS = scale(20, 100);
const SERVERS = 3;

test(`kill -9 of stand-ins: ${JOBS}+ jobs, ${KILLS}+ kills, nothing lost`, { timeout: scale(240_000, 1_800_000) }, async (t) => {
  // Each node takes 20 ms: a job is ~60 ms of work, so kills land mid-prompt.
  const fleet = await startFleet(t, { count: SERVERS, standinEnv: { STANDIN_NODE_MS: '20' } });
  const submitted = new Map<string, { doomed: boolean }>();
  const kills = new Map<string, number>();
  let killCount = 0;
  let n = 0;

  const submitter = every(100, async () => {
    if (n >= JOBS && killCount >= KILLS) return;
    await Promise.all(Array.from({ length: 5 }, async () => {
      const i = n++;
      const isDoomed = i % 25 === 7;
      const job = await fleet.submit(isDoomed ? doomed(i) : solid(i));
      submitted.set(job.id, { doomed: isDoomed });
    }));
  });
  const killer = every(400, async () => {
    if (killCount >= KILLS) return;
    const up = (await fleet.servers()).filter((s): s is Server & { pid: number } => (s.state === 'ready' || s.state === 'busy') && s.pid !== null);
    // Leave one server up, so the run keeps moving while the others restart.
    if (up.length < 2) return;
    const victim = up[Math.floor(Math.random() * up.length)] as Server & { pid: number };
    try { process.kill(victim.pid, 'SIGKILL'); } catch { return; }
    killCount++;
    kills.set(victim.id, (kills.get(victim.id) ?? 0) + 1);
  });
  const deadline = Date.now() + scale(150_000, 1_500_000);
  while ((n < JOBS || killCount < KILLS) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await submitter.stop();
  await killer.stop();
  assert.ok(killCount >= KILLS, `only ${killCount} kills happened`);
  assert.ok(submitted.size >= JOBS, `only ${submitted.size} jobs submitted`);

  const jobs = await drained(fleet, scale(120_000, 600_000));
  assertOutcomes(jobs, submitted);
  const retried = jobs.filter((j) => j.attempts.some((a) => a.outcome === 'infrastructure'));
  assert.ok(retried.length > 0, 'some kill hit a running job');
  t.diagnostic(`${submitted.size} jobs, ${killCount} kills (${JSON.stringify(Object.fromEntries(kills))}), ${retried.length} jobs retried after a crash`);

  const servers = await allReady(fleet, SERVERS);
  for (const [id, k] of kills) {
    const s = servers.find((x) => x.id === id);
    assert.ok(s && s.restarts >= k, `${id} was killed ${k} times and restarted ${s?.restarts ?? 0} times`);
  }
});
