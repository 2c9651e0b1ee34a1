// Found by test/fuzz/routes.test.ts: a path parameter longer than the router's maxParamLength
// (e.g. GET /servers/<5,000 characters>) and a malformed URL were answered by Fastify's router
// directly — 414/400 as plain application/json with a FST_* code — not as problem+json with a
// FLEET_* code. They now go through the same problem renderer as every other error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

test('router refusals are problem+json with a FLEET_* code', async (t) => {
  const app = await makeApp(t);
  for (const url of [`/servers/${'a'.repeat(5000)}`, `/templates/${'x'.repeat(500)}/workflow`, '/templates/%E0%A4%A', `/jobs/${'9'.repeat(300)}`]) {
    const res = await app.inject({ method: 'GET', url });
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url.slice(0, 40)}: ${res.statusCode}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, url.slice(0, 40));
    const body = res.json<{ code: string; status: number }>();
    assert.match(body.code, /^FLEET_/);
    assert.equal(body.status, res.statusCode);
  }
});
