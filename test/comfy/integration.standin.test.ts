/**
 * ComfyClient against the stand-in ComfyUI spawned as a real child process (src/standin/main.ts):
 * a full run with download, a validation error, sockets closed mid-run, the server killed and
 * restarted mid-run, a hung server, and an interrupt. Skipped only when the stand-in is absent.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ComfyClient, type ComfyClientOptions, type ReconcileReport } from '../../src/comfy/client.ts';
import { classifyComfyError, ComfyPromptError, ComfyPromptLostError } from '../../src/comfy/errors.ts';
import { outputFiles } from '../../src/comfy/replies.ts';
import type { PromptEvent } from '../../src/comfy/run.ts';
import { loadExample } from './captures.ts';
import { standinAvailable, startStandin, type Standin } from './standin.ts';
import { waitFor } from './wsserver.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const FAST_SOCKET: ComfyClientOptions['socketOptions'] = {
  reconnect: { baseMs: 50, maxMs: 300 },
  heartbeat: { intervalMs: 200, timeoutMs: 1_000 },
  openTimeoutMs: 2_000,
};

function guard(t: TestContext): boolean {
  if (standinAvailable()) return true;
  t.skip('stand-in not available');
  return false;
}

async function connect(t: TestContext, standin: Standin, options: Partial<ComfyClientOptions> = {}): Promise<ComfyClient> {
  const client = new ComfyClient({ baseUrl: standin.baseUrl, socketOptions: FAST_SOCKET, httpTimeoutMs: 5_000, ...options });
  t.after(() => client.close());
  await client.start();
  return client;
}

/** The model-free graph with a prefix of its own, so no cached result is reused. */
function modelFree(prefix: string): Record<string, unknown> {
  const prompt = loadExample('model-free.api.json') as Record<string, { inputs: Record<string, unknown> }>;
  prompt['3']!.inputs['filename_prefix'] = prefix;
  return prompt;
}

/** txt2img with `steps` sampler steps: slow enough to do something to the server mid-run. */
function slowTxt2img(steps: number, seed: number): Record<string, unknown> {
  const prompt = loadExample('txt2img.api.json') as Record<string, { inputs: Record<string, unknown> }>;
  prompt['3']!.inputs['steps'] = steps;
  prompt['3']!.inputs['seed'] = seed;
  return prompt;
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('model-free workflow: progress, outputs from /history, streamed download via /view', { timeout: 60_000 }, async (t) => {
  if (!guard(t)) return;
  const standin = await startStandin(t);
  const client = await connect(t, standin);
  const events: PromptEvent[] = [];
  const run = await client.submit(modelFree('itest/modelfree'), { onEvent: (e) => events.push(e) });
  const result = await run.done;
  assert.equal(result.status, 'success');
  assert.equal(result.source, 'history');
  const types = new Set(events.map((e) => e.type));
  for (const type of ['execution_start', 'execution_cached', 'executing', 'progress_state', 'executed', 'done'] as const) {
    assert.ok(types.has(type), `saw ${type} (saw ${[...types].join(', ')})`);
  }
  const files = outputFiles(result.outputs);
  assert.equal(files.length, 1);
  const file = files[0]!.file;
  assert.equal(file.subfolder, 'itest');
  assert.ok(existsSync(join(standin.outputDir, file.subfolder ?? '', file.filename)));
  const response = await client.http.view(file);
  assert.equal(response.headers.get('content-type'), 'image/png');
  const bytes = await readAll(response.body!);
  assert.deepEqual([...bytes.subarray(0, 8)], PNG_SIGNATURE);
  assert.deepEqual(client.inFlight(), []);
});

test('a prompt that fails validation rejects with ComfyPromptError (a workflow error)', { timeout: 60_000 }, async (t) => {
  if (!guard(t)) return;
  const standin = await startStandin(t);
  const client = await connect(t, standin);
  const prompt = modelFree('itest/bad') as Record<string, { inputs: Record<string, unknown> }>;
  prompt['1']!.inputs['width'] = 0;
  const err = await client.submit(prompt).catch((e: unknown) => e);
  assert.ok(err instanceof ComfyPromptError, String(err));
  assert.equal(err.errorType, 'prompt_outputs_failed_validation');
  assert.equal(err.nodeErrors[0]?.nodeId, '1');
  assert.equal(err.nodeErrors[0]?.type, 'value_smaller_than_min');
  assert.equal(err.nodeErrors[0]?.inputName, 'width');
  assert.equal(classifyComfyError(err), 'workflow');
  assert.deepEqual(client.inFlight(), []);
});

test('sockets closed by the server mid-run: the client reconnects and the prompt still completes', { timeout: 60_000 }, async (t) => {
  if (!guard(t)) return;
  const standin = await startStandin(t, { STANDIN_STEP_MS: '40', STANDIN_MODEL_LOAD_MS: '10' });
  const client = await connect(t, standin);
  const opens: boolean[] = [];
  client.socket.on('open', (info) => opens.push(info.reconnect));
  let progress = 0;
  let progressAfterReconnect = 0;
  const run = await client.submit(slowTxt2img(40, 1), {
    onEvent: (e) => {
      if (e.type !== 'progress') return;
      progress++;
      if (opens.includes(true)) progressAfterReconnect++;
    },
  });
  await waitFor(() => progress >= 2, 20_000, 'sampler progress');
  await standin.faults({ closeSockets: true });
  const result = await run.done;
  assert.equal(result.status, 'success');
  assert.ok(outputFiles(result.outputs).length >= 1);
  assert.ok(opens.includes(true), 'reconnected');
  // Events reach the new socket under the same clientId: it was not unregistered (#16010).
  assert.ok(progressAfterReconnect > 0, 'progress arrived on the new socket');
  assert.equal(result.completedBy, 'event');
});

test('server killed (SIGKILL) and restarted on the same port: the in-flight prompt is reported lost', { timeout: 60_000 }, async (t) => {
  if (!guard(t)) return;
  const standin = await startStandin(t, { STANDIN_STEP_MS: '50', STANDIN_MODEL_LOAD_MS: '10' });
  const client = await connect(t, standin);
  const reports: ReconcileReport[] = [];
  client.on('reconciled', (r) => reports.push(r));
  let progress = 0;
  const run = await client.submit(slowTxt2img(400, 2), { onEvent: (e) => { if (e.type === 'progress') progress++; } });
  await waitFor(() => progress >= 1, 20_000, 'sampler progress');
  await standin.restart();
  const err = await run.done.catch((e: unknown) => e);
  assert.ok(err instanceof ComfyPromptLostError, String(err));
  assert.equal(err.promptId, run.promptId);
  assert.equal(classifyComfyError(err), 'infrastructure');
  assert.ok(reports.some((r) => r.lost.includes(run.promptId)));
  // The client works again against the new process.
  const again = await client.submit(modelFree('itest/after-restart'));
  assert.equal((await again.done).status, 'success');
});

test('a hung server (no more frames) is noticed as silence while the prompt is in flight', { timeout: 60_000 }, async (t) => {
  if (!guard(t)) return;
  const standin = await startStandin(t, { STANDIN_STEP_MS: '50', STANDIN_MODEL_LOAD_MS: '10' });
  const client = await connect(t, standin, { silenceMs: 500, httpTimeoutMs: 2_000 });
  const silences: Array<{ silentMs: number; promptIds: string[] }> = [];
  client.on('silence', (s) => silences.push(s));
  let progress = 0;
  const run = await client.submit(slowTxt2img(40, 3), { onEvent: (e) => { if (e.type === 'progress') progress++; } });
  await waitFor(() => progress >= 1, 20_000, 'sampler progress');
  await standin.faults({ hang: true });
  await waitFor(() => silences.length > 0, 10_000, 'silence event');
  assert.deepEqual(silences[0]?.promptIds, [run.promptId]);
  assert.ok(Date.now() - client.socket.lastFrameAt >= 500);
  await standin.faults({ hang: false });
  assert.equal((await run.done).status, 'success');
});

test('interrupt: a running prompt ends as interrupted, a pending one is dequeued', { timeout: 60_000 }, async (t) => {
  if (!guard(t)) return;
  const standin = await startStandin(t, { STANDIN_STEP_MS: '50', STANDIN_MODEL_LOAD_MS: '10' });
  const client = await connect(t, standin);
  let progress = 0;
  const running = await client.submit(slowTxt2img(200, 4), { onEvent: (e) => { if (e.type === 'progress') progress++; } });
  const pending = await client.submit(slowTxt2img(200, 5));
  await waitFor(() => progress >= 1, 20_000, 'sampler progress');
  assert.equal(await client.interrupt(pending.promptId), 'dequeued');
  assert.equal(await client.interrupt(running.promptId), 'interrupted');
  const result = await running.done;
  assert.equal(result.status, 'interrupted');
  assert.equal((await pending.done).completedBy, 'dequeue');
});
