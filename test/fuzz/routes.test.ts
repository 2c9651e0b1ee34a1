// Fuzz: every route in the catalog (the same list openapi.yaml is generated from) with random
// path parameters, query strings, headers and bodies. The service never answers an unplanned
// 5xx, every error is problem+json with a known code, and the heap does not grow across the run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertSane, fuzzApp, heapAfterGc, NASTY, RUNS } from './app.ts';

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data', 'multipart/form-data; boundary=x', 'application/problem+json', 'application/octet-stream', '', 'bogus', 'application/json; charset=latin1'];

const text = fc.oneof(fc.constantFrom(...NASTY), fc.string(), fc.string({ unit: 'grapheme' }), fc.uuid(), fc.integer().map(String));
const encode = (s: string) => { try { return encodeURIComponent(s); } catch { return '%ED%A0%80'; /* a lone surrogate, as raw bytes */ } };
const pathValue = fc.oneof(fc.uuid(), text.map(encode), text.filter((s) => /^[\w.~-]*$/.test(s)), fc.constantFrom('solid-color', 'txt2img', '0', '1', '999'));
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc.dictionary(text, fc.jsonValue({ maxDepth: 3 })).map((v) => JSON.stringify(v)),
  text,
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
);
const headers = fc.record({
  'content-type': fc.constantFrom(...CONTENT_TYPES),
  'idempotency-key': text,
  range: fc.oneof(fc.constantFrom('bytes=0-10', 'bytes=-5', 'bytes=5-', 'bytes=9999999-', 'bytes=5-1', 'bytes=a-b', 'items=0-1'), text),
  'last-event-id': text,
  accept: fc.constantFrom('*/*', 'application/json', 'text/event-stream', 'image/png', 'x/y'),
  'x-request-id': text,
  authorization: fc.oneof(text, text.map((s) => `Bearer ${s}`)),
  origin: fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1'),
}, { requiredKeys: [] });

test('fuzz: every route, random params, query, headers and body', { timeout: 120_000 }, async (t) => {
  const app = await fuzzApp(t);
  const routes = app.catalog.entries.filter((r) => r.url !== '/ws' && !(r.method === 'post' && r.url === '/servers'));
  assert.ok(routes.length >= 30, `catalog has ${routes.length} routes`);
  const route = fc.constantFrom(...routes.map((r) => ({ method: r.method, url: r.url })));
  const query = fc.dictionary(fc.oneof(fc.constantFrom('wait', 'status', 'limit', 'cursor', 'metadata', 'template', 'after', 'version', 'tail', 'previews', 'ticket'), text), text, { maxKeys: 4 });
  const sse: string[] = [];
  const warmUp = heapAfterGc();
  let heapAfterWarmUp = 0;
  let runs = 0;
  await fc.assert(fc.asyncProperty(route, fc.array(pathValue, { minLength: 3, maxLength: 3 }), query, headers, body, async (r, values, q, h, payload) => {
    let i = 0;
    const url = r.url.replace(/:[a-zA-Z]+/g, () => values[i++] ?? 'x');
    const qs = new URLSearchParams(q).toString();
    const method = r.method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE';
    const res = await app.inject({ method, url: `${url}${qs ? `?${qs}` : ''}`, headers: h, ...(payload !== undefined && method !== 'GET' ? { payload } : {}) });
    if (String(res.headers['content-type']).startsWith('text/event-stream')) sse.push(url);
    assertSane(res, `${method} ${url}?${qs} ${JSON.stringify(h)} ${String(payload).slice(0, 200)}`);
    if (++runs === 50) heapAfterWarmUp = heapAfterGc();
  }), { numRuns: RUNS * 8 });
  const grew = heapAfterGc() - heapAfterWarmUp;
  t.diagnostic(`${runs} requests over ${routes.length} routes; heap ${Math.round(warmUp / 1e6)} MB at start, grew ${Math.round(grew / 1e6)} MB after warm-up`);
  assert.ok(grew < 30e6, `heap grew by ${Math.round(grew / 1e6)} MB across the run`);
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'still alive');
});
