/**
 * The node registry: ComfyUI's `/object_info` entries for the core nodes the stand-in knows,
 * with the lists that ComfyUI computes on every request (LoadImage's input files, model files)
 * filled in at the time of asking.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cloneJson, entriesOf, keysOf, ordered, pyLoads } from './pyjson.ts';

export type InputSpec = [unknown, Record<string, unknown>?];

export interface NodeDef {
  input: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec>; hidden?: Record<string, unknown> };
  output: (string | string[])[];
  output_node: boolean;
  name: string;
  [key: string]: unknown;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.ico', '.svg', '.avif', '.jfif', '.pjpeg', '.pjp', '.apng']);

/** Classes whose fake execution stands in for model work (OOM targets, model loading). */
export const MODEL_CLASSES = new Set(['CheckpointLoaderSimple', 'CLIPTextEncode', 'KSampler', 'VAEDecode', 'VAEEncode', 'EmptyLatentImage', 'LatentUpscale']);

function loadJson(name: string): Record<string, NodeDef> {
  return pyLoads(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as Record<string, NodeDef>;
}

/** Top-level image files of a folder, sorted; throws when the folder is missing (like os.listdir). */
export function listInputImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => {
      const dot = name.lastIndexOf('.');
      if (dot < 0 || !IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase())) return false;
      try {
        return statSync(join(dir, name)).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

export interface RegistryOptions {
  inputDir: string;
  models: Record<string, string[]>;
}

export class Registry {
  readonly #base: Record<string, NodeDef>;
  readonly #opts: RegistryOptions;

  constructor(opts: RegistryOptions) {
    this.#opts = opts;
    this.#base = { ...loadJson('object_info.core.json'), ...loadJson('object_info.extra.json') };
  }

  has(classType: string): boolean {
    return Object.hasOwn(this.#base, classType);
  }

  /** One class definition with its dynamic lists filled in; undefined when unknown or failing. */
  get(classType: string): NodeDef | undefined {
    const base = this.#base[classType];
    if (!base) return undefined;
    const def = cloneJson(base);
    const required = def.input.required ?? {};
    if (classType === 'LoadImage') {
      // ComfyUI lists the folder here; a missing folder raises and the class is dropped.
      const files = listInputImages(this.#opts.inputDir);
      const spec = required['image'];
      if (spec) spec[0] = files;
    }
    if (classType === 'CheckpointLoaderSimple') {
      const spec = required['ckpt_name'];
      if (spec) spec[0] = [...(this.#opts.models['checkpoints'] ?? [])].sort();
    }
    return def;
  }

  /** A definition for validation/execution; unlike `get` it does not fail on a missing input folder. */
  getForValidation(classType: string): NodeDef | undefined {
    try {
      return this.get(classType);
    } catch {
      return cloneJson(this.#base[classType]);
    }
  }

  isOutput(classType: string): boolean {
    return this.#base[classType]?.output_node === true;
  }

  outputTypes(classType: string): (string | string[])[] {
    return this.#base[classType]?.output ?? [];
  }

  /** Full /object_info; classes whose definition fails are omitted (ComfyUI only logs them). */
  all(onError: (classType: string, err: unknown) => void): Record<string, unknown> {
    const entries: [string, unknown][] = [];
    for (const name of keysOf(this.#base)) {
      try {
        entries.push([name, this.get(name)]);
      } catch (err) {
        onError(name, err);
      }
    }
    return ordered(entries);
  }

  /** Declared inputs in declaration order with their category. */
  inputsOf(def: NodeDef): { name: string; category: 'required' | 'optional'; spec: InputSpec }[] {
    const out: { name: string; category: 'required' | 'optional'; spec: InputSpec }[] = [];
    for (const category of ['required', 'optional'] as const) {
      const group = def.input[category];
      if (!group) continue;
      for (const [name, spec] of entriesOf(group)) out.push({ name, category, spec: spec as InputSpec });
    }
    return out;
  }
}
