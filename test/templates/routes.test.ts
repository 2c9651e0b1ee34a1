import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { api, oneBackend, ui, withNodeInfo, withoutMeta } from './fixtures.ts';

const json = { 'content-type': 'application/json' };

test('POST /templates stores version 1 with Location and derived schemas; GET reads it back', async (t) => {
  const app = await makeApp(t, {}, { setup: withNodeInfo(oneBackend()) });
  const res = await app.inject({
    method: 'POST', url: '/templates', headers: json,
    payload: { name: 'txt2img', description: 'SD 1.5', workflow: api('txt2img'), parameters: { steps: { target: { classType: 'KSampler' }, input: 'steps' } } },
  });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.headers.location, '/templates/txt2img');
  const body = res.json();
  assert.equal(body.version, 1);
  assert.deepEqual(body.versions, [1]);
  assert.equal(body.sourceFormat, 'api');
  assert.equal(body.nodeInfo, 'available');
  assert.deepEqual(body.parameters.steps.schema, {
    type: 'integer', minimum: 1, maximum: 10000, default: 20, description: 'The number of steps used in the denoising process.',
  });
  assert.deepEqual(body.parameters.steps.targets, [{ nodeId: '3', title: 'KSampler', classType: 'KSampler', input: 'steps' }]);
  assert.deepEqual(body.validation, { valid: true, code: null, errors: [], capableBackends: ['b1'] });
  assert.equal(body.suggestedParameters, undefined);

  const got = await app.inject({ method: 'GET', url: '/templates/txt2img' });
  assert.equal(got.statusCode, 200);
  assert.deepEqual(got.json().workflow, api('txt2img'));
  assert.equal(got.json().validation, undefined);

  const list = await app.inject({ method: 'GET', url: '/templates' });
  assert.deepEqual(list.json().templates.map((x: { name: string; nodeCount: number; parameterNames: string[] }) => [x.name, x.nodeCount, x.parameterNames]), [['txt2img', 7, ['steps']]]);
});

test('duplicate names get 409, bad names 422, unknown names 404', async (t) => {
  const app = await makeApp(t, {}, { setup: withNodeInfo(oneBackend()) });
  const post = (name: string) => app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name, workflow: api('model-free') } });
  assert.equal((await post('a')).statusCode, 201);
  const dup = await post('a');
  assert.equal(dup.statusCode, 409);
  assert.equal(dup.json().code, 'FLEET_TEMPLATE_EXISTS');
  assert.equal((await post('A')).statusCode, 409, 'names are case-insensitive');
  for (const bad of ['../etc', 'a/b', '.hidden', 'x'.repeat(65), 'with space']) {
    const r = await post(bad);
    assert.equal(r.statusCode, 422, bad);
    assert.equal(r.json().code, 'FLEET_TEMPLATE_BAD_NAME');
  }
  const missing = await app.inject({ method: 'GET', url: '/templates/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'FLEET_TEMPLATE_NOT_FOUND');
  assert.match(missing.headers['content-type'] as string, /application\/problem\+json/);
});

test('UI uploads are converted; the stored workflow is the API graph', async (t) => {
  const app = await makeApp(t, {}, { setup: withNodeInfo(oneBackend()) });
  const res = await app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name: 'mf', workflow: ui() } });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().sourceFormat, 'ui');
  assert.deepEqual(res.json().conversion, { dropped: [] });
  const wf = await app.inject({ method: 'GET', url: '/templates/mf/workflow' });
  assert.deepEqual(withoutMeta(wf.json()), withoutMeta(api('model-free')));
});

test('wrapped /prompt bodies are unwrapped; garbage is a 422 saying what was expected', async (t) => {
  const app = await makeApp(t, {}, { setup: withNodeInfo(oneBackend()) });
  const ok = await app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name: 'w', workflow: { prompt: api('img2img'), client_id: 'c' } } });
  assert.equal(ok.statusCode, 201);
  assert.equal(ok.json().sourceFormat, 'wrapped');
  assert.deepEqual(ok.json().workflow, api('img2img'));
  const bad = await app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name: 'g', workflow: { hello: 'world' } } });
  assert.equal(bad.statusCode, 422);
  assert.equal(bad.json().code, 'FLEET_WORKFLOW_FORMAT');
  assert.match(bad.json().detail, /Expected a ComfyUI workflow/);
});

test('PUT adds versions, old ones stay readable; DELETE hides the name, 204', async (t) => {
  const app = await makeApp(t, {}, { setup: withNodeInfo(oneBackend()) });
  await app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name: 'mf', workflow: api('model-free') } });
  const changed = api('model-free');
  changed['1']!.inputs.width = 128;
  const put = await app.inject({ method: 'PUT', url: '/templates/mf', headers: json, payload: { workflow: changed, description: 'wider' } });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(put.json().version, 2);
  assert.deepEqual(put.json().versions, [1, 2]);
  assert.equal((await app.inject({ method: 'GET', url: '/templates/mf' })).json().workflow['1'].inputs.width, 128);
  const v1 = await app.inject({ method: 'GET', url: '/templates/mf/versions/1' });
  assert.equal(v1.json().workflow['1'].inputs.width, 64);
  assert.equal(v1.json().latestVersion, 2);
  assert.equal((await app.inject({ method: 'GET', url: '/templates/mf/workflow?version=1' })).json()['1'].inputs.width, 64);
  const v9 = await app.inject({ method: 'GET', url: '/templates/mf/versions/9' });
  assert.equal(v9.statusCode, 404);
  assert.equal(v9.json().code, 'FLEET_TEMPLATE_VERSION_NOT_FOUND');
  assert.match(v9.json().detail, /has no version 9; it has 1, 2/);
  assert.equal((await app.inject({ method: 'PUT', url: '/templates/nope', headers: json, payload: { workflow: changed } })).statusCode, 404);

  const del = await app.inject({ method: 'DELETE', url: '/templates/mf' });
  assert.equal(del.statusCode, 204);
  assert.equal(del.body, '');
  assert.equal((await app.inject({ method: 'GET', url: '/templates/mf' })).statusCode, 404);
  assert.equal((await app.inject({ method: 'DELETE', url: '/templates/mf' })).statusCode, 404);
  assert.deepEqual((await app.inject({ method: 'GET', url: '/templates' })).json().templates, []);
  assert.equal(app.templates.stored('mf', 1, { includeDeleted: true }).version, 1, 'jobs can still read a deleted version');
  const again = await app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name: 'mf', workflow: api('model-free') } });
  assert.equal(again.json().version, 3, 'a re-created name continues the numbering');
});

test('POST /templates/:name/render is a dry run with the rendered prompt and every problem', async (t) => {
  const app = await makeApp(t, {}, { setup: withNodeInfo(oneBackend()) });
  await app.inject({
    method: 'POST', url: '/templates', headers: json,
    payload: { name: 'sd', workflow: api('txt2img'), parameters: { seed: { target: { node: '3' }, input: 'seed', default: 'random' }, steps: { target: { node: 3 }, input: 'steps' } } },
  });
  const ok = await app.inject({ method: 'POST', url: '/templates/sd/render', headers: json, payload: { params: { steps: 12 }, patch: { '9': { filename_prefix: 'run/1' } } } });
  assert.equal(ok.statusCode, 200, ok.body);
  const r = ok.json();
  assert.equal(r.valid, true);
  assert.equal(r.prompt['3'].inputs.steps, 12);
  assert.equal(r.prompt['9'].inputs.filename_prefix, 'run/1');
  assert.ok(Number.isSafeInteger(r.prompt['3'].inputs.seed) && r.prompt['3'].inputs.seed === r.values.seed);
  assert.deepEqual(r.capableBackends, ['b1']);

  const bad = await app.inject({ method: 'POST', url: '/templates/sd/render', headers: json, payload: { patch: { '3': { cfg: 500, sampler_name: 'nope' } } } });
  assert.equal(bad.statusCode, 200);
  assert.equal(bad.json().valid, false);
  assert.equal(bad.json().code, 'FLEET_WORKFLOW_INVALID');
  assert.deepEqual(bad.json().errors.map((e: { kind: string; input: string }) => [e.kind, e.input]), [['value_bigger_than_max', 'cfg'], ['value_not_in_list', 'sampler_name']]);

  const params = await app.inject({ method: 'POST', url: '/templates/sd/render', headers: json, payload: { params: { steps: 0, nope: 1 } } });
  assert.equal(params.statusCode, 422);
  assert.equal(params.json().code, 'FLEET_PARAMS_INVALID');
  assert.deepEqual(params.json().errors.map((e: { path: string }) => e.path).sort(), ['params/nope', 'params/steps']);
});

test('without node info: API uploads are stored with graph-derived schemas, render and UI uploads get 503', async (t) => {
  const app = await makeApp(t);
  const res = await app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name: 'sd', workflow: api('txt2img'), parameters: { steps: { target: { title: 'KSampler' }, input: 'steps' } } } });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().nodeInfo, 'missing');
  assert.equal(res.json().validation, null);
  assert.deepEqual(res.json().parameters.steps.schema, { type: 'number', default: 20 });
  assert.equal(res.json().parameters.steps.source, 'graph');
  const render = await app.inject({ method: 'POST', url: '/templates/sd/render', headers: json, payload: {} });
  assert.equal(render.statusCode, 503);
  assert.equal(render.json().code, 'FLEET_NO_NODE_INFO');
  const uiRes = await app.inject({ method: 'POST', url: '/templates', headers: json, payload: { name: 'mf', workflow: ui() } });
  assert.equal(uiRes.statusCode, 503);
  assert.match(uiRes.json().detail, /Export \(API\)/);
});
