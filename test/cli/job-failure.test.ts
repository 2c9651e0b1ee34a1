// A job that fails or is cancelled makes `submit` and `watch` exit 1 with the reason on stderr.
// Scripted in-memory backends decide how the job ends, so no timing luck is involved.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, until, workflow } from '../helpers/jobs.ts';
import { BIN, cli } from './run.ts';

async function setup(t: TestContext, b: FakeBackend): Promise<{ app: FastifyInstance; url: string }> {
  const app = await makeApp(t, {}, {
    jobSource: new FakeSource([b]),
    resolver: { resolve: async (input) => ({ ...(await passThrough.resolve({ ...input, workflow: workflow() })), template: input.template ?? null }) },
  });
  app.templates.create({ name: 'tiny', workflow: workflow() });
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

test('cli: a job that fails exits 1 and prints where and why; watch says the same', { timeout: 30_000 }, async (t) => {
  const b = new FakeBackend('b1');
  b.script = ['workflow-error'];
  const { url } = await setup(t, b);

  const r = await cli(['submit', 'tiny'], { url });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /job [0-9a-f-]{36} failed at node #1 \(EmptyImage\): workflow error\n {2}boom\n/);

  const id = /job ([0-9a-f-]{36}) failed/.exec(r.stderr)?.[1] as string;
  const w = await cli(['watch', id], { url });
  assert.equal(w.code, 1);
  assert.match(w.stdout, /failed\s+boom/);
  assert.match(w.stderr, /failed at node #1/);
});

test('cli: a job cancelled while submit follows it exits 1 with "was cancelled"', { timeout: 30_000 }, async (t) => {
  const b = new FakeBackend('b1');
  b.autoFinish = false;
  const { app, url } = await setup(t, b);

  const child = spawn(process.execPath, [BIN, 'submit', 'tiny', '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { child.kill(); });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

  await until(() => b.submitted.length, (n) => n === 1, 15_000, 'the job to reach the backend');
  await until(() => stderr, (s) => s.includes('running'), 15_000, 'the CLI to show the job running');
  const [job] = (await app.inject({ method: 'GET', url: '/jobs' })).json().jobs as { id: string }[];
  await app.inject({ method: 'POST', url: `/jobs/${job?.id}/cancel` });

  assert.equal(await exited, 1);
  assert.match(stderr, /was cancelled/);
});
