/** The model-free image nodes, executed for real on small RGB buffers. */
import { readFileSync } from 'node:fs';
import { inputImagePath } from '../files.ts';
import { decodePng, filledImage, imageFromPng, invertImage, scaleImage } from '../images.ts';
import type { ImageBatch } from '../images.ts';
import { executeFrames, frame, NODES_PY, PyException } from '../pyerrors.ts';
import { num } from './types.ts';
import type { NodeImpl } from './types.ts';

const image = (v: unknown): ImageBatch => v as ImageBatch;

export const EmptyImage: NodeImpl = async ({ inputs }) => ({
  outputs: [filledImage(num(inputs['width'], 512), num(inputs['height'], 512), num(inputs['batch_size'], 1), num(inputs['color']))],
});

export const ImageInvert: NodeImpl = async ({ inputs }) => ({ outputs: [invertImage(image(inputs['image']))] });

export const ImageScale: NodeImpl = async ({ inputs }) => {
  const src = image(inputs['image']);
  let w = num(inputs['width']);
  let h = num(inputs['height']);
  // ComfyUI keeps the aspect ratio when one side is 0.
  if (w === 0 && h === 0) return { outputs: [src] };
  if (w === 0) w = Math.max(1, Math.round((src.width * h) / src.height));
  if (h === 0) h = Math.max(1, Math.round((src.height * w) / src.width));
  return { outputs: [scaleImage(src, w, h)] };
};

export const ImageScaleBy: NodeImpl = async ({ inputs }) => {
  const src = image(inputs['image']);
  const by = num(inputs['scale_by'], 1);
  return { outputs: [scaleImage(src, Math.round(src.width * by), Math.round(src.height * by))] };
};

export const LoadImage: NodeImpl = async ({ inputs, env }) => {
  const path = inputImagePath(env.folders, String(inputs['image']));
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new PyException('FileNotFoundError', `[Errno 2] No such file or directory: '${path}'`, [...executeFrames(),
      frame(NODES_PY, 1748, 'load_image', 'img = node_helpers.pillow(Image.open, image_path)')]);
  }
  try {
    const { image: img, mask } = imageFromPng(decodePng(buf));
    return { outputs: [img, mask] };
  } catch {
    throw new PyException('PIL.UnidentifiedImageError', `cannot identify image file '${path}'`, [...executeFrames(),
      frame(NODES_PY, 1748, 'load_image', 'img = node_helpers.pillow(Image.open, image_path)'),
      frame('/opt/ComfyUI/node_helpers.py', 62, 'pillow', 'x = fn(arg)'),
      frame('/usr/lib/python3/dist-packages/PIL/Image.py', 3283, 'open', 'raise UnidentifiedImageError(msg)')]);
  }
};
