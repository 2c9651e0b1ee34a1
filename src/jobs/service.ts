// The job service behind routes/jobs.ts: submit (validate, idempotency, backpressure), read,
// list, cancel, wait, and open output files. It owns the engine and turns store outcomes into
// FLEET_* errors in one place.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FleetError } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import { JobEngine } from './engine.ts';
import type { BackendSource, FileRef, InputFile } from './ports.ts';
import { requirementsOf } from './requirements.ts';
import type { CreateJob, Job, JobProgress } from './schemas.ts';
import { isTerminal, type JobStatus } from './states.ts';
import { JobStore, type JobRow } from './store.ts';
import { jobView } from './view.ts';
import { cacheOutput } from '../files/outputs.ts';
import type { WebhookSender, WebhookTarget } from './webhooks.ts';
import { isTerminalEvent } from './events.ts';
import type { Db } from '../db/db.ts';

/** Turns a job request into the prompt to run; throws FleetError (422) listing every problem. */
export interface WorkflowResolver {
  resolve(input: Pick<CreateJob, 'template' | 'version' | 'params' | 'patch' | 'workflow'>): Promise<{
    prompt: Record<string, unknown>;
    template: string | null;
    version: number | null;
    /** Input files the prompt reads and where they come from. */
    files?: InputFile[];
    /** Jobs whose outputs it reads. */
    after?: string[];
  }>;
}

export interface JobServiceOptions {
  db: Db;
  source: BackendSource;
  resolver: WorkflowResolver;
  bus: EventBus;
  log: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void; error: (o: object, m?: string) => void };
  maxQueued: number;
  maxAttempts: number;
  prefetch: number;
  silenceMs: number;
  /** Where uploads are stored by content hash. */
  uploadsDir: string;
  /** Where output files are cached once collected. */
  outputsDir: string;
  /** Collect outputs into the cache after success, then drop the prompt from ComfyUI's history. */
  collect: boolean;
  webhooks?: WebhookSender | null;
  now?: () => number;
}

/** Stable JSON (sorted keys) so equal bodies hash equally for Idempotency-Key checks. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export class JobService {
  readonly store: JobStore;
  readonly engine: JobEngine;
  readonly #o: JobServiceOptions & { now: () => number };
  readonly #progress = new Map<string, JobProgress>();

  constructor(opts: JobServiceOptions) {
    this.#o = { now: Date.now, ...opts };
    this.store = new JobStore(opts.db);
    this.engine = new JobEngine({
      store: this.store,
      source: opts.source,
      log: opts.log,
      maxAttempts: opts.maxAttempts,
      prefetch: opts.prefetch,
      affinityWindow: 16,
      maxSkips: 8,
      silenceMs: opts.silenceMs,
      orphanGraceMs: 60_000,
      loadFile: (source) => this.#loadFile(source),
      now: this.#o.now,
      emit: (jobId, type, data, o) => {
        if (type === 'progress') this.#progress.set(jobId, data as unknown as JobProgress);
        if (isTerminalEvent(type) || type === 'retrying') this.#progress.delete(jobId);
        opts.bus.publish(jobId, type, data, o);
        if (type === 'succeeded' && opts.collect) void this.#collect(jobId);
        if (opts.webhooks && (isTerminalEvent(type) || type === 'started')) this.#notify(jobId, type);
      },
    });
  }

  /** Copies a finished job's files to our cache, then lets ComfyUI forget the prompt. */
  async #collect(jobId: string): Promise<void> {
    const row = this.store.get(jobId);
    if (!row?.prompt_id) return;
    const backends = this.#o.source.backends();
    let complete = true;
    for (const o of this.store.outputs(jobId)) {
      const ok = await this.#cacheOutput(jobId, o.n, o.backend_id, { filename: o.filename, subfolder: o.subfolder, type: o.type }).catch(() => false);
      complete &&= ok;
    }
    const owner = backends.find((x) => x.id === row.backend_id);
    if (complete && owner) {
      await owner.forget(row.prompt_id).catch((err: unknown) => this.#o.log.warn({ err, jobId }, 'could not delete the prompt from ComfyUI history'));
    }
    if (!complete) this.#o.log.warn({ jobId }, 'outputs not fully collected; they stay on the backend');
  }

  /** Bytes of an input file: an upload from disk, or a finished job's output (cached first). */
  async #loadFile(source: InputFile['source']): Promise<Buffer> {
    if ('upload' in source) return readFile(path.join(this.#o.uploadsDir, source.upload));
    const out = this.output(source.job, source.output);
    if (!(await this.#cacheOutput(source.job, source.output, out.backendId, out.ref))) {
      throw new Error(`output ${source.output} of job ${source.job} could not be fetched`);
    }
    return readFile(path.join(this.#o.outputsDir, source.job, String(source.output)));
  }

  /** Output `n` of a job into our cache (no-op when there), fetched from the backend that made it. */
  #cacheOutput(jobId: string, n: number, backendId: string, ref: FileRef): Promise<boolean> {
    const b = this.#o.source.backends().find((x) => x.id === backendId);
    return cacheOutput({
      cacheDir: this.#o.outputsDir,
      key: `${jobId}/${n}`,
      fetch: () => (b ? b.view(ref) : Promise.reject(new Error(`backend ${backendId} is gone`))),
    });
  }

  #notify(jobId: string, event: string): void {
    const row = this.store.get(jobId);
    if (!row?.webhook || !this.#o.webhooks) return;
    this.#o.webhooks.enqueue(jobId, JSON.parse(row.webhook) as WebhookTarget, event, this.view(row));
  }

  start(): void {
    this.#o.webhooks?.start();
    this.engine.start();
  }

  close(): Promise<void> {
    this.#o.webhooks?.close();
    return this.engine.close();
  }

  async submit(body: CreateJob, ctx: { owner: string; idempotencyKey: string | null }): Promise<{ job: Job; created: boolean }> {
    const hash = createHash('sha256').update(stableJson(body)).digest('hex');
    if (ctx.idempotencyKey) {
      const prior = this.store.byIdempotencyKey(ctx.owner, ctx.idempotencyKey);
      if (prior) {
        if (prior.request_hash !== hash) {
          throw new FleetError('FLEET_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${ctx.idempotencyKey} was first used with a different body (job ${prior.id})`);
        }
        return { job: this.view(prior), created: false };
      }
    }
    if (this.engine.queuedCount >= this.#o.maxQueued) {
      throw new FleetError('FLEET_QUEUE_FULL', `${this.engine.queuedCount} jobs are waiting (limit ${this.#o.maxQueued})`, { headers: { 'retry-after': '5' } });
    }
    const resolved = await this.#o.resolver.resolve(body);
    const id = randomUUID();
    let row: JobRow;
    try {
      row = this.store.insert({
        id,
        owner: ctx.owner,
        template: resolved.template,
        templateVersion: resolved.version,
        prompt: resolved.prompt,
        params: body.params ?? null,
        priority: body.priority,
        timeoutMs: body.timeoutMs ?? null,
        webhook: body.webhook ?? null,
        metadata: body.metadata,
        requirements: { ...requirementsOf(resolved.prompt), files: resolved.files ?? [], after: resolved.after ?? [] },
        idempotencyKey: ctx.idempotencyKey,
        requestHash: hash,
        createdAt: this.#o.now(),
      });
    } catch (err) {
      // Two requests with the same key raced: the loser answers with the winner's job.
      const prior = ctx.idempotencyKey ? this.store.byIdempotencyKey(ctx.owner, ctx.idempotencyKey) : undefined;
      if (prior && prior.request_hash === hash) return { job: this.view(prior), created: false };
      throw err;
    }
    this.#o.bus.publish(id, 'queued', { priority: row.priority, template: row.template }, { replay: false });
    this.engine.enqueue(row);
    return { job: this.view(row), created: true };
  }

  /** `owner` set: another key's job answers 404 as if it did not exist (admin passes undefined). */
  #row(id: string, owner?: string): JobRow {
    const row = this.store.get(id);
    if (!row || (owner !== undefined && row.owner !== owner)) throw new FleetError('FLEET_JOB_NOT_FOUND', `No job ${id}`);
    return row;
  }

  view(row: JobRow): Job {
    return jobView(row, this.store, {
      progress: this.#progress.get(row.id) ?? null,
      queuePosition: this.engine.queuePosition(row.id),
      deliveries: row.webhook && this.#o.webhooks ? this.#o.webhooks.deliveries(row.id) : [],
    }, this.#o.now());
  }

  get(id: string, owner?: string): Job {
    return this.view(this.#row(id, owner));
  }

  list(q: { status?: JobStatus; template?: string; metadata?: string; limit: number; cursor?: string; owner?: string }): { jobs: Job[]; nextCursor: string | null } {
    let metadata: [string, string] | undefined;
    if (q.metadata) {
      const i = q.metadata.indexOf(':');
      if (i <= 0) throw new FleetError('FLEET_INVALID_REQUEST', 'metadata filter must be `key:value`');
      metadata = [q.metadata.slice(0, i), q.metadata.slice(i + 1)];
    }
    let afterSeq: number | undefined;
    if (q.cursor !== undefined) {
      afterSeq = Number.parseInt(Buffer.from(q.cursor, 'base64url').toString(), 10);
      if (!Number.isSafeInteger(afterSeq)) throw new FleetError('FLEET_INVALID_REQUEST', 'cursor is not one this service issued');
    }
    const rows = this.store.list({ status: q.status, template: q.template, owner: q.owner, metadata, afterSeq, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      jobs: page.map((r) => this.view(r)),
      nextCursor: rows.length > q.limit && last ? Buffer.from(String(last.seq)).toString('base64url') : null,
    };
  }

  async cancel(id: string, owner?: string): Promise<Job> {
    this.#row(id, owner);
    const outcome = await this.engine.cancel(id);
    if (outcome === 'not_found') throw new FleetError('FLEET_JOB_NOT_FOUND', `No job ${id}`);
    return this.get(id);
  }

  /** Resolves with the job once it is terminal, or as it is after `ms`. */
  async wait(id: string, ms: number, owner?: string): Promise<Job> {
    const row = this.#row(id, owner);
    if (isTerminal(row.status) || ms <= 0) return this.view(row);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const off = this.#o.bus.subscribe(id, (e) => { if (isTerminalEvent(e.type)) done(); });
      function done() { clearTimeout(timer); off(); resolve(); }
    });
    return this.get(id);
  }

  workflow(id: string, owner?: string): Record<string, unknown> {
    return JSON.parse(this.#row(id, owner).prompt) as Record<string, unknown>;
  }

  /** Where output `n` of a job lives: the file descriptor and the backend that made it. */
  output(id: string, n: number, owner?: string): { ref: FileRef; backendId: string; name: string } {
    this.#row(id, owner);
    const o = this.store.outputs(id).find((x) => x.n === n);
    if (!o) throw new FleetError('FLEET_OUTPUT_NOT_FOUND', `Job ${id} has no output ${n}`);
    return { ref: { filename: o.filename, subfolder: o.subfolder, type: o.type }, backendId: o.backend_id, name: o.filename };
  }
}
