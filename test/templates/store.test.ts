import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDatabase } from '../../src/db/db.ts';
import { TemplateService } from '../../src/templates/service.ts';
import type { VersionContent } from '../../src/templates/store.ts';
import { TemplateStore } from '../../src/templates/store.ts';
import { testConfig } from '../helpers/config.ts';
import { makeApp } from '../helpers/app.ts';
import { api, oneBackend, withNodeInfo } from './fixtures.ts';

const content = (width: number): VersionContent => {
  const workflow = api('model-free');
  workflow['1']!.inputs.width = width;
  return { workflow, parameters: {}, description: null, sourceFormat: 'api', contentHash: `h${width}` };
};

test('store: versions are immutable and numbered, delete keeps them, re-create continues', (t) => {
  const db = openDatabase(':memory:');
  t.after(() => db.close());
  const s = new TemplateStore(db);
  const c1 = s.create('mf', content(1), 1000);
  assert.ok(c1.ok);
  assert.equal(c1.version.version, 1);
  assert.deepEqual(s.create('MF', content(2)), { ok: false, reason: 'exists' });
  const u = s.addVersion('mf', content(2), 2000);
  assert.ok(u.ok && u.version.version === 2 && u.version.templateCreatedAt === 1000);
  assert.equal(s.latest('mf')?.workflow['1']?.inputs.width, 2);
  assert.equal(s.version('mf', 1)?.workflow['1']?.inputs.width, 1);
  assert.equal(s.versionWithHash('mf', 'h1'), 1);
  assert.deepEqual(s.addVersion('nope', content(3)), { ok: false, reason: 'not_found' });

  assert.equal(s.delete('mf'), true);
  assert.equal(s.delete('mf'), false);
  assert.equal(s.latest('mf'), undefined);
  assert.equal(s.version('mf', 2), undefined);
  assert.equal(s.version('mf', 2, { includeDeleted: true })?.workflow['1']?.inputs.width, 2);
  assert.deepEqual(s.list(), []);
  const again = s.create('mf', content(3));
  assert.ok(again.ok && again.version.version === 3);
  assert.deepEqual(s.versions('mf').map((v) => v.version), [1, 2, 3]);
  assert.deepEqual(s.list().map((x) => [x.name, x.latestVersion, x.nodeCount]), [['mf', 3, 3]]);
});

test('schema snapshot: migration 001 creates the template tables', (t) => {
  const db = openDatabase(':memory:');
  t.after(() => db.close());
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'template%' ORDER BY name").pluck().all();
  assert.deepEqual(tables, ['template_versions', 'templates']);
});

test('templates persist across app restarts on the same DATA_DIR', async (t) => {
  const cfg = testConfig();
  const env = { DATA_DIR: cfg.dataDir };
  const first = await makeApp(t, env, { setup: withNodeInfo(oneBackend()) });
  const created = await first.inject({ method: 'POST', url: '/templates', payload: { name: 'sd', workflow: api('txt2img'), parameters: { steps: { target: { node: '3' }, input: 'steps' } } } });
  assert.equal(created.statusCode, 201);
  await first.inject({ method: 'PUT', url: '/templates/sd', payload: { workflow: api('txt2img'), description: 'second' } });
  await first.close();

  const second = await makeApp(t, env, { setup: withNodeInfo(oneBackend()) });
  const got = (await second.inject({ method: 'GET', url: '/templates/sd' })).json();
  assert.deepEqual([got.version, got.description, got.versions], [2, 'second', [1, 2]]);
  const v1 = (await second.inject({ method: 'GET', url: '/templates/sd/versions/1' })).json();
  assert.deepEqual(Object.keys(v1.parameters), ['steps']);
  const render = await second.inject({ method: 'POST', url: '/templates/sd/render', payload: { version: 1, params: { steps: 5 } } });
  assert.equal(render.json().prompt['3'].inputs.steps, 5);
  assert.equal(render.json().version, 1);
});

test('limits: workflow bytes, node count and parameter count are bounded', (t) => {
  const db = openDatabase(':memory:');
  t.after(() => db.close());
  const svc = new TemplateService({ db, nodeInfo: { nodeInfo: oneBackend }, logger: { info() {}, warn() {} }, limits: { maxWorkflowBytes: 2000, maxNodes: 5, maxParameters: 1 } });
  assert.throws(() => svc.create({ name: 'big', workflow: { ...api('txt2img'), '99': { class_type: 'Note', inputs: { text: 'x'.repeat(3000) } } } }), { code: 'FLEET_BODY_TOO_LARGE', message: /bytes of JSON; the limit is 2000/ });
  assert.throws(() => svc.create({ name: 'many', workflow: api('txt2img') }), { code: 'FLEET_BODY_TOO_LARGE', message: /7 nodes; the limit is 5/ });
  assert.throws(() => svc.create({
    name: 'params', workflow: api('model-free'),
    parameters: { a: { target: { node: '1' }, input: 'width' }, b: { target: { node: '1' }, input: 'height' } },
  }), { code: 'FLEET_BODY_TOO_LARGE', message: /2 parameters are declared; the limit is 1/ });
});

test('jobs port: renderForJob refuses invalid renders, checkWorkflow converts and validates raw workflows', async (t) => {
  const db = openDatabase(':memory:');
  t.after(() => db.close());
  const svc = new TemplateService({ db, nodeInfo: { nodeInfo: oneBackend }, logger: { info() {}, warn() {} } });
  svc.create({ name: 'sd', workflow: api('txt2img') });
  const ok = await svc.renderForJob({ name: 'sd', patch: { '3': { steps: 4 } } });
  assert.deepEqual([ok.name, ok.version, ok.prompt['3']?.inputs.steps], ['sd', 1, 4]);
  await assert.rejects(svc.renderForJob({ name: 'sd', patch: { '3': { steps: 0 } } }), { code: 'FLEET_WORKFLOW_INVALID', message: /smaller than the minimum 1/ });
  await assert.rejects(svc.renderForJob({ name: 'nope' }), { code: 'FLEET_TEMPLATE_NOT_FOUND' });
  const raw = await svc.checkWorkflow({ prompt: api('model-free') });
  assert.equal(raw['3']?.class_type, 'SaveImage');
  await assert.rejects(svc.checkWorkflow({ '1': { class_type: 'Nope', inputs: {} } }), { code: 'FLEET_WORKFLOW_INVALID' });
});
