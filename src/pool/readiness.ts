/**
 * Waiting for a freshly spawned server to be usable (PROTOCOL.md §2.2–§2.3): whichever comes
 * first of the readiness line on its output (`To see the GUI go to: http://HOST:PORT`, after
 * ANSI stripping, any prefix) or a successful GET /api/system_stats. The HTTP socket opens only
 * after every node is imported, so either signal means fully ready. Bounded by a number of
 * probes and by a wall-clock timeout; an exit before that is a failure.
 */
import type { ExitInfo } from './child.ts';

export const READINESS_LINE = /To see the GUI go to: (https?):\/\/(\S+):(\d+)/;

export type ReadyOutcome =
  | { ok: true; via: 'line' | 'probe'; durationMs: number }
  | { ok: false; why: 'exited'; exit: ExitInfo; durationMs: number }
  | { ok: false; why: 'timeout' | 'attempts' | 'aborted'; durationMs: number };

export interface ReadinessInput {
  /** Subscribes to output lines; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void;
  /** One probe; true when the server answered. Must not throw. */
  probe(): Promise<boolean>;
  exited: Promise<ExitInfo>;
  attempts: number;
  timeoutMs: number;
  /** Probe delays grow from 50 ms by doubling up to this. */
  maxProbeGapMs: number;
  signal?: AbortSignal;
}

export function waitForReady(input: ReadinessInput): Promise<ReadyOutcome> {
  const startedAt = Date.now();
  const elapsed = (): number => Date.now() - startedAt;
  return new Promise<ReadyOutcome>((resolve) => {
    let settled = false;
    let probeTimer: NodeJS.Timeout | undefined;
    const cleanups: Array<() => void> = [];
    const finish = (outcome: ReadyOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(probeTimer);
      for (const cleanup of cleanups) cleanup();
      resolve(outcome);
    };

    cleanups.push(input.onLine((line) => {
      if (READINESS_LINE.test(line)) finish({ ok: true, via: 'line', durationMs: elapsed() });
    }));
    void input.exited.then((exit) => finish({ ok: false, why: 'exited', exit, durationMs: elapsed() }));
    const deadline = setTimeout(() => finish({ ok: false, why: 'timeout', durationMs: elapsed() }), input.timeoutMs);
    cleanups.push(() => clearTimeout(deadline));
    if (input.signal) {
      const onAbort = (): void => finish({ ok: false, why: 'aborted', durationMs: elapsed() });
      if (input.signal.aborted) onAbort();
      input.signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => input.signal?.removeEventListener('abort', onAbort));
    }

    let attempt = 0;
    const probeOnce = async (): Promise<void> => {
      if (settled) return;
      attempt += 1;
      const ok = await input.probe();
      if (settled) return;
      if (ok) return finish({ ok: true, via: 'probe', durationMs: elapsed() });
      if (attempt >= input.attempts) return finish({ ok: false, why: 'attempts', durationMs: elapsed() });
      const gap = Math.min(input.maxProbeGapMs, 50 * 2 ** Math.min(attempt, 20));
      probeTimer = setTimeout(() => void probeOnce(), gap);
    };
    probeTimer = setTimeout(() => void probeOnce(), 50);
  });
}
