/**
 * Model nodes, simulated: they carry names instead of tensors, cost time like the real ones
 * (model load, one sleep per sampler step) and end in a real image so txt2img saves a PNG.
 */
import { noiseImage, scaleImage } from '../images.ts';
import type { ImageBatch } from '../images.ts';
import { num } from './types.ts';
import type { Conditioning, Latent, ModelHandle, NodeImpl } from './types.ts';

export const CheckpointLoaderSimple: NodeImpl = async ({ inputs, env }) => {
  const ckpt = String(inputs['ckpt_name']);
  await env.ensureModel(ckpt);
  const h = (kind: ModelHandle['kind']): ModelHandle => ({ kind, ckpt });
  return { outputs: [h('MODEL'), h('CLIP'), h('VAE')] };
};

export const CLIPTextEncode: NodeImpl = async ({ inputs, env }) => {
  const clip = inputs['clip'] as ModelHandle;
  await env.ensureModel(clip.ckpt);
  const cond: Conditioning = { kind: 'CONDITIONING', text: String(inputs['text']), ckpt: clip.ckpt };
  return { outputs: [cond] };
};

export const EmptyLatentImage: NodeImpl = async ({ inputs }) => {
  const latent: Latent = { kind: 'LATENT', width: Math.floor(num(inputs['width'], 512) / 8), height: Math.floor(num(inputs['height'], 512) / 8),
    batch: num(inputs['batch_size'], 1), seed: 0 };
  return { outputs: [latent] };
};

export const LatentUpscale: NodeImpl = async ({ inputs }) => {
  const src = inputs['samples'] as Latent;
  const w = num(inputs['width']);
  const h = num(inputs['height']);
  const width = w === 0 ? Math.max(1, Math.round((src.width * h) / Math.max(1, src.height * 8))) : Math.floor(w / 8);
  const height = h === 0 ? Math.max(1, Math.round((src.height * w) / Math.max(1, src.width * 8))) : Math.floor(h / 8);
  return { outputs: [{ ...src, width: Math.max(1, width), height: Math.max(1, height) }] };
};

export const KSampler: NodeImpl = async ({ inputs, env }) => {
  const model = inputs['model'] as ModelHandle;
  const latent = inputs['latent_image'] as Latent;
  const steps = num(inputs['steps'], 20);
  const seed = num(inputs['seed']);
  await env.ensureModel(model.ckpt);
  for (let step = 1; step <= steps; step++) {
    await env.sleep(env.stepMs);
    const preview = env.previewEnabled ? noiseImage(Math.max(1, latent.width), Math.max(1, latent.height), 1, seed + step) : undefined;
    await env.progress(step, steps, preview);
  }
  const out: Latent = { ...latent, seed: (seed % 2147483647) + 1 };
  return { outputs: [out] };
};

export const VAEDecode: NodeImpl = async ({ inputs, env }) => {
  const vae = inputs['vae'] as ModelHandle;
  const latent = inputs['samples'] as Latent;
  await env.ensureModel(vae.ckpt);
  return { outputs: [noiseImage(latent.width * 8, latent.height * 8, latent.batch, latent.seed)] };
};

export const VAEEncode: NodeImpl = async ({ inputs, env }) => {
  const vae = inputs['vae'] as ModelHandle;
  const pixels = inputs['pixels'] as ImageBatch;
  await env.ensureModel(vae.ckpt);
  // Real VAEs crop to multiples of 8.
  const w = Math.max(8, Math.floor(pixels.width / 8) * 8);
  const h = Math.max(8, Math.floor(pixels.height / 8) * 8);
  const cropped = scaleImage(pixels, w, h);
  const latent: Latent = { kind: 'LATENT', width: w / 8, height: h / 8, batch: cropped.frames.length, seed: (cropped.frames[0]?.[0] ?? 0) + 1 };
  return { outputs: [latent] };
};
