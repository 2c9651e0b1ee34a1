// Names from clients and from ComfyUI output descriptors never reach the file system as paths.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, workflow } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';

const png = () => {
  const p = new PNG({ width: 1, height: 1 });
  p.data.fill(7);
  return PNG.sync.write(p);
};

function multipart(filename: string, body: Buffer): { payload: Buffer; headers: Record<string, string> } {
  const boundary = 'X-BOUNDARY-1234';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`),
    body,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

test('output descriptors with path parts: cached by job and index, served under their base name only', async (t) => {
  const b = new FakeBackend('b1');
  b.outputFiles = [
    { filename: '../../../../etc/passwd', subfolder: '../../..', type: 'output' },
    { filename: '/abs/evil".png', subfolder: '/etc', type: 'output' },
    { filename: '..%2F..%2Fenc.png', subfolder: '%2e%2e', type: 'output' },
  ];
  const app = await makeApp(t, {}, { jobSource: new FakeSource([b]), resolver: passThrough });
  const job = (await app.inject({ method: 'POST', url: '/jobs?wait=5', payload: { workflow: workflow() } })).json() as Job;
  assert.equal(job.status, 'succeeded');
  const names = [];
  for (let n = 0; n < 3; n++) {
    const res = await app.inject({ method: 'GET', url: `/jobs/${job.id}/outputs/${n}` });
    assert.equal(res.statusCode, 200);
    names.push(res.headers['content-disposition']);
  }
  assert.deepEqual(names, ['inline; filename="passwd"', 'inline; filename="evil_.png"', 'inline; filename="..%2F..%2Fenc.png"']);
  const cacheDir = path.join(app.config.dataDir, 'outputs');
  assert.deepEqual(readdirSync(cacheDir), [job.id], 'nothing is written beside the job\'s own cache folder');
  for (const url of [`/jobs/${job.id}/outputs/..%2F..`, `/jobs/${job.id}/outputs/-1`, `/jobs/..%2F..%2Fetc/outputs/0`]) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 400, url);
    assert.equal((res.json() as { code: string }).code, 'FLEET_INVALID_REQUEST');
  }
});

test('upload file names with path parts are display-only; the file is stored by content hash', async (t) => {
  const app = await makeApp(t);
  for (const name of ['../../escape.png', '/etc/abs.png', '..\\..\\win.png', '%2e%2e%2fenc.png']) {
    const { payload, headers } = multipart(name, png());
    const res = await app.inject({ method: 'POST', url: '/uploads', payload, headers });
    assert.ok(res.statusCode === 201 || res.statusCode === 200, `${name}: ${res.body}`);
    const body = res.json() as { id: string; filename: string };
    assert.match(body.id, /^[0-9a-f]{64}$/);
    assert.ok(!body.filename.includes('/') && !body.filename.includes('\\'), body.filename);
  }
  assert.equal(existsSync(path.join(app.config.dataDir, '..', 'escape.png')), false);
  assert.deepEqual(readdirSync(path.join(app.config.dataDir, 'uploads')).length, 1, 'one stored file: same bytes, same id');
  for (const id of ['..%2F..%2Ffleet.db', '../fleet.db', 'A'.repeat(64)]) {
    const res = await app.inject({ method: 'GET', url: `/uploads/${id}` });
    assert.ok(res.statusCode === 404 || res.statusCode === 400, `${id}: ${res.statusCode}`);
    assert.match(String(res.headers['content-type']), /problem\+json/);
  }
});

test('a raw workflow over the node limit is refused with 413 before anything is queued', async (t) => {
  const app = await makeApp(t, { WORKFLOW_MAX_NODES: '3' });
  const big = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [String(i), { class_type: 'EmptyImage', inputs: {} }]));
  const res = await app.inject({ method: 'POST', url: '/jobs', payload: { workflow: big } });
  assert.equal(res.statusCode, 413);
  assert.equal((res.json() as { code: string }).code, 'FLEET_BODY_TOO_LARGE');
  assert.equal(((await app.inject({ method: 'GET', url: '/jobs' })).json() as { jobs: unknown[] }).jobs.length, 0);
});

test('uploads over UPLOAD_MAX_BYTES get 413 and leave nothing behind; a non-image gets 415', async (t) => {
  const app = await makeApp(t, { UPLOAD_MAX_BYTES: '2048' });
  const bigPng = Buffer.concat([png(), Buffer.alloc(4096, 1)]);
  const big = multipart('big.png', bigPng);
  const res = await app.inject({ method: 'POST', url: '/uploads', payload: big.payload, headers: big.headers });
  assert.equal(res.statusCode, 413);
  assert.equal((res.json() as { code: string }).code, 'FLEET_BODY_TOO_LARGE');
  const text = multipart('notes.png', Buffer.from('just text, not an image'));
  const bad = await app.inject({ method: 'POST', url: '/uploads', payload: text.payload, headers: text.headers });
  assert.equal(bad.statusCode, 415);
  assert.equal((bad.json() as { code: string }).code, 'FLEET_UPLOAD_TYPE');
  const dir = path.join(app.config.dataDir, 'uploads');
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], [], 'no partial files kept');
});
