// Found by test/fuzz/routes.test.ts: POST /uploads with `content-type: multipart/form-data` and no
// boundary (or another body busboy cannot parse) answered 500 FLEET_INTERNAL: busboy throws a
// bare Error. It is a bad request: 400 FLEET_INVALID_REQUEST, as problem+json.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

test('a multipart body busboy cannot parse is a 400, not a 500', async (t) => {
  const app = await makeApp(t);
  for (const ct of ['multipart/form-data', 'multipart/form-data; charset=utf-8', 'multipart/form-data; boundary=']) {
    const res = await app.inject({ method: 'POST', url: '/uploads', headers: { 'content-type': ct }, payload: Buffer.from('x') });
    assert.equal(res.statusCode, 400, `${ct}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.match(res.json<{ code: string }>().code, /^FLEET_(INVALID_REQUEST|UPLOAD_MISSING_FILE)$/);
  }
});
