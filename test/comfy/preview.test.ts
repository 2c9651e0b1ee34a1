import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBinaryFrame, encodeBinaryFrame } from '../../src/comfy/preview.ts';

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

/** A Buffer that is a slice of a larger ArrayBuffer, as `ws` hands them out. */
function offsetBuffer(bytes: Uint8Array, offset = 13): Buffer {
  const backing = Buffer.alloc(offset + bytes.byteLength + 7, 0xee);
  backing.set(bytes, offset);
  return backing.subarray(offset, offset + bytes.byteLength);
}

function frame(type: number, ...parts: Uint8Array[]): Uint8Array {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(type);
  return Buffer.concat([head, ...parts]);
}

function u32(value: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

test('type 1: format at offset 4 (not 0), image after 8', () => {
  const decoded = decodeBinaryFrame(offsetBuffer(frame(1, u32(1), JPEG)));
  assert.equal(decoded.kind, 'preview');
  if (decoded.kind !== 'preview') return;
  assert.equal(decoded.eventType, 1);
  assert.equal(decoded.mimeType, 'image/jpeg');
  assert.deepEqual([...decoded.image], [...JPEG]);
  assert.equal(decoded.metadata, null);
  const png = decodeBinaryFrame(frame(1, u32(2), JPEG));
  assert.ok(png.kind === 'preview' && png.mimeType === 'image/png');
  const odd = decodeBinaryFrame(frame(1, u32(9), JPEG));
  assert.ok(odd.kind === 'preview' && odd.mimeType === 'application/octet-stream');
});

test('type 3: length-prefixed node id, then the text', () => {
  const node = Buffer.from('57:35');
  const decoded = decodeBinaryFrame(offsetBuffer(frame(3, u32(node.length), node, Buffer.from('width: 512, height: 512 ✓'))));
  assert.deepEqual(decoded, { kind: 'text', eventType: 3, nodeId: '57:35', text: 'width: 512, height: 512 ✓' });
});

test('type 4: metadata JSON with prompt_id, then the image', () => {
  const meta = Buffer.from(JSON.stringify({ node_id: '3', prompt_id: 'p-1', display_node_id: '3', parent_node_id: null, real_node_id: '3', image_type: 'image/png' }));
  const decoded = decodeBinaryFrame(offsetBuffer(frame(4, u32(meta.length), meta, JPEG), 101));
  assert.equal(decoded.kind, 'preview');
  if (decoded.kind !== 'preview') return;
  assert.equal(decoded.eventType, 4);
  assert.equal(decoded.metadata?.prompt_id, 'p-1');
  assert.equal(decoded.mimeType, 'image/png');
  assert.deepEqual([...decoded.image], [...JPEG]);
});

test('unknown types and malformed frames are returned, never thrown', () => {
  const unknown = decodeBinaryFrame(frame(2, JPEG));
  assert.ok(unknown.kind === 'unknown' && unknown.reason === 'unknown_type' && unknown.eventType === 2);
  assert.ok(decodeBinaryFrame(frame(77)).kind === 'unknown');
  const short = decodeBinaryFrame(Uint8Array.from([0, 0]));
  assert.ok(short.kind === 'unknown' && short.reason === 'malformed' && short.eventType === null);
  const overlong = decodeBinaryFrame(frame(3, u32(99), Buffer.from('x')));
  assert.ok(overlong.kind === 'unknown' && overlong.reason === 'malformed');
  const badJson = decodeBinaryFrame(frame(4, u32(3), Buffer.from('{x}'), JPEG));
  assert.ok(badJson.kind === 'unknown' && badJson.reason === 'malformed');
  assert.ok(decodeBinaryFrame(frame(1, Buffer.from([0, 0]))).kind === 'unknown');
});

test('encode → decode round trip', () => {
  const text = { kind: 'text', eventType: 3, nodeId: '9', text: 'hello' } as const;
  assert.deepEqual(decodeBinaryFrame(encodeBinaryFrame(text)), text);
  const preview = { kind: 'preview', eventType: 4, mimeType: 'image/jpeg', image: JPEG, metadata: { prompt_id: 'p', image_type: 'image/jpeg' } } as const;
  const back = decodeBinaryFrame(encodeBinaryFrame(preview));
  assert.ok(back.kind === 'preview' && back.metadata?.prompt_id === 'p');
  const legacy = decodeBinaryFrame(encodeBinaryFrame({ kind: 'preview', eventType: 1, mimeType: 'image/png', image: JPEG, metadata: null }));
  assert.ok(legacy.kind === 'preview' && legacy.mimeType === 'image/png');
});
