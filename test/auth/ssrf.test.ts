import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeUrlGuard, refusedAddress, type Resolver } from '../../src/auth/ssrf.ts';
import { FleetError } from '../../src/errors.ts';
import { workflow } from '../helpers/jobs.ts';
import { as, keyedApp, KEYS, problemCode } from './helpers.ts';

/** A resolver from a table: no network in tests. */
const table = (entries: Record<string, string[]>): Resolver => async (host) => {
  const addrs = entries[host];
  if (!addrs) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const resolve = table({
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'intranet.example.com': ['192.168.10.20'],
  'mixed.example.com': ['93.184.216.34', '10.1.2.3'],
  'v6local.example.com': ['fd00::1'],
});
const guard = makeUrlGuard({ allowPrivate: false, resolve });

async function refused(url: string): Promise<string> {
  try {
    await guard(url);
  } catch (err) {
    assert.ok(err instanceof FleetError);
    assert.equal(err.code, 'FLEET_URL_FORBIDDEN');
    assert.equal(err.statusCode, 422);
    return err.message;
  }
  assert.fail(`${url} was allowed`);
}

test('loopback, private, link-local, CGNAT, multicast, unspecified and mapped addresses are refused in every spelling', async () => {
  const cases: [string, RegExp][] = [
    ['http://127.0.0.1/hook', /127\.0\.0\.1/],
    ['http://[::1]:8080/', /::1/],
    ['http://2130706433/', /127\.0\.0\.1/], // decimal
    ['http://0x7f.1/', /127\.0\.0\.1/], // hex + short form
    ['http://017700000001/', /127\.0\.0\.1/], // octal
    ['http://0177.0.0.1/', /127\.0\.0\.1/],
    ['http://10.0.0.1/', /10\.0\.0\.1/],
    ['http://172.16.5.4/', /172\.16\.5\.4/],
    ['http://192.168.1.1/', /192\.168\.1\.1/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254/],
    ['http://100.64.0.1/', /100\.64\.0\.1/],
    ['http://224.0.0.1/', /224\.0\.0\.1/],
    ['http://0.0.0.0/', /0\.0\.0\.0/],
    ['http://[::]/', /::/],
    ['http://[::ffff:127.0.0.1]/', /::ffff:7f00:1/],
    ['http://[::ffff:a00:1]/', /::ffff:a00:1/],
    ['http://[fe80::1]/', /fe80::1/],
    ['http://[fd12:3456::1]/', /fd12:3456::1/],
    ['http://[ff02::1]/', /ff02::1/],
    ['http://[64:ff9b::7f00:1]/', /64:ff9b::7f00:1/],
  ];
  for (const [url, why] of cases) assert.match(await refused(url), why, url);
});

test('names are judged by every address they resolve to (injected resolver)', async () => {
  assert.match(await refused('https://intranet.example.com/hook'), /intranet\.example\.com resolves to 192\.168\.10\.20/);
  assert.match(await refused('https://mixed.example.com/hook'), /10\.1\.2\.3/);
  assert.match(await refused('https://v6local.example.com/hook'), /fd00::1/);
  assert.match(await refused('https://nowhere.example.com/hook'), /does not resolve \(ENOTFOUND\)/);
  assert.deepEqual(await guard('https://hooks.example.com/hook'), ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']);
});

test('only http(s) without credentials; public literals pass', async () => {
  assert.match(await refused('file:///etc/passwd'), /file: URLs are not allowed/);
  assert.match(await refused('gopher://example.com/'), /gopher: URLs/);
  assert.match(await refused('https://user:pw@hooks.example.com/'), /credentials/);
  assert.match(await refused('not a url'), /is not a URL/);
  assert.deepEqual(await guard('http://8.8.8.8/'), ['8.8.8.8']);
  assert.deepEqual(await guard('https://[2606:4700:4700::1111]/'), ['2606:4700:4700::1111']);
  assert.equal(refusedAddress('93.184.216.34'), null);
});

test('ALLOW_PRIVATE_URLS lets private targets through (still http(s) only)', async () => {
  const lax = makeUrlGuard({ allowPrivate: true, resolve });
  assert.deepEqual(await lax('http://127.0.0.1:9000/hook'), ['127.0.0.1']);
  assert.deepEqual(await lax('http://intranet.example.com/'), ['192.168.10.20']);
  await assert.rejects(lax('file:///etc/passwd'), /file:/);
});

test('POST /jobs refuses a webhook to a private address with 422 (before queueing); ALLOW_PRIVATE_URLS admits it', async (t) => {
  const { app } = await keyedApp(t);
  for (const url of ['http://127.0.0.1:9/hook', 'http://[::ffff:169.254.169.254]/', 'http://0x7f.1/']) {
    const res = await as(app, KEYS.web, { method: 'POST', url: '/jobs', payload: { workflow: workflow(), webhook: { url } } });
    assert.equal(res.statusCode, 422, url);
    assert.equal(problemCode(res), 'FLEET_URL_FORBIDDEN');
  }
  assert.equal(app.jobs.store.queuedCount(), 0);
  const lax = await keyedApp(t, { ALLOW_PRIVATE_URLS: 'true' });
  const ok = await as(lax.app, KEYS.web, { method: 'POST', url: '/jobs', payload: { workflow: workflow(), webhook: { url: 'http://127.0.0.1:9/hook' } } });
  assert.equal(ok.statusCode, 202);
});
