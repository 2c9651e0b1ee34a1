// A multipart upload whose body ends inside the file part (no closing boundary) hung until the
// client gave up: busboy reports the error on itself, and the file stream never ended.
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

test('a truncated multipart upload answers 400 promptly and keeps no partial file', { timeout: 10_000 }, async (t) => {
  const app = await makeApp(t);
  const boundary = 'B123';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
  ]);
  const res = await app.inject({ method: 'POST', url: '/uploads', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  assert.equal(res.statusCode, 400);
  assert.equal((res.json() as { code: string }).code, 'FLEET_INVALID_REQUEST');
  const dir = path.join(app.config.dataDir, 'uploads');
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
});
