import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MergedDefs, NodeCatalog, parseInputSpec, type NodeDefs } from '../../src/templates/nodeinfo.ts';
import { resolveParameters, type ParametersDecl } from '../../src/templates/params.ts';
import { declarationProblems, deriveParameter } from '../../src/templates/schema.ts';
import { suggestParameters } from '../../src/templates/suggest.ts';
import type { ApiWorkflow } from '../../src/templates/workflow.ts';
import { api, catalog, objectInfoWith } from './fixtures.ts';

function derive(wf: ApiWorkflow, decls: ParametersDecl, defs: NodeDefs = catalog()) {
  return resolveParameters(wf, decls, defs).map((p) => deriveParameter(wf, p, defs));
}

test('INT: min/max/step/default; the 2^64−1 seed max is clamped; seeds accept "random"', () => {
  const [steps, seed, width] = derive(api('txt2img'), {
    steps: { target: { node: '3' }, input: 'steps' },
    seed: { target: { node: '3' }, input: 'seed', default: 'random' },
    width: { target: { node: '5' }, input: 'width' },
  });
  assert.deepEqual(steps?.jsonSchema, { type: 'integer', minimum: 1, maximum: 10000, default: 20, description: 'The number of steps used in the denoising process.' });
  assert.deepEqual(seed?.jsonSchema, {
    anyOf: [
      { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, 'x-seed': true },
      { type: 'string', const: 'random', description: 'a fresh random seed' },
    ],
    default: 'random', description: 'The random seed used for creating the noise.',
  });
  assert.equal(seed?.zod.safeParse(2 ** 53).success, false);
  assert.equal(seed?.zod.safeParse('random').success, true);
  assert.equal(width?.jsonSchema['x-step'], 8);
  assert.equal(width?.zod.safeParse(500).success, true, 'step is a hint, ComfyUI accepts any integer in range');
  assert.equal(steps?.zod.safeParse(2.5).success, false);
});

test('FLOAT, STRING (multiline), COMBO (legacy form) and image uploads', () => {
  const [cfg, text, prefix, sampler, image] = derive(api('img2img'), {
    cfg: { target: { node: '3' }, input: 'cfg' },
    text: { target: { node: '6' }, input: 'text', description: 'What to paint' },
    prefix: { target: { node: '9' }, input: 'filename_prefix' },
    sampler: { target: { node: '3' }, input: 'sampler_name', default: 'euler' },
    image: { target: { node: '10' }, input: 'image' },
  });
  assert.deepEqual(cfg?.jsonSchema.type, 'number');
  assert.equal(cfg?.jsonSchema.maximum, 100);
  assert.equal(cfg?.jsonSchema['x-step'], 0.1);
  assert.equal(cfg?.default, 7.5, 'the default is the value in the workflow');
  assert.deepEqual(text?.jsonSchema, { type: 'string', 'x-multiline': true, description: 'What to paint', default: 'the same scene as an oil painting, thick brush strokes' });
  assert.equal(prefix?.jsonSchema['x-multiline'], false);
  assert.equal((sampler?.jsonSchema.enum as string[]).length, 44);
  assert.equal(sampler?.jsonSchema.default, 'euler');
  assert.equal(sampler?.zod.safeParse('nope').success, false);
  assert.equal(image?.jsonSchema['x-upload'], 'image');
  assert.equal(image?.zod.safeParse('photo.png').success, true, 'any file name: the node checks the input folder itself');
  assert.equal(image?.zod.safeParse({ upload: 'u-123' }).success, true);
  assert.equal(image?.zod.safeParse({ upload: '' }).success, false);
});

test('BOOLEAN and the new COMBO form ({options}) from a V3-style entry with nulls', () => {
  const oi = objectInfoWith((o) => {
    o.Toggle = {
      input: { required: { on: ['BOOLEAN', { default: true }], mode: ['COMBO', { options: ['fast', 'slow'], default: 'fast' }], image: ['IMAGE', {}] }, optional: null },
      input_order: { required: ['on', 'mode', 'image'], optional: null }, output: ['IMAGE'], output_node: null, display_name: null,
    };
  });
  const defs = new NodeCatalog(oi);
  const wf: ApiWorkflow = { '1': { class_type: 'Toggle', inputs: { on: false, mode: 'slow' } } };
  const [on, mode] = derive(wf, { on: { target: { node: '1' }, input: 'on' }, mode: { target: { node: '1' }, input: 'mode' } }, defs);
  assert.deepEqual(on?.jsonSchema, { type: 'boolean', default: false });
  assert.deepEqual(mode?.jsonSchema, { type: 'string', enum: ['fast', 'slow'], default: 'slow' });
  assert.equal(defs.get('Toggle')?.displayName, 'Toggle');
  assert.deepEqual(parseInputSpec(['FLOAT,INT'], 'x'), { kind: 'LINK', type: 'FLOAT,INT', tooltip: undefined });
});

test('a combo enum is the union over backends (model files differ per backend)', () => {
  const other = objectInfoWith((o) => { o.CheckpointLoaderSimple.input.required.ckpt_name[0] = ['flux.safetensors']; });
  const defs = new MergedDefs([catalog(), new NodeCatalog(other)]);
  const [ckpt] = derive(api('txt2img'), { ckpt: { target: { node: '4' }, input: 'ckpt_name' } }, defs);
  assert.deepEqual(ckpt?.jsonSchema.enum, ['v1-5-pruned-emaonly-fp16.safetensors', 'sd_xl_base_1.0.safetensors', 'flux.safetensors']);
});

test('several targets: numeric ranges intersect, different types are a conflict', () => {
  const wf = api('txt2img');
  const [size] = derive(wf, { size: { target: [{ node: '5', input: 'width' }, { node: '5', input: 'batch_size' }] } });
  assert.equal(size?.jsonSchema.minimum, 16);
  assert.equal(size?.jsonSchema.maximum, 4096);
  const [mixed] = derive(wf, { mixed: { target: [{ node: '3', input: 'cfg' }, { node: '9', input: 'filename_prefix' }] } });
  assert.deepEqual(declarationProblems(mixed!), [{ kind: 'conflict', message: 'Parameter "mixed": its targets take different types (FLOAT and STRING)' }]);
});

test('declared defaults are checked against the schema; "random" only for integers', () => {
  const [steps, text] = derive(api('txt2img'), {
    steps: { target: { node: '3' }, input: 'steps', default: 0 },
    text: { target: { node: '6' }, input: 'text', default: 'random' },
  });
  assert.match(declarationProblems(steps!)[0]?.message ?? '', /default 0 is not valid/);
  assert.match(declarationProblems(text!)[0]?.message ?? '', /"random" is only for integer/);
});

test('without node info the schema follows the literal in the graph', () => {
  const wf = api('txt2img');
  const p = resolveParameters(wf, { cfg: { target: { node: '3' }, input: 'cfg' }, t: { target: { node: '6' }, input: 'text' } }, undefined);
  const [cfg, t] = p.map((x) => deriveParameter(wf, x, undefined));
  assert.equal(cfg?.source, 'graph');
  assert.deepEqual(cfg?.jsonSchema, { type: 'number', default: 7 });
  assert.deepEqual(t?.jsonSchema, { type: 'string', 'x-multiline': false, default: 'a watercolor painting of a lighthouse on a rocky coast at dawn' });
});

test('suggested parameters for a template without declarations', () => {
  const s = suggestParameters(api('img2img'), catalog());
  assert.deepEqual(Object.keys(s), ['positive_prompt', 'negative_prompt', 'seed', 'steps', 'cfg', 'denoise', 'sampler_name', 'scheduler', 'width', 'height', 'ckpt_name', 'filename_prefix', 'image']);
  assert.deepEqual(s.seed, { target: [{ node: '3', input: 'seed' }], default: 'random', description: 'Noise seed; "random" draws a fresh one per run' });
  assert.deepEqual(s.image?.target, { node: '10' });
  // The suggestion is a valid declaration as is.
  const wf = api('img2img');
  assert.equal(resolveParameters(wf, s, catalog()).length, 13);
});
