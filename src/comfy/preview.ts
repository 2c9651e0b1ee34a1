/**
 * Decoding of ComfyUI's binary websocket frames (PROTOCOL.md §4.6). Every frame starts with a
 * 4-byte big-endian event type:
 *
 *   1  PREVIEW_IMAGE                 [u32 format: 1 JPEG, 2 PNG][image bytes…]
 *   3  TEXT                          [u32 L][L bytes node id][UTF-8 text…]
 *   4  PREVIEW_IMAGE_WITH_METADATA   [u32 M][M bytes JSON metadata][image bytes…]
 *
 * Anything else (2 never reaches the wire; custom nodes may add types) is returned as `unknown`,
 * never thrown. Image bytes are views into the frame (no copy): SaveImageWebsocket frames can be
 * many MB.
 */
import { z } from 'zod';

export const PreviewMetadataSchema = z.looseObject({
  node_id: z.string().nullish(),
  prompt_id: z.string().nullish(),
  display_node_id: z.string().nullish(),
  parent_node_id: z.string().nullish(),
  real_node_id: z.string().nullish(),
  image_type: z.string().nullish(),
});
export type PreviewMetadata = z.infer<typeof PreviewMetadataSchema>;

export const BinaryEventType = {
  PREVIEW_IMAGE: 1,
  UNENCODED_PREVIEW_IMAGE: 2,
  TEXT: 3,
  PREVIEW_IMAGE_WITH_METADATA: 4,
} as const;

/** A preview image: legacy type 1 (no metadata; attribute it to the running prompt) or type 4. */
export interface PreviewFrame {
  kind: 'preview';
  eventType: 1 | 4;
  /** e.g. `image/jpeg`; `application/octet-stream` when the format code is unknown. */
  mimeType: string;
  image: Uint8Array;
  /** Type 4 only. Its `prompt_id` says which prompt the preview belongs to. */
  metadata: PreviewMetadata | null;
}

/** Progress text from a node (type 3). The local server sends no prompt_id with it. */
export interface TextFrame {
  kind: 'text';
  eventType: 3;
  nodeId: string;
  text: string;
}

/** A frame we do not understand: an unknown type, or a known type that is too short or bad. */
export interface UnknownBinaryFrame {
  kind: 'unknown';
  eventType: number | null;
  reason: 'unknown_type' | 'malformed';
  bytes: Uint8Array;
}

export type BinaryFrame = PreviewFrame | TextFrame | UnknownBinaryFrame;

const IMAGE_FORMATS: Readonly<Record<number, string>> = { 1: 'image/jpeg', 2: 'image/png' };
const utf8 = new TextDecoder('utf-8');

export function decodeBinaryFrame(bytes: Uint8Array): BinaryFrame {
  // A Buffer from `ws` may be a slice of a larger ArrayBuffer: always honour byteOffset.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) return { kind: 'unknown', eventType: null, reason: 'malformed', bytes };
  const eventType = view.getUint32(0, false);
  const malformed: UnknownBinaryFrame = { kind: 'unknown', eventType, reason: 'malformed', bytes };
  switch (eventType) {
    case BinaryEventType.PREVIEW_IMAGE: {
      if (bytes.byteLength < 8) return malformed;
      const mimeType = IMAGE_FORMATS[view.getUint32(4, false)] ?? 'application/octet-stream';
      return { kind: 'preview', eventType: 1, mimeType, image: bytes.subarray(8), metadata: null };
    }
    case BinaryEventType.TEXT: {
      const block = lengthPrefixed(view, bytes);
      if (block === null) return malformed;
      return { kind: 'text', eventType: 3, nodeId: utf8.decode(block.head), text: utf8.decode(block.rest) };
    }
    case BinaryEventType.PREVIEW_IMAGE_WITH_METADATA: {
      const block = lengthPrefixed(view, bytes);
      if (block === null) return malformed;
      const metadata = parseMetadata(block.head);
      if (metadata === null) return malformed;
      const mimeType = metadata.image_type ?? 'application/octet-stream';
      return { kind: 'preview', eventType: 4, mimeType, image: block.rest, metadata };
    }
    default:
      return { kind: 'unknown', eventType, reason: 'unknown_type', bytes };
  }
}

/** `[u32 length][length bytes][rest…]` after the 4-byte event type. */
function lengthPrefixed(view: DataView, bytes: Uint8Array): { head: Uint8Array; rest: Uint8Array } | null {
  if (bytes.byteLength < 8) return null;
  const length = view.getUint32(4, false);
  if (8 + length > bytes.byteLength) return null;
  return { head: bytes.subarray(8, 8 + length), rest: bytes.subarray(8 + length) };
}

function parseMetadata(json: Uint8Array): PreviewMetadata | null {
  try {
    const parsed = PreviewMetadataSchema.safeParse(JSON.parse(utf8.decode(json)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Builds frames the way the server does; used by tests and handy for a stand-in. */
export function encodeBinaryFrame(frame: PreviewFrame | TextFrame): Uint8Array {
  const encoder = new TextEncoder();
  if (frame.kind === 'text') return concat(3, encoder.encode(frame.nodeId), encoder.encode(frame.text), true);
  if (frame.eventType === 4) {
    const meta = encoder.encode(JSON.stringify(frame.metadata ?? {}));
    return concat(4, meta, frame.image, true);
  }
  const code = frame.mimeType === 'image/png' ? 2 : 1;
  const format = new Uint8Array(4);
  new DataView(format.buffer).setUint32(0, code, false);
  return concat(1, format, frame.image, false);
}

function concat(eventType: number, head: Uint8Array, rest: Uint8Array, withLength: boolean): Uint8Array {
  const prefix = withLength ? 8 : 4;
  const out = new Uint8Array(prefix + head.byteLength + rest.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, eventType, false);
  if (withLength) view.setUint32(4, head.byteLength, false);
  out.set(head, prefix);
  out.set(rest, prefix + head.byteLength);
  return out;
}
