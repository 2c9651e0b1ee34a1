// Keys and an app with them, shared by the access-control tests.
import type { TestContext } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import WebSocket from 'ws';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, workflow } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';

export const KEYS = {
  admin: 'ops-0123456789abcdef-admin',
  web: 'web-0123456789abcdef-submit',
  mobile: 'mob-0123456789abcdef-submit',
  reader: 'graf-0123456789abcdef-read',
} as const;

export const API_KEYS = `ops:${KEYS.admin}:admin,web:${KEYS.web}:submit,mobile:${KEYS.mobile}:submit,grafana:${KEYS.reader}:read`;

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export async function keyedApp(t: TestContext, env: Record<string, string> = {}, backends = [new FakeBackend('b1')]) {
  const source = new FakeSource(backends);
  const app = await makeApp(t, { API_KEYS, RATE_LIMIT_PER_MINUTE: '0', ...env }, { jobSource: source, resolver: passThrough, processMetrics: false });
  return { app, source, backend: backends[0] as FakeBackend };
}

export async function as(app: FastifyInstance, key: string | null, opts: InjectOptions) {
  return app.inject({ ...opts, headers: { ...(opts.headers ?? {}), ...(key ? bearer(key) : {}) } });
}

export async function submitAs(app: FastifyInstance, key: string, extra: Record<string, unknown> = {}): Promise<Job> {
  const res = await as(app, key, { method: 'POST', url: '/jobs', payload: { workflow: workflow(), ...extra } });
  if (res.statusCode !== 202) throw new Error(`submit failed: ${res.statusCode} ${res.body}`);
  return res.json() as Job;
}

export const problemCode = (res: { json: () => unknown }) => (res.json() as { code: string }).code;

/** Opens a websocket and resolves with the close code (and the messages seen before it). */
export async function wsOutcome(url: string, opts: { headers?: Record<string, string>; send?: unknown } = {}) {
  const ws = new WebSocket(url, { headers: opts.headers ?? {} });
  const msgs: Record<string, unknown>[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Record<string, unknown>));
  ws.on('error', () => undefined);
  if (opts.send !== undefined) ws.once('open', () => ws.send(JSON.stringify(opts.send)));
  const [code, reason] = await new Promise<[number, string]>((r) => ws.once('close', (c, why) => r([c, why.toString()])));
  return { code, reason, msgs };
}

/** Opens a websocket and waits until it is open; the caller closes it. */
export async function openWs(t: TestContext, url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  t.after(() => ws.close());
  const msgs: Record<string, unknown>[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return { ws, msgs };
}
