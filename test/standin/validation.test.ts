/** POST /prompt validation (§7): error kinds, partial acceptance, coercions, numbers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typesCompatible } from '../../src/standin/validate.ts';
import { EMPTY, startInProcess, TXT2IMG, waitFor } from './helpers.ts';
import type { Running } from './helpers.ts';

interface Reply {
  error?: { type: string; message: string; details: string; extra_info: Record<string, unknown> };
  node_errors: Record<string, { errors: { type: string; message: string; details: string; extra_info: Record<string, unknown> }[]; dependent_outputs: string[]; class_type: string }>;
  prompt_id?: string;
  number?: number;
}

async function post(r: Running, body: unknown): Promise<{ status: number; reply: Reply; text: string }> {
  const res = await r.post('/prompt', body);
  const text = await res.text();
  return { status: res.status, text, reply: res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Reply) : ({} as Reply) };
}

const hang = (r: Running, on: boolean): Promise<Response> => r.post('/__standin/faults', { hang: on });

test('model and sampler combos: Python repr list, and the >20 options rule', async (t) => {
  const r = await startInProcess(t);
  const p = TXT2IMG();
  (p['4'] as { inputs: Record<string, unknown> }).inputs['ckpt_name'] = 'missing.safetensors';
  (p['3'] as { inputs: Record<string, unknown> }).inputs['sampler_name'] = 'nope';
  (p['3'] as { inputs: Record<string, unknown> }).inputs['steps'] = 20000;
  (p['3'] as { inputs: Record<string, unknown> }).inputs['cfg'] = -1;
  const { status, reply } = await post(r, { prompt: p });
  assert.equal(status, 400);
  assert.equal(reply.error?.type, 'prompt_outputs_failed_validation');
  assert.equal(reply.error?.details, '');
  const ckpt = reply.node_errors['4']?.errors[0];
  assert.equal(ckpt?.details, "ckpt_name: 'missing.safetensors' not in ['sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly-fp16.safetensors']");
  assert.deepEqual(reply.node_errors['4']?.dependent_outputs, ['9']);
  const k = reply.node_errors['3']?.errors ?? [];
  assert.deepEqual(k.map((e) => [e.type, e.message, e.details]), [
    ['value_bigger_than_max', 'Value 20000 bigger than max of 10000', 'steps'],
    ['value_smaller_than_min', 'Value -1.0 smaller than min of 0.0', 'cfg'],
    ['value_not_in_list', 'Value not in list', "sampler_name: 'nope' not in (list of length 44)"],
  ]);
  assert.equal(k[2]?.extra_info['input_config'], null);
});

test('STANDIN_MODELS feeds /models/{folder} and the checkpoint combo', async (t) => {
  const r = await startInProcess(t, [], { STANDIN_MODELS: '{"checkpoints":["b.safetensors","a.safetensors"],"loras":["l1.safetensors"]}' });
  assert.deepEqual(await (await r.get('/models/checkpoints')).json(), ['a.safetensors', 'b.safetensors']);
  assert.deepEqual(await (await r.get('/api/models/loras')).json(), ['l1.safetensors']);
  assert.equal((await r.get('/models/unet')).status, 404);
  assert.equal((await post(r, { prompt: TXT2IMG(1, 1, 'a.safetensors') })).status, 200);
  const bad = await post(r, { prompt: TXT2IMG(1, 1, 'v1-5-pruned-emaonly-fp16.safetensors') });
  assert.equal(bad.reply.node_errors['4']?.errors[0]?.type, 'value_not_in_list');
});

test('whole-prompt errors: first offending node, titles, no outputs, partial targets, 500 shapes', async (t) => {
  const r = await startInProcess(t);
  const a = await post(r, { prompt: { 1: { class_type: 'EmptyImage', inputs: {} }, 2: { class_type: 'Nope', inputs: {}, _meta: { title: 'My Node' } }, 3: { inputs: {} } } });
  assert.deepEqual(a.reply.error, { type: 'missing_node_type', message: "Node 'My Node' not found. The custom node may not be installed.", details: "Node ID '#2'", extra_info: { node_id: '2', class_type: 'Nope', node_title: 'My Node' } });
  const b = await post(r, { prompt: EMPTY(), partial_execution_targets: ['1'] });
  assert.equal(b.reply.error?.type, 'prompt_no_outputs');
  const c = await post(r, { prompt: EMPTY(), prompt_id: '6F1C2E3A-2B7D-4C1E-9A55-0B3F2D8E4C11' });
  assert.equal(c.reply.error?.type, 'invalid_prompt_id');
  for (const body of ['{"prompt": [1, 2]}', '{"prompt": {"version": 0.4, "nodes": [], "links": []}}', '{"prompt": {}, "extra_data": 5}', '5']) {
    const res = await r.post('/prompt', body);
    assert.equal(res.status, 500, body);
    assert.equal(await res.text(), '500 Internal Server Error\n\nServer got itself in trouble');
  }
});

test('partial acceptance, the dependent_outputs quirk and output-level details', async (t) => {
  const r = await startInProcess(t);
  await hang(r, true);
  const prompt = {
    1: { class_type: 'EmptyImage', inputs: { width: 0, height: 8, batch_size: 1, color: 0 } },
    2: { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'a' } },
    3: { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
    4: { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'b' } },
    5: { class_type: 'EmptyImage', inputs: { width: 8, height: 99999, batch_size: 1, color: 0 } },
    6: { class_type: 'PreviewImage', inputs: { images: ['5', 0] } },
  };
  const ok = await post(r, { prompt });
  assert.equal(ok.status, 200);
  assert.deepEqual(Object.keys(ok.reply.node_errors), ['1', '5']);
  // Quirk: every node with errors gets every failing output appended.
  assert.deepEqual(ok.reply.node_errors['1']?.dependent_outputs, ['2', '6']);
  assert.deepEqual(ok.reply.node_errors['5']?.dependent_outputs, ['6']);
  const queue = (await (await r.get('/queue')).json()) as { queue_pending: unknown[][] };
  assert.deepEqual(queue.queue_pending[0]?.[4], ['4']);
  const own = await post(r, { prompt: { 1: { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } }, 2: { class_type: 'SaveImage', inputs: { images: ['1', 0] } } } });
  assert.equal(own.reply.error?.details, 'Required input is missing: filename_prefix');
  const cycle = await post(r, { prompt: { 2: { class_type: 'ImageInvert', inputs: { image: ['4', 0] } }, 4: { class_type: 'ImageInvert', inputs: { image: ['2', 0] } }, 3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'c' } } } });
  const cyc = Object.values(cycle.reply.node_errors).flatMap((n) => n.errors).find((e) => e.type === 'dependency_cycle');
  assert.equal(cyc?.details, '2 (ImageInvert) -> 4 (ImageInvert) -> 2 (ImageInvert)');
  const partial = await post(r, { prompt: { ...EMPTY(), 4: { class_type: 'PreviewImage', inputs: { images: ['1', 0] } } }, partial_execution_targets: ['4', '1'] });
  assert.equal(partial.status, 200);
  const q2 = (await (await r.get('/queue')).json()) as { queue_pending: unknown[][] };
  assert.ok(q2.queue_pending.some((i) => JSON.stringify(i[4]) === '["4"]' && i[1] === partial.reply.prompt_id));
  const bad = await post(r, { prompt: { 1: { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } }, 2: { class_type: 'SaveImage', inputs: { images: ['1', 5], filename_prefix: 'x' } } } });
  assert.deepEqual(bad.reply.node_errors['2']?.errors[0]?.type, 'exception_during_validation');
  assert.equal(bad.reply.node_errors['2']?.errors[0]?.details, 'tuple index out of range');
  const badLink = await post(r, { prompt: { 2: { class_type: 'SaveImage', inputs: { images: ['1', 0, 1], filename_prefix: 'x' } } } });
  assert.equal(badLink.reply.node_errors['2']?.errors[0]?.type, 'bad_linked_input');
});

test('types: unions and * match, others do not', () => {
  assert.equal(typesCompatible('IMAGE', 'IMAGE,MASK'), true);
  assert.equal(typesCompatible('*', 'LATENT'), true);
  assert.equal(typesCompatible('LATENT', 'IMAGE'), false);
  assert.equal(typesCompatible(['a', 'b'], ['a', 'c']), true);
});

test('silent coercions show in /queue, numbers follow the counter, front and explicit floats', async (t) => {
  const r = await startInProcess(t);
  await hang(r, true);
  await post(r, { prompt: { 1: { class_type: 'Nope', inputs: {} } } });
  const p = { 1: { class_type: 'EmptyImage', inputs: { width: 7.9, height: '12', batch_size: 1, color: 0 } },
    2: { class_type: 'ImageScaleBy', inputs: { image: ['1', 0], upscale_method: 'lanczos', scale_by: 2 } },
    3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 5 } } };
  const a = await post(r, { prompt: p });
  assert.equal(a.reply.number, 1, 'the failed POST consumed number 0');
  const b = await post(r, { prompt: EMPTY(), front: true });
  assert.equal(b.reply.number, -2);
  const c = await post(r, { prompt: EMPTY(), number: 5 });
  assert.match(c.text, /"number": 5\.0,/);
  const q = await (await r.get('/queue')).text();
  assert.ok(q.includes('"inputs": {"width": 7, "height": 12, "batch_size": 1, "color": 0}'));
  assert.ok(q.includes('"scale_by": 2.0'));
  assert.ok(q.includes('"filename_prefix": "5"'));
  await hang(r, false);
  await waitFor(async () => ((await (await r.get('/prompt')).json()) as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining === 0);
  const h = await (await r.get('/history')).text();
  assert.ok(h.includes('"scale_by": 2.0'));
});
