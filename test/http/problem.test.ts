import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code: string) {
  assert.equal(res.statusCode, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const p = JSON.parse(res.body) as Record<string, unknown>;
  assert.equal(p.status, status);
  assert.equal(p.code, code);
  assert.equal(typeof p.title, 'string');
  assert.equal(typeof p.detail, 'string');
  assert.equal(p.type, `https://comfy-fleet.dev/errors/${code}`);
  assert.doesNotMatch(res.body, /at .*\.ts:\d+/, 'no stack trace');
  return p;
}

test('unknown route → 404 problem+json', async (t) => {
  const app = await makeApp(t);
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
  const p = assertProblem(res, 404, 'FLEET_ROUTE_NOT_FOUND');
  assert.equal(p.detail, 'No route GET /nope');
});

test('bad JSON, wrong content type and oversize bodies answer problem+json', async (t) => {
  const app = await makeApp(t, { BODY_LIMIT_BYTES: '2048' }, { setup: (a) => a.post('/echo-test', async (req) => req.body) });
  assertProblem(await app.inject({ method: 'POST', url: '/echo-test', headers: { 'content-type': 'application/json' }, payload: '{"a":' }), 400, 'FLEET_BAD_JSON');
  assertProblem(await app.inject({ method: 'POST', url: '/echo-test', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }), 415, 'FLEET_UNSUPPORTED_MEDIA_TYPE');
  assertProblem(await app.inject({ method: 'POST', url: '/echo-test', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ a: 'x'.repeat(4096) }) }), 413, 'FLEET_BODY_TOO_LARGE');
});

test('request ids are echoed or minted', async (t) => {
  const app = await makeApp(t);
  const given = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
  assert.equal(given.headers['x-request-id'], 'abc-123');
  const minted = await app.inject({ method: 'GET', url: '/health' });
  assert.match(String(minted.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});
