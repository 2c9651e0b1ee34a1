import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ComfyClient, type ComfyClientOptions } from '../../src/comfy/client.ts';
import pino from 'pino';
import { ComfyClientClosedError, ComfyPromptError, ComfyPromptLostError, ComfyUnreachableError } from '../../src/comfy/errors.ts';
import { ComfyHttp } from '../../src/comfy/http.ts';
import { encodeBinaryFrame } from '../../src/comfy/preview.ts';
import type { PromptEvent } from '../../src/comfy/run.ts';
import { loadCapture, type WsCapture } from './captures.ts';
import { FakeBackend, FakeSocket, json } from './fakes.ts';
import { waitFor } from './wsserver.ts';

const OUTPUTS = { '3': { images: [{ filename: 'capture_00002_.png', subfolder: '', type: 'output' }] } };
const PROMPT = { '3': { class_type: 'SaveImage', inputs: {} } };

function setup(t: TestContext, options: Partial<ComfyClientOptions> = {}) {
  const backend = new FakeBackend();
  const socket = new FakeSocket();
  const http = new ComfyHttp({ baseUrl: 'http://comfy.test', fetch: backend.fetch });
  const client = new ComfyClient({ baseUrl: 'http://comfy.test', http, socket, historyRetry: { attempts: 5, delayMs: 5 }, ...options });
  t.after(() => client.close());
  return { backend, socket, client };
}

/** The captured run, re-addressed to `promptId`. */
function capturedRun(file: string, promptId: string): unknown[] {
  const original = '910a4ad8-f2d3-4305-aab5-4f34a4b62254';
  return loadCapture<WsCapture[]>(file).map((c) => JSON.parse(JSON.stringify(c.msg).replaceAll(original, promptId)));
}

test('events that arrive before the POST reply are kept; outputs come from /history', async (t) => {
  const { backend, socket, client } = setup(t);
  await client.start();
  backend.historyLag = 2; // history is written just after execution_success
  backend.onPrompt = (body) => {
    const id = String(body['prompt_id']);
    backend.finish(id, 'success', OUTPUTS);
    for (const message of capturedRun('ws_run1_messages.json', id)) socket.send(message);
  };
  const events: PromptEvent[] = [];
  const run = await client.submit(PROMPT, { onEvent: (e) => events.push(e) });
  assert.match(run.promptId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(backend.posted[0]?.['client_id'], 'fake-client');
  assert.equal(backend.posted[0]?.['prompt_id'], run.promptId);
  const result = await run.done;
  assert.equal(result.status, 'success');
  assert.equal(result.source, 'history');
  assert.equal(result.completedBy, 'event');
  assert.deepEqual(result.outputs, OUTPUTS);
  assert.equal(result.messages.length, 2);
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 3), ['execution_start', 'execution_cached', 'progress_state']);
  assert.ok(types.includes('executing') && types.includes('executed'));
  assert.equal(types.at(-1), 'done');
  assert.deepEqual(client.inFlight(), []);
});

test('executing {node:null} alone completes a prompt; the async iterator replays from the start', async (t) => {
  const { backend, socket, client } = setup(t);
  await client.start();
  const run = await client.submit(PROMPT);
  const messages = capturedRun('ws_run1_messages.json', run.promptId).filter((m) => (m as { type: string }).type !== 'execution_success');
  backend.finish(run.promptId, 'success', OUTPUTS);
  for (const message of messages) socket.send(message);
  const seen: string[] = [];
  for await (const event of run) seen.push(event.type);
  assert.equal(seen[0], 'execution_start');
  assert.equal(seen.at(-1), 'done');
  assert.equal((await run.done).status, 'success');
});

test('execution_error ends with the error data; ExecutionBlocked does not end the prompt', async (t) => {
  const { backend, socket, client } = setup(t);
  await client.start();
  const run = await client.submit(PROMPT);
  const id = run.promptId;
  const blocked: PromptEvent[] = [];
  run.on('execution_blocked', (e) => blocked.push(e));
  socket.send({ type: 'execution_error', data: { prompt_id: id, node_id: '4', node_type: 'Gate', executed: [], exception_message: 'blocked\n', exception_type: 'ExecutionBlocked', traceback: [], current_inputs: [], current_outputs: [] } });
  assert.equal(blocked.length, 1);
  assert.equal(run.settled, false);
  const captured = loadCapture<WsCapture[]>('ws_runtime_error_messages.json')
    .map((c) => JSON.parse(JSON.stringify(c.msg).replaceAll('314ca078-addd-4d2f-a8c2-4025cd56b595', id)));
  backend.finish(id, 'error');
  for (const message of captured) socket.send(message);
  const result = await run.done;
  assert.equal(result.status, 'error');
  assert.equal(result.error?.exception_type, 'PIL.UnidentifiedImageError');
  assert.deepEqual(result.outputs, {});
});

test('execution_interrupted ends as interrupted; other prompts and the reconnect hint are ignored', async (t) => {
  const { backend, socket, client } = setup(t);
  await client.start();
  const run = await client.submit(PROMPT);
  const progress: PromptEvent[] = [];
  run.on('executing', (e) => progress.push(e));
  socket.send({ type: 'executing', data: { node: '3' } }); // hint: no prompt_id
  socket.send({ type: 'executing', data: { node: null, prompt_id: 'someone-else' } });
  socket.send({ type: 'executing', data: { node: '2', display_node: '2', prompt_id: run.promptId } });
  backend.finish(run.promptId, 'interrupted');
  socket.send({ type: 'execution_interrupted', data: { prompt_id: run.promptId, node_id: '2', node_type: 'ImageInvert', executed: ['1'], timestamp: 5 } });
  const result = await run.done;
  assert.equal(result.status, 'interrupted');
  assert.equal(result.interrupted?.node_id, '2');
  assert.equal(progress.length, 1);
});

test('previews: type 4 by its prompt_id, legacy type 1 and text to the prompt of ours that is running', async (t) => {
  const { socket, client } = setup(t);
  await client.start();
  const a = await client.submit(PROMPT);
  const b = await client.submit(PROMPT);
  const seen = { a: [] as string[], b: [] as string[] };
  a.onEvent((e) => seen.a.push(e.type));
  b.onEvent((e) => seen.b.push(e.type));
  socket.send({ type: 'execution_start', data: { prompt_id: a.promptId, timestamp: 1 } });
  socket.sendBinary(encodeBinaryFrame({ kind: 'preview', eventType: 1, mimeType: 'image/jpeg', image: Uint8Array.from([1]), metadata: null }));
  socket.sendBinary(encodeBinaryFrame({ kind: 'text', eventType: 3, nodeId: '3', text: 'step' }));
  socket.sendBinary(encodeBinaryFrame({ kind: 'preview', eventType: 4, mimeType: 'image/jpeg', image: Uint8Array.from([1]), metadata: { prompt_id: b.promptId } }));
  socket.send({ type: 'progress', data: { value: 1, max: 2, prompt_id: a.promptId, node: '3' } });
  assert.deepEqual(seen.a, ['execution_start', 'preview', 'text', 'progress']);
  assert.deepEqual(seen.b, ['preview']);
});

test('a 400 rejects submit with ComfyPromptError and tracks nothing', async (t) => {
  const { backend, client } = setup(t);
  await client.start();
  backend.onPrompt = () => json(loadCapture('prompt_error_missing_required_input.json').body, 400);
  const err = await client.submit(PROMPT).catch((e: unknown) => e);
  assert.ok(err instanceof ComfyPromptError);
  assert.equal(err.nodeErrors[0]?.inputName, 'image');
  assert.deepEqual(client.inFlight(), []);
});

test('on reconnect: finished prompts resolve from history, queued ones wait, vanished ones are lost', async (t) => {
  const { backend, socket, client } = setup(t);
  await client.start();
  const reports: unknown[] = [];
  client.on('reconciled', (r) => reports.push(r));
  const done = await client.submit(PROMPT);
  const running = await client.submit(PROMPT);
  const pending = await client.submit(PROMPT);
  const gone = await client.submit(PROMPT);
  backend.finish(done.promptId, 'success', OUTPUTS);
  backend.running = [running.promptId];
  backend.pending = [pending.promptId];
  socket.open(); // the reconnect
  await waitFor(() => reports.length === 1, 2_000, 'reconciled');
  assert.deepEqual(reports[0], { reason: 'socket reconnected', finished: [done.promptId], stillRunning: [running.promptId, pending.promptId], lost: [gone.promptId] });
  const result = await done.done;
  assert.equal(result.completedBy, 'reconcile');
  assert.deepEqual(result.outputs, OUTPUTS);
  const lost = await gone.done.catch((e: unknown) => e);
  assert.ok(lost instanceof ComfyPromptLostError && lost.promptId === gone.promptId);
  assert.deepEqual(new Set(client.inFlight()), new Set([running.promptId, pending.promptId]));
  // A prompt that finished between the /history and /queue reads is not called lost.
  backend.finish(running.promptId, 'success');
  backend.pending = [];
  backend.finish(pending.promptId, 'success');
  const second = await client.reconcile();
  assert.deepEqual(second.lost, []);
  assert.deepEqual(new Set(second.finished), new Set([running.promptId, pending.promptId]));
});

test('interrupt: running → /interrupt, pending → removed from the queue and settled, unknown → not_found', async (t) => {
  const { backend, client } = setup(t);
  await client.start();
  const a = await client.submit(PROMPT);
  const b = await client.submit(PROMPT);
  backend.running = [a.promptId];
  backend.pending = [b.promptId];
  assert.equal(await client.interrupt(a.promptId), 'interrupted');
  assert.ok(backend.calls.includes('POST /interrupt'));
  assert.equal(await client.interrupt(b.promptId), 'dequeued');
  const result = await b.done;
  assert.deepEqual([result.status, result.completedBy], ['interrupted', 'dequeue']);
  assert.equal(await client.interrupt('nope'), 'not_found');
});

test('silence while prompts run: silence event, reconcile, socket reconnect', async (t) => {
  const { backend, socket, client } = setup(t, { silenceMs: 100 });
  await client.start();
  const silences: unknown[] = [];
  client.on('silence', (s) => silences.push(s));
  const run = await client.submit(PROMPT);
  backend.running = [run.promptId];
  socket.lastFrameAt = Date.now() - 10_000;
  await waitFor(() => socket.reconnects.length > 0, 3_000, 'reconnect after silence');
  assert.deepEqual((silences[0] as { promptIds: string[] }).promptIds, [run.promptId]);
  assert.equal(run.settled, false);
});

test('close() is idempotent, rejects in-flight prompts and refuses new ones', async (t) => {
  const { socket, client } = setup(t);
  await client.start();
  const run = await client.submit(PROMPT);
  await Promise.all([client.close(), client.close()]);
  assert.equal(socket.closed, 1);
  await assert.rejects(run.done, ComfyClientClosedError);
  await assert.rejects(client.submit(PROMPT), ComfyClientClosedError);
});

test('when the socket gives up, in-flight prompts fail as unreachable', async (t) => {
  const { socket, client } = setup(t);
  await client.start();
  const run = await client.submit(PROMPT);
  socket.giveUp(5);
  const err = await run.done.catch((e: unknown) => e);
  assert.ok(err instanceof ComfyUnreachableError);
  assert.match(err.message, /gave up after 5 attempts/);
  assert.deepEqual(client.inFlight(), []);
});

test('a pino logger is accepted as is, and hears about reconciliation', async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  const { backend, socket, client } = setup(t, { logger });
  await client.start();
  const run = await client.submit(PROMPT);
  backend.finish(run.promptId, 'success');
  socket.open();
  await run.done;
  assert.ok(lines.some((line) => line.includes('reconciled in-flight prompts')));
});

test('a POST without an answer withdraws the prompt it may have queued', async (t) => {
  const { backend, client } = setup(t);
  await client.start();
  backend.onPrompt = () => {
    throw new TypeError('fetch failed');
  };
  await assert.rejects(client.submit(PROMPT), ComfyUnreachableError);
  await waitFor(() => backend.calls.includes('POST /interrupt'), 2_000, 'withdrawal');
  assert.ok(backend.calls.includes('POST /queue'));
  const id = String(backend.posted[0]?.['prompt_id']);
  assert.deepEqual(client.inFlight(), []);
  assert.match(id, /^[0-9a-f-]{36}$/);
});

test('submit with a caller-chosen promptId; non-canonical ids are refused before any request', async (t) => {
  const { backend, client } = setup(t);
  await client.start();
  const promptId = '6f1c2e3a-2b7d-4c1e-9a55-0b3f2d8e4c11';
  const run = await client.submit(PROMPT, { promptId });
  assert.equal(run.promptId, promptId);
  assert.equal(backend.posted[0]?.['prompt_id'], promptId);
  await assert.rejects(client.submit(PROMPT, { promptId }), /already in flight/);
  await assert.rejects(client.submit(PROMPT, { promptId: '6F1C2E3A-2B7D-4C1E-9A55-0B3F2D8E4C11' }), TypeError);
  assert.equal(backend.posted.length, 1);
});

test('follow: finished → settled from history, queued → followed to the end, unknown → null', async (t) => {
  const { backend, socket, client } = setup(t);
  await client.start();
  const [done, queued, unknown] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
  backend.finish(done, 'success', OUTPUTS);
  backend.pending = [queued];
  const finished = await client.follow(done);
  assert.deepEqual((await finished!.done).outputs, OUTPUTS);
  const events: string[] = [];
  const followed = await client.follow(queued, { onEvent: (e) => events.push(e.type) });
  assert.ok(followed && !followed.settled);
  assert.deepEqual(client.inFlight(), [queued]);
  backend.finish(queued, 'success');
  socket.send({ type: 'execution_success', data: { prompt_id: queued, timestamp: 9 } });
  assert.equal((await followed.done).status, 'success');
  assert.deepEqual(events, ['done']);
  assert.equal(await client.follow(unknown), null);
  assert.deepEqual(client.inFlight(), []);
});
