/** Queue order (heap array, front), POST /queue, status broadcasts, history shape and paging. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectWs, EMPTY, runPrompt, startInProcess, waitFor } from './helpers.ts';
import type { Running } from './helpers.ts';

const queue = async (r: Running): Promise<{ queue_running: unknown[][]; queue_pending: unknown[][] }> => (await r.get('/queue')).json() as Promise<{ queue_running: unknown[][]; queue_pending: unknown[][] }>;
const idle = (r: Running): Promise<boolean> => waitFor(async () => {
  const q = await queue(r);
  return q.queue_running.length === 0 && q.queue_pending.length === 0;
});

test('pending items are the raw heap array; execution follows (number, prompt_id); POST /queue deletes and clears', async (t) => {
  const r = await startInProcess(t);
  const ws = await connectWs(r.url, 'watcher');
  await r.post('/__standin/faults', { hang: true });
  const ids: Record<number, string> = {};
  for (const n of [1, 5, 3, 4]) {
    const res = (await (await r.post('/prompt', { prompt: EMPTY(`n${n}`, n), number: n })).json()) as { prompt_id: string };
    ids[n] = res.prompt_id;
  }
  assert.deepEqual((await queue(r)).queue_pending.map((i) => i[0]), [1, 4, 3, 5], 'heapq layout, not sorted');
  assert.deepEqual(ws.messages.map((m) => m.type), ['status'], 'a hung server sends nothing');
  const front = (await (await r.post('/prompt', { prompt: EMPTY('front'), front: true })).json()) as { number: number; prompt_id: string };
  assert.equal(front.number, 0, 'explicit numbers do not advance the counter, so front is -0');
  const del = await r.post('/queue', { delete: [ids[3]] });
  assert.equal(del.status, 200);
  assert.equal(await del.text(), '');
  assert.equal(del.headers.get('content-type'), 'application/octet-stream');
  assert.ok(!(await queue(r)).queue_pending.some((i) => i[1] === ids[3]));
  await r.post('/__standin/faults', { hang: false });
  await idle(r);
  const order = Object.keys((await (await r.get('/history')).json()) as Record<string, unknown>);
  assert.deepEqual(order, [front.prompt_id, ids[1], ids[4], ids[5]]);
  await r.post('/__standin/faults', { hang: true });
  await r.post('/prompt', { prompt: EMPTY('c1', 1) });
  await r.post('/prompt', { prompt: EMPTY('c2', 2) });
  assert.equal((await r.post('/queue', { clear: true })).status, 200);
  assert.deepEqual((await queue(r)).queue_pending, []);
  assert.equal((await r.post('/queue', '')).status, 500);
});

test('history entries: key order, status messages, paging, delete and clear', async (t) => {
  const r = await startInProcess(t);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push((await runPrompt(r, { prompt: EMPTY(`h${i}`, i), client_id: 'c' })).id);
  const text = await (await r.get(`/history/${ids[0]}`)).text();
  assert.match(text, /^\{"[0-9a-f-]{36}": \{"prompt": \[\d+, "[0-9a-f-]{36}", \{.*\}, \{"client_id": "c", "create_time": \d+\}, \["3"\]\], "outputs": \{"3": \{"images": \[\{"filename": "h0_00001_.png", "subfolder": "", "type": "output"\}\]\}\}, "status": \{"status_str": "success", "completed": true, "messages": \[\["execution_start", .*\], \["execution_cached", .*\], \["execution_success", \{"prompt_id": "[0-9a-f-]{36}", "timestamp": \d{13}\}\]\]\}, "meta": \{"3": \{"node_id": "3", "display_node": "3", "parent_node": null, "real_node_id": "3"\}\}\}\}$/);
  const keys = async (q: string): Promise<string[]> => Object.keys((await (await r.get(`/history${q}`)).json()) as object);
  assert.deepEqual(await keys(''), ids);
  assert.deepEqual(await keys('?max_items=2'), ids.slice(2));
  assert.deepEqual(await keys('?offset=1'), ids.slice(1));
  assert.deepEqual(await keys('?offset=1&max_items=2'), ids.slice(1, 3));
  assert.deepEqual(await keys('?max_items=0'), []);
  assert.deepEqual(await keys('?offset=2&max_items=0'), ids.slice(2, 3), 'ComfyUI quirk: with an offset, max_items=0 still returns one');
  assert.equal((await r.get('/history?max_items=abc')).status, 500);
  assert.equal((await r.get('/api/history?offset=1.5')).status, 500);
  assert.deepEqual(await (await r.get('/history/unknown')).json(), {});
  await r.post('/history', { delete: [ids[0]] });
  assert.deepEqual(await keys(''), ids.slice(1));
  await r.post('/history', { clear: true });
  assert.deepEqual(await keys(''), []);
});

test('GET /history/{id} is {} while pending and running; status at enqueue precedes the reply', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_NODE_MS: '300' });
  const ws = await connectWs(r.url, 'c');
  const res = await r.post('/prompt', { prompt: EMPTY(), client_id: 'c' });
  const { prompt_id: id } = (await res.json()) as { prompt_id: string };
  // The enqueue status was written before the HTTP reply (same process, ws first).
  await ws.until((m) => m.type === 'status' && (m.data['status'] as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining === 1);
  await ws.until((m) => m.type === 'executing' && m.data['node'] === '1');
  assert.deepEqual(await (await r.get(`/history/${id}`)).json(), {});
  assert.deepEqual(await (await r.get('/prompt')).json(), { exec_info: { queue_remaining: 1 } });
  await ws.until((m) => m.type === 'executing' && m.data['node'] === null);
  assert.ok(Object.hasOwn(await (await r.get(`/history/${id}`)).json() as object, id));
});

test('jobs API: list, filters, one job, cancel, errors', async (t) => {
  const r = await startInProcess(t);
  const done = await runPrompt(r, { prompt: EMPTY('j'), client_id: 'c' });
  await r.post('/__standin/faults', { hang: true });
  const pending = (await (await r.post('/prompt', { prompt: EMPTY('p') })).json()) as { prompt_id: string };
  const list = (await (await r.get('/api/jobs?sort_order=asc')).json()) as { jobs: Record<string, unknown>[]; pagination: Record<string, unknown> };
  assert.deepEqual(list.jobs.map((j) => [j['id'], j['status']]), [[done.id, 'completed'], [pending.prompt_id, 'pending']]);
  assert.deepEqual(list.pagination, { offset: 0, limit: null, total: 2, has_more: false });
  const one = (await (await r.get(`/api/jobs/${done.id}`)).json()) as Record<string, unknown>;
  assert.deepEqual(one['preview_output'], { filename: 'j_00001_.png', subfolder: '', type: 'output', nodeId: '3', mediaType: 'images' });
  assert.equal((await r.get('/jobs')).status, 404);
  assert.deepEqual(await (await r.get('/api/jobs/00000000-0000-4000-8000-000000000000')).json(), { error: 'Job not found' });
  assert.deepEqual(await (await r.get('/api/jobs?status=bogus')).json(), { error: 'Invalid status value(s): bogus. Valid values: pending, in_progress, completed, failed, cancelled' });
  assert.deepEqual(await (await r.get('/api/jobs?limit=0')).json(), { error: 'limit must be a positive integer' });
  assert.deepEqual(await (await r.post('/api/jobs/cancel', { job_ids: ['x'] })).json(), { error: 'job_ids contains invalid id(s)', invalid_ids: ['x'] });
  assert.deepEqual(await (await r.post(`/api/jobs/${pending.prompt_id}/cancel`, {})).json(), { cancelled: true });
  assert.deepEqual((await queue(r)).queue_pending, []);
});
