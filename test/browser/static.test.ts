// routes/web.ts: the demo page's files with their types and cache validators, and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

test('GET / serves the page and /web/<file> its scripts and styles, with types, ETag and no-cache', async (t) => {
  const app = await makeApp(t);
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.equal(page.statusCode, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(page.body, /<script type="module" src="\/web\/app.js">/);

  for (const [file, type] of [['app.js', 'text/javascript; charset=utf-8'], ['live.js', 'text/javascript; charset=utf-8'], ['style.css', 'text/css; charset=utf-8']]) {
    const res = await app.inject({ method: 'GET', url: `/web/${file}` });
    assert.equal(res.statusCode, 200, file);
    assert.equal(res.headers['content-type'], type);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const again = await app.inject({ method: 'GET', url: `/web/${file}`, headers: { 'if-none-match': String(res.headers.etag) } });
    assert.equal(again.statusCode, 304, `${file} revalidates`);
    assert.equal(again.body, '');
  }
});

test('GET /web/<file> cannot leave web/ and serves only known types', async (t) => {
  const app = await makeApp(t);
  for (const url of ['/web/..%2Fpackage.json', '/web/%2e%2e%2fsrc%2fapp.ts', '/web/.hidden', '/web/a%5Cb.js']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 400, url);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  }
  for (const url of ['/web/missing.js', '/web/index.md', '/web/app.ts']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().code, 'FLEET_NOT_FOUND');
  }
  // Dot segments are resolved before routing: they can only reach other routes.
  assert.equal((await app.inject({ method: 'GET', url: '/web/../package.json' })).statusCode, 404);
});
