/** SaveImage and PreviewImage: real PNG files named as folder_paths does (§8.5). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveImagePath, SaveOutsideError } from '../files.ts';
import { encodeRgbPng, withTextChunks } from '../images.ts';
import type { ImageBatch } from '../images.ts';
import { entriesOf, pyDumps } from '../pyjson.ts';
import { executeFrames, frame, NODES_PY, PyException } from '../pyerrors.ts';
import type { NodeImpl, NodeRun } from './types.ts';

function metadata(run: NodeRun): [string, string][] {
  if (run.env.disableMetadata) return [];
  const texts: [string, string][] = [['prompt', pyDumps(run.prompt)]];
  const extra = run.extraData['extra_pnginfo'];
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const [k, v] of entriesOf(extra)) texts.push([k, pyDumps(v)]);
  }
  return texts;
}

function save(run: NodeRun, prefix: string, dir: string, type: 'output' | 'temp', level: number): Record<string, unknown> {
  const images = run.inputs['images'] as ImageBatch;
  let target;
  try {
    target = saveImagePath(prefix, dir, images.width, images.height);
  } catch (err) {
    if (!(err instanceof SaveOutsideError)) throw err;
    run.env.log.error(err.message);
    throw new PyException('Exception', err.message, [...executeFrames(),
      frame(NODES_PY, 1640, 'save_images', 'full_output_folder, filename, counter, subfolder, filename_prefix = folder_paths.get_save_image_path(filename_prefix, self.output_dir, images[0].shape[1], images[0].shape[0])'),
      frame('/opt/ComfyUI/folder_paths.py', 470, 'get_save_image_path', 'raise Exception(err)')]);
  }
  const texts = metadata(run);
  const results: Record<string, unknown>[] = [];
  let counter = target.counter;
  images.frames.forEach((rgb, batch) => {
    const base = target.filename.replaceAll('%batch_num%', String(batch));
    const file = `${base}_${String(counter).padStart(5, '0')}_.png`;
    writeFileSync(join(target.folder, file), withTextChunks(encodeRgbPng(images.width, images.height, rgb, level), texts));
    results.push({ filename: file, subfolder: target.subfolder, type });
    counter++;
  });
  return { images: results };
}

export const SaveImage: NodeImpl = async (run) => {
  const prefix = String(run.inputs['filename_prefix'] ?? 'ComfyUI');
  return { outputs: [run.inputs['images']], ui: save(run, prefix, run.env.folders.output, 'output', 4) };
};

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export const PreviewImage: NodeImpl = async (run) => {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += LETTERS[Math.floor(run.env.random() * 26)];
  return { outputs: [run.inputs['images']], ui: save(run, `ComfyUI_temp_${suffix}`, run.env.folders.temp, 'temp', 1) };
};
