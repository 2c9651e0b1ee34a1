import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FleetError } from '../../src/errors.ts';
import { convertUiToApi } from '../../src/templates/convert.ts';
import { UiWorkflowSchema } from '../../src/templates/format.ts';
import { api, catalog, ui, withoutMeta } from './fixtures.ts';

const convert = (x: unknown) => convertUiToApi(UiWorkflowSchema.parse(x), catalog());

const node = (id: number, type: string, extra: Record<string, unknown> = {}) =>
  ({ id, type, mode: 0, inputs: [], outputs: [], widgets_values: [], ...extra });

/** txt2img-like editor graph: 4 checkpoint, 5 latent, 6/7 text, 3 sampler, 8 decode, 9 save. */
function sdGraph(): Record<string, unknown> {
  return {
    last_node_id: 9, last_link_id: 9, version: 0.4,
    nodes: [
      node(4, 'CheckpointLoaderSimple', { widgets_values: ['v1-5-pruned-emaonly-fp16.safetensors'], outputs: [{ name: 'MODEL', type: 'MODEL' }, { name: 'CLIP', type: 'CLIP' }, { name: 'VAE', type: 'VAE' }] }),
      node(5, 'EmptyLatentImage', { widgets_values: [512, 768, 2] }),
      node(6, 'CLIPTextEncode', { title: 'Positive', inputs: [{ name: 'clip', type: 'CLIP', link: 3 }], widgets_values: ['a cat'] }),
      node(7, 'CLIPTextEncode', { inputs: [{ name: 'clip', type: 'CLIP', link: 4 }], widgets_values: ['blurry'] }),
      node(3, 'KSampler', {
        inputs: [
          { name: 'model', type: 'MODEL', link: 1 }, { name: 'positive', type: 'CONDITIONING', link: 5 },
          { name: 'negative', type: 'CONDITIONING', link: 6 }, { name: 'latent_image', type: 'LATENT', link: 2 },
        ],
        widgets_values: [42, 'randomize', 25, 6.5, 'euler', 'karras', 0.9],
      }),
      node(8, 'VAEDecode', { inputs: [{ name: 'samples', type: 'LATENT', link: 7 }, { name: 'vae', type: 'VAE', link: 8 }] }),
      node(9, 'SaveImage', { inputs: [{ name: 'images', type: 'IMAGE', link: 9 }], widgets_values: ['out/x'] }),
    ],
    links: [
      [1, 4, 0, 3, 0, 'MODEL'], [2, 5, 0, 3, 3, 'LATENT'], [3, 4, 1, 6, 0, 'CLIP'], [4, 4, 1, 7, 0, 'CLIP'],
      [5, 6, 0, 3, 1, 'CONDITIONING'], [6, 7, 0, 3, 2, 'CONDITIONING'], [7, 3, 0, 8, 0, 'LATENT'],
      [8, 4, 2, 8, 1, 'VAE'], [9, 8, 0, 9, 0, 'IMAGE'],
    ],
  };
}

test('model-free.ui.json converts to exactly model-free.api.json (modulo _meta)', () => {
  const { workflow, dropped } = convert(ui());
  assert.deepEqual(withoutMeta(workflow), withoutMeta(api('model-free')));
  assert.deepEqual(dropped, []);
  assert.equal(workflow['2']?._meta?.title, 'Invert Image Colors', 'display name when the node has no title');
});

test('widget order, the seed control value, links and titles', () => {
  const { workflow } = convert(sdGraph());
  assert.deepEqual(workflow['3']?.inputs, {
    model: ['4', 0], seed: 42, steps: 25, cfg: 6.5, sampler_name: 'euler', scheduler: 'karras',
    positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0], denoise: 0.9,
  });
  assert.deepEqual(workflow['5']?.inputs, { width: 512, height: 768, batch_size: 2 });
  assert.equal(workflow['6']?._meta?.title, 'Positive');
  assert.equal(workflow['7']?._meta?.title, 'CLIP Text Encode (Prompt)');
  assert.deepEqual(workflow['9']?.inputs, { images: ['8', 0], filename_prefix: 'out/x' });
});

test('a seed without a control value does not shift the following widgets', () => {
  const g = sdGraph();
  const ks = (g.nodes as Record<string, unknown>[]).find((n) => n.id === 3)!;
  ks.widgets_values = [7, 30, 8, 'heun', 'normal', 1];
  assert.deepEqual(convert(g).workflow['3']?.inputs.steps, 30);
});

test('a widget converted to an input and linked takes the link, its value slot is skipped', () => {
  const g = sdGraph();
  const nodes = g.nodes as Record<string, unknown>[];
  nodes.push(node(10, 'EmptyLatentImage', { widgets_values: [64, 64, 1] }));
  const ks = nodes.find((n) => n.id === 5)!;
  ks.inputs = [{ name: 'width', type: 'INT', link: 20, widget: { name: 'width' } }];
  // An INT link from a node output would be a type error later; here only the conversion matters.
  (g.links as unknown[]).push([20, 10, 0, 5, 0, 'INT']);
  assert.deepEqual(convert(g).workflow['5']?.inputs, { width: ['10', 0], height: 768, batch_size: 2 });
});

test('muted nodes vanish; bypassed nodes vanish and are rewired through the input of the same type', () => {
  const g = sdGraph();
  const nodes = g.nodes as Record<string, unknown>[];
  nodes.push(node(11, 'ImageInvert', { mode: 4, inputs: [{ name: 'image', type: 'IMAGE', link: 10 }], outputs: [{ name: 'IMAGE', type: 'IMAGE' }] }));
  nodes.push(node(12, 'PreviewImage', { mode: 2, inputs: [{ name: 'images', type: 'IMAGE', link: 12 }] }));
  const links = g.links as unknown[][];
  links.splice(8, 1, [9, 11, 0, 9, 0, 'IMAGE'], [10, 8, 0, 11, 0, 'IMAGE'], [12, 8, 0, 12, 0, 'IMAGE']);
  const { workflow, dropped } = convert(g);
  assert.equal(workflow['11'], undefined);
  assert.equal(workflow['12'], undefined);
  assert.deepEqual(workflow['9']?.inputs.images, ['8', 0], 'SaveImage now reads from the decoder directly');
  assert.deepEqual(dropped.map((d) => [d.nodeId, d.reason]), [['11', 'bypassed'], ['12', 'muted']]);
});

test('reroutes are followed, primitive nodes become literals, notes are dropped', () => {
  const g = sdGraph();
  const nodes = g.nodes as Record<string, unknown>[];
  nodes.push(node(20, 'Reroute', { inputs: [{ name: '', type: '*', link: 21 }], outputs: [{ name: '', type: 'IMAGE' }] }));
  nodes.push(node(21, 'PrimitiveNode', { outputs: [{ name: 'INT', type: 'INT', widget: { name: 'steps' } }], widgets_values: [25, 'fixed'] }));
  nodes.push(node(22, 'Note', { widgets_values: ['remember to vary the seed'] }));
  const ks = nodes.find((n) => n.id === 3)!;
  (ks.inputs as unknown[]).push({ name: 'steps', type: 'INT', link: 23, widget: { name: 'steps' } });
  const links = g.links as unknown[][];
  links.splice(8, 1, [9, 20, 0, 9, 0, 'IMAGE'], [21, 8, 0, 20, 0, 'IMAGE'], [23, 21, 0, 3, 2, 'INT']);
  const { workflow, dropped } = convert(g);
  assert.deepEqual(workflow['9']?.inputs.images, ['8', 0]);
  assert.equal(workflow['3']?.inputs.steps, 25);
  assert.deepEqual(dropped.map((d) => d.reason).sort(), ['note', 'primitive', 'reroute']);
});

test('version 1 graphs with object links convert too', () => {
  const v1 = ui();
  v1.version = 1;
  v1.links = (v1.links as number[][]).map(([id, o, os, t, ts, type]) => ({ id, origin_id: o, origin_slot: os, target_id: t, target_slot: ts, type }));
  assert.deepEqual(withoutMeta(convert(v1).workflow), withoutMeta(api('model-free')));
});

test('unknown classes and subgraphs are a 422 naming every node and how to export the API format', () => {
  const g = sdGraph();
  const nodes = g.nodes as Record<string, unknown>[];
  nodes.push(node(30, 'FancyUpscaler', { title: 'Upscale 4x' }));
  nodes.push(node(31, '0f3b2c1a-1111-4222-8333-444455556666', { title: 'My subgraph' }));
  g.definitions = { subgraphs: [{ id: '0f3b2c1a-1111-4222-8333-444455556666', nodes: [] }] };
  try {
    convert(g);
    assert.fail('expected a conversion error');
  } catch (err) {
    assert.ok(err instanceof FleetError);
    assert.equal(err.code, 'FLEET_WORKFLOW_CONVERSION');
    assert.match(err.message, /nodes 30 \(Upscale 4x\), 31 \(My subgraph\)/);
    assert.match(err.message, /Workflow → Export \(API\)/);
    assert.match(err.message, /Save \(API Format\)/);
    assert.deepEqual(err.errors?.map((e) => [e.nodeId, e.type]), [['30', 'FancyUpscaler'], ['31', '0f3b2c1a-1111-4222-8333-444455556666']]);
    assert.match(String(err.errors?.[1]?.message), /is a subgraph/);
  }
});
