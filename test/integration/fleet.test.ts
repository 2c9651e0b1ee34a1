// End to end against real stand-in ComfyUI processes spawned by the pool: templates, uploads,
// chaining across servers, the cached-prompt case, and infrastructure failures mid-job.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Job } from '../../src/jobs/schemas.ts';
import { testConfig } from '../helpers/config.ts';
import { terminal, until } from '../helpers/jobs.ts';
import { EXAMPLES_DIR } from '../browser/fleet.ts';

interface Server { id: string; url: string; state: string; pid: number | null }

let app: FastifyInstance;
let url: string;

const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
};
const servers = async () => (await api<{ servers: Server[] }>('GET', '/servers')).json.servers;
const waitJob = (id: string, ms = 30_000) => until(async () => (await api<Job>('GET', `/jobs/${id}`)).json, terminal, ms, `job ${id} to finish`);
const submit = async (body: unknown) => {
  const r = await api<Job>('POST', '/jobs', body);
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return r.json;
};
async function pixel(jobId: string, n = 0): Promise<[number, number, number]> {
  const res = await fetch(`${url}/jobs/${jobId}/outputs/${n}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
  return [png.data[0] as number, png.data[1] as number, png.data[2] as number];
}

describe('a fleet of two spawned stand-ins', { concurrency: false }, () => {
  before(async () => {
    process.env.STANDIN_STEP_MS = '50';
    app = await buildApp(testConfig({
      COMFY_SERVERS: '',
      COMFY_SIMULATED: 'true',
      COMFY_SPAWN_COUNT: '2',
      COMFY_STOP_GRACE_MS: '2000',
      COMFY_RESTART_BACKOFF_MS: '200',
      COMFY_EXTRA_ARGS: '--preview-method auto',
      JOB_SILENCE_MS: '1500',
      TEMPLATES_DIR: EXAMPLES_DIR,
    }), { logger: false });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    await until(servers, (s) => s.length === 2 && s.every((x) => x.state === 'ready'), 60_000, 'two ready stand-ins');
    await until(async () => (await api<{ templates: unknown[] }>('GET', '/templates')).json.templates.length, (n) => n >= 3, 10_000, 'example templates');
  });
  after(() => app.close());

  test('a template job runs with its parameters and its output is a real PNG', async () => {
    const job = await submit({ template: 'solid-color', params: { width: 8, height: 8, color: 0xff0000 } });
    const done = await waitJob(job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.outputs.length, 1);
    assert.deepEqual(await pixel(done.id), [0, 255, 255], 'red, inverted');
    assert.ok(done.timings.comfyMs !== null && done.timings.overheadMs !== null);
  });

  test('previews: the stand-in\'s binary preview frames reach a websocket subscriber as binary frames naming the job', async () => {
    const job = await submit({ template: 'txt2img', params: { steps: 8 } });
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    const frames: Buffer[] = [];
    const events: string[] = [];
    ws.on('message', (d, isBinary) => {
      if (isBinary) frames.push(d as Buffer);
      else events.push((JSON.parse(d.toString()) as { event?: string }).event ?? '');
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: job.id }] }));
    await until(() => events, (e) => e.includes('succeeded'), 30_000, 'the job to finish on the socket');
    ws.close();
    assert.ok(frames.length > 0, 'at least one preview frame');
    const f = frames[0] as Buffer;
    const len = f.readUInt32BE(0);
    const header = JSON.parse(f.subarray(4, 4 + len).toString()) as { jobId: string; seq: number; mime: string };
    assert.equal(header.jobId, job.id);
    assert.equal(header.mime, 'image/png');
    assert.ok(f.subarray(4 + len, 12 + len).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG bytes follow the header');
  });

  test('the cached-prompt case: ComfyUI answers from cache, the outputs are still collected', async () => {
    const params = { width: 8, height: 8, color: 0x00ff00, prefix: 'cached/x' };
    const first = await waitJob((await submit({ template: 'solid-color', params })).id);
    const second = await waitJob((await submit({ template: 'solid-color', params })).id);
    assert.equal(second.status, 'succeeded');
    if (first.backendId === second.backendId) {
      assert.equal(second.outputs[0]?.filename, first.outputs[0]?.filename, 'same backend: the cached file is reported again');
    }
    assert.deepEqual(await pixel(second.id), [255, 0, 255]);
  });

  test('uploads: stored by content, deduplicated, fed to a LoadImage parameter', async () => {
    const png = new PNG({ width: 2, height: 2 });
    png.data.fill(255);
    const bytes = PNG.sync.write(png);
    const send = async () => {
      const form = new FormData();
      form.set('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'white.png');
      const res = await fetch(`${url}/uploads`, { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as { id: string } };
    };
    const a = await send();
    const b = await send();
    assert.equal(a.status, 201);
    assert.equal(b.status, 200);
    assert.equal(a.body.id, b.body.id);
    const done = await waitJob((await submit({ template: 'invert-image', params: { image: { upload: a.body.id } } })).id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(await pixel(done.id), [0, 0, 0], 'white, inverted');
    const bad = await api<{ code: string }>('POST', '/jobs', { template: 'invert-image', params: { image: { upload: 'f'.repeat(64) } } });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.code, 'FLEET_PARAMS_INVALID');
  });

  test('chaining: a job reads another job\'s output on a different server', async () => {
    const first = await waitJob((await submit({ template: 'solid-color', params: { width: 4, height: 4, color: 0x0000ff } })).id);
    assert.equal(first.status, 'succeeded');
    // Drain the server that made it, so the second job has to run on the other one.
    assert.equal((await api('POST', `/servers/${first.backendId}/drain`)).status, 200);

    const second = await waitJob((await submit({ template: 'invert-image', params: { image: { fromJob: first.id, output: 0 } } })).id);
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.notEqual(second.backendId, first.backendId);
    assert.deepEqual(await pixel(second.id), [0, 0, 255], 'inverted twice: blue again');
    await api('POST', `/servers/${first.backendId}/restart`);
    await until(servers, (s) => s.every((x) => x.state === 'ready'), 30_000, 'drained server back');
  });

  test('kill -9 of a backend mid-job: the job completes on the other one', async () => {
    const job = await submit({ template: 'txt2img', params: { steps: 60 } });
    const running = await until(async () => (await api<Job>('GET', `/jobs/${job.id}`)).json, (j) => j.status === 'running' && (j.progress?.value ?? 0) > 0, 20_000, 'job running');
    const victim = (await servers()).find((s) => s.id === running.backendId);
    assert.ok(victim?.pid);
    process.kill(victim.pid, 'SIGKILL');
    const done = await waitJob(job.id, 60_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.attempts));
    assert.equal(done.attempts[0]?.outcome, 'infrastructure');
    assert.equal(done.attempts.at(-1)?.outcome, 'succeeded');
    assert.notEqual(done.attempts.at(-1)?.backendId, victim.id);
    await until(servers, (s) => s.every((x) => x.state === 'ready'), 30_000, 'the killed server restarted');
  });

  test('a hung backend: the watchdog recovers the job', async () => {
    const job = await submit({ template: 'txt2img', params: { steps: 60 } });
    const running = await until(async () => (await api<Job>('GET', `/jobs/${job.id}`)).json, (j) => j.status === 'running' && (j.progress?.value ?? 0) > 0, 20_000, 'job running');
    const hung = (await servers()).find((s) => s.id === running.backendId) as Server;
    const res = await fetch(`${hung.url}/__standin/faults`, { method: 'POST', body: JSON.stringify({ hang: true }) });
    assert.equal(res.status, 200);
    const done = await waitJob(job.id, 60_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.attempts));
    assert.equal(done.attempts[0]?.outcome, 'infrastructure');
    assert.match(done.attempts[0]?.error?.message ?? '', /hung|lost|crash|interrupt/);
  });
});


