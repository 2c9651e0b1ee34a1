// Jobs per state for the metrics gauge, read on each scrape. One grouped query over the
// (status, …) index instead of five counts.
// TODO(jobs): move into src/jobs/store.ts as JobStore.countByStatus() when the lead has a moment.
import type { Db } from '../db/db.ts';
import { JOB_STATES, type JobStatus } from '../jobs/states.ts';

export function jobCounter(db: Db): () => Record<JobStatus, number> {
  const stmt = db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status');
  return () => {
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of stmt.all() as { status: JobStatus; n: number }[]) out[r.status] = r.n;
    return out;
  };
}
