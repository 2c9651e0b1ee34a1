// The job store: SQLite through better-sqlite3, every statement prepared once per database.
// Methods return literal outcomes ('not_found', 'wrong_state', ...) instead of throwing; the job
// service maps them to FLEET_* errors in one place. The interface is narrow on purpose so that a
// Postgres store (claiming with FOR UPDATE SKIP LOCKED) can implement it later.
import type { Db } from '../db/db.ts';
import type { JobError } from './schemas.ts';
import { JOB_STATES, type AttemptOutcome, type JobStatus } from './states.ts';

export interface JobRow {
  id: string;
  seq: number;
  status: JobStatus;
  owner: string;
  template: string | null;
  template_version: number | null;
  prompt: string;
  params: string | null;
  priority: number;
  timeout_ms: number | null;
  webhook: string | null;
  metadata: string;
  requirements: string;
  idempotency_key: string | null;
  request_hash: string | null;
  backend_id: string | null;
  prompt_id: string | null;
  attempts: number;
  error: string | null;
  cancel_requested: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  comfy_ms: number | null;
}

export interface AttemptRow {
  job_id: string;
  n: number;
  backend_id: string;
  prompt_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: AttemptOutcome | null;
  error: string | null;
}

export interface OutputRow {
  job_id: string;
  n: number;
  node_id: string;
  kind: string;
  filename: string;
  subfolder: string;
  type: string;
  backend_id: string;
}

export interface NewJob {
  id: string;
  owner: string;
  template: string | null;
  templateVersion: number | null;
  prompt: unknown;
  params: unknown;
  priority: number;
  timeoutMs: number | null;
  webhook: unknown;
  metadata: Record<string, unknown>;
  requirements: unknown;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: number;
}

export interface ListFilter {
  status?: JobStatus;
  template?: string;
  metadata?: [string, string];
  owner?: string;
  afterSeq?: number;
  limit: number;
}

export type QueueIndexRow = Pick<JobRow, 'id' | 'priority' | 'seq' | 'template' | 'requirements'>;
export type Outcome = 'ok' | 'wrong_state';

/**
 * Everything the job engine and service ask of storage. Every state change is one conditional
 * statement (or one transaction) so that several service instances could share a Postgres
 * implementation later: `startAttempt` becomes the claim (`FOR UPDATE SKIP LOCKED`).
 */
export interface JobStorage {
  insert(job: NewJob): JobRow;
  get(id: string): JobRow | undefined;
  byIdempotencyKey(owner: string, key: string): JobRow | undefined;
  withStatus(status: JobStatus): JobRow[];
  countByStatus(): Record<JobStatus, number>;
  queuedIndex(): QueueIndexRow[];
  list(f: ListFilter): JobRow[];
  queuePosition(row: Pick<JobRow, 'priority' | 'seq'>): number;
  queuedCount(owner?: string): number;
  startAttempt(id: string, backendId: string, promptId: string, at: number): Outcome;
  finishAttempt(id: string, outcome: AttemptOutcome, error: JobError | null, at: number): void;
  requeue(id: string): Outcome;
  finish(id: string, status: 'succeeded' | 'failed' | 'cancelled', error: JobError | null, at: number, comfyMs?: number | null): Outcome;
  requestCancel(id: string): void;
  succeed(id: string, outputs: Omit<OutputRow, 'job_id' | 'n'>[], at: number, comfyMs: number | null): Outcome;
  end(id: string, status: 'failed' | 'cancelled', error: JobError | null, outcome: AttemptOutcome, at: number): Outcome;
  attempts(id: string): AttemptRow[];
  outputs(id: string): OutputRow[];
  recentDurations(template: string | null): number[];
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/** The SQLite implementation (better-sqlite3, WAL): the embedded default. */
export class JobStore implements JobStorage {
  readonly #s;
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    this.#s = {
      insert: db.prepare(`INSERT INTO jobs (id, seq, status, owner, template, template_version, prompt, params, priority,
          timeout_ms, webhook, metadata, requirements, idempotency_key, request_hash, created_at)
        VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), 'queued', @owner, @template, @templateVersion, @prompt,
          @params, @priority, @timeoutMs, @webhook, @metadata, @requirements, @idempotencyKey, @requestHash, @createdAt)`),
      get: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      byKey: db.prepare('SELECT * FROM jobs WHERE owner = ? AND idempotency_key = ?'),
      byStatus: db.prepare('SELECT * FROM jobs WHERE status = ? ORDER BY priority DESC, seq'),
      countByStatus: db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status'),
      queuedIndex: db.prepare(`SELECT id, priority, seq, template, requirements FROM jobs WHERE status = 'queued' ORDER BY priority DESC, seq`),
      position: db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND (priority > @priority OR (priority = @priority AND seq < @seq))`),
      countQueued: db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued'`),
      countQueuedBy: db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND owner = ?`),
      setRunning: db.prepare(`UPDATE jobs SET status = 'running', attempts = attempts + 1, backend_id = @backendId, prompt_id = @promptId,
          started_at = COALESCE(started_at, @at) WHERE id = @id AND status = 'queued'`),
      insertAttempt: db.prepare(`INSERT INTO job_attempts (job_id, n, backend_id, prompt_id, started_at)
          VALUES (@id, (SELECT attempts FROM jobs WHERE id = @id), @backendId, @promptId, @at)`),
      finishAttempt: db.prepare(`UPDATE job_attempts SET finished_at = @at, outcome = @outcome, error = @error
          WHERE job_id = @id AND n = (SELECT MAX(n) FROM job_attempts WHERE job_id = @id) AND finished_at IS NULL`),
      finish: db.prepare(`UPDATE jobs SET status = @status, error = @error, finished_at = @at, comfy_ms = COALESCE(@comfyMs, comfy_ms)
          WHERE id = @id AND status IN ('queued', 'running')`),
      requeue: db.prepare(`UPDATE jobs SET status = 'queued', prompt_id = NULL, backend_id = NULL WHERE id = ? AND status = 'running'`),
      requestCancel: db.prepare('UPDATE jobs SET cancel_requested = 1 WHERE id = ?'),
      attempts: db.prepare('SELECT * FROM job_attempts WHERE job_id = ? ORDER BY n'),
      outputs: db.prepare('SELECT * FROM job_outputs WHERE job_id = ? ORDER BY n'),
      insertOutput: db.prepare(`INSERT INTO job_outputs (job_id, n, node_id, kind, filename, subfolder, type, backend_id)
          VALUES (@job_id, @n, @node_id, @kind, @filename, @subfolder, @type, @backend_id)`),
      clearOutputs: db.prepare('DELETE FROM job_outputs WHERE job_id = ?'),
      durations: db.prepare(`SELECT finished_at - started_at AS ms FROM jobs WHERE template IS @template AND status = 'succeeded'
          AND started_at IS NOT NULL ORDER BY seq DESC LIMIT 20`),
    };
  }

  insert(job: NewJob): JobRow {
    this.#s.insert.run({
      id: job.id,
      owner: job.owner,
      template: job.template,
      templateVersion: job.templateVersion,
      prompt: JSON.stringify(job.prompt),
      params: json(job.params),
      priority: job.priority,
      timeoutMs: job.timeoutMs,
      webhook: json(job.webhook),
      metadata: JSON.stringify(job.metadata),
      requirements: JSON.stringify(job.requirements ?? {}),
      idempotencyKey: job.idempotencyKey,
      requestHash: job.requestHash,
      createdAt: job.createdAt,
    });
    return this.get(job.id) as JobRow;
  }

  get(id: string): JobRow | undefined {
    return this.#s.get.get(id) as JobRow | undefined;
  }

  byIdempotencyKey(owner: string, key: string): JobRow | undefined {
    return this.#s.byKey.get(owner, key) as JobRow | undefined;
  }

  withStatus(status: JobStatus): JobRow[] {
    return this.#s.byStatus.all(status) as JobRow[];
  }

  /** Jobs per state in one grouped query (metrics scrape this). */
  countByStatus(): Record<JobStatus, number> {
    const out = Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobStatus, number>;
    for (const r of this.#s.countByStatus.all() as { status: JobStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  /** Just what the wait queue needs of every queued job (not their prompts): cheap at 100k jobs. */
  queuedIndex(): Pick<JobRow, 'id' | 'priority' | 'seq' | 'template' | 'requirements'>[] {
    return this.#s.queuedIndex.all() as Pick<JobRow, 'id' | 'priority' | 'seq' | 'template' | 'requirements'>[];
  }

  list(f: ListFilter): JobRow[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: f.limit };
    if (f.status) { where.push('status = @status'); args.status = f.status; }
    if (f.template) { where.push('template = @template'); args.template = f.template; }
    if (f.owner !== undefined) { where.push('owner = @owner'); args.owner = f.owner; }
    if (f.afterSeq !== undefined) { where.push('seq < @afterSeq'); args.afterSeq = f.afterSeq; }
    if (f.metadata) {
      where.push("CAST(json_extract(metadata, '$.' || json_quote(@mk)) AS TEXT) = @mv");
      args.mk = f.metadata[0];
      args.mv = f.metadata[1];
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    return this.#db.prepare(sql).all(args) as JobRow[];
  }

  queuePosition(row: Pick<JobRow, 'priority' | 'seq'>): number {
    return (this.#s.position.get({ priority: row.priority, seq: row.seq }) as { n: number }).n;
  }

  queuedCount(owner?: string): number {
    const r = owner === undefined ? this.#s.countQueued.get() : this.#s.countQueuedBy.get(owner);
    return (r as { n: number }).n;
  }

  /** queued → running with a new attempt row, atomically. */
  startAttempt(id: string, backendId: string, promptId: string, at: number): 'ok' | 'wrong_state' {
    return this.#db.transaction(() => {
      const changed = this.#s.setRunning.run({ id, backendId, promptId, at }).changes;
      if (changed === 0) return 'wrong_state' as const;
      this.#s.insertAttempt.run({ id, backendId, promptId, at });
      return 'ok' as const;
    })();
  }

  finishAttempt(id: string, outcome: AttemptOutcome, error: JobError | null, at: number): void {
    this.#s.finishAttempt.run({ id, outcome, error: json(error), at });
  }

  /** running → queued for another attempt. */
  requeue(id: string): 'ok' | 'wrong_state' {
    return this.#s.requeue.run(id).changes === 1 ? 'ok' : 'wrong_state';
  }

  /** Any live state → a terminal one. */
  finish(id: string, status: 'succeeded' | 'failed' | 'cancelled', error: JobError | null, at: number, comfyMs: number | null = null): 'ok' | 'wrong_state' {
    return this.#s.finish.run({ id, status, error: json(error), at, comfyMs }).changes === 1 ? 'ok' : 'wrong_state';
  }

  requestCancel(id: string): void {
    this.#s.requestCancel.run(id);
  }

  /** Closes the current attempt and fails or cancels the job, in one transaction (one commit). */
  end(id: string, status: 'failed' | 'cancelled', error: JobError | null, outcome: AttemptOutcome, at: number): Outcome {
    return this.#db.transaction(() => {
      this.finishAttempt(id, outcome, error, at);
      return this.finish(id, status, error, at);
    })();
  }

  /** Closes the attempt, records its outputs and marks the job succeeded, in one transaction. */
  succeed(id: string, outputs: Omit<OutputRow, 'job_id' | 'n'>[], at: number, comfyMs: number | null): 'ok' | 'wrong_state' {
    return this.#db.transaction(() => {
      this.finishAttempt(id, 'succeeded', null, at);
      const r = this.finish(id, 'succeeded', null, at, comfyMs);
      if (r !== 'ok') return r;
      this.#s.clearOutputs.run(id);
      outputs.forEach((o, n) => this.#s.insertOutput.run({ ...o, job_id: id, n }));
      return r;
    })();
  }

  attempts(id: string): AttemptRow[] {
    return this.#s.attempts.all(id) as AttemptRow[];
  }

  outputs(id: string): OutputRow[] {
    return this.#s.outputs.all(id) as OutputRow[];
  }

  /** Recent run durations of a template (ms), newest first, for ETAs. */
  recentDurations(template: string | null): number[] {
    return (this.#s.durations.all({ template }) as { ms: number }[]).map((r) => r.ms);
  }
}
