/** Fault injection through /__standin/ and STANDIN_FAULTS (crash faults are in cli.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OOM_TIP } from '../../src/standin/execute.ts';
import { connectWs, EMPTY, runPrompt, startInProcess, TXT2IMG, waitFor } from './helpers.ts';

interface State {
  faults: { hang: boolean; dropFraction: number; prompt500: number; oom: number; crashOnPrompt: boolean };
  loaded_model: string | null;
  queue: { running: string[]; pending: number };
}

test('hang stops execution and every ws message; hang false resumes', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_STEP_MS: '20' });
  const ws = await connectWs(r.url, 'c');
  const res = await (await r.post('/prompt', { prompt: TXT2IMG(30), client_id: 'c' })).json() as { prompt_id: string };
  await ws.until((m) => m.type === 'progress' && m.data['value'] === 2);
  await r.post('/__standin/faults', { hang: true });
  const frozenAt = ws.messages.length;
  const state1 = await (await r.get('/__standin/state')).json() as State;
  assert.deepEqual([state1.faults.hang, state1.queue.running], [true, [res.prompt_id]]);
  await r.post('/prompt', { prompt: EMPTY(), client_id: 'c' });
  const until = Date.now() + 300;
  await waitFor(() => Date.now() > until);
  assert.equal(ws.messages.length, frozenAt, 'no messages, not even status, while hung');
  assert.deepEqual(await (await r.get(`/history/${res.prompt_id}`)).json(), {});
  await r.post('/__standin/faults', { hang: false });
  await ws.until((m) => m.type === 'execution_success' && m.data['prompt_id'] === res.prompt_id);
});

test('dropFraction 1 drops every ws message; closeSockets closes them all', async (t) => {
  const r = await startInProcess(t, [], {}, );
  const ws = await connectWs(r.url, 'c');
  await r.post('/__standin/faults', { dropFraction: 1 });
  await runPrompt(r, { prompt: EMPTY('d'), client_id: 'c' });
  assert.equal(ws.messages.length, 1, 'only the first status, sent before the fault');
  await r.post('/__standin/faults', { dropFraction: 0 });
  await runPrompt(r, { prompt: EMPTY('e'), client_id: 'c' });
  assert.ok(ws.messages.some((m) => m.type === 'execution_success'));
  const closed = new Promise<number>((res) => ws.ws.once('close', (code) => res(code)));
  const reply = await r.post('/__standin/faults', { closeSockets: true });
  assert.equal(reply.status, 200);
  assert.equal(await closed, 1006);
  assert.equal(((await (await r.get('/__standin/state')).json()) as { faults: Record<string, unknown> }).faults['closeSockets'], undefined, 'one-shot');
});

test('prompt500 answers the next N POST /prompt with aiohttp\'s text 500', async (t) => {
  const r = await startInProcess(t);
  await r.post('/__standin/faults', { prompt500: 2 });
  for (let i = 0; i < 2; i++) {
    const res = await r.post('/prompt', { prompt: EMPTY() });
    assert.deepEqual([res.status, res.headers.get('content-type'), await res.text()], [500, 'text/plain; charset=utf-8', '500 Internal Server Error\n\nServer got itself in trouble']);
  }
  assert.equal((await r.post('/prompt', { prompt: EMPTY() })).status, 200);
  assert.equal((await r.post('/__standin/faults', { prompt500: -1 })).status, 400);
  assert.equal((await r.post('/__standin/faults', { bogus: true })).status, 400);
});

test('oom fails the first model node (or the first node) with torch.OutOfMemoryError and unloads', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_FAULTS: '{"oom": 2}' });
  const ws = await connectWs(r.url, 'c');
  const a = await runPrompt(r, { prompt: TXT2IMG(2), client_id: 'c' });
  const err = await ws.until((m) => m.type === 'execution_error' && m.data['prompt_id'] === a.id);
  assert.deepEqual([err.data['node_id'], err.data['node_type'], err.data['exception_type']], ['4', 'CheckpointLoaderSimple', 'torch.OutOfMemoryError']);
  assert.ok(String(err.data['exception_message']).endsWith(`\n${OOM_TIP}`));
  assert.ok(String(err.data['exception_message']).startsWith('CUDA out of memory.'));
  assert.ok(r.logs.some((l) => l.includes('Got an OOM, unloading all loaded models.')));
  const b = await runPrompt(r, { prompt: EMPTY(), client_id: 'c' });
  const err2 = await ws.until((m) => m.type === 'execution_error' && m.data['prompt_id'] === b.id);
  assert.deepEqual([err2.data['node_id'], err2.data['node_type']], ['1', 'EmptyImage']);
  const c = await runPrompt(r, { prompt: TXT2IMG(2), client_id: 'c' });
  assert.equal((c.entry['status'] as { status_str: string }).status_str, 'success');
  const state = await (await r.get('/__standin/state')).json() as State;
  assert.deepEqual([state.faults.oom, state.loaded_model], [0, 'v1-5-pruned-emaonly-fp16.safetensors']);
});

test('reset clears faults; state reports them', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_FAULTS: '{"prompt500": 3, "dropFraction": 0.5, "crashOnPrompt": false}' });
  const before = await (await r.get('/__standin/state')).json() as State;
  assert.deepEqual(before.faults, { crashOnPrompt: false, hang: false, dropFraction: 0.5, prompt500: 3, oom: 0 });
  await r.post('/__standin/reset', {});
  const after = await (await r.get('/__standin/state')).json() as State;
  assert.deepEqual(after.faults, { crashOnPrompt: false, hang: false, dropFraction: 0, prompt500: 0, oom: 0 });
  assert.equal((await r.get('/api/__standin/state')).status, 404, 'the control API has no /api twin');
});
