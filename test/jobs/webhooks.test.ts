import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebhookSender } from '../../src/jobs/webhooks.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { makeJobs, quietLog, tempDb, terminal, until, workflow } from '../helpers/jobs.ts';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

/** Verifies a Standard Webhooks signature independently of the code under test. */
function verify(headers: http.IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(SECRET.slice(6), 'base64');
  const expected = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64');
  return String(headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

test('webhooks: signed (Standard Webhooks), retried with backoff, every attempt recorded on the job', async (t) => {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let fail = 1;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = fail-- > 0 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  const { db } = tempDb(t);
  const checked: string[] = [];
  const webhooks = new WebhookSender({ db, secret: SECRET, log: quietLog, retryScheduleMs: [50, 50], checkUrl: async (u) => { checked.push(u); } });
  const { jobs } = makeJobs(t, new FakeSource([new FakeBackend('b1')]), { db, webhooks });
  const { job } = await jobs.submit({ workflow: workflow(), priority: 0, metadata: {}, webhook: { url } }, { owner: '', idempotencyKey: null });
  await until(() => jobs.get(job.id), terminal);
  const after = await until(() => jobs.get(job.id), (j) => j.webhookDeliveries[0]?.deliveredAt != null, 5000, 'delivery');
  const d = after.webhookDeliveries[0]!;
  assert.equal(d.event, 'succeeded');
  assert.equal(d.attempts, 2);
  assert.equal(d.lastStatus, 204);
  assert.equal(d.nextAttemptAt, null);
  assert.equal(received.length, 2);
  for (const r of received) assert.ok(verify(r.headers, r.body), 'signature verifies');
  assert.equal(received[0]?.headers['webhook-id'], received[1]?.headers['webhook-id'], 'the id is stable across retries');
  const payload = JSON.parse(received[1]!.body) as { type: string; data: { id: string; status: string } };
  assert.equal(payload.type, 'job.succeeded');
  assert.equal(payload.data.id, job.id);
  assert.equal(payload.data.status, 'succeeded');
  assert.deepEqual(checked, [url, url], 'the URL is checked before every delivery');
});

test('webhooks: a refused URL and an unreachable one are retried, then given up, never thrown', async (t) => {
  const { db } = tempDb(t);
  const webhooks = new WebhookSender({ db, secret: SECRET, log: quietLog, retryScheduleMs: [20], checkUrl: async () => { throw new Error('private address refused'); } });
  const { jobs } = makeJobs(t, new FakeSource([new FakeBackend('b1')]), { db, webhooks });
  const { job } = await jobs.submit({ workflow: workflow(), priority: 0, metadata: {}, webhook: { url: 'http://10.0.0.1/x', events: ['failed', 'succeeded'] } }, { owner: '', idempotencyKey: null });
  const after = await until(() => jobs.get(job.id), (j) => j.webhookDeliveries[0]?.attempts === 2 && j.webhookDeliveries[0]?.nextAttemptAt === null, 5000, 'given up');
  assert.equal(after.status, 'succeeded');
  assert.equal(after.webhookDeliveries[0]?.lastError, 'private address refused');
  assert.equal(after.webhookDeliveries[0]?.deliveredAt, null);
});

test('webhooks: the connection goes to the address the guard checked, not to a fresh DNS answer', async (t) => {
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    hosts.push(String(req.headers.host));
    req.resume();
    req.on('end', () => { res.statusCode = 200; res.end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  // `.invalid` never resolves (RFC 6761): only the pinned address can make this delivery work.
  const url = `http://hooks.example.invalid:${port}/x`;
  const { db } = tempDb(t);
  const webhooks = new WebhookSender({ db, secret: SECRET, log: quietLog, retryScheduleMs: [50], checkUrl: async () => ['127.0.0.1'] });
  const { jobs } = makeJobs(t, new FakeSource([new FakeBackend('b1')]), { db, webhooks });
  const { job } = await jobs.submit({ workflow: workflow(), priority: 0, metadata: {}, webhook: { url } }, { owner: '', idempotencyKey: null });
  const after = await until(() => jobs.get(job.id), (j) => j.webhookDeliveries[0]?.deliveredAt != null, 5000, 'delivery');
  assert.equal(after.webhookDeliveries[0]?.attempts, 1);
  assert.deepEqual(hosts, [`hooks.example.invalid:${port}`], 'the Host header keeps the name');
});
