/** What a fake node implementation gets and returns. */
import type { Folders } from '../files.ts';
import type { ImageBatch } from '../images.ts';
import type { Logger } from '../log.ts';
import type { Prompt } from '../validate.ts';

export interface ModelHandle {
  kind: 'MODEL' | 'CLIP' | 'VAE';
  ckpt: string;
}

export interface Latent {
  kind: 'LATENT';
  /** Latent size (pixels / 8). */
  width: number;
  height: number;
  batch: number;
  seed: number;
}

export interface Conditioning {
  kind: 'CONDITIONING';
  text: string;
  ckpt: string;
}

export interface NodeEnv {
  folders: Folders;
  disableMetadata: boolean;
  stepMs: number;
  previewEnabled: boolean;
  previewSize: number;
  log: Logger;
  random(): number;
  sleep(ms: number): Promise<void>;
  /** Makes `ckpt` the loaded model, paying STANDIN_MODEL_LOAD_MS when it was not. */
  ensureModel(ckpt: string): Promise<void>;
  /** A progress tick: checks the interrupt flag, then emits progress (and a preview). */
  progress(value: number, max: number, preview?: ImageBatch): Promise<void>;
}

export interface NodeRun {
  nodeId: string;
  classType: string;
  inputs: Record<string, unknown>;
  prompt: Prompt;
  extraData: Record<string, unknown>;
  env: NodeEnv;
}

export interface NodeOutput {
  outputs: unknown[];
  ui?: Record<string, unknown>;
}

export type NodeImpl = (run: NodeRun) => Promise<NodeOutput>;

export const num = (v: unknown, def = 0): number => {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && 'value' in v && typeof v.value === 'number') return v.value;
  return def;
};
