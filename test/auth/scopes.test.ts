import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, workflow } from '../helpers/jobs.ts';
import { as, keyedApp, KEYS, problemCode } from './helpers.ts';

test('no credentials: 401 problem with WWW-Authenticate; public routes stay open', async (t) => {
  const { app } = await keyedApp(t);
  const res = await app.inject({ method: 'GET', url: '/jobs' });
  assert.equal(res.statusCode, 401);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="comfy-fleet"');
  assert.equal(problemCode(res), 'FLEET_UNAUTHORIZED');
  for (const url of ['/health', '/openapi.json', '/docs']) {
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  }
});

test('unknown key, wrong scheme, empty bearer → 401', async (t) => {
  const { app } = await keyedApp(t);
  for (const authorization of ['Bearer not-a-key-0123456789', 'Basic b3BzOnNlY3JldA==', 'Bearer ', `Token ${KEYS.admin}`]) {
    const res = await app.inject({ method: 'GET', url: '/jobs', headers: { authorization } });
    assert.equal(res.statusCode, 401, authorization);
    assert.equal(problemCode(res), 'FLEET_UNAUTHORIZED');
  }
});

test('read: lists and reads; cannot submit, cancel, or change servers and templates', async (t) => {
  const { app } = await keyedApp(t);
  for (const url of ['/jobs', '/templates', '/servers', '/auth/whoami']) {
    assert.equal((await as(app, KEYS.reader, { method: 'GET', url })).statusCode, 200, url);
  }
  const submit = await as(app, KEYS.reader, { method: 'POST', url: '/jobs', payload: { workflow: workflow() } });
  assert.equal(submit.statusCode, 403);
  assert.equal(problemCode(submit), 'FLEET_FORBIDDEN');
  assert.match((submit.json() as { detail: string }).detail, /grafana does not have the submit scope/);
  const template = await as(app, KEYS.reader, { method: 'POST', url: '/templates', payload: { name: 'x', workflow: workflow() } });
  assert.equal(template.statusCode, 403);
  const server = await as(app, KEYS.reader, { method: 'POST', url: '/servers', payload: { url: 'http://127.0.0.1:1' } });
  assert.equal(server.statusCode, 403);
});

test('submit: jobs yes (and reading them), servers and templates edits no', async (t) => {
  const { app } = await keyedApp(t);
  const res = await as(app, KEYS.web, { method: 'POST', url: '/jobs', payload: { workflow: workflow() } });
  assert.equal(res.statusCode, 202);
  assert.equal((await as(app, KEYS.web, { method: 'GET', url: '/jobs' })).statusCode, 200);
  assert.equal((await as(app, KEYS.web, { method: 'GET', url: '/templates' })).statusCode, 200);
  assert.equal((await as(app, KEYS.web, { method: 'PUT', url: '/templates/x', payload: { workflow: workflow() } })).statusCode, 403);
  assert.equal((await as(app, KEYS.web, { method: 'DELETE', url: '/templates/x' })).statusCode, 403);
  assert.equal((await as(app, KEYS.web, { method: 'POST', url: '/servers/b1/drain' })).statusCode, 403);
  assert.equal((await as(app, KEYS.web, { method: 'GET', url: '/servers/b1/logs' })).statusCode, 403);
  const who = (await as(app, KEYS.web, { method: 'GET', url: '/auth/whoami' })).json() as { name: string; scopes: string[]; open: boolean };
  assert.deepEqual(who, { name: 'web', scopes: ['read', 'submit'], open: false });
});

test('admin: passes every scope check (errors past auth are the route\'s own)', async (t) => {
  const { app } = await keyedApp(t);
  assert.equal((await as(app, KEYS.admin, { method: 'POST', url: '/jobs', payload: { workflow: workflow() } })).statusCode, 202);
  const del = await as(app, KEYS.admin, { method: 'DELETE', url: '/templates/nope' });
  assert.equal(problemCode(del), 'FLEET_TEMPLATE_NOT_FOUND');
  const drain = await as(app, KEYS.admin, { method: 'POST', url: '/servers/nope/drain' });
  assert.equal(problemCode(drain), 'FLEET_SERVER_NOT_FOUND');
  const who = (await as(app, KEYS.admin, { method: 'GET', url: '/auth/whoami' })).json() as { scopes: string[] };
  assert.deepEqual(who.scopes, ['read', 'submit', 'admin']);
});

test('open mode (no API_KEYS): every route works without credentials, jobs have no owner', async (t) => {
  const app = await makeApp(t, { RATE_LIMIT_PER_MINUTE: '0' }, { jobSource: new FakeSource([new FakeBackend('b1')]), resolver: passThrough, processMetrics: false });
  assert.equal(app.access.open, true);
  assert.equal((await app.inject({ method: 'POST', url: '/jobs', payload: { workflow: workflow() } })).statusCode, 202);
  assert.equal((await app.inject({ method: 'GET', url: '/jobs' })).statusCode, 200);
  const who = (await app.inject({ method: 'GET', url: '/auth/whoami' })).json() as { name: string; open: boolean };
  assert.deepEqual([who.name, who.open], ['', true]);
});
