import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FeatureFlagsSchema,
} from '../../src/comfy/messages.ts';
import {
  HistorySchema,
  ObjectInfoSchema,
  outputFiles,
  PromptCounterSchema,
  PromptOkSchema,
  QueueSchema,
  StringListSchema,
  SystemStatsSchema,
  UploadImageSchema,
} from '../../src/comfy/replies.ts';
import { terminalFromHistory } from '../../src/comfy/result.ts';
import { captureNames, loadCapture } from './captures.ts';
import { readFileSync } from 'node:fs';

test('every history capture parses; outputs, status and the 5-element prompt come through', () => {
  const files = captureNames('history_').filter((name) => !['history_delete.json'].includes(name));
  assert.ok(files.length >= 8);
  for (const file of files) {
    const history = HistorySchema.parse(loadCapture(file).body);
    for (const [id, entry] of Object.entries(history)) {
      assert.equal(entry.prompt?.promptId, id, file);
      assert.ok(Array.isArray(entry.prompt?.outputsToExecute), file);
    }
  }
  const entry = HistorySchema.parse(loadCapture('history_entry.json').body)['910a4ad8-f2d3-4305-aab5-4f34a4b62254'];
  assert.ok(entry);
  assert.equal(entry.prompt?.number, 15);
  assert.equal(entry.prompt?.extraData['client_id'], 'capture-client-848b7dd9');
  assert.deepEqual(outputFiles(entry.outputs ?? {}), [
    { nodeId: '3', kind: 'images', file: { filename: 'capture_00002_.png', subfolder: '', type: 'output' } },
  ]);
  assert.deepEqual(terminalFromHistory(entry), { status: 'success' });
  assert.deepEqual(HistorySchema.parse(loadCapture('history_entry_deleted_pending.json').body), {});
});

test('history tells an interrupt from an error (both have status_str "error")', () => {
  const pick = (file: string) => Object.values(HistorySchema.parse(loadCapture(file).body))[0]!;
  const interrupted = terminalFromHistory(pick('history_entry_interrupted.json'));
  assert.equal(interrupted.status, 'interrupted');
  assert.equal(interrupted.interrupted?.node_type, 'ImageScaleBy');
  const failed = terminalFromHistory(pick('history_entry_runtime_error.json'));
  assert.equal(failed.status, 'error');
  assert.equal(failed.error?.exception_type, 'PIL.UnidentifiedImageError');
});

test('history tolerates a null status and null outputs', () => {
  const history = HistorySchema.parse({ p: { prompt: [1, 'p', {}, {}, ['9']], outputs: { '9': null, '8': { text: ['hi'] } }, status: null } });
  assert.equal(history['p']?.status, null);
  assert.deepEqual(outputFiles({ '9': null, '8': { text: ['hi'] } }), []);
});

test('queue captures parse into named fields; old servers with a 6th element too', () => {
  for (const file of captureNames('queue_')) {
    const capture = loadCapture(file);
    if (capture.request?.method !== 'GET') continue;
    QueueSchema.parse(capture.body);
  }
  const busy = QueueSchema.parse(loadCapture('queue_running_and_pending.json').body);
  assert.equal(busy.queue_running.length, 1);
  assert.equal(busy.queue_running[0]?.promptId, 'e5062bf2-6417-4d53-bc99-fd0e92c91fd5');
  assert.ok(busy.queue_pending.length >= 1);
  const old = QueueSchema.parse({ queue_running: [[1, 'a', {}, { client_id: 'c' }, ['9'], { secret: 1 }]], queue_pending: [] });
  assert.deepEqual(old.queue_running[0]?.outputsToExecute, ['9']);
});

test('the other HTTP replies parse: /prompt, /system_stats, /features, /models, /embeddings, /upload, /object_info', () => {
  for (const file of ['prompt_post_ok.json', 'prompt_post_ok_second.json', 'prompt_post_runtime_error.json', 'prompt_post_slow_A.json']) {
    const ok = PromptOkSchema.parse(loadCapture(file).body);
    assert.match(ok.prompt_id, /^[0-9a-f-]{36}$/);
  }
  assert.equal(PromptCounterSchema.parse(loadCapture('prompt_get_busy.json').body).exec_info.queue_remaining, 3);
  const stats = SystemStatsSchema.parse(loadCapture('system_stats.json').body);
  assert.equal(stats.system.comfyui_version, '0.27.0');
  assert.equal(stats.devices[0]?.index, null);
  SystemStatsSchema.parse(loadCapture('api_prefix_system_stats.json').body);
  assert.equal(FeatureFlagsSchema.parse(loadCapture('features.json').body).supports_preview_metadata, true);
  assert.ok(StringListSchema.parse(loadCapture('models.json').body).includes('checkpoints'));
  assert.deepEqual(StringListSchema.parse(loadCapture('embeddings.json').body), []);
  assert.equal(UploadImageSchema.parse(loadCapture('upload_image.json').body).name, 'capture_in.png');
  const info = ObjectInfoSchema.parse(loadCapture('object_info_ImageInvert.json').body);
  assert.equal(info['ImageInvert']?.category, 'image/color');
});

test('object_info: every core node definition parses, and V3 entries full of nulls do too', () => {
  const core = JSON.parse(readFileSync(new URL('../../../shared/comfyui/object_info.core.json', import.meta.url), 'utf8'));
  const parsed = ObjectInfoSchema.parse(core);
  assert.equal(Object.keys(parsed).length, 13);
  assert.equal(parsed['SaveImage']?.output_node, true);
  const v3 = ObjectInfoSchema.parse({ X: {
    input: { required: { image: ['IMAGE', {}] }, optional: null, hidden: { unique_id: ['UNIQUE_ID'] } },
    input_order: { required: ['image'] }, is_input_list: false, output: ['IMAGE'], output_is_list: [false],
    output_name: ['IMAGE'], output_tooltips: [null], output_matchtypes: null, name: 'X', display_name: null,
    description: '', python_module: 'comfy_extras.x', category: 'image', output_node: false, deprecated: false,
    experimental: false, dev_only: false, api_node: false, price_badge: null, search_aliases: [],
    essentials_category: null, has_intermediate_output: false,
  } });
  assert.equal(v3['X']?.display_name, null);
});
