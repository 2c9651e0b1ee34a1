import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBinaryFrame } from '../../src/comfy/preview.ts';
import { ComfySocket, type ComfySocketEvents } from '../../src/comfy/socket.ts';
import { fakeWsServer, waitFor } from './wsserver.ts';

function record(socket: ComfySocket): Array<{ event: keyof ComfySocketEvents; payload: unknown }> {
  const seen: Array<{ event: keyof ComfySocketEvents; payload: unknown }> = [];
  for (const event of ['open', 'message', 'preview', 'text', 'status', 'close', 'unknown', 'reconnecting', 'dead', 'gave_up'] as const) {
    socket.on(event, (payload) => seen.push({ event, payload }));
  }
  return seen;
}

test('connects with the clientId, sends feature_flags first, opens only on the status greeting', async (t) => {
  const fake = await fakeWsServer(t, { greet: false });
  const socket = new ComfySocket({ baseUrl: fake.baseUrl, clientId: 'client-1' });
  t.after(() => socket.close());
  const seen = record(socket);
  socket.start();
  await waitFor(() => fake.connections[0]?.received.length === 1, 5_000, 'feature flags');
  const conn = fake.connections[0]!;
  assert.equal(conn.url, '/api/ws?clientId=client-1');
  assert.deepEqual(JSON.parse(conn.received[0]!), { type: 'feature_flags', data: { supports_preview_metadata: true } });
  assert.equal(socket.state, 'handshaking');
  assert.ok(!seen.some((s) => s.event === 'open'));
  fake.greet(conn, 2);
  assert.deepEqual(await socket.opened(), { sid: 'client-1', reconnect: false });
  assert.equal(socket.sid, 'client-1');
  await waitFor(() => seen.some((s) => s.event === 'status'));
  assert.deepEqual(seen.find((s) => s.event === 'status')?.payload, { queueRemaining: 2 });
  assert.ok(socket.lastFrameAt > 0);
});

test('emits parsed messages, previews, text, and tolerates unknown frames', async (t) => {
  const fake = await fakeWsServer(t);
  const socket = new ComfySocket({ baseUrl: fake.baseUrl, clientId: 'c' });
  t.after(() => socket.close());
  const seen = record(socket);
  socket.start();
  await socket.opened();
  const ws = fake.connections[0]!.ws;
  ws.send(JSON.stringify({ type: 'execution_start', data: { prompt_id: 'p', timestamp: 1 } }));
  ws.send(JSON.stringify({ type: 'crystools.monitor', data: {} }));
  ws.send('not json');
  ws.send(encodeBinaryFrame({ kind: 'preview', eventType: 4, mimeType: 'image/jpeg', image: Uint8Array.from([1, 2]), metadata: { prompt_id: 'p', image_type: 'image/jpeg' } }));
  ws.send(encodeBinaryFrame({ kind: 'text', eventType: 3, nodeId: '3', text: 'hi' }));
  ws.send(Uint8Array.from([0, 0, 0, 99, 1]));
  ws.send(JSON.stringify({ type: 'execution_success', data: { prompt_id: 'p', timestamp: 2 } }));
  await waitFor(() => seen.filter((s) => s.event === 'message').length >= 3, 5_000, 'messages');
  const types = seen.filter((s) => s.event !== 'status').map((s) => s.event === 'message' ? `message:${(s.payload as { type: string }).type}` : s.event);
  assert.deepEqual(types, ['open', 'message:status', 'message:execution_start', 'unknown', 'unknown', 'preview', 'text', 'unknown', 'message:execution_success']);
});

test('after the server closes the socket it reconnects with the same clientId, old socket fully closed first', async (t) => {
  const fake = await fakeWsServer(t);
  const socket = new ComfySocket({ baseUrl: fake.baseUrl, clientId: 'same', reconnect: { baseMs: 20, maxMs: 100 } });
  t.after(() => socket.close());
  const seen = record(socket);
  socket.start();
  await socket.opened();
  fake.connections[0]!.ws.close(1001, 'going away');
  await waitFor(() => seen.filter((s) => s.event === 'open').length === 2, 5_000, 'second open');
  const [first, second] = fake.connections;
  assert.equal(second?.url, '/api/ws?clientId=same');
  assert.ok(first?.closedAt !== null && first!.closedAt! <= second!.openedAt, 'old socket closed on the server before the new one connected');
  const events = seen.map((s) => s.event).filter((e) => ['open', 'close', 'reconnecting'].includes(e));
  assert.deepEqual(events, ['open', 'close', 'reconnecting', 'open']);
  assert.deepEqual(seen.find((s) => s.event === 'close')?.payload, { code: 1001, reason: 'going away' });
  assert.deepEqual(seen.filter((s) => s.event === 'open')[1]?.payload, { sid: 'same', reconnect: true });
  assert.equal(fake.connections[1]?.received[0], JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
});

test('heartbeat: a peer that stops answering pings is declared dead and replaced', async (t) => {
  const fake = await fakeWsServer(t, { autoPong: false });
  const socket = new ComfySocket({
    baseUrl: fake.baseUrl, clientId: 'hb', heartbeat: { intervalMs: 40, timeoutMs: 150 }, reconnect: { baseMs: 10, maxMs: 20 },
  });
  t.after(() => socket.close());
  const seen = record(socket);
  socket.start();
  await socket.opened();
  await waitFor(() => seen.some((s) => s.event === 'dead'), 5_000, 'dead');
  await waitFor(() => fake.connections.length >= 2 && seen.filter((s) => s.event === 'open').length >= 2, 5_000, 'reconnect');
  assert.ok(fake.connections[0]?.closedAt !== null);
});

test('heartbeat: a quiet but ponging peer stays connected', async (t) => {
  const fake = await fakeWsServer(t);
  const socket = new ComfySocket({ baseUrl: fake.baseUrl, clientId: 'quiet', heartbeat: { intervalMs: 30, timeoutMs: 100 } });
  t.after(() => socket.close());
  const seen = record(socket);
  socket.start();
  await socket.opened();
  const openedFrameAt = socket.lastFrameAt;
  await waitFor(() => Date.now() - openedFrameAt > 400, 2_000);
  assert.ok(!seen.some((s) => s.event === 'dead' || s.event === 'close'));
  assert.equal(socket.lastFrameAt, openedFrameAt, 'pongs do not count as frames');
});

test('no status greeting within openTimeoutMs counts as a failed attempt', async (t) => {
  const fake = await fakeWsServer(t, { greet: false });
  const socket = new ComfySocket({ baseUrl: fake.baseUrl, clientId: 'mute', openTimeoutMs: 100, reconnect: { baseMs: 10, maxMs: 20 } });
  t.after(() => socket.close());
  socket.start();
  await waitFor(() => fake.connections.length >= 2, 5_000, 'second attempt');
  assert.notEqual(fake.connections[0]?.closedAt, null);
});

test('gives up after maxAttempts against a dead port; opened() rejects', async (t) => {
  const fake = await fakeWsServer(t);
  const { baseUrl } = fake;
  await new Promise<void>((resolve) => fake.server.close(() => resolve()));
  const socket = new ComfySocket({ baseUrl, clientId: 'x', reconnect: { baseMs: 5, maxMs: 10, maxAttempts: 3 } });
  t.after(() => socket.close());
  const seen = record(socket);
  socket.start();
  await assert.rejects(socket.opened(), /unreachable/);
  assert.deepEqual(seen.find((s) => s.event === 'gave_up')?.payload, { attempts: 3 });
  assert.equal(seen.filter((s) => s.event === 'reconnecting').length, 3);
  assert.equal(socket.state, 'stopped');
});

test('close() is idempotent, waits for the close event and stops reconnecting', async (t) => {
  const fake = await fakeWsServer(t);
  const socket = new ComfySocket({ baseUrl: fake.baseUrl, clientId: 'bye', reconnect: { baseMs: 5, maxMs: 10 } });
  socket.start();
  await socket.opened();
  const first = socket.close();
  assert.equal(socket.close(), first);
  await first;
  assert.equal(socket.state, 'stopped');
  await waitFor(() => fake.connections[0]?.closedAt !== null, 2_000, 'server saw close');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(fake.connections.length, 1);
  await assert.rejects(socket.opened(), /closed/);
});

test('reconnect(reason) closes the old socket with a handshake before the new one', async (t) => {
  const fake = await fakeWsServer(t);
  const socket = new ComfySocket({ baseUrl: fake.baseUrl, clientId: 'again', reconnect: { baseMs: 5, maxMs: 10 } });
  t.after(() => socket.close());
  const seen = record(socket);
  socket.start();
  await socket.opened();
  socket.reconnect('test');
  await waitFor(() => seen.filter((s) => s.event === 'open').length === 2, 5_000, 'reopen');
  assert.ok(fake.connections[0]!.closedAt! <= fake.connections[1]!.openedAt);
  assert.equal((seen.find((s) => s.event === 'close')?.payload as { code: number }).code, 4000);
});
