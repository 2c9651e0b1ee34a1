// Graceful shutdown. On SIGTERM the service stops taking jobs (POST /jobs → 503
// FLEET_SHUTTING_DOWN with Retry-After, so a load balancer's client retries elsewhere), stops
// dispatching queued jobs (they stay queued in SQLite for the next start), lets running jobs
// finish for up to SHUTDOWN_GRACE_MS, then closes the app. Whatever still runs then is detached,
// not failed: the next start re-adopts it from the kept ComfyUI (COMFY_KEEP_ON_EXIT) or requeues it.
import type { FastifyInstance } from 'fastify';
import { FleetError } from '../errors.ts';
import { isTerminalEvent } from '../jobs/events.ts';

declare module 'fastify' {
  interface FastifyInstance {
    shutdown: ShutdownState;
  }
}

export class ShutdownState {
  #since: number | null = null;

  get draining(): boolean {
    return this.#since !== null;
  }

  begin(now = Date.now()): void {
    this.#since ??= now;
  }

  /** Called by routes that create work. */
  assertAccepting(): void {
    if (this.#since !== null) {
      throw new FleetError('FLEET_SHUTTING_DOWN', 'This instance is shutting down and takes no new jobs', { headers: { 'retry-after': '5' } });
    }
  }
}

export interface DrainResult {
  /** Every job that was running finished within the grace period. */
  drained: boolean;
  /** Jobs still running when the grace period ended (detached, re-adopted on the next start). */
  stillRunning: number;
  waitedMs: number;
}

/** Stops intake, waits up to `graceMs` for running jobs, then closes the app. Safe to call twice. */
export async function drainAndClose(app: FastifyInstance, graceMs: number): Promise<DrainResult> {
  const started = Date.now();
  app.shutdown.begin(started);
  app.jobs.engine.pause();
  const running = () => app.jobs.store.withStatus('running').length;
  const drained = await new Promise<boolean>((resolve) => {
    if (running() === 0) return resolve(true);
    const timer = setTimeout(() => finish(false), graceMs);
    const off = app.bus.subscribeAll((e) => {
      if (isTerminalEvent(e.type) && running() === 0) finish(true);
    });
    function finish(v: boolean) {
      clearTimeout(timer);
      off();
      resolve(v);
    }
  });
  const result = { drained, stillRunning: drained ? 0 : running(), waitedMs: Date.now() - started };
  app.log.info(result, drained ? 'running jobs finished; closing' : 'grace period over; closing with jobs still running (they are re-adopted on the next start)');
  await app.close();
  return result;
}
