import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classifyComfyError,
  classifyExecutionError,
  ComfyHttpError,
  ComfyPromptError,
  ComfyPromptLostError,
  ComfyUnreachableError,
} from '../../src/comfy/errors.ts';
import { PromptErrorBodySchema } from '../../src/comfy/replies.ts';
import { captureNames, loadCapture } from './captures.ts';

function promptError(file: string): ComfyPromptError {
  const capture = loadCapture(file);
  assert.equal(capture.status, 400, file);
  return new ComfyPromptError(PromptErrorBodySchema.parse(capture.body));
}

test('every 400 capture of POST /prompt becomes a ComfyPromptError', () => {
  const files = captureNames('prompt_error_').filter((f) => loadCapture(f).status === 400);
  assert.equal(files.length, 11);
  for (const file of files) {
    const err = promptError(file);
    assert.ok(err.errorType.length > 0, file);
    assert.equal(classifyComfyError(err), 'workflow', file);
  }
});

test('node_errors are flattened with input name, received value and what was expected', () => {
  const range = promptError('prompt_error_bad_value_int_range.json');
  assert.equal(range.errorType, 'prompt_outputs_failed_validation');
  assert.deepEqual(range.nodeErrors, [{
    nodeId: '1', classType: 'EmptyImage', type: 'value_smaller_than_min', message: 'Value 0 smaller than min of 1',
    details: 'width', inputName: 'width', receivedValue: 0,
    expected: ['INT', { default: 512, min: 1, max: 16384, step: 1 }],
  }]);
  assert.match(range.message, /node 1 \(EmptyImage\): Value 0 smaller than min of 1/);

  const link = promptError('prompt_error_bad_link_type.json').nodeErrors[0];
  assert.equal(link?.type, 'return_type_mismatch');
  assert.equal(link?.inputName, 'image');
  assert.equal(link?.receivedValue, 'LATENT');
  assert.deepEqual(link?.expected, ['IMAGE', {}]);

  const missing = promptError('prompt_error_missing_required_input.json').nodeErrors;
  assert.deepEqual(missing, [{ nodeId: '2', classType: 'ImageInvert', type: 'required_input_missing', message: 'Required input is missing', details: 'image', inputName: 'image' }]);

  const file = promptError('prompt_error_bad_value_missing_file.json').nodeErrors[0];
  assert.equal(file?.type, 'custom_validation_failed');
  assert.equal(file?.details, 'image - Invalid image file: does_not_exist.png');

  const nan = promptError('prompt_error_bad_value_not_a_number.json').nodeErrors[0];
  assert.equal(nan?.receivedValue, 'abc');
});

test('whole-prompt errors have no node errors and keep type, details and extra_info', () => {
  const unknown = promptError('prompt_error_unknown_class_type.json');
  assert.equal(unknown.errorType, 'missing_node_type');
  assert.equal(unknown.details, "Node ID '#1'");
  assert.equal(unknown.extraInfo['class_type'], 'NoSuchNode');
  assert.deepEqual(unknown.nodeErrors, []);
  assert.equal(promptError('prompt_error_bad_prompt_id.json').errorType, 'invalid_prompt_id');
  assert.equal(promptError('prompt_error_no_output_node.json').errorType, 'prompt_no_outputs');
  assert.equal(promptError('prompt_error_no_prompt_key.json').errorType, 'no_prompt');
});

test('the 2024 form: error as a string, node_errors as a list', () => {
  const err = new ComfyPromptError(PromptErrorBodySchema.parse({ error: 'no prompt', node_errors: [] }));
  assert.equal(err.message, 'no prompt');
  assert.deepEqual(err.nodeErrors, []);
});

test('classification: 5xx, network, timeouts and lost prompts are infrastructure; 4xx are workflow', () => {
  const http = (status: number) => new ComfyHttpError({ status, method: 'POST', url: 'http://x/api/prompt', contentType: 'text/plain', bodyText: '500 Internal Server Error\n\nServer got itself in trouble' });
  assert.equal(classifyComfyError(http(500)), 'infrastructure');
  assert.equal(classifyComfyError(http(503)), 'infrastructure');
  assert.equal(classifyComfyError(http(403)), 'infrastructure');
  assert.equal(classifyComfyError(http(413)), 'workflow');
  assert.equal(classifyComfyError(http(400)), 'workflow');
  assert.equal(classifyComfyError(new ComfyUnreachableError({ reason: 'timeout', url: 'u', timeoutMs: 5 })), 'infrastructure');
  assert.equal(classifyComfyError(new ComfyPromptLostError('p')), 'infrastructure');
  assert.equal(classifyComfyError(new Error('?')), 'infrastructure');
  assert.match(http(500).message, /answered 500: 500 Internal Server Error Server got itself in trouble/);
});

test('execution errors: OOM is infrastructure, a node exception is the workflow', () => {
  assert.equal(classifyExecutionError({ exception_type: 'torch.OutOfMemoryError', exception_message: 'CUDA out of memory.\n' }), 'infrastructure');
  assert.equal(classifyExecutionError({ exception_type: 'RuntimeError', exception_message: 'HIP out of memory\n' }), 'infrastructure');
  assert.equal(classifyExecutionError({ exception_type: 'PIL.UnidentifiedImageError', exception_message: 'cannot identify image file\n' }), 'workflow');
});
