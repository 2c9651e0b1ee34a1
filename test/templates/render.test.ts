import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FleetError } from '../../src/errors.ts';
import { resolveParameters, type ParametersDecl } from '../../src/templates/params.ts';
import { renderTemplate, secureRandom, type Patch } from '../../src/templates/render.ts';
import { deriveParameter } from '../../src/templates/schema.ts';
import type { ApiWorkflow } from '../../src/templates/workflow.ts';
import { api, catalog } from './fixtures.ts';

function render(wf: ApiWorkflow, decls: ParametersDecl, values: Record<string, unknown>, patch?: Patch, extra: { random?: () => number; resolveUpload?: (id: string) => string } = {}) {
  const defs = catalog();
  const params = resolveParameters(wf, decls, defs).map((p) => deriveParameter(wf, p, defs));
  return renderTemplate({ workflow: wf, params, values, patch, defs, ...extra });
}

const fails = (fn: () => unknown): FleetError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FleetError);
    return err;
  }
  assert.fail('expected a FleetError');
};

test('parameters are written into every target; the template itself is not modified', () => {
  const wf = api('txt2img');
  wf['13'] = { class_type: 'KSampler', inputs: { ...wf['3']!.inputs }, _meta: { title: 'Second' } };
  const { prompt, values } = render(wf, {
    seed: { target: [{ node: '3' }, { title: 'Second' }], input: 'seed' },
    prompt: { target: { title: 'Positive Prompt' }, input: 'text' },
  }, { seed: 99, prompt: 'a red fox' });
  assert.equal(prompt['3']?.inputs.seed, 99);
  assert.equal(prompt['13']?.inputs.seed, 99);
  assert.equal(prompt['6']?.inputs.text, 'a red fox');
  assert.deepEqual(values, { seed: 99, prompt: 'a red fox' });
  assert.equal(wf['3']?.inputs.seed, 42, 'the stored workflow is untouched');
});

test('parameters not given keep the workflow values unless a default is declared', () => {
  const { prompt } = render(api('txt2img'), {
    steps: { target: { node: '3' }, input: 'steps' },
    cfg: { target: { node: '3' }, input: 'cfg', default: 4.5 },
  }, {});
  assert.equal(prompt['3']?.inputs.steps, 20);
  assert.equal(prompt['3']?.inputs.cfg, 4.5);
});

test('"random" draws a fresh safe seed within the input range', () => {
  const decls: ParametersDecl = { seed: { target: { node: '3' }, input: 'seed', default: 'random' } };
  assert.equal(render(api('txt2img'), decls, {}, undefined, { random: () => 0 }).prompt['3']?.inputs.seed, 0);
  assert.equal(render(api('txt2img'), decls, {}, undefined, { random: () => 0.9999999999999999 }).prompt['3']?.inputs.seed, Number.MAX_SAFE_INTEGER);
  assert.equal(render(api('txt2img'), decls, { seed: 'random' }, undefined, { random: () => 0.5 }).prompt['3']?.inputs.seed, 2 ** 52);
  const a = render(api('txt2img'), decls, {}).prompt['3']?.inputs.seed;
  const b = render(api('txt2img'), decls, {}).prompt['3']?.inputs.seed;
  assert.ok(Number.isSafeInteger(a) && Number.isSafeInteger(b) && a !== b);
  for (let i = 0; i < 100; i++) {
    const r = secureRandom();
    assert.ok(r >= 0 && r < 1);
  }
});

test('upload references map through the resolver, or render as upload:<id> in a dry run', () => {
  const decls: ParametersDecl = { image: { target: { classType: 'LoadImage' }, input: 'image' } };
  assert.equal(render(api('img2img'), decls, { image: { upload: 'u1' } }).prompt['10']?.inputs.image, 'upload:u1');
  assert.equal(render(api('img2img'), decls, { image: { upload: 'u1' } }, undefined, { resolveUpload: (id) => `fleet/${id}.png` }).prompt['10']?.inputs.image, 'fleet/u1.png');
  assert.equal(render(api('img2img'), decls, { image: 'cat.png' }).prompt['10']?.inputs.image, 'cat.png');
});

test('bad values and unknown names are refused together with paths', () => {
  const e = fails(() => render(api('txt2img'), {
    steps: { target: { node: '3' }, input: 'steps' },
    sampler: { target: { node: '3' }, input: 'sampler_name' },
    prompt: { target: { node: '6' }, input: 'text', required: true },
  }, { steps: 10001, sampler: 'fastest', extra: 1 }));
  assert.equal(e.code, 'FLEET_PARAMS_INVALID');
  assert.deepEqual(e.errors?.map((i) => i.path), ['params/steps', 'params/sampler', 'params/extra', 'params/prompt']);
  assert.match(String(e.errors?.[2]?.message), /Unknown parameter "extra"; this template has steps, sampler, prompt/);
  assert.match(String(e.errors?.[3]?.message), /"prompt" is required/);
  assert.equal(e.errors?.[0]?.value, 10001);
});

test('a template without parameters refuses any name and points at patch', () => {
  const e = fails(() => render(api('txt2img'), {}, { steps: 3 }));
  assert.match(e.message, /no declared parameters \(use "patch"/);
});

test('patch sets literal inputs by node id and wins over parameters', () => {
  const { prompt } = render(api('txt2img'), { steps: { target: { node: '3' }, input: 'steps' } }, { steps: 10 }, {
    '3': { steps: 30, cfg: 5 },
    '5': { width: 768 },
    '9': { filename_prefix: 'x/y' },
  });
  assert.deepEqual([prompt['3']?.inputs.steps, prompt['3']?.inputs.cfg, prompt['5']?.inputs.width, prompt['9']?.inputs.filename_prefix], [30, 5, 768, 'x/y']);
});

test('patch problems: unknown node, unknown input, linked input, array values', () => {
  const e = fails(() => render(api('txt2img'), {}, {}, {
    '99': { steps: 1 },
    '3': { stepz: 1, model: 'x', cfg: [1, 2] },
  }));
  assert.equal(e.code, 'FLEET_PARAMS_INVALID');
  // Integer-like keys come first in a JS object: node 3 before 99.
  assert.deepEqual(e.errors?.map((i) => i.path), ['patch/3/stepz', 'patch/3/model', 'patch/3/cfg', 'patch/99']);
  assert.match(String(e.errors?.[0]?.message), /has no input "stepz"; its literal inputs are seed, steps/);
  assert.match(String(e.errors?.[1]?.message), /is a link; a patch can only set literal inputs/);
  assert.match(String(e.errors?.[2]?.message), /cannot create links/);
  assert.match(String(e.errors?.[3]?.message), /No node "99" in the workflow; node ids are 3, 4, 5, 6, 7, 8, 9/);
});

test('patch may set an optional input that is absent from the graph', () => {
  const wf = api('model-free');
  delete wf['1']!.inputs.color;
  assert.equal(render(wf, {}, {}, { '1': { color: 255 } }).prompt['1']?.inputs.color, 255);
});
