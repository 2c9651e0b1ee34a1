// Found by test/fuzz/routes.test.ts: GET /docs/__proto__ (or /docs/constructor, /docs/toString)
// looked the name up in a plain object of asset types, found Object.prototype's member, and tried
// to stream a file that does not exist: 500. Only the object's own keys are assets now: 404.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

test('GET /docs/<Object.prototype member> is 404 problem+json', async (t) => {
  const app = await makeApp(t);
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    const res = await app.inject({ method: 'GET', url: `/docs/${name}` });
    assert.equal(res.statusCode, 404, `${name}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json<{ code: string }>().code, 'FLEET_NOT_FOUND');
  }
});
