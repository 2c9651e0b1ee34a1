// Every route either declares a scope (its `config.scope`) or is listed in src/auth/policy.ts.
// A new route that does neither fails here (at runtime it would need admin: fail closed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyedApp } from './helpers.ts';

const PUBLIC = ['get /', 'get /docs', 'get /docs/:asset', 'get /health', 'get /openapi.json', 'get /openapi.yaml', 'get /ready', 'get /web/:file'];

test('every route in the catalog has a scope; the public ones are exactly the probes, docs and demo page', async (t) => {
  const { app } = await keyedApp(t);
  assert.deepEqual(app.access.undeclared, [], 'routes with no scope: add `config: { scope }` or an entry in src/auth/policy.ts');
  const missing = app.catalog.entries.filter((e) => app.access.scopeOf(e.method, e.url) === undefined).map((e) => `${e.method} ${e.url}`);
  assert.deepEqual(missing, []);
  const open = app.catalog.entries.filter((e) => app.access.scopeOf(e.method, e.url) === 'public').map((e) => `${e.method} ${e.url}`).sort();
  assert.deepEqual(open, PUBLIC.filter((r) => app.catalog.entries.some((e) => `${e.method} ${e.url}` === r)).sort());
  assert.equal(app.access.scopeOf('get', '/metrics'), 'read');
  assert.equal(app.access.scopeOf('post', '/jobs'), 'submit');
  assert.equal(app.access.scopeOf('post', '/servers'), 'admin');
});

test('METRICS_PUBLIC=true makes /metrics the only extra public route', async (t) => {
  const { app } = await keyedApp(t, { METRICS_PUBLIC: 'true' });
  assert.equal(app.access.scopeOf('get', '/metrics'), 'public');
});
