import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { testConfig } from '../helpers/config.ts';
import { makeApp } from '../helpers/app.ts';
import type { BackendNodeInfo } from '../../src/templates/nodeinfo.ts';
import { api, oneBackend, ui, withNodeInfo } from './fixtures.ts';

function templatesDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-templates-'));
  const put = (name: string, body: unknown) => writeFileSync(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  put('txt2img.json', api('txt2img'));
  put('txt2img.params.json', { description: 'from a sidecar', parameters: { steps: { target: { node: '3' }, input: 'steps' } } });
  put('invert.json', { workflow: api('load-invert-preview'), description: 'embedded', parameters: { image: { target: { classType: 'LoadImage' }, input: 'image' } } });
  put('editor.json', ui());
  put('broken.json', '{ not json');
  put('bad name.json', api('model-free'));
  put('notes.json', { hello: 'world' });
  put('readme.txt', 'ignored');
  return dir;
}

test('TEMPLATES_DIR is loaded at start-up; bad files are reported by name and skipped', async (t) => {
  const dir = templatesDir();
  const app = await makeApp(t, { TEMPLATES_DIR: dir }, { setup: withNodeInfo(oneBackend()) });
  const names = (await app.inject({ method: 'GET', url: '/templates' })).json().templates.map((x: { name: string }) => x.name);
  assert.deepEqual(names, ['editor', 'invert', 'txt2img']);
  const txt = (await app.inject({ method: 'GET', url: '/templates/txt2img' })).json();
  assert.equal(txt.description, 'from a sidecar');
  assert.equal(txt.parameters.steps.schema.maximum, 10000);
  const inv = (await app.inject({ method: 'GET', url: '/templates/invert' })).json();
  assert.deepEqual([inv.description, inv.parameters.image.schema['x-upload']], ['embedded', 'image']);
  assert.equal((await app.inject({ method: 'GET', url: '/templates/editor' })).json().sourceFormat, 'ui');

  const report = await app.templates.loadDirectory(dir);
  assert.deepEqual([report.created, report.updated, report.unchanged], [[], [], ['editor', 'invert', 'txt2img']]);
  assert.deepEqual(report.failed.map((f) => [path.basename(f.file), f.reason.split(':')[0]]), [
    ['broken.json', 'not valid JSON'],
    ['bad name.json', 'FLEET_TEMPLATE_BAD_NAME'],
    ['notes.json', 'FLEET_WORKFLOW_FORMAT'],
  ]);
});

test('restarts do not duplicate versions; a changed file becomes a new version; deleted stays deleted', async (t) => {
  const dir = templatesDir();
  const env = { TEMPLATES_DIR: dir, DATA_DIR: testConfig().dataDir };
  const a = await makeApp(t, env, { setup: withNodeInfo(oneBackend()) });
  await a.inject({ method: 'DELETE', url: '/templates/invert' });
  await a.close();

  const changed = api('txt2img');
  changed['3']!.inputs.steps = 30;
  writeFileSync(path.join(dir, 'txt2img.json'), JSON.stringify(changed));
  const b = await makeApp(t, env, { setup: withNodeInfo(oneBackend()) });
  const txt = (await b.inject({ method: 'GET', url: '/templates/txt2img' })).json();
  assert.deepEqual([txt.version, txt.workflow['3'].inputs.steps], [2, 30]);
  assert.deepEqual((await b.inject({ method: 'GET', url: '/templates/editor' })).json().versions, [1]);
  assert.equal((await b.inject({ method: 'GET', url: '/templates/invert' })).statusCode, 404);
});

test('UI files wait for node info, then load on first use', async (t) => {
  const dir = templatesDir();
  let backends: BackendNodeInfo[] = [];
  const app = await makeApp(t, { TEMPLATES_DIR: dir }, { setup: withNodeInfo(() => backends) });
  const before = (await app.inject({ method: 'GET', url: '/templates' })).json().templates.map((x: { name: string }) => x.name);
  assert.deepEqual(before, ['invert', 'txt2img']);
  backends = oneBackend();
  const editor = await app.inject({ method: 'GET', url: '/templates/editor' });
  assert.equal(editor.statusCode, 200);
  assert.equal(editor.json().workflow['3'].class_type, 'SaveImage');
});

test('a missing directory is reported, not fatal', async (t) => {
  const app = await makeApp(t, { TEMPLATES_DIR: '/nonexistent/fleet-templates' });
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  const report = await app.templates.loadDirectory('/nonexistent/fleet-templates');
  assert.match(report.failed[0]?.reason ?? '', /cannot read the templates directory/);
});
