import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FleetError } from '../../src/errors.ts';
import { detectFormat } from '../../src/templates/format.ts';
import { api, ui } from './fixtures.ts';

const code = (fn: () => unknown): FleetError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FleetError, String(err));
    return err;
  }
  assert.fail('expected a FleetError');
};

test('API format is recognised as is', () => {
  const d = detectFormat(api('txt2img'));
  assert.ok(d.format === 'api');
  assert.equal(d.api['3']?.class_type, 'KSampler');
});

test('a saved /prompt body is unwrapped', () => {
  const d = detectFormat({ prompt: api('img2img'), client_id: 'x', extra_data: {} });
  assert.ok(d.format === 'wrapped');
  assert.equal(d.api['10']?.class_type, 'LoadImage');
});

test('UI 0.4 (tuple links) is detected', () => {
  const d = detectFormat(ui());
  assert.equal(d.format, 'ui');
  assert.ok(d.format === 'ui' && d.ui.nodes.length === 3);
});

test('UI version 1 (object links, state) is detected', () => {
  const d = detectFormat({
    version: 1,
    state: { lastNodeId: 1, lastLinkId: 0 },
    nodes: [{ id: 1, type: 'EmptyImage', widgets_values: [8, 8, 1, 0] }],
    links: [{ id: 1, origin_id: 1, origin_slot: 0, target_id: 2, target_slot: 0, type: 'IMAGE' }],
  });
  assert.equal(d.format, 'ui');
});

test('anything else is a 422 saying what was expected', () => {
  for (const bad of [null, [], 'text', 42, {}]) {
    const e = code(() => detectFormat(bad));
    assert.equal(e.code, 'FLEET_WORKFLOW_FORMAT');
    assert.equal(e.statusCode, 422);
    assert.match(e.message, /Expected a ComfyUI workflow: the API format/);
  }
  const e = code(() => detectFormat({ '1': { class_type: 'EmptyImage', inputs: {} }, version: 3, name: { x: 1 } }));
  assert.match(e.message, /2 of 3 top-level entries are not API-format nodes/);
  assert.deepEqual(e.errors?.map((i) => i.path), ['workflow/version', 'workflow/name']);
});

test('a malformed UI workflow names the bad part', () => {
  const e = code(() => detectFormat({ nodes: [{ id: 1 }], links: [], version: 0.4 }));
  assert.equal(e.code, 'FLEET_WORKFLOW_FORMAT');
  assert.match(e.message, /looks like the editor's UI format/);
  assert.equal(e.errors?.[0]?.path, 'workflow/nodes/0/type');
});
