import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isExecutionBlocked, KNOWN_WS_TYPES, parseWsMessage, type WsMessage } from '../../src/comfy/messages.ts';
import { captureNames, loadCapture, type WsCapture } from './captures.ts';

function parseOk(raw: unknown): WsMessage {
  const result = parseWsMessage(raw);
  assert.ok(result.ok, `did not parse: ${JSON.stringify(result.ok ? null : result.unknown)}`);
  return result.message;
}

test('every websocket message in every capture parses into the variant named by its type', () => {
  const files = captureNames('ws_');
  assert.ok(files.length >= 5, 'captures present');
  const seen = new Set<string>();
  for (const file of files) {
    const capture = loadCapture<WsCapture[] | { type: string }>(file);
    const frames = Array.isArray(capture) ? capture.map((c) => c.msg) : [capture];
    for (const raw of frames) {
      const message = parseOk(raw);
      assert.equal(message.type, (raw as { type: string }).type, file);
      seen.add(message.type);
      // The string form (as it comes off the wire) parses the same.
      assert.deepEqual(parseOk(JSON.stringify(raw)), message);
    }
  }
  for (const type of ['status', 'execution_start', 'execution_cached', 'executing', 'progress_state', 'executed',
    'execution_success', 'execution_error', 'execution_interrupted']) {
    assert.ok(seen.has(type), `captures cover ${type}`);
  }
});

test('status: the greeting carries sid, broadcasts do not', () => {
  const [first, second] = loadCapture<WsCapture[]>('ws_run1_messages.json');
  const greeting = parseOk(first?.msg);
  assert.equal(greeting.type, 'status');
  if (greeting.type === 'status') {
    assert.equal(greeting.data.sid, 'capture-client-848b7dd9');
    assert.equal(greeting.data.status?.exec_info.queue_remaining, 0);
  }
  const broadcast = parseOk(second?.msg);
  assert.ok(broadcast.type === 'status' && broadcast.data.sid == null);
});

test('executing: node null ends a prompt, the reconnect hint has no prompt_id', () => {
  const done = parseOk({ type: 'executing', data: { node: null, prompt_id: 'p' } });
  assert.ok(done.type === 'executing' && done.data.node === null && done.data.prompt_id === 'p');
  const hint = parseOk({ type: 'executing', data: { node: '3' } });
  assert.ok(hint.type === 'executing' && hint.data.node === '3' && hint.data.prompt_id == null);
});

test('progress (not in the CPU captures) parses with and without prompt_id', () => {
  const tick = parseOk({ type: 'progress', data: { value: 7, max: 20, prompt_id: 'p', node: '3' } });
  assert.ok(tick.type === 'progress' && tick.data.value === 7 && tick.data.max === 20);
  assert.equal(parseOk({ type: 'progress', data: { value: 1, max: 2 } }).type, 'progress');
});

test('execution_error: the captured runtime error and the ExecutionBlocked variant without timestamp', () => {
  const captured = loadCapture<WsCapture[]>('ws_runtime_error_messages.json').map((c) => parseOk(c.msg));
  const error = captured.find((m) => m.type === 'execution_error');
  assert.ok(error?.type === 'execution_error');
  assert.equal(error.data.exception_type, 'PIL.UnidentifiedImageError');
  assert.equal(error.data.node_type, 'LoadImage');
  assert.ok(error.data.exception_message.endsWith('\n'));
  assert.equal(isExecutionBlocked(error.data), false);

  const blocked = parseOk({ type: 'execution_error', data: {
    prompt_id: 'p', node_id: '5', node_type: 'Gate', executed: [], exception_message: 'blocked by gate\n',
    exception_type: 'ExecutionBlocked', traceback: [], current_inputs: [], current_outputs: [],
  } });
  assert.ok(blocked.type === 'execution_error' && isExecutionBlocked(blocked.data));
  assert.equal(blocked.data.timestamp, undefined);
  // Older servers sent current_outputs as a dict.
  assert.equal(parseOk({ type: 'execution_error', data: { prompt_id: 'p', exception_message: 'x', exception_type: 'E', current_outputs: { '1': [] } } }).type, 'execution_error');
});

test('execution_interrupted, executed with null output, feature_flags and logs', () => {
  const interrupted = loadCapture<WsCapture[]>('ws_interrupt_and_queue_messages.json')
    .map((c) => parseOk(c.msg)).find((m) => m.type === 'execution_interrupted');
  assert.ok(interrupted?.type === 'execution_interrupted');
  assert.deepEqual(interrupted.data.executed, ['11', '10', '1']);
  const cached = parseOk({ type: 'executed', data: { node: '9', display_node: '9', output: null, prompt_id: 'p' } });
  assert.ok(cached.type === 'executed' && cached.data.output === null);
  const flags = parseOk({ type: 'feature_flags', data: { supports_preview_metadata: true, max_upload_size: 104857600.0, extension: { manager: { supports_v4: true } }, node_replacements: true, assets: false } });
  assert.ok(flags.type === 'feature_flags' && flags.data.max_upload_size === 104857600);
  const logs = parseOk({ type: 'logs', data: { entries: [{ t: '2026-07-03T10:00:00', m: 'got prompt\n' }], size: { cols: 80, rows: 24 } } });
  assert.ok(logs.type === 'logs' && logs.data.entries.length === 1);
});

test('unknown types, malformed known types and non-JSON never throw', () => {
  const custom = parseWsMessage({ type: 'crystools.monitor', data: { cpu: 3 } });
  assert.ok(!custom.ok && custom.unknown.reason === 'unknown_type' && custom.unknown.type === 'crystools.monitor');
  const assets = parseWsMessage(JSON.stringify({ type: 'assets.seed.started', data: {} }));
  assert.ok(!assets.ok && assets.unknown.reason === 'unknown_type');
  const bad = parseWsMessage({ type: 'progress', data: { value: 'x' } });
  assert.ok(!bad.ok && bad.unknown.reason === 'invalid' && typeof bad.unknown.issues === 'string');
  const notJson = parseWsMessage('{nope');
  assert.ok(!notJson.ok && notJson.unknown.reason === 'not_json');
  assert.ok(!parseWsMessage([1, 2]).ok);
  assert.ok(!parseWsMessage(null).ok);
});

test('extra keys sent by newer servers are kept', () => {
  const message = parseOk({ type: 'execution_start', data: { prompt_id: 'p', timestamp: 1, future_key: 42 } });
  assert.ok(message.type === 'execution_start');
  assert.equal((message.data as Record<string, unknown>)['future_key'], 42);
  assert.equal(KNOWN_WS_TYPES.size, 12);
});
