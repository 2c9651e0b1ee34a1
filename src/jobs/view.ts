// Builds the public Job view from rows: attempts, outputs with download URLs, timings and ETA.
import type { Job, JobError, JobProgress } from './schemas.ts';
import type { JobRow, JobStorage } from './store.ts';
import type { DeliveryRow } from './webhooks.ts';

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? null;
}

export function jobView(
  row: JobRow,
  store: JobStorage,
  live: { progress: JobProgress | null; queuePosition: number | null; deliveries: DeliveryRow[] },
  now: number,
): Job {
  const attempts = store.attempts(row.id).map((a) => ({
    n: a.n,
    backendId: a.backend_id,
    promptId: a.prompt_id,
    startedAt: a.started_at,
    finishedAt: a.finished_at,
    outcome: a.outcome,
    error: parse<JobError>(a.error),
  }));
  const outputs = store.outputs(row.id).map((o) => ({
    n: o.n,
    nodeId: o.node_id,
    kind: o.kind,
    filename: o.filename,
    subfolder: o.subfolder,
    type: o.type,
    url: `/jobs/${row.id}/outputs/${o.n}`,
  }));
  const runMs = row.started_at !== null && row.finished_at !== null ? row.finished_at - row.started_at : null;
  const typical = row.status === 'queued' || row.status === 'running' ? median(store.recentDurations(row.template)) : null;
  let etaMs: number | null = null;
  if (typical !== null && row.status === 'running' && row.started_at !== null) etaMs = Math.max(0, typical - (now - row.started_at));
  if (typical !== null && row.status === 'queued') etaMs = typical * ((live.queuePosition ?? 0) + 1);
  return {
    id: row.id,
    status: row.status,
    template: row.template,
    templateVersion: row.template_version,
    priority: row.priority,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    queuePosition: row.status === 'queued' ? live.queuePosition : null,
    etaMs,
    progress: row.status === 'running' ? live.progress : null,
    backendId: row.backend_id,
    attempts,
    outputs,
    error: parse<JobError>(row.error),
    webhookDeliveries: live.deliveries.map((d) => ({
      id: d.id,
      event: d.event,
      attempts: d.attempts,
      lastStatus: d.last_status,
      lastError: d.last_error,
      deliveredAt: d.delivered_at,
      nextAttemptAt: d.next_at,
    })),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    timings: {
      queuedMs: row.started_at !== null ? row.started_at - row.created_at : null,
      runMs,
      comfyMs: row.comfy_ms,
      overheadMs: runMs !== null && row.comfy_ms !== null ? Math.max(0, runMs - row.comfy_ms) : null,
    },
  };
}
