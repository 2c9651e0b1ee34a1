/**
 * ComfyUI #16010: a second socket registered under the same clientId while the first is still
 * open is silently unregistered when the first one closes. First reproduce it against the
 * stand-in (which imitates the bug) with raw sockets, then pin that ComfySocket's reconnect,
 * which waits for the old socket's close, keeps receiving events.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import WebSocket from 'ws';
import { ComfyClient } from '../../src/comfy/client.ts';
import { ComfyHttp } from '../../src/comfy/http.ts';
import { loadExample } from './captures.ts';
import { standinAvailable, startStandin } from './standin.ts';
import { waitFor } from './wsserver.ts';

function prompt(prefix: string): Record<string, unknown> {
  const graph = loadExample('model-free.api.json') as Record<string, { inputs: Record<string, unknown> }>;
  graph['3']!.inputs['filename_prefix'] = prefix;
  return graph;
}

async function openRaw(url: string): Promise<{ ws: WebSocket; types: string[] }> {
  const ws = new WebSocket(url);
  const types: string[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) types.push((JSON.parse(String(data)) as { type: string }).type);
  });
  await waitFor(() => types.includes('status'), 5_000, 'greeting');
  return { ws, types };
}

test('#16010 reproduced: overlapping sockets with one clientId lose the events', { timeout: 60_000 }, async (t) => {
  if (!standinAvailable()) return t.skip('stand-in not available');
  const standin = await startStandin(t);
  const clientId = randomUUID();
  const url = `ws://127.0.0.1:${standin.port}/ws?clientId=${clientId}`;
  const first = await openRaw(url);
  const second = await openRaw(url); // registered while `first` is still open
  t.after(() => second.ws.terminate());
  await new Promise<void>((resolve) => {
    first.ws.once('close', () => resolve());
    first.ws.close();
  });
  const http = new ComfyHttp({ baseUrl: standin.baseUrl });
  const promptId = randomUUID();
  await http.postPrompt({ prompt: prompt('issue16010/bug'), clientId, promptId });
  const deadline = Date.now() + 20_000;
  while ((await http.history(promptId)) === null) {
    assert.ok(Date.now() < deadline, 'prompt finished');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(!second.types.includes('execution_start'), 'the replacement socket was unregistered');
});

test('#16010 avoided: ComfySocket closes the old socket before reconnecting', { timeout: 60_000 }, async (t) => {
  if (!standinAvailable()) return t.skip('stand-in not available');
  const standin = await startStandin(t);
  const client = new ComfyClient({ baseUrl: standin.baseUrl, socketOptions: { reconnect: { baseMs: 10, maxMs: 50 } } });
  t.after(() => client.close());
  await client.start();
  let reopened = false;
  client.socket.on('open', (info) => { reopened ||= info.reconnect; });
  client.socket.reconnect('test');
  await waitFor(() => reopened, 5_000, 'reopen');
  const run = await client.submit(prompt('issue16010/fixed'));
  const result = await run.done;
  assert.equal(result.status, 'success');
  assert.equal(result.completedBy, 'event');
});
