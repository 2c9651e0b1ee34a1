import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { openDatabase, type Db } from '../../src/db/db.ts';
import { EventBus } from '../../src/events/bus.ts';
import { JobService, type WorkflowResolver } from '../../src/jobs/service.ts';
import type { Job } from '../../src/jobs/schemas.ts';
import type { WebhookSender } from '../../src/jobs/webhooks.ts';
import type { FakeSource } from './fake-backend.ts';

export const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Raw workflows pass through as they are; tests exercise the engine, not the templates. */
export const passThrough: WorkflowResolver = {
  async resolve(input) {
    return { prompt: input.workflow ?? {}, template: input.template ?? null, version: null, files: [], after: [] };
  },
};

export function tempDb(t: TestContext, dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-jobs-'))): { db: Db; dir: string } {
  const db = openDatabase(path.join(dir, 'fleet.db'));
  t.after(() => db.close());
  return { db, dir };
}

export function makeJobs(t: TestContext, source: FakeSource, opts: Partial<{ maxAttempts: number; prefetch: number; silenceMs: number; maxQueued: number; db: Db; collect: boolean; webhooks: WebhookSender }> = {}) {
  const db = opts.db ?? tempDb(t).db;
  const bus = new EventBus();
  const jobs = new JobService({
    db,
    source,
    resolver: passThrough,
    bus,
    log: quietLog,
    maxQueued: opts.maxQueued ?? 1000,
    maxAttempts: opts.maxAttempts ?? 3,
    prefetch: opts.prefetch ?? 1,
    silenceMs: opts.silenceMs ?? 60_000,
    outputsDir: path.join(mkdtempSync(path.join(os.tmpdir(), 'fleet-out-')), 'outputs'),
    uploadsDir: path.join(os.tmpdir(), 'fleet-no-uploads'),
    collect: opts.collect ?? false,
    webhooks: opts.webhooks ?? null,
  });
  jobs.start();
  t.after(() => jobs.close());
  return { jobs, bus, db };
}

export const workflow = (extra: Record<string, unknown> = {}) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0, ...extra } },
  '9': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
});

export const ckptWorkflow = (ckpt: string) => ({
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: ckpt } },
  '9': { class_type: 'SaveImage', inputs: { images: ['4', 0], filename_prefix: 'x' } },
});

/** Bounded polling with backoff: resolves once `pred` holds, fails after `ms`. */
export async function until<T>(fn: () => T | Promise<T>, pred: (v: T) => boolean, ms = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let delay = 2;
  for (;;) {
    const v = await fn();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}

export const terminal = (j: Job) => j.status === 'succeeded' || j.status === 'failed' || j.status === 'cancelled';
