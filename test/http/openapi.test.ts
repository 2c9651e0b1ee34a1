import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ERRORS } from '../../src/errors.ts';
import { makeApp } from '../helpers/app.ts';
import { renderOpenApiYaml } from '../helpers/openapi.ts';

const committedPath = new URL('../../openapi.yaml', import.meta.url);

test('openapi.yaml is up to date with the routes (run `npm run openapi` to regenerate)', async () => {
  const fresh = await renderOpenApiYaml();
  const committed = readFileSync(committedPath, 'utf8');
  assert.equal(committed, fresh, 'openapi.yaml is stale: run `npm run openapi` and commit the result');
});

test('every registered route is in the served document', async (t) => {
  const app = await makeApp(t);
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(doc.openapi, '3.1.0');
  for (const e of app.catalog.entries) {
    if ((e.schema as { hide?: boolean }).hide) continue;
    const url = e.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    assert.ok(doc.paths[url]?.[e.method], `${e.method.toUpperCase()} ${e.url} missing from openapi`);
  }
  const yaml = await app.inject({ method: 'GET', url: '/openapi.yaml' });
  assert.match(String(yaml.headers['content-type']), /^application\/yaml/);
  assert.deepEqual(parse(yaml.body), doc);
});

test('the Problem schema lists every error code', async () => {
  const doc = parse(readFileSync(committedPath, 'utf8')) as { components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } } };
  assert.deepEqual([...doc.components.schemas.Problem.properties.code.enum].sort(), Object.keys(ERRORS).sort());
});

test('/docs serves an offline interactive reference', async (t) => {
  const app = await makeApp(t);
  const html = await app.inject({ method: 'GET', url: '/docs' });
  assert.equal(html.statusCode, 200);
  assert.match(html.body, /SwaggerUIBundle\(\{ url: '\/openapi.json'/);
  const js = await app.inject({ method: 'GET', url: '/docs/swagger-ui-bundle.js' });
  assert.equal(js.statusCode, 200);
  assert.ok(js.body.length > 100_000);
  assert.equal((await app.inject({ method: 'GET', url: '/docs/..%2Fpackage.json' })).statusCode, 404);
});

test('every operation says how it is authenticated: public, or bearer with the scope it needs', async () => {
  const doc = parse(readFileSync(committedPath, 'utf8')) as { paths: Record<string, Record<string, { security?: unknown[]; 'x-scope'?: string }>> };
  const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ id: `${m} ${p}`, op })));
  for (const { id, op } of ops) {
    assert.ok(Array.isArray(op.security), `${id} has no security`);
    if (op.security.length > 0) assert.match(op['x-scope'] ?? '', /^(read|submit|admin)$/, id);
  }
  const byId = Object.fromEntries(ops.map((o) => [o.id, o.op]));
  assert.deepEqual(byId['get /health']?.security, []);
  assert.equal(byId['post /jobs']?.['x-scope'], 'submit');
  assert.equal(byId['post /servers']?.['x-scope'], 'admin');
});
