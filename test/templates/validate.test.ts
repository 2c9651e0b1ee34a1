import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWorkflow } from '../../src/templates/check.ts';
import { NodeCatalog } from '../../src/templates/nodeinfo.ts';
import { typesCompatible, validateWorkflow, VALIDATION_KINDS, type ValidationIssue } from '../../src/templates/validate.ts';
import type { ApiWorkflow } from '../../src/templates/workflow.ts';
import { api, catalog, objectInfo, objectInfoWith } from './fixtures.ts';

const kinds = (issues: ValidationIssue[]) => issues.map((i) => [i.kind, i.nodeId, i.input]);

test('the examples validate clean against the core node info', () => {
  for (const name of ['txt2img', 'img2img', 'model-free', 'load-invert-preview'] as const) {
    assert.deepEqual(validateWorkflow(api(name), catalog()), [], name);
  }
});

test('unknown class, missing required input, link to a missing node, bad slot, type mismatch', () => {
  const wf = api('txt2img');
  wf['20'] = { class_type: 'FancyUpscaler', inputs: {}, _meta: { title: 'Upscale' } };
  delete wf['3']!.inputs.steps;
  wf['3']!.inputs.positive = ['42', 0];
  wf['8']!.inputs.vae = ['4', 5];
  wf['3']!.inputs.negative = ['4', 1];
  const issues = validateWorkflow(wf, catalog());
  assert.deepEqual(kinds(issues), [
    ['required_input_missing', '3', 'steps'],
    ['link_to_missing_node', '3', 'positive'],
    ['return_type_mismatch', '3', 'negative'],
    ['bad_output_slot', '8', 'vae'],
    ['unknown_class_type', '20', null],
  ]);
  const [missing, dangling, mismatch, slot, unknown] = issues;
  assert.deepEqual(missing, {
    kind: 'required_input_missing', nodeId: '3', title: 'KSampler', classType: 'KSampler', input: 'steps',
    expected: 'an integer ≥ 1 and ≤ 10000', path: 'prompt/3/inputs/steps',
    message: 'node 3 (KSampler): Required input "steps" is missing (an integer ≥ 1 and ≤ 10000)',
  });
  assert.match(dangling!.message, /links to node "42", which is not in the workflow/);
  assert.equal(mismatch!.message, 'node 3 (KSampler): Input "negative" expects CONDITIONING but output 1 of node 4 (Load Checkpoint) gives CLIP');
  assert.equal(slot!.message, 'node 8 (VAE Decode): Input "vae" takes output 5 of node 4 (Load Checkpoint), which has outputs 0 MODEL, 1 CLIP, 2 VAE');
  assert.deepEqual(slot!.value, ['4', 5]);
  assert.match(unknown!.message, /class "FancyUpscaler" is not known to any backend/);
});

test('values: wrong type, below min, above max, not in list, literal for a link input, malformed link', () => {
  const wf = api('txt2img');
  Object.assign(wf['3']!.inputs, { steps: 0, cfg: 101, sampler_name: 'fastest', seed: '42', denoise: { __value__: 0.5 } });
  wf['5']!.inputs.width = 20.5;
  wf['8']!.inputs.vae = 'my-vae';
  wf['9']!.inputs.images = [8, 0];
  wf['4']!.inputs.ckpt_name = 'missing.safetensors';
  const issues = validateWorkflow(wf, catalog());
  assert.deepEqual(kinds(issues), [
    ['invalid_input_type', '3', 'seed'],
    ['value_smaller_than_min', '3', 'steps'],
    ['value_bigger_than_max', '3', 'cfg'],
    ['value_not_in_list', '3', 'sampler_name'],
    ['value_not_in_list', '4', 'ckpt_name'],
    ['invalid_input_type', '5', 'width'],
    ['link_required', '8', 'vae'],
    ['bad_linked_input', '9', 'images'],
  ]);
  const byInput = new Map(issues.map((i) => [i.input, i]));
  assert.equal(byInput.get('steps')?.message, 'node 3 (KSampler): Input "steps" is 0, smaller than the minimum 1');
  assert.equal(byInput.get('cfg')?.value, 101);
  assert.equal(byInput.get('ckpt_name')?.expected, 'one of "v1-5-pruned-emaonly-fp16.safetensors", "sd_xl_base_1.0.safetensors"');
  assert.match(String(byInput.get('sampler_name')?.expected), /^one of 44 values: "euler", .*, …$/);
  assert.match(byInput.get('images')!.message, /the node id must be a string, e.g. \["4", 0\]/);
  assert.match(byInput.get('vae')!.message, /needs a link \["<node id>", <output index>\] from an output of type VAE/);
});

test('booleans must be JSON booleans; upload inputs accept any file name', () => {
  const oi = objectInfoWith((o) => {
    o.Flag = { input: { required: { on: ['BOOLEAN', { default: true }], images: ['IMAGE'] } }, output: [], output_node: true };
  });
  const wf: ApiWorkflow = { ...api('load-invert-preview'), '9': { class_type: 'Flag', inputs: { on: 'false', images: ['2', 0] } } };
  wf['1']!.inputs.image = 'not-listed.png';
  const issues = validateWorkflow(wf, new NodeCatalog(oi));
  assert.deepEqual(kinds(issues), [['invalid_input_type', '9', 'on']]);
  assert.match(issues[0]!.message, /would read "false" as true/);
});

test('no output node, and cycles reported once with their path', () => {
  const wf = api('txt2img');
  delete wf['9'];
  wf['3']!.inputs.latent_image = ['8', 0];
  const issues = validateWorkflow(wf, catalog());
  const byKind = new Map(issues.map((i) => [i.kind, i]));
  assert.match(byKind.get('prompt_no_outputs')!.message, /no output node/);
  assert.equal(byKind.get('return_type_mismatch')?.input, 'latent_image', 'IMAGE into LATENT');
  assert.equal(byKind.get('dependency_cycle')?.message, 'Dependency cycle: 3 (KSampler) -> 8 (VAE Decode) -> 3 (KSampler)');
  assert.equal(issues.filter((i) => i.kind === 'dependency_cycle').length, 1);
});

test('undeclared links are followed, undeclared literals ignored', () => {
  const wf = api('model-free');
  wf['2']!.inputs.extra = ['77', 0];
  wf['2']!.inputs.note = 'ignored';
  assert.deepEqual(kinds(validateWorkflow(wf, catalog())), [['link_to_missing_node', '2', 'extra']]);
});

test('type compatibility: unions and *', () => {
  assert.equal(typesCompatible('INT', 'FLOAT,INT'), true);
  assert.equal(typesCompatible('*', 'MODEL'), true);
  assert.equal(typesCompatible('IMAGE', '*'), true);
  assert.equal(typesCompatible('IMAGE', 'LATENT'), false);
  assert.equal(VALIDATION_KINDS.length, 13);
});

test('capability: a graph no single backend can run names what each backend lacks', () => {
  const noCkpt = objectInfoWith((o) => { o.CheckpointLoaderSimple.input.required.ckpt_name[0] = ['flux.safetensors']; });
  const noInvert = objectInfoWith((o) => { delete o.ImageInvert; });
  const wf = api('txt2img');
  const ok = checkWorkflow(wf, [{ backendId: 'a', objectInfo: noCkpt }, { backendId: 'b', objectInfo: objectInfo() }]);
  assert.deepEqual([ok.valid, ok.capableBackends], [true, ['b']]);

  const both: ApiWorkflow = { ...wf, '20': { class_type: 'ImageInvert', inputs: { image: ['8', 0] } } };
  both['9']!.inputs.images = ['20', 0];
  const r = checkWorkflow(both, [{ backendId: 'a', objectInfo: noCkpt }, { backendId: 'b', objectInfo: noInvert }]);
  assert.equal(r.valid, false);
  assert.equal(r.code, 'FLEET_NO_CAPABLE_BACKEND');
  assert.deepEqual(r.errors.map((e) => e.message), [
    'Backend a lacks values ckpt_name="v1-5-pruned-emaonly-fp16.safetensors" (node 4)',
    'Backend b lacks node classes ImageInvert',
  ]);
  assert.deepEqual(r.errors[1]?.missingClasses, ['ImageInvert']);

  const invalid = checkWorkflow({ '1': { class_type: 'Nope', inputs: {} } }, [{ backendId: 'a', objectInfo: objectInfo() }]);
  assert.equal(invalid.code, 'FLEET_WORKFLOW_INVALID');
  assert.deepEqual(invalid.errors.map((e) => e.kind), ['unknown_class_type', 'prompt_no_outputs']);
});
