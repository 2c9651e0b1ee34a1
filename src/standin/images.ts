/**
 * Images as the stand-in's nodes pass them around (IMAGE = a batch of RGB frames of one size),
 * and PNG encoding/decoding through pngjs, plus the tEXt chunks ComfyUI writes as metadata.
 */
import { PNG } from 'pngjs';

export interface ImageBatch {
  kind: 'IMAGE';
  width: number;
  height: number;
  /** One RGB byte array (width * height * 3) per batch item. */
  frames: Uint8Array[];
}

export interface MaskBatch {
  kind: 'MASK';
  width: number;
  height: number;
  frames: Float32Array[];
}

export function filledImage(width: number, height: number, batch: number, color: number): ImageBatch {
  const r = (color >> 16) & 0xff;
  const g = (color >> 8) & 0xff;
  const b = color & 0xff;
  const frames: Uint8Array[] = [];
  for (let n = 0; n < batch; n++) {
    const f = new Uint8Array(width * height * 3);
    for (let i = 0; i < f.length; i += 3) {
      f[i] = r;
      f[i + 1] = g;
      f[i + 2] = b;
    }
    frames.push(f);
  }
  return { kind: 'IMAGE', width, height, frames };
}

/** Deterministic noise (a small LCG) so that a seed always gives the same picture. */
export function noiseImage(width: number, height: number, batch: number, seed: number): ImageBatch {
  let s = (Math.abs(Math.trunc(seed)) % 2147483647) || 1;
  const frames: Uint8Array[] = [];
  for (let n = 0; n < batch; n++) {
    const f = new Uint8Array(width * height * 3);
    for (let i = 0; i < f.length; i++) {
      s = (s * 48271) % 2147483647;
      f[i] = s & 0xff;
    }
    frames.push(f);
  }
  return { kind: 'IMAGE', width, height, frames };
}

export function invertImage(img: ImageBatch): ImageBatch {
  return { ...img, frames: img.frames.map((f) => f.map((v) => 255 - v)) };
}

/** Nearest-neighbour resize (every upscale_method maps to it). */
export function scaleImage(img: ImageBatch, width: number, height: number): ImageBatch {
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  const frames = img.frames.map((src) => {
    const dst = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      const sy = Math.min(img.height - 1, Math.floor((y * img.height) / h));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(img.width - 1, Math.floor((x * img.width) / w));
        const si = (sy * img.width + sx) * 3;
        const di = (y * w + x) * 3;
        dst[di] = src[si] as number;
        dst[di + 1] = src[si + 1] as number;
        dst[di + 2] = src[si + 2] as number;
      }
    }
    return dst;
  });
  return { kind: 'IMAGE', width: w, height: h, frames };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Insert tEXt chunks right after IHDR (PIL writes them before the image data too). */
export function withTextChunks(png: Buffer, texts: [string, string][]): Buffer {
  if (texts.length === 0) return png;
  const ihdrEnd = 8 + 8 + 13 + 4;
  const chunks = texts.map(([k, v]) => chunk('tEXt', Buffer.from(`${k}\0${v}`, 'latin1')));
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/** tEXt chunks of a PNG, in file order. */
export function readTextChunks(png: Buffer): [string, string][] {
  const out: [string, string][] = [];
  let pos = 8;
  while (pos + 8 <= png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    if (type === 'tEXt') {
      const data = png.subarray(pos + 8, pos + 8 + len);
      const zero = data.indexOf(0);
      if (zero > 0) out.push([data.toString('latin1', 0, zero), data.toString('latin1', zero + 1)]);
    }
    if (type === 'IEND') break;
    pos += 12 + len;
  }
  return out;
}

export function encodeRgbPng(width: number, height: number, rgb: Uint8Array, deflateLevel: number): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel });
}

export function encodeRgbaPng(width: number, height: number, rgba: Buffer, deflateLevel: number): Buffer {
  const png = new PNG({ width, height });
  png.data = rgba;
  return PNG.sync.write(png, { colorType: 6, deflateLevel });
}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA bytes. */
  data: Buffer;
  hasAlpha: boolean;
}

/** Decode a PNG; throws on anything else (the stand-in has no JPEG/WebP decoder). */
export function decodePng(buf: Buffer): DecodedPng {
  const png = PNG.sync.read(buf);
  const colorType = buf.length > 25 ? buf[25] : 2;
  return { width: png.width, height: png.height, data: png.data, hasAlpha: colorType === 4 || colorType === 6 };
}

/** LoadImage: RGB image plus mask = 1 - alpha (64x64 zeros without alpha, as ComfyUI). */
export function imageFromPng(p: DecodedPng): { image: ImageBatch; mask: MaskBatch } {
  const rgb = new Uint8Array(p.width * p.height * 3);
  const mask = new Float32Array(p.width * p.height);
  for (let i = 0, j = 0; i < p.data.length; i += 4, j++) {
    rgb[j * 3] = p.data[i] as number;
    rgb[j * 3 + 1] = p.data[i + 1] as number;
    rgb[j * 3 + 2] = p.data[i + 2] as number;
    mask[j] = 1 - (p.data[i + 3] as number) / 255;
  }
  const image: ImageBatch = { kind: 'IMAGE', width: p.width, height: p.height, frames: [rgb] };
  if (!p.hasAlpha) return { image, mask: { kind: 'MASK', width: 64, height: 64, frames: [new Float32Array(64 * 64)] } };
  return { image, mask: { kind: 'MASK', width: p.width, height: p.height, frames: [mask] } };
}

/** A small PNG preview of a frame (max edge `size`), for binary preview messages. */
export function previewPng(img: ImageBatch, size: number): Buffer {
  const scale = Math.min(1, size / Math.max(img.width, img.height));
  const small = scaleImage({ ...img, frames: img.frames.slice(0, 1) }, Math.round(img.width * scale), Math.round(img.height * scale));
  return encodeRgbPng(small.width, small.height, small.frames[0] as Uint8Array, 1);
}
