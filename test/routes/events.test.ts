import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, until, workflow } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';

async function setup(t: TestContext, b = new FakeBackend('b1')) {
  const app = await makeApp(t, {}, { jobSource: new FakeSource([b]), resolver: passThrough });
  return { app, b };
}

function parseSse(body: string): { id?: number; event: string; data: unknown }[] {
  return body.split('\n\n').filter((c) => c.trim() && !c.startsWith(':')).map((chunk) => {
    const f: Record<string, string> = {};
    for (const line of chunk.split('\n')) {
      const i = line.indexOf(': ');
      f[line.slice(0, i)] = line.slice(i + 2);
    }
    return { ...(f.id ? { id: Number(f.id) } : {}), event: f.event ?? '', data: JSON.parse(f.data ?? 'null') };
  });
}

test('SSE: snapshot, then every event with its sequence, ending after the terminal one; Last-Event-ID resumes', async (t) => {
  const { app } = await setup(t);
  const job = (await app.inject({ method: 'POST', url: '/jobs?wait=5', payload: { workflow: workflow() } })).json() as Job;
  const res = await app.inject({ method: 'GET', url: `/jobs/${job.id}/events` });
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  const events = parseSse(res.body);
  assert.equal(events[0]?.event, 'snapshot');
  assert.equal((events[0]?.data as Job).status, 'succeeded');
  const types = events.slice(1).map((e) => e.event);
  // `queued` is not replayed: the snapshot already says so (it is sent live to those watching).
  assert.deepEqual(types, ['started', 'node', 'progress', 'output', 'succeeded']);
  assert.equal(events[1]?.id, 2, 'sequence numbers still count the queued event');
  const output = events.find((e) => e.event === 'output')?.data as { url: string; n: number };
  assert.equal(output.url, `/jobs/${job.id}/outputs/0`);
  const ids = events.slice(1).map((e) => e.id as number);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  const startedSeq = events.find((e) => e.event === 'started')?.id as number;
  const resumed = parseSse((await app.inject({ method: 'GET', url: `/jobs/${job.id}/events`, headers: { 'last-event-id': String(startedSeq) } })).body);
  assert.deepEqual(resumed.slice(1).map((e) => e.event), ['node', 'progress', 'output', 'succeeded']);
});

test('websocket: subscribe gets the snapshot and live events; reconnect with `after` gets the missed ones and the terminal one once', async (t) => {
  const b = new FakeBackend('b1');
  b.autoFinish = false;
  const { app } = await setup(t, b);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const job = (await app.inject({ method: 'POST', url: '/jobs', payload: { workflow: workflow() } })).json() as Job;
  await until(() => b.submitted.length, (n) => n === 1);

  const received: Record<string, unknown>[] = [];
  const ws = new WebSocket(`${address.replace('http', 'ws')}/ws`);
  t.after(() => ws.close());
  ws.on('message', (d) => received.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: job.id }] }));
  await until(() => received.length, (n) => n >= 2);
  assert.equal(received[0]?.type, 'snapshot');
  assert.deepEqual(received.slice(1).map((m) => m.event), ['started']);
  const lastSeen = received.at(-1)?.seq as number;
  ws.close();

  b.finish(b.submitted[0] as string);
  await until(async () => ((await app.inject({ method: 'GET', url: `/jobs/${job.id}` })).json() as Job).status, (s) => s === 'succeeded');

  const again: Record<string, unknown>[] = [];
  const ws2 = new WebSocket(`${address.replace('http', 'ws')}/ws`);
  t.after(() => ws2.close());
  ws2.on('message', (d) => again.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise((r) => ws2.once('open', r));
  ws2.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: job.id, after: lastSeen }] }));
  await until(() => again.filter((m) => m.event === 'succeeded').length, (n) => n === 1);
  assert.deepEqual(again.slice(1).map((m) => m.event), ['node', 'progress', 'output', 'succeeded']);
  ws2.send(JSON.stringify({ type: 'ping', id: 'p1' }));
  await until(() => again.at(-1)?.type, (ty) => ty === 'pong');
  assert.equal(again.filter((m) => m.event === 'succeeded').length, 1);
});

test('websocket: a bad message gets an error and close 4400; an unknown job 4404; other sockets unaffected', async (t) => {
  const { app } = await setup(t);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${address.replace('http', 'ws')}/ws`;
  const bystander = new WebSocket(url);
  t.after(() => bystander.close());
  await new Promise((r) => bystander.once('open', r));

  const closeOf = async (payload: string) => {
    const ws = new WebSocket(url);
    const msgs: string[] = [];
    ws.on('message', (d) => msgs.push(d.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send(payload);
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
    return { code, msgs };
  };
  const bad = await closeOf('{not json');
  assert.equal(bad.code, 4400);
  assert.match(bad.msgs[0] ?? '', /"type":"error"/);
  assert.equal((await closeOf(JSON.stringify({ type: 'subscribe', jobs: [{ id: 'x' }] }))).code, 4400);
  const unknown = await closeOf(JSON.stringify({ type: 'subscribe', jobs: [{ id: '00000000-0000-4000-8000-000000000000' }] }));
  assert.equal(unknown.code, 4404);
  assert.match(unknown.msgs[0] ?? '', /FLEET_JOB_NOT_FOUND/);

  const pong = new Promise<string>((r) => bystander.once('message', (d) => r(d.toString())));
  bystander.send(JSON.stringify({ type: 'ping' }));
  assert.deepEqual(JSON.parse(await pong), { type: 'pong' });
});

test('websocket: a consumer that stops reading gets progress coalesced away, then is closed 4408; memory stays bounded', async (t) => {
  const b = new FakeBackend('b1');
  b.autoFinish = false;
  const { app } = await setup(t, b);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const job = (await app.inject({ method: 'POST', url: '/jobs', payload: { workflow: workflow() } })).json() as Job;
  const ws = new WebSocket(`${address.replace('http', 'ws')}/ws`);
  t.after(() => ws.terminate());
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: job.id }] }));
  await new Promise((r) => ws.once('message', r));
  // Stop reading: the kernel buffers fill and the server's bufferedAmount grows.
  (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  const big = 'x'.repeat(64 * 1024);
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 400; i++) {
    app.bus.publish(job.id, 'progress', { value: i, max: 400, pad: big }, { coalesce: true });
    app.bus.publish(job.id, 'node', { nodeId: String(i), pad: big });
    if (i % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  const grewMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  (ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
  assert.equal(await closed, 4408);
  assert.ok(grewMb < 64, `heap grew ${grewMb.toFixed(1)} MB for a stalled socket`);
  const ring = app.bus.since(job.id, 0);
  assert.equal(ring.filter((e) => e.type === 'progress').length, 1, 'the replay ring keeps only the latest progress');
});
