/** Class name → fake implementation. */
import { EmptyImage, ImageInvert, ImageScale, ImageScaleBy, LoadImage } from './image.ts';
import { CheckpointLoaderSimple, CLIPTextEncode, EmptyLatentImage, KSampler, LatentUpscale, VAEDecode, VAEEncode } from './model.ts';
import { PreviewImage, SaveImage } from './save.ts';
import type { NodeImpl } from './types.ts';

export const NODE_IMPLS: Readonly<Record<string, NodeImpl>> = {
  KSampler, CheckpointLoaderSimple, CLIPTextEncode, VAEDecode, VAEEncode, EmptyLatentImage, LatentUpscale,
  SaveImage, PreviewImage, LoadImage, ImageScale, ImageInvert, EmptyImage, ImageScaleBy,
};
