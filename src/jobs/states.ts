// Job states and their transitions, in one place.
//
//   queued ──dispatch──▶ running ──execution_success──▶ succeeded
//     ▲                    │ ├──workflow error (validation, node exception)──▶ failed
//     └──infrastructure────┘ ├──timeout──▶ failed
//        failure, attempts   └──cancel──▶ cancelled
//        left (requeue)
//   queued ──cancel──▶ cancelled      queued/running ──attempts exhausted──▶ failed
//
// Terminal states never change again; cancelling a terminal job is a no-op (idempotent).
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATES)[number];

export const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (s: JobStatus): boolean => TERMINAL.has(s);

const ALLOWED: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** How an attempt ended. `infrastructure` is the only outcome that may be retried. */
export const ATTEMPT_OUTCOMES = ['succeeded', 'failed', 'infrastructure', 'cancelled', 'timeout'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
