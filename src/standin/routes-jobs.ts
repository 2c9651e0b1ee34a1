/** The unified jobs API (§3.3.16): /api/jobs, /api/jobs/{id}, cancel routes. */
import type { Core } from './core.ts';
import type { HistoryEntry } from './history.ts';
import { isDict, json, parseJsonBody } from './http.ts';
import type { Reply } from './http.ts';
import { Http500 } from './pyerrors.ts';
import type { QueueItem } from './queue.ts';
import type { Ctx, Router } from './router.ts';
import { itemArray } from './queue.ts';
import { entriesOf, numberOf } from './pyjson.ts';

const STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MEDIA = ['images', 'video', 'audio', '3d', 'text'];

type Job = Map<string, unknown>;

function workflowId(extra: Record<string, unknown>): unknown {
  const png = extra['extra_pnginfo'];
  const wf = isDict(png) ? png['workflow'] : undefined;
  return isDict(wf) ? wf['id'] : undefined;
}

function baseJob(item: QueueItem, status: string): Job {
  const job: Job = new Map<string, unknown>([['id', item.promptId], ['status', status], ['priority', item.number], ['create_time', item.extraData['create_time']]]);
  const wf = workflowId(item.extraData);
  if (wf !== undefined && wf !== null) job.set('workflow_id', wf);
  return job;
}

function previewOf(outputs: Map<string, unknown>): Record<string, unknown> | undefined {
  let fallback: Record<string, unknown> | undefined;
  for (const [nodeId, out] of outputs) {
    if (!isDict(out)) continue;
    for (const media of MEDIA) {
      const list = out[media];
      if (!Array.isArray(list)) continue;
      for (const f of list) {
        if (!isDict(f)) continue;
        const p = { ...f, nodeId, mediaType: media };
        if (f['type'] === 'output') return p;
        fallback ??= p;
      }
    }
  }
  return fallback;
}

function historyJob(id: string, e: HistoryEntry, full: boolean): Job {
  const [number, , prompt, extra] = e.prompt as [unknown, string, unknown, Record<string, unknown>];
  const msgs = e.status.messages;
  const interrupted = msgs.some(([t]) => t === 'execution_interrupted');
  const status = e.status.status_str === 'success' ? 'completed' : interrupted ? 'cancelled' : 'failed';
  const job = baseJob({ number, promptId: id, prompt: {}, extraData: extra, outputs: [], sensitive: {} }, status);
  const start = msgs.find(([t]) => t === 'execution_start')?.[1]['timestamp'];
  const end = msgs.find(([t]) => ['execution_success', 'execution_error', 'execution_interrupted'].includes(t))?.[1]['timestamp'];
  if (start !== undefined) job.set('execution_start_time', start);
  if (end !== undefined) job.set('execution_end_time', end);
  const err = msgs.find(([t]) => t === 'execution_error');
  if (err) job.set('execution_error', err[1]);
  let count = 0;
  for (const out of e.outputs.values()) if (isDict(out)) for (const [, v] of entriesOf(out)) if (Array.isArray(v)) count += v.length;
  job.set('outputs_count', count);
  const preview = previewOf(e.outputs);
  if (preview) job.set('preview_output', preview);
  if (full) {
    job.set('outputs', e.outputs);
    job.set('execution_status', e.status);
    job.set('workflow', { prompt, extra_data: extra });
  }
  return job;
}

function allJobs(core: Core): Job[] {
  const jobs: Job[] = [];
  for (const item of core.queue.running.values()) jobs.push(baseJob(item, 'in_progress').set('outputs_count', 0));
  for (const item of core.queue.heap) jobs.push(baseJob(item, 'pending').set('outputs_count', 0));
  for (const [id, e] of core.history.entries()) jobs.push(historyJob(id, e, false));
  return jobs;
}

const err400 = (error: string): Reply => json({ error }, 400);

function listJobs(ctx: Ctx): Reply {
  const q = ctx.url.searchParams;
  let jobs = allJobs(ctx.core);
  const status = q.get('status');
  if (status !== null) {
    const wanted = status.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = wanted.filter((s) => !STATUSES.includes(s));
    if (bad.length > 0) return err400(`Invalid status value(s): ${bad.join(', ')}. Valid values: ${STATUSES.join(', ')}`);
    jobs = jobs.filter((j) => wanted.includes(String(j.get('status'))));
  }
  const wf = q.get('workflow_id');
  if (wf !== null) jobs = jobs.filter((j) => j.get('workflow_id') === wf);
  const sortBy = q.get('sort_by') ?? 'created_at';
  if (sortBy !== 'created_at' && sortBy !== 'execution_duration') return err400("sort_by must be 'created_at' or 'execution_duration'");
  const order = q.get('sort_order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') return err400("sort_order must be 'asc' or 'desc'");
  let limit: number | null = null;
  const limitText = q.get('limit');
  if (limitText !== null) {
    if (!/^[-+]?\d+$/.test(limitText.trim())) return err400('limit must be an integer');
    limit = Number(limitText);
    if (limit <= 0) return err400('limit must be a positive integer');
  }
  const offsetText = q.get('offset') ?? '0';
  if (!/^[-+]?\d+$/.test(offsetText.trim())) return err400('offset must be an integer');
  const offset = Math.max(0, Number(offsetText));
  const key = (j: Job): number => sortBy === 'created_at' ? (numberOf(j.get('create_time')) ?? 0)
    : (numberOf(j.get('execution_end_time')) ?? 0) - (numberOf(j.get('execution_start_time')) ?? 0);
  jobs.sort((a, b) => (order === 'asc' ? key(a) - key(b) : key(b) - key(a)));
  const page = jobs.slice(offset, limit === null ? undefined : offset + limit);
  return json({ jobs: page, pagination: { offset, limit, total: jobs.length, has_more: offset + page.length < jobs.length } });
}

function cancel(core: Core, id: string): boolean {
  if (core.queue.isRunning(id)) {
    core.executor.interrupt();
    return true;
  }
  return core.queue.deleteFirst((i) => i.promptId === id);
}

export function addJobRoutes(r: Router): void {
  for (const prefix of ['/api', '/api/api']) {
    r.add('GET', `${prefix}/jobs`, listJobs, false);
    r.add('GET', `${prefix}/jobs/{job_id}`, ({ core, params }) => {
      const id = params['job_id'] ?? '';
      const e = core.history.get(id);
      if (e) return json(historyJob(id, e, true));
      const job = allJobs(core).find((j) => j.get('id') === id);
      return job ? json(job) : json({ error: 'Job not found' }, 404);
    }, false);
    r.add('POST', `${prefix}/jobs/{job_id}/cancel`, ({ core, params }) => json({ cancelled: cancel(core, params['job_id'] ?? '') }), false);
    r.add('POST', `${prefix}/jobs/cancel`, async ({ core, body }) => {
      let data: unknown;
      try {
        data = parseJsonBody(await body());
      } catch (e) {
        if (e instanceof Http500) return err400('Request body must be valid JSON');
        throw e;
      }
      const ids = isDict(data) ? data['job_ids'] : undefined;
      if (!Array.isArray(ids)) return err400('job_ids must be a list');
      const invalid = ids.filter((i) => typeof i !== 'string' || !UUID.test(i));
      if (invalid.length > 0) return json({ error: 'job_ids contains invalid id(s)', invalid_ids: invalid }, 400);
      let any = false;
      for (const id of ids as string[]) any = cancel(core, id) || any;
      return json({ cancelled: any });
    }, false);
  }
}

