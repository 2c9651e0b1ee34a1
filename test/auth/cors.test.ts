import assert from 'node:assert/strict';
import { test } from 'node:test';
import { originAllowed } from '../../src/auth/origins.ts';
import { loadConfig } from '../../src/config.ts';
import { keyedApp, KEYS, openWs, wsOutcome } from './helpers.ts';

const ALLOWED = 'https://app.example.com';

test('CORS: an allowed origin gets the preflight and the headers (also on a 401), another gets none', async (t) => {
  const { app } = await keyedApp(t, { CORS_ORIGINS: `${ALLOWED},http://localhost:5173` });
  const preflight = await app.inject({
    method: 'OPTIONS', url: '/jobs',
    headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], ALLOWED);
  assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
  assert.equal(preflight.headers['access-control-allow-credentials'], undefined);

  const denied = await app.inject({ method: 'OPTIONS', url: '/jobs', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  assert.equal(denied.headers['access-control-allow-origin'], undefined);

  const get = await app.inject({ method: 'GET', url: '/jobs', headers: { origin: ALLOWED, authorization: `Bearer ${KEYS.web}` } });
  assert.equal(get.headers['access-control-allow-origin'], ALLOWED);
  assert.match(String(get.headers['access-control-expose-headers']), /retry-after/);
  // The browser app must be able to read a 401 to know it should re-authenticate.
  const unauth = await app.inject({ method: 'GET', url: '/jobs', headers: { origin: ALLOWED } });
  assert.equal(unauth.statusCode, 401);
  assert.equal(unauth.headers['access-control-allow-origin'], ALLOWED);
  const evil = await app.inject({ method: 'GET', url: '/jobs', headers: { origin: 'https://evil.example', authorization: `Bearer ${KEYS.web}` } });
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
});

test('websocket Origin: a listed or same origin connects; any other closes 4403', async (t) => {
  const { app } = await keyedApp(t, { CORS_ORIGINS: ALLOWED });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${address.replace('http', 'ws')}/ws`;
  const auth = { authorization: `Bearer ${KEYS.web}` };
  await openWs(t, url, { ...auth, origin: ALLOWED });
  await openWs(t, url, { ...auth, origin: address });
  await openWs(t, url, auth); // no Origin: not a browser
  const evil = await wsOutcome(url, { headers: { ...auth, origin: 'https://evil.example' } });
  assert.equal(evil.code, 4403);
  assert.match(evil.reason, /not in CORS_ORIGINS/);
});

test('CORS_ORIGINS: origins are validated; * allows any; own origin is always allowed', () => {
  assert.throws(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/path' }), /CORS_ORIGINS/);
  assert.throws(() => loadConfig({ CORS_ORIGINS: 'app.example.com' }), /CORS_ORIGINS/);
  assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).auth.corsOrigins, ['https://a.example', 'http://b.example:8080']);
  assert.equal(originAllowed(['*'], 'https://x.example', undefined), true);
  assert.equal(originAllowed([], 'http://127.0.0.1:8787', '127.0.0.1:8787'), true);
  assert.equal(originAllowed([], 'http://127.0.0.1:8788', '127.0.0.1:8787'), false);
});
