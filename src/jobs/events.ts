// The job event types relayed to clients (websocket, SSE) and what each carries.
export const JOB_EVENT_TYPES = [
  'queued', 'position', 'started', 'node', 'progress', 'preview', 'output', 'retrying', 'succeeded', 'failed', 'cancelled',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** The events that end a job's stream; never dropped from a replay ring. */
export const TERMINAL_EVENTS: ReadonlySet<JobEventType> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminalEvent = (t: JobEventType): boolean => TERMINAL_EVENTS.has(t);

/** How the engine reports job events; `coalesce` marks events where only the latest matters. */
export type JobEmit = (jobId: string, type: JobEventType, data: Record<string, unknown>, opts?: { coalesce?: boolean }) => void;
