/**
 * All stand-in options, from ComfyUI's argv plus STANDIN_* environment variables, parsed in one
 * place. The command line stays exactly ComfyUI's; everything stand-in specific is env.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseArgs } from './args.ts';
import type { ParsedArgs } from './args.ts';
import { FaultsPatchSchema } from './faults.ts';
import type { FaultsPatch } from './faults.ts';
import type { LevelName } from './log.ts';

export type CacheMode = { kind: 'ram' } | { kind: 'classic' } | { kind: 'lru'; size: number } | { kind: 'none' };
export type PreviewMethod = 'none' | 'auto' | 'latent2rgb' | 'taesd';

export interface StandinOptions {
  listen: string[];
  /** Original `--listen` text, for the port-in-use message. */
  listenText: string;
  port: number;
  inputDir: string;
  outputDir: string;
  /** The real temp folder (`<temp-directory>/temp`). */
  tempDir: string;
  userDir: string;
  frontEndRoot: string | undefined;
  cpu: boolean;
  cudaDevice: number | undefined;
  previewMethod: PreviewMethod;
  previewSize: number;
  cache: CacheMode;
  dontPrintServer: boolean;
  disableMetadata: boolean;
  maxUploadBytes: number;
  corsOrigin: string | undefined;
  logLevel: LevelName;
  logStdout: boolean;
  quickTestForCi: boolean;
  /** Flags as given, for system_stats.argv. */
  argv: string[];
  explicit: { input: boolean; output: boolean; temp: boolean };
  startupDelayMs: number;
  stepMs: number;
  modelLoadMs: number;
  nodeMs: number;
  models: Record<string, string[]>;
  faults: FaultsPatch;
}

export const DEFAULT_MODELS: Record<string, string[]> = {
  checkpoints: ['v1-5-pruned-emaonly-fp16.safetensors', 'sd_xl_base_1.0.safetensors'],
};

const intEnv = (def: number) => z.coerce.number().int().min(0).default(def);

const EnvSchema = z.object({
  STANDIN_STARTUP_DELAY_MS: intEnv(0),
  STANDIN_STEP_MS: intEnv(10),
  STANDIN_MODEL_LOAD_MS: intEnv(50),
  STANDIN_NODE_MS: intEnv(0),
  STANDIN_MODELS: z.string().optional(),
  STANDIN_FAULTS: z.string().optional(),
});

const ModelsSchema = z.record(z.string(), z.array(z.string()));

export class OptionsError extends Error {}

function parseJsonEnv<T>(name: string, text: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new OptionsError(`${name} is not valid JSON`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new OptionsError(`${name}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const str = (a: ParsedArgs, k: string): string | undefined => {
  const x = a.get(k);
  return typeof x === 'string' ? x : undefined;
};

function cacheMode(a: ParsedArgs): CacheMode {
  if (a.has('cache-none')) return { kind: 'none' };
  const lru = str(a, 'cache-lru');
  if (lru !== undefined && Number(lru) > 0) return { kind: 'lru', size: Number(lru) };
  if (a.has('cache-classic')) return { kind: 'classic' };
  return { kind: 'ram' };
}

/** Parse argv (flags only) and env into options. Throws ArgError (exit 2) or OptionsError. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): StandinOptions {
  const a = parseArgs(argv);
  const e = EnvSchema.safeParse(env);
  if (!e.success) throw new OptionsError(z.prettifyError(e.error));
  const base = resolve(str(a, 'base-directory') ?? join(tmpdir(), 'comfyui-standin'));
  const listenText = str(a, 'listen') ?? '127.0.0.1';
  const tempParent = str(a, 'temp-directory');
  const models = parseJsonEnv('STANDIN_MODELS', e.data.STANDIN_MODELS, ModelsSchema);
  const verbose = str(a, 'verbose');
  return {
    listen: listenText.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    listenText,
    port: Number(str(a, 'port') ?? 8188),
    inputDir: resolve(str(a, 'input-directory') ?? join(base, 'input')),
    outputDir: resolve(str(a, 'output-directory') ?? join(base, 'output')),
    tempDir: join(resolve(tempParent ?? base), 'temp'),
    userDir: resolve(str(a, 'user-directory') ?? join(base, 'user')),
    frontEndRoot: str(a, 'front-end-root'),
    cpu: a.has('cpu'),
    cudaDevice: str(a, 'cuda-device') === undefined ? undefined : Number(str(a, 'cuda-device')),
    previewMethod: (str(a, 'preview-method') ?? 'none') as PreviewMethod,
    previewSize: Number(str(a, 'preview-size') ?? 512),
    cache: cacheMode(a),
    dontPrintServer: a.has('dont-print-server'),
    disableMetadata: a.has('disable-metadata'),
    maxUploadBytes: Math.round(Number(str(a, 'max-upload-size') ?? 100) * 1024 * 1024),
    corsOrigin: str(a, 'enable-cors-header'),
    logLevel: (verbose ?? 'INFO') as LevelName,
    logStdout: a.has('log-stdout'),
    quickTestForCi: a.has('quick-test-for-ci'),
    argv: [...argv],
    explicit: { input: a.has('input-directory'), output: a.has('output-directory'), temp: tempParent !== undefined },
    startupDelayMs: e.data.STANDIN_STARTUP_DELAY_MS,
    stepMs: e.data.STANDIN_STEP_MS,
    modelLoadMs: e.data.STANDIN_MODEL_LOAD_MS,
    nodeMs: e.data.STANDIN_NODE_MS,
    models: { ...DEFAULT_MODELS, ...(models ?? {}) },
    faults: parseJsonEnv('STANDIN_FAULTS', e.data.STANDIN_FAULTS, FaultsPatchSchema) ?? {},
  };
}
