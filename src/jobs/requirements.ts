// What a prompt needs from a backend: its node classes and the model files its loaders name.
// Routing uses it to pick only backends that can run the prompt, and the checkpoint for affinity.
import type { Requirements } from './ports.ts';

/** Loader input name → ComfyUI model folder (GET /models/{folder}). */
const MODEL_INPUTS: Record<string, string> = {
  ckpt_name: 'checkpoints',
  lora_name: 'loras',
  vae_name: 'vae',
  control_net_name: 'controlnet',
  unet_name: 'diffusion_models',
  clip_name: 'text_encoders',
  clip_name1: 'text_encoders',
  clip_name2: 'text_encoders',
  model_name: 'upscale_models',
  style_model_name: 'style_models',
  clip_vision_name: 'clip_vision',
};

export function requirementsOf(prompt: Record<string, unknown>): Requirements {
  const classes = new Set<string>();
  const models: Record<string, Set<string>> = {};
  let checkpoint: string | null = null;
  for (const node of Object.values(prompt)) {
    if (typeof node !== 'object' || node === null) continue;
    const { class_type: cls, inputs } = node as { class_type?: unknown; inputs?: Record<string, unknown> };
    if (typeof cls === 'string') classes.add(cls);
    for (const [name, value] of Object.entries(inputs ?? {})) {
      const folder = MODEL_INPUTS[name];
      if (!folder || typeof value !== 'string') continue;
      (models[folder] ??= new Set()).add(value);
      if (folder === 'checkpoints') checkpoint ??= value;
    }
  }
  return {
    classes: [...classes].sort(),
    models: Object.fromEntries(Object.entries(models).map(([k, v]) => [k, [...v].sort()])),
    checkpoint,
  };
}
