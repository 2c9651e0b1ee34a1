import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { FakeBackend } from '../helpers/fake-backend.ts';
import { until } from '../helpers/jobs.ts';
import { as, keyedApp, KEYS, openWs, submitAs } from '../auth/helpers.ts';

/** The value of one sample in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

async function scrape(app: Awaited<ReturnType<typeof keyedApp>>['app'], key: string | null = KEYS.reader): Promise<string> {
  const res = await as(app, key, { method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return res.body;
}

test('/metrics needs the read scope, unless METRICS_PUBLIC=true', async (t) => {
  const { app } = await keyedApp(t);
  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
  await scrape(app, KEYS.reader);
  const open = await keyedApp(t, { METRICS_PUBLIC: 'true' });
  await scrape(open.app, null);
});

test('job metrics move: states, queue depth, duration and overhead histograms', async (t) => {
  const { app, backend, source } = await keyedApp(t);
  const before = await scrape(app);
  assert.equal(sample(before, 'fleet_jobs', { state: 'succeeded' }), 0);
  assert.equal(sample(before, 'fleet_job_duration_seconds_count', { status: 'succeeded' }), undefined);

  backend.up = false;
  const a = await submitAs(app, KEYS.web);
  await submitAs(app, KEYS.web);
  const queued = await scrape(app);
  assert.equal(sample(queued, 'fleet_jobs', { state: 'queued' }), 2);
  assert.equal(sample(queued, 'fleet_queue_depth'), 2);

  backend.up = true;
  source.changed();
  await until(() => app.jobs.store.withStatus('succeeded').length, (n) => n === 2);
  const after = await until(() => scrape(app), (s) => sample(s, 'fleet_job_duration_seconds_count', { status: 'succeeded' }) === 2);
  assert.equal(sample(after, 'fleet_jobs', { state: 'succeeded' }), 2);
  assert.equal(sample(after, 'fleet_jobs', { state: 'queued' }), 0);
  assert.equal(sample(after, 'fleet_queue_depth'), 0);
  assert.equal(sample(after, 'fleet_job_queue_wait_seconds_count'), 2);
  assert.notEqual(app.jobs.get(a.id).timings.overheadMs, null);
  assert.equal(sample(after, 'fleet_job_overhead_seconds_count'), 2);
  assert.ok((sample(after, 'fleet_job_duration_seconds_sum', { status: 'succeeded' }) ?? -1) >= 0);
  // Process metrics are off in tests; the registry is the app's own, so nothing else leaks in.
  assert.equal(sample(after, 'fleet_process_cpu_user_seconds_total'), undefined);
});

test('websocket and SSE clients are counted while connected', async (t) => {
  const { app, backend } = await keyedApp(t);
  backend.autoFinish = false;
  const job = await submitAs(app, KEYS.web);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  assert.equal(sample(await scrape(app), 'fleet_websocket_clients'), 0);
  const { ws } = await openWs(t, `${address.replace('http', 'ws')}/ws`, { authorization: `Bearer ${KEYS.web}` });
  assert.equal(sample(await scrape(app), 'fleet_websocket_clients'), 1);
  ws.close();
  await until(() => scrape(app), (s) => sample(s, 'fleet_websocket_clients') === 0);

  const req = http.get(`${address}/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${KEYS.web}` } });
  const res = await new Promise<http.IncomingMessage>((r) => req.once('response', r));
  assert.equal(res.statusCode, 200);
  await until(() => scrape(app), (s) => sample(s, 'fleet_sse_clients') === 1);
  req.destroy();
  await until(() => scrape(app), (s) => sample(s, 'fleet_sse_clients') === 0);
});

test('backends by state and webhook deliveries by outcome', async (t) => {
  const { app } = await keyedApp(t);
  const text = await scrape(app);
  const states = app.pool.list().map((b) => b.state);
  for (const s of new Set(states)) assert.equal(sample(text, 'fleet_backends', { state: s }), states.filter((x) => x === s).length);
  assert.equal(sample(text, 'fleet_backends', { state: 'ready' }) ?? 0, states.filter((x) => x === 'ready').length);
  assert.equal(sample(text, 'fleet_webhook_deliveries_total', { outcome: 'delivered' }), 0);
  app.metrics.webhookDelivered('delivered');
  app.metrics.webhookDelivered('failed');
  app.metrics.webhookDelivered('failed');
  const later = await scrape(app);
  assert.equal(sample(later, 'fleet_webhook_deliveries_total', { outcome: 'delivered' }), 1);
  assert.equal(sample(later, 'fleet_webhook_deliveries_total', { outcome: 'failed' }), 2);
});

test('restarts per backend come from the pool summary, defensively', async (t) => {
  const { app } = await keyedApp(t, {}, [new FakeBackend('b1')]);
  const text = await scrape(app);
  for (const b of app.pool.list()) assert.equal(sample(text, 'fleet_backend_restarts', { backend: b.id }), b.restarts ?? 0);
});
