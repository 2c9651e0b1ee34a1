import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FleetError } from '../../src/errors.ts';
import { resolveParameters, type ParametersDecl } from '../../src/templates/params.ts';
import { resolveNodeRef } from '../../src/templates/refs.ts';
import { api, catalog } from './fixtures.ts';

const refError = (decls: ParametersDecl, wf = api('txt2img')): FleetError => {
  try {
    resolveParameters(wf, decls, catalog());
  } catch (err) {
    assert.ok(err instanceof FleetError);
    assert.equal(err.code, 'FLEET_PARAMETER_REFERENCE');
    return err;
  }
  assert.fail('expected FLEET_PARAMETER_REFERENCE');
};

test('by node id (string or number), by title, by class type', () => {
  const wf = api('txt2img');
  const [a, b, c, d] = resolveParameters(wf, {
    a: { target: { node: '3' }, input: 'steps' },
    b: { target: { node: 6, input: 'text' } },
    c: { target: { title: 'Negative Prompt' }, input: 'text' },
    d: { target: { classType: 'EmptyLatentImage' }, input: 'width' },
  }, catalog());
  assert.deepEqual(a?.targets, [{ nodeId: '3', title: 'KSampler', classType: 'KSampler', input: 'steps' }]);
  assert.deepEqual(b?.targets, [{ nodeId: '6', title: 'Positive Prompt', classType: 'CLIPTextEncode', input: 'text' }]);
  assert.equal(c?.targets[0]?.nodeId, '7');
  assert.equal(d?.targets[0]?.nodeId, '5');
});

test('several targets for one parameter (the same seed in two samplers)', () => {
  const wf = api('txt2img');
  wf['13'] = { class_type: 'KSampler', inputs: { ...wf['3']!.inputs, seed: 7 }, _meta: { title: 'Refiner' } };
  const [seed] = resolveParameters(wf, { seed: { target: [{ node: '3' }, { title: 'Refiner' }], input: 'seed' } }, catalog());
  assert.deepEqual(seed?.targets.map((t) => t.nodeId), ['3', '13']);
});

test('an ambiguous class type lists the candidates with ids and titles', () => {
  const e = refError({ prompt: { target: { classType: 'CLIPTextEncode' }, input: 'text' } });
  assert.match(e.message, /class type "CLIPTextEncode" matches 2 nodes: 6 \(Positive Prompt\), 7 \(Negative Prompt\)/);
  assert.deepEqual(e.errors?.[0]?.candidates, [
    { nodeId: '6', title: 'Positive Prompt', classType: 'CLIPTextEncode' },
    { nodeId: '7', title: 'Negative Prompt', classType: 'CLIPTextEncode' },
  ]);
});

test('an ambiguous title lists the candidates', () => {
  const wf = api('txt2img');
  wf['7']!._meta = { title: 'Positive Prompt' };
  const e = refError({ p: { target: { title: 'Positive Prompt' }, input: 'text' } }, wf);
  assert.match(e.message, /title "Positive Prompt" matches 2 nodes: 6 \(Positive Prompt\), 7 \(Positive Prompt\)/);
});

test('no match suggests close titles, or lists every node', () => {
  const e = refError({ p: { target: { title: 'positive' }, input: 'text' } });
  assert.match(e.message, /No node has title "positive"; did you mean 6 \(Positive Prompt\)/);
  const id = refError({ p: { target: { node: '99' }, input: 'text' } });
  assert.match(id.message, /No node has node id "99"; the nodes are 3 \(KSampler\), 4 \(Load Checkpoint\)/);
  const cls = refError({ p: { target: { classType: 'ksampler' }, input: 'seed' } });
  assert.match(cls.message, /did you mean 3 \(KSampler\)/);
});

test('the input must exist and be a literal, every problem is listed', () => {
  const e = refError({
    a: { target: { node: '3' }, input: 'stepz' },
    b: { target: { node: '3' }, input: 'model' },
    c: { target: { node: '3' } },
  });
  assert.equal(e.errors?.length, 3);
  assert.match(String(e.errors?.[0]?.message), /node 3 \(KSampler\) has no input "stepz"; its settable inputs are seed, steps, cfg, sampler_name, scheduler, denoise/);
  assert.match(String(e.errors?.[1]?.message), /input "model" of node 3 is linked from node 4; a parameter can only set a literal value/);
  assert.match(String(e.errors?.[2]?.message), /names no input/);
  assert.deepEqual(e.errors?.map((x) => x.path), ['parameters/a/target', 'parameters/b/target', 'parameters/c/target']);
});

test('an optional input absent from the graph but declared in object_info is accepted', () => {
  const oi = catalog();
  const wf = api('model-free');
  const [p] = resolveParameters(wf, { color: { target: { node: '1' }, input: 'color' } }, oi);
  assert.equal(p?.targets[0]?.input, 'color');
  delete wf['1']!.inputs.color;
  assert.equal(resolveParameters(wf, { color: { target: { node: '1' }, input: 'color' } }, oi)[0]?.targets.length, 1);
  assert.throws(() => resolveParameters(wf, { color: { target: { node: '1' }, input: 'color' } }, undefined), /has no input "color"/);
});

test('resolveNodeRef answers ok with the node id', () => {
  assert.deepEqual(resolveNodeRef(api('img2img'), { title: 'Load Image' }), { ok: true, nodeId: '10' });
});
