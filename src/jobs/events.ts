// The job event types relayed to clients (websocket, SSE) and what each carries.
export const JOB_EVENT_TYPES = [
  'queued', 'position', 'started', 'node', 'progress', 'preview', 'output', 'retrying', 'succeeded', 'failed', 'cancelled',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** How the engine reports job events; `coalesce` marks events where only the latest matters. */
export type JobEmit = (jobId: string, type: JobEventType, data: Record<string, unknown>, opts?: { coalesce?: boolean }) => void;
