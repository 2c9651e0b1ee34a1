/** Websocket behaviour: handshake, targeting, previews, the #16010 quirk, caching, /free, interrupt. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CAPTURES, connectWs, EMPTY, runPrompt, startInProcess, TXT2IMG, waitFor } from './helpers.ts';
import type { Running } from './helpers.ts';

const submit = async (r: Running, body: Record<string, unknown>): Promise<string> => ((await (await r.post('/prompt', body)).json()) as { prompt_id: string }).prompt_id;

test('first messages: status with sid (uuid hex without clientId), feature_flags reply', async (t) => {
  const r = await startInProcess(t);
  const anon = await connectWs(r.url);
  assert.match(String(anon.messages[0]?.data['sid']), /^[0-9a-f]{32}$/);
  assert.deepEqual(anon.messages[0]?.data['status'], { exec_info: { queue_remaining: 0 } });
  const flagged = await connectWs(r.url, 'f', { type: 'feature_flags', data: { supports_preview_metadata: true } });
  const reply = await flagged.until((m) => m.type === 'feature_flags');
  assert.deepEqual(reply.data, JSON.parse(readFileSync(join(CAPTURES, 'features.json'), 'utf8')).body);
});

test('previews: legacy type 1 after progress; type 4 with metadata before progress', async (t) => {
  const r = await startInProcess(t, ['--preview-method', 'auto']);
  const legacy = await connectWs(r.url, 'legacy');
  const modern = await connectWs(r.url, 'modern', { type: 'feature_flags', data: { supports_preview_metadata: true } });
  await modern.until((m) => m.type === 'feature_flags');
  for (const [ws, client] of [[legacy, 'legacy'], [modern, 'modern']] as const) {
    const id = await submit(r, { prompt: TXT2IMG(2, client === 'legacy' ? 1 : 2), client_id: client });
    await ws.until((m) => m.type === 'executing' && m.data['node'] === null && m.data['prompt_id'] === id);
  }
  // Each binary frame with its neighbours: [before, frame, after].
  const around = (order: string[]): string[][] => order.flatMap((x, i) => (x === 'bin' ? [[order[i - 1] ?? '', x, order[i + 1] ?? '']] : []));
  assert.deepEqual(around(legacy.order), [['progress', 'bin', 'progress_state'], ['progress', 'bin', 'progress_state']]);
  assert.deepEqual(around(modern.order), [['progress_state', 'bin', 'progress'], ['progress_state', 'bin', 'progress']]);
  assert.equal(legacy.binary.length, 2);
  const b1 = legacy.binary[0] as Buffer;
  assert.deepEqual([b1.readUInt32BE(0), b1.readUInt32BE(4)], [1, 2]);
  assert.deepEqual(b1.subarray(8, 12), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  const b4 = modern.binary[0] as Buffer;
  assert.equal(b4.readUInt32BE(0), 4);
  const meta = JSON.parse(b4.subarray(8, 8 + b4.readUInt32BE(4)).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(meta), ['node_id', 'prompt_id', 'display_node_id', 'parent_node_id', 'real_node_id', 'image_type']);
  assert.deepEqual([meta['node_id'], meta['image_type']], ['3', 'image/png']);
  const none = await startInProcess(t);
  const quiet = await connectWs(none.url, 'q');
  await runPrompt(none, { prompt: TXT2IMG(2), client_id: 'q' });
  assert.equal(quiet.binary.length, 0, 'no previews with --preview-method none');
});

test('targeting: without client_id only status, progress and the interrupt are broadcast', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_STEP_MS: '30' });
  const monitor = await connectWs(r.url, 'monitor');
  const id = await submit(r, { prompt: TXT2IMG(30) });
  await monitor.until((m) => m.type === 'progress' && m.data['value'] === 2);
  await r.post('/interrupt', { prompt_id: id });
  const end = await monitor.until((m) => m.type === 'execution_interrupted');
  assert.deepEqual([end.data['node_id'], end.data['node_type']], ['3', 'KSampler']);
  assert.deepEqual([...(end.data['executed'] as string[])].sort(), ['4', '5', '6', '7']);
  await waitFor(async () => ((await (await r.get('/prompt')).json()) as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining === 0);
  const types = new Set(monitor.messages.map((m) => m.type));
  assert.deepEqual([...types].sort(), ['execution_interrupted', 'progress', 'progress_state', 'status']);
  const quiet = await connectWs(r.url, '');
  await runPrompt(r, { prompt: EMPTY(), client_id: '' });
  assert.deepEqual(quiet.messages.slice(1).map((m) => m.type), ['status', 'status', 'status'], 'client_id "" receives only broadcasts');
});

test('#16010: closing the old socket unregisters the new one with the same clientId', async (t) => {
  const r = await startInProcess(t);
  const old = await connectWs(r.url, 'dup');
  const fresh = await connectWs(r.url, 'dup');
  await runPrompt(r, { prompt: EMPTY('a'), client_id: 'dup' });
  await fresh.until((m) => m.type === 'execution_success');
  assert.ok(!old.messages.some((m) => m.type === 'execution_start'), 'the forgotten socket gets nothing targeted');
  await old.close();
  await waitFor(async () => !((await (await r.get('/__standin/state')).json()) as { sockets: string[] }).sockets.includes('dup'));
  const before = fresh.messages.length;
  await runPrompt(r, { prompt: EMPTY('b'), client_id: 'dup' });
  assert.deepEqual(fresh.messages.slice(before), [], 'the new socket silently receives nothing, not even status');
  assert.equal(fresh.ws.readyState, fresh.ws.OPEN);
});

test('reconnecting as the running prompt\'s client gets executing {node} without prompt_id', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_STEP_MS: '40' });
  const first = await connectWs(r.url, 'me');
  await submit(r, { prompt: TXT2IMG(20), client_id: 'me' });
  await first.until((m) => m.type === 'progress');
  const again = await connectWs(r.url, 'me');
  await waitFor(() => again.messages.length >= 2);
  assert.deepEqual(again.messages[1], { type: 'executing', data: { node: '3' } });
  await r.post('/interrupt', {});
});

test('caching: identical prompt fully cached with old filenames; /free resets; --cache-none never caches', async (t) => {
  const r = await startInProcess(t);
  const ws = await connectWs(r.url, 'c');
  const a = await runPrompt(r, { prompt: TXT2IMG(2), client_id: 'c' });
  const b = await runPrompt(r, { prompt: TXT2IMG(2), client_id: 'c' });
  const cachedOf = (e: Record<string, unknown>): unknown => ((e['status'] as { messages: [string, Record<string, unknown>][] }).messages[1]?.[1])?.['nodes'];
  assert.deepEqual(cachedOf(b.entry), ['3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(b.entry['outputs'], a.entry['outputs']);
  assert.deepEqual(readdirSync(join(r.dirs.output, 'txt2img')), ['ComfyUI_00001_.png']);
  const state = async (): Promise<{ loaded_model: string | null; model_loads: number }> => (await r.get('/__standin/state')).json() as Promise<{ loaded_model: string | null; model_loads: number }>;
  assert.deepEqual(await state(), { ...(await state()), loaded_model: 'v1-5-pruned-emaonly-fp16.safetensors', model_loads: 1 });
  assert.equal((await r.post('/free', { unload_models: true })).status, 200);
  await waitFor(async () => (await state()).loaded_model === null);
  await r.post('/free', { free_memory: true });
  await waitFor(async () => ((await (await r.get('/__standin/state')).json()) as { cache_size: number }).cache_size === 0);
  const c = await runPrompt(r, { prompt: TXT2IMG(2), client_id: 'c' });
  assert.deepEqual(cachedOf(c.entry), []);
  assert.equal((await state()).model_loads, 2);
  assert.deepEqual(readdirSync(join(r.dirs.output, 'txt2img')).sort(), ['ComfyUI_00001_.png', 'ComfyUI_00002_.png']);
  const seed = await runPrompt(r, { prompt: TXT2IMG(2, 7), client_id: 'c' });
  assert.deepEqual(cachedOf(seed.entry), ['4', '5', '6', '7'], 'a new seed re-runs the sampler and what follows');
  assert.ok(ws.messages.some((m) => m.type === 'executed' && m.data['prompt_id'] === b.id));
  const none = await startInProcess(t, ['--cache-none']);
  await runPrompt(none, { prompt: EMPTY(), client_id: 'c' });
  const again = await runPrompt(none, { prompt: EMPTY(), client_id: 'c' });
  assert.deepEqual(cachedOf(again.entry), []);
  assert.deepEqual(readdirSync(none.dirs.output).sort(), ['x_00001_.png', 'x_00002_.png']);
});

test('interrupt: only the running prompt_id counts; idle interrupts do not leak into the next prompt', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_STEP_MS: '20' });
  const ws = await connectWs(r.url, 'c');
  await r.post('/interrupt', {});
  const ok = await runPrompt(r, { prompt: EMPTY('idle'), client_id: 'c' });
  assert.equal((ok.entry['status'] as { status_str: string }).status_str, 'success');
  const id = await submit(r, { prompt: TXT2IMG(40), client_id: 'c' });
  await ws.until((m) => m.type === 'progress' && m.data['prompt_id'] === id);
  await r.post('/interrupt', { prompt_id: '00000000-0000-4000-8000-000000000000' });
  await ws.until((m) => m.type === 'progress' && m.data['value'] === 5);
  assert.ok(!ws.messages.some((m) => m.type === 'execution_interrupted'));
  const empty = await r.post('/interrupt', 'not json');
  assert.deepEqual([empty.status, await empty.text(), empty.headers.get('content-type')], [200, '', 'application/octet-stream']);
  const end = await ws.until((m) => m.type === 'execution_interrupted');
  assert.equal(end.data['node_id'], '3');
  const h = await waitFor(async () => ((await (await r.get(`/history/${id}`)).json()) as Record<string, { status: { status_str: string; completed: boolean } }>)[id]);
  assert.deepEqual([h.status.status_str, h.status.completed], ['error', false]);
});
