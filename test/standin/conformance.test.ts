/**
 * Replays the captures recorded from a real ComfyUI v0.27 (shared/comfyui/captures/) against
 * the stand-in: HTTP status, content type and body, websocket sequences of a fresh run, a
 * cached run, a runtime error and an interrupt, and the history entries they leave. Values
 * that legitimately differ (ids the server generates, timestamps, counters, tracebacks, sizes)
 * are normalised first.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { CAPTURES, connectWs, SAMPLE_PNG, startInProcess, waitFor } from './helpers.ts';
import type { Collector, Running, WsMessage } from './helpers.ts';

interface Capture {
  request?: { method: string; path: string; json: unknown };
  status: number;
  content_type?: string;
  body: unknown;
}

const cap = <T = Capture>(name: string): T => JSON.parse(readFileSync(join(CAPTURES, name), 'utf8')) as T;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VOLATILE = new Set(['timestamp', 'create_time', 'traceback', 'ram_total', 'ram_free', 'vram_total', 'vram_free', 'torch_vram_total', 'torch_vram_free']);

function normalize(v: unknown, key = ''): unknown {
  if (VOLATILE.has(key)) return `<${key}>`;
  if (key === 'current_outputs' && Array.isArray(v)) return [...v].sort();
  if (typeof v === 'string') return UUID.test(v) ? '<uuid>' : v;
  if (Array.isArray(v)) {
    // The 5-element queue/history arrays start with the priority number, which differs per server.
    if (key === 'prompt' && v.length === 5 && typeof v[0] === 'number') return ['<number>', ...v.slice(1).map((x) => normalize(x))];
    return v.map((x) => normalize(x));
  }
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [UUID.test(k) ? '<uuid>' : k, normalize(x, k)]));
  }
  return v;
}

async function replay(r: Running, c: Capture): Promise<{ status: number; type: string | null; body: unknown }> {
  const req = c.request as NonNullable<Capture['request']>;
  const res = await fetch(`${r.url}${req.path}`, req.method === 'GET' ? {} : { method: req.method, body: JSON.stringify(req.json) });
  const text = await res.text();
  const type = res.headers.get('content-type');
  return { status: res.status, type, body: type?.startsWith('application/json') ? JSON.parse(text) : text };
}

async function assertReplay(r: Running, name: string, drop: string[] = []): Promise<void> {
  const c = cap(name);
  const got = await replay(r, c);
  assert.equal(got.status, c.status, `${name}: status`);
  assert.equal(got.type, c.content_type, `${name}: content type`);
  const strip = (b: unknown): unknown => (b !== null && typeof b === 'object' && !Array.isArray(b) ? Object.fromEntries(Object.entries(b).filter(([k]) => !drop.includes(k))) : b);
  assert.deepEqual(normalize(strip(got.body)), normalize(strip(c.body)), `${name}: body`);
}

test('HTTP replies match the captures (status, content type, body)', async (t) => {
  const r = await startInProcess(t);
  for (const name of ['prompt_get_idle.json', 'queue_idle.json', 'features.json', 'embeddings.json', 'extensions.json', 'models.json',
    'object_info_ImageInvert.json', 'root_get.json', 'interrupt_when_idle.json', 'interrupt_with_other_prompt_id.json',
    'history_entry_deleted_pending.json', 'history_after_delete.json', 'queue_clear.json', 'queue_delete_pending.json', 'history_delete.json',
    'prompt_error_bad_link_type.json', 'prompt_error_bad_prompt_id.json', 'prompt_error_bad_value_int_range.json',
    'prompt_error_bad_value_missing_file.json', 'prompt_error_bad_value_not_a_number.json', 'prompt_error_link_to_missing_node.json',
    'prompt_error_missing_class_type.json', 'prompt_error_missing_required_input.json', 'prompt_error_no_output_node.json',
    'prompt_error_no_prompt_key.json', 'prompt_error_unknown_class_type.json']) {
    await assertReplay(r, name);
  }
  const bad = cap('prompt_error_invalid_json_body.json');
  const res = await r.post('/prompt', '{"prompt": ');
  assert.equal(res.status, bad.status);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await res.text(), bad.body);
});

test('uploads and /view headers match the captures', async (t) => {
  const r = await startInProcess(t);
  const form = new FormData();
  form.append('image', new Blob([readFileSync(SAMPLE_PNG)], { type: 'image/png' }), 'capture_in.png');
  const res = await fetch(`${r.url}/upload/image`, { method: 'POST', body: form });
  const c = cap('upload_image.json');
  assert.equal(res.status, c.status);
  assert.equal(res.headers.get('content-type'), c.content_type);
  assert.deepEqual(await res.json(), c.body);
  writeFileSync(join(r.dirs.output, 'capture_00002_.png'), readFileSync(SAMPLE_PNG));
  const view = await r.get('/view?filename=capture_00002_.png&type=output&subfolder=');
  const h = cap<{ status: number; headers: Record<string, string> }>('view_headers.json');
  assert.equal(view.status, h.status);
  for (const k of ['Content-Disposition', 'Content-Type', 'X-Content-Type-Options', 'Content-Length', 'Accept-Ranges']) {
    assert.equal(view.headers.get(k), h.headers[k], k);
  }
  assert.match(view.headers.get('etag') ?? '', /^"[0-9a-f]+-1f9"$/);
  assert.deepEqual(Buffer.from(await view.arrayBuffer()), readFileSync(SAMPLE_PNG));
});

test('system_stats has the captured shape with --cpu and echoes argv', async (t) => {
  const r = await startInProcess(t, ['--cpu']);
  for (const path of ['/system_stats', '/api/system_stats']) {
    const got = (await (await r.get(path)).json()) as { system: Record<string, unknown>; devices: Record<string, unknown>[] };
    const want = cap(path === '/system_stats' ? 'system_stats.json' : 'api_prefix_system_stats.json').body as typeof got;
    assert.deepEqual(Object.keys(got.system), Object.keys(want.system));
    assert.deepEqual(Object.keys(got.devices[0] ?? {}), Object.keys(want.devices[0] ?? {}));
    assert.equal(got.system['comfyui_version'], '0.27.0');
    assert.deepEqual({ ...got.devices[0], vram_total: 0, vram_free: 0, torch_vram_total: 0, torch_vram_free: 0 },
      { name: 'cpu', type: 'cpu', index: null, vram_total: 0, vram_free: 0, torch_vram_total: 0, torch_vram_free: 0 });
    assert.deepEqual((got.system['argv'] as string[]).slice(0, 2), ['main.py', '--listen']);
    assert.ok((got.system['argv'] as string[]).includes('--cpu'));
  }
});

const msgsOf = (name: string): WsMessage[] => cap<{ t: number; msg: WsMessage }[]>(name).map((m) => m.msg);

async function runAndCollect(ws: Collector, r: Running, body: unknown): Promise<WsMessage[]> {
  const start = ws.messages.length;
  const id = (body as { prompt_id: string }).prompt_id;
  const res = await r.post('/prompt', body);
  assert.equal(res.status, 200);
  await ws.until((m) => m.type === 'executing' && m.data['node'] === null && m.data['prompt_id'] === id, 'executing null');
  return ws.messages.slice(start);
}

async function history(r: Running, id: string): Promise<unknown> {
  return (await r.get(`/history/${id}`)).json();
}

function assertSameMessages(got: WsMessage[], want: WsMessage[], what: string, fixPaths: (v: unknown) => unknown = (v) => v): void {
  assert.deepEqual(got.map((m) => m.type), want.map((m) => m.type), `${what}: message types in order`);
  assert.deepEqual(normalize(fixPaths(got)), normalize(want), `${what}: message fields`);
}

async function runCaptureSequences(t: TestContext): Promise<void> {
  const r = await startInProcess(t);
  writeFileSync(join(r.dirs.output, 'capture_00001_.png'), readFileSync(SAMPLE_PNG));
  const ws = await connectWs(r.url, 'capture-client-848b7dd9');
  const run1 = msgsOf('ws_run1_messages.json');
  assert.deepEqual(ws.messages[0], run1[0], 'first message: status with sid');
  const got1 = await runAndCollect(ws, r, cap('prompt_post_ok.json').request?.json);
  assertSameMessages(got1, run1.slice(1), 'run 1 (fresh)');
  assert.deepEqual(normalize(await history(r, '910a4ad8-f2d3-4305-aab5-4f34a4b62254')), normalize(cap('history_entry.json').body));
  const got2 = await runAndCollect(ws, r, cap('prompt_post_ok_second.json').request?.json);
  assertSameMessages(got2, msgsOf('ws_run2_cached_messages.json'), 'run 2 (cached)');
  assert.deepEqual(normalize(await history(r, '98521e4e-8cd6-45ad-9e6e-56e92f86c6c9')), normalize(cap('history_entry_cached.json').body));
  const ws2 = await connectWs(r.url, 'capture2-f6976c6b');
  const fix = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replaceAll(`${r.dirs.input}/`, '/opt/ComfyUI/input/'));
  const got3 = await runAndCollect(ws2, r, cap('prompt_post_runtime_error.json').request?.json);
  assertSameMessages(got3, msgsOf('ws_runtime_error_messages.json'), 'runtime error', fix);
  assert.deepEqual(normalize(fix(await history(r, '314ca078-addd-4d2f-a8c2-4025cd56b595'))), normalize(cap('history_entry_runtime_error.json').body));
}

test('websocket sequences and history entries: fresh run, cached run, runtime error', async (t) => {
  await runCaptureSequences(t);
});

test('websocket sequence and history entry of an interrupted prompt', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_NODE_MS: '150' });
  const ws = await connectWs(r.url, 'capture2-f6976c6b');
  const body = cap('prompt_post_slow_A.json').request?.json as { prompt_id: string };
  const id = body.prompt_id;
  assert.equal((await r.post('/prompt', body)).status, 200);
  await ws.until((m) => m.type === 'executing' && m.data['node'] === '11', 'executing 11');
  assert.equal((await r.post('/interrupt', {})).status, 200);
  await ws.until((m) => m.type === 'executing' && m.data['node'] === null, 'executing null');
  const mine = ws.messages.filter((m) => m.data['prompt_id'] === id);
  const want = msgsOf('ws_interrupt_and_queue_messages.json').filter((m) => m.data['prompt_id'] === id);
  assertSameMessages(mine, want, 'interrupt');
  assert.deepEqual(normalize(await history(r, id)), normalize(cap('history_entry_interrupted.json').body));
  await waitFor(async () => ((await (await r.get('/queue')).json()) as { queue_running: unknown[] }).queue_running.length === 0);
});
