// Shared by the fuzz suites: an app whose templates and workflow validation see a real stand-in's
// /object_info (attached, not spawned), whose jobs run on an in-memory backend, plus the checks
// every answer must pass (never 5xx, errors are problem+json with a known code) and a heap probe.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ERRORS } from '../../src/errors.ts';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { until } from '../helpers/jobs.ts';
import { EXAMPLES_DIR } from '../browser/fleet.ts';
import { startStandin } from '../comfy/standin.ts';

/** Runs per property: bounded so a fuzz file stays well under a minute. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

export async function fuzzApp(t: TestContext, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const standin = await startStandin(t);
  const backend = new FakeBackend('fuzz-1');
  const app = await makeApp(t, {
    COMFY_SERVERS: standin.baseUrl,
    COMFY_PROBE_TIMEOUT_MS: '500',
    TEMPLATES_DIR: EXAMPLES_DIR,
    RATE_LIMIT_PER_MINUTE: '0',
    MAX_QUEUED_PER_KEY: '0',
    ...env,
  }, { startPool: true, jobSource: new FakeSource([backend]) });
  await until(async () => (await app.inject({ method: 'GET', url: '/templates' })).json<{ templates: unknown[] }>().templates.length, (n) => n >= 3, 30_000, 'templates loaded');
  await until(async () => (await app.inject({ method: 'POST', url: '/templates/solid-color/render', payload: {} })).statusCode, (s) => s === 200, 30_000, 'node info from the stand-in');
  return app;
}

/** 5xx the service may answer by design (none of them is a crash): everything else must be < 500. */
const DESIGNED_5XX = new Set(['FLEET_NOT_READY', 'FLEET_NO_NODE_INFO', 'FLEET_QUEUE_FULL', 'FLEET_BACKEND_UNAVAILABLE', 'FLEET_SHUTTING_DOWN']);

export function assertSane(res: LightMyRequestResponse, what: string): void {
  const ctx = `${what} → ${res.statusCode} ${res.body.slice(0, 400)}`;
  if (res.statusCode < 400) return;
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, ctx);
  const body = JSON.parse(res.body) as { code?: string; status?: number };
  assert.ok(typeof body.code === 'string' && body.code in ERRORS, `unknown code: ${ctx}`);
  assert.equal(body.status, res.statusCode, ctx);
  if (res.statusCode >= 500) assert.ok(DESIGNED_5XX.has(body.code), `5xx: ${ctx}`);
}

/** heapUsed after a full GC (V8's gc exposed at run time, so no node flag is needed). */
export function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Strings that tend to break parsers and path handling. */
export const NASTY = ['', ' ', '..', '../../etc/passwd', '%', '%00', '%E0%A4%A', '\u0000', '\ud800', '😀', 'ǅ', '__proto__', 'constructor',
  'prototype', 'toString', 'a'.repeat(5000), '-1', '1e309', 'NaN', 'null', '[]', '{}', '<script>', "'; DROP TABLE jobs; --", '00000000-0000-0000-0000-000000000000'];
