// One attempt: one job on one backend under one ComfyUI prompt id. Follows it to the end and
// classifies the outcome: success → outputs recorded; workflow error → job failed with
// ComfyUI's message; infrastructure failure (crash, hang, lost prompt, 5xx, OOM) → requeued
// elsewhere until attempts run out. Cancellation and timeouts interrupt only this prompt.
import type { JobRow, JobStorage } from './store.ts';
import { BackendFailure, type InputFile, type JobBackend, type RunEvent, type RunHandle, type RunResult } from './ports.ts';
import type { Waiting } from './queue.ts';
import type { JobEmit } from './events.ts';
import type { JobError } from './schemas.ts';
import { flattenOutputs } from './outputs.ts';

export interface AttemptContext {
  store: JobStorage;
  emit: JobEmit;
  log: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void; error: (o: object, m?: string) => void };
  now: () => number;
  maxAttempts: number;
  silenceMs: number;
  requeue: (w: Waiting) => void;
  loadFile: (source: InputFile['source']) => Promise<Buffer>;
}

export interface Inflight {
  backendId: string;
  finished: Promise<void>;
  cancel(reason: 'cancelled' | 'timeout'): Promise<void>;
  /** Watchdog tick: asks the backend about a silent prompt. */
  watch(now: number): void;
  /** Service shutdown: stop following without touching the job (it is recovered at start-up). */
  detach(): void;
}

const CANCEL_GRACE_MS = 10_000;
const isOom = (e: RunResult['error']): boolean =>
  !!e && (/OutOfMemory/i.test(e.exceptionType ?? '') || /out of memory/i.test(e.message));

export function runAttempt(
  ctx: AttemptContext,
  a: { row: JobRow; backend: JobBackend; promptId: string; waiting: Waiting; reattach?: boolean },
): Inflight {
  const { row, backend, promptId } = a;
  const prompt = JSON.parse(row.prompt) as Record<string, { class_type?: string; _meta?: { title?: string }; inputs?: { steps?: unknown } }>;
  // Progress weight of a node: 1, plus its step count when it has one (samplers dominate the time).
  const weight = (id: string | null) => {
    const steps = id ? prompt[id]?.inputs?.steps : undefined;
    return 1 + (typeof steps === 'number' && steps > 0 ? steps : 0);
  };
  const totalWeight = Math.max(1, Object.keys(prompt).reduce((sum, id) => sum + weight(id), 0));
  let lastEventAt = ctx.now();
  let cancelReason: 'cancelled' | 'timeout' | null = null;
  let detached = false;
  let watching = false;
  let stalledChecks = 0;
  let handle: RunHandle | null = null;
  let abort: (err: Error) => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => { abort = reject; });
  aborted.catch(() => undefined);
  const done = new Set<string>();
  let current: string | null = null;

  const emit: JobEmit = (id, type, data, opts) => { if (!detached) ctx.emit(id, type, data, opts); };
  const progress = (nodeId: string | null, value: number, max: number) => ({
    nodeId,
    classType: nodeId ? (prompt[nodeId]?.class_type ?? null) : null,
    title: nodeId ? (prompt[nodeId]?._meta?.title ?? null) : null,
    value,
    max,
    percent: Math.min(100, Math.round((([...done].reduce((sum, id) => sum + weight(id), 0) + weight(nodeId) * (max > 0 ? value / max : 0)) / totalWeight) * 1000) / 10),
  });

  const onEvent = (e: RunEvent) => {
    lastEventAt = ctx.now();
    switch (e.type) {
      case 'started': return;
      case 'cached':
        for (const n of e.nodes) done.add(n);
        return emit(row.id, 'progress', progress(null, 0, 1), { coalesce: true });
      case 'node':
        if (current) done.add(current);
        current = e.nodeId;
        return emit(row.id, 'node', { nodeId: e.nodeId, classType: prompt[e.nodeId]?.class_type ?? null, title: prompt[e.nodeId]?._meta?.title ?? null });
      case 'progress': return emit(row.id, 'progress', progress(e.nodeId ?? current, e.value, e.max), { coalesce: true });
      case 'preview': return emit(row.id, 'preview', { mime: e.mime, image: e.image, nodeId: e.nodeId });
      // Files are announced with their download URLs once the job succeeded (see settle).
      case 'output': return;
    }
  };

  const timeoutTimer = row.timeout_ms ? setTimeout(() => void cancel('timeout'), row.timeout_ms) : undefined;
  timeoutTimer?.unref();

  async function cancel(reason: 'cancelled' | 'timeout'): Promise<void> {
    if (cancelReason) return;
    cancelReason = reason;
    if (handle) await backend.cancel(promptId).catch(() => undefined);
    setTimeout(() => abort(new Error(`${reason}: the backend did not confirm within ${CANCEL_GRACE_MS} ms`)), CANCEL_GRACE_MS).unref();
  }

  const end = (status: 'failed' | 'cancelled', error: JobError, outcome: 'failed' | 'cancelled' | 'timeout') => {
    if (detached) return;
    if (ctx.store.end(row.id, status, error, outcome, ctx.now()) === 'ok') emit(row.id, status, { error });
  };

  const retryOrFail = (error: JobError) => {
    if (detached) return;
    ctx.store.finishAttempt(row.id, 'infrastructure', error, ctx.now());
    if (row.attempts >= ctx.maxAttempts) {
      const final = { ...error, message: `gave up after ${row.attempts} attempts: ${error.message}` };
      if (ctx.store.finish(row.id, 'failed', final, ctx.now()) === 'ok') emit(row.id, 'failed', { error: final });
      return;
    }
    if (ctx.store.requeue(row.id) !== 'ok') return;
    (a.waiting.avoid ??= new Set()).add(backend.id);
    ctx.requeue(a.waiting);
    ctx.log.warn({ jobId: row.id, backendId: backend.id, promptId, reason: error.message }, 'attempt failed on infrastructure, requeued');
    emit(row.id, 'retrying', { reason: error.message, backendId: backend.id, attempt: row.attempts });
  };

  const settle = async (r: RunResult) => {
    if (detached) return;
    if (r.status === 'success') {
      const outputs = flattenOutputs(r.outputs).map((o) => ({ ...o, backend_id: backend.id }));
      if (ctx.store.succeed(row.id, outputs, ctx.now(), r.comfyMs) !== 'ok') return;
      // One `output` event per file, with the download URL, before the terminal event.
      outputs.forEach((o, n) => emit(row.id, 'output', { n, nodeId: o.node_id, kind: o.kind, filename: o.filename, url: `/jobs/${row.id}/outputs/${n}` }));
      emit(row.id, 'succeeded', { outputs: outputs.length });
      return;
    }
    if (r.status === 'interrupted') {
      if (cancelReason === 'cancelled') return end('cancelled', { kind: 'cancelled', message: 'cancelled by request' }, 'cancelled');
      if (cancelReason === 'timeout') return end('failed', { kind: 'timeout', message: `timed out after ${row.timeout_ms} ms` }, 'timeout');
      return retryOrFail({ kind: 'infrastructure', message: 'the prompt was interrupted on the backend' });
    }
    const e = r.error ?? { message: 'execution failed' };
    const error: JobError = {
      kind: 'workflow',
      message: e.message.trim(),
      ...(e.nodeId ? { nodeId: e.nodeId } : {}),
      ...(e.classType ? { classType: e.classType } : {}),
      ...(e.exceptionType ? { exceptionType: e.exceptionType } : {}),
      ...(e.traceback?.length ? { traceback: e.traceback.slice(-3) } : {}),
    };
    if (isOom(r.error)) {
      await backend.free().catch((err: unknown) => ctx.log.warn({ err, backendId: backend.id }, '/free after OOM failed'));
      return retryOrFail({ ...error, kind: 'infrastructure' });
    }
    end('failed', error, 'failed');
  };

  const settleError = (err: unknown) => {
    if (detached) return;
    if (cancelReason === 'cancelled') return end('cancelled', { kind: 'cancelled', message: 'cancelled by request' }, 'cancelled');
    if (cancelReason === 'timeout') return end('failed', { kind: 'timeout', message: `timed out after ${row.timeout_ms} ms` }, 'timeout');
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof BackendFailure && err.kind === 'workflow') {
      return end('failed', { kind: 'workflow', message, ...(err.details as object) }, 'failed');
    }
    retryOrFail({ kind: 'infrastructure', message });
  };

  const finished = (async () => {
    try {
      if (!a.reattach) {
        for (const f of a.waiting.requirements.files ?? []) {
          await backend.ensureFile(f.name, () => ctx.loadFile(f.source).catch((err: unknown) => {
            throw new BackendFailure('workflow', `input ${f.name} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
          }));
        }
      }
      // Announced before the POST: ComfyUI may send the prompt's first events before it answers.
      if (!a.reattach) emit(row.id, 'started', { backendId: backend.id, attempt: row.attempts, promptId });
      handle = a.reattach
        ? await backend.reattach(promptId, onEvent)
        : await backend.submit(prompt, { promptId, template: row.template, onEvent });
      if (!handle) return retryOrFail({ kind: 'infrastructure', message: 'the prompt was lost while the service restarted' });
      if (cancelReason) await backend.cancel(promptId).catch(() => undefined);
      await settle(await Promise.race([handle.done, aborted]));
    } catch (err) {
      settleError(err);
    } finally {
      clearTimeout(timeoutTimer);
    }
  })();

  return {
    backendId: backend.id,
    finished,
    cancel,
    detach: () => { detached = true; abort(new Error('detached')); },
    watch(now: number) {
      if (watching || !handle || now - lastEventAt < ctx.silenceMs) return;
      watching = true;
      void backend.check(promptId).then(async (where) => {
        if (where === 'pending' || where === 'finished') { stalledChecks = 0; lastEventAt = ctx.now(); return; }
        // Pending while nothing runs: a stuck worker, unless it was the gap between two prompts,
        // so it takes two checks in a row (half a silence period apart).
        if (where === 'stalled' && ++stalledChecks < 2) return;
        const hung = where === 'running' || where === 'stalled';
        // The restart runs in the background: the job is requeued now, not once the server is back
        // (a real ComfyUI takes from seconds to minutes to start).
        if (hung) {
          void backend.recover(`prompt ${promptId} made no progress for ${ctx.silenceMs} ms`)
            .catch((err: unknown) => ctx.log.warn({ err, backendId: backend.id }, 'recovering a hung backend failed'));
        }
        abort(new BackendFailure('infrastructure', hung
          ? `backend ${backend.id} hung (${where === 'running' ? 'no progress' : 'queued prompt not started'} for ${ctx.silenceMs} ms)`
          : `prompt ${where} on backend ${backend.id}`));
      }).finally(() => { watching = false; });
    },
  };
}
