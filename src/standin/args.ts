/**
 * ComfyUI's command line (comfy/cli_args.py, v0.27), parsed the way argparse does it:
 * `--flag=value`, unique-prefix abbreviations, `nargs='?'` values that are only taken when the
 * next word is not an option, and errors as `usage: …` plus `main.py: error: …` with exit 2.
 * Flags the stand-in has no use for are accepted and ignored.
 */
import { existsSync, statSync } from 'node:fs';

type Kind = 'flag' | 'value' | 'optional' | 'multi';

interface FlagSpec {
  name: string;
  kind: Kind;
  metavar?: string;
  /** Value used for `nargs='?'` without a value. */
  constValue?: string;
  type?: 'int' | 'float' | 'dir';
  choices?: readonly string[];
  append?: boolean;
}

const f = (name: string): FlagSpec => ({ name, kind: 'flag' });
const v = (name: string, metavar: string, type?: FlagSpec['type']): FlagSpec => ({ name, kind: 'value', metavar, ...(type ? { type } : {}) });

export const FLAG_SPECS: readonly FlagSpec[] = [
  f('-h'),
  { name: '--listen', kind: 'optional', metavar: 'IP', constValue: '0.0.0.0,::' },
  v('--port', 'PORT', 'int'),
  v('--tls-keyfile', 'TLS_KEYFILE'),
  v('--tls-certfile', 'TLS_CERTFILE'),
  { name: '--enable-cors-header', kind: 'optional', metavar: 'ORIGIN', constValue: '*' },
  v('--max-upload-size', 'MAX_UPLOAD_SIZE', 'float'),
  v('--base-directory', 'BASE_DIRECTORY'),
  { name: '--extra-model-paths-config', kind: 'multi', metavar: 'PATH', append: true },
  v('--output-directory', 'OUTPUT_DIRECTORY'),
  v('--temp-directory', 'TEMP_DIRECTORY'),
  v('--input-directory', 'INPUT_DIRECTORY'),
  f('--auto-launch'),
  f('--disable-auto-launch'),
  v('--cuda-device', 'DEVICE_ID', 'int'),
  v('--default-device', 'DEFAULT_DEVICE_ID', 'int'),
  f('--cuda-malloc'),
  f('--disable-cuda-malloc'),
  f('--force-fp32'),
  f('--force-fp16'),
  f('--fp32-unet'),
  f('--fp64-unet'),
  f('--bf16-unet'),
  f('--fp16-unet'),
  f('--fp8_e4m3fn-unet'),
  f('--fp8_e5m2-unet'),
  f('--fp8_e8m0fnu-unet'),
  f('--fp16-vae'),
  f('--fp32-vae'),
  f('--bf16-vae'),
  f('--cpu-vae'),
  f('--fp8_e4m3fn-text-enc'),
  f('--fp8_e5m2-text-enc'),
  f('--fp16-text-enc'),
  f('--fp32-text-enc'),
  f('--bf16-text-enc'),
  f('--force-channels-last'),
  { name: '--directml', kind: 'optional', metavar: 'DIRECTML_DEVICE', constValue: '-1' },
  v('--oneapi-device-selector', 'SELECTOR_STRING'),
  f('--disable-ipex-optimize'),
  f('--supports-fp8-compute'),
  { name: '--preview-method', kind: 'value', metavar: '[none,auto,latent2rgb,taesd]', choices: ['none', 'auto', 'latent2rgb', 'taesd'] },
  v('--preview-size', 'PREVIEW_SIZE', 'int'),
  f('--cache-classic'),
  v('--cache-lru', 'CACHE_LRU', 'int'),
  f('--cache-none'),
  { name: '--cache-ram', kind: 'optional', metavar: 'CACHE_RAM', constValue: '4.0', type: 'float' },
  f('--use-split-cross-attention'),
  f('--use-quad-cross-attention'),
  f('--use-pytorch-cross-attention'),
  f('--use-sage-attention'),
  f('--use-flash-attention'),
  f('--disable-xformers'),
  f('--force-upcast-attention'),
  f('--dont-upcast-attention'),
  f('--enable-manager'),
  f('--disable-manager-ui'),
  f('--enable-manager-legacy-ui'),
  f('--gpu-only'),
  f('--highvram'),
  f('--normalvram'),
  f('--lowvram'),
  f('--novram'),
  f('--cpu'),
  v('--reserve-vram', 'RESERVE_VRAM', 'float'),
  { name: '--async-offload', kind: 'optional', metavar: 'NUM_STREAMS', constValue: '2', type: 'int' },
  f('--disable-async-offload'),
  f('--force-non-blocking'),
  { name: '--default-hashing-function', kind: 'value', metavar: '{md5,sha1,sha256,sha512}', choices: ['md5', 'sha1', 'sha256', 'sha512'] },
  f('--disable-smart-memory'),
  f('--deterministic'),
  { name: '--fast', kind: 'multi', metavar: 'FAST' },
  f('--disable-pinned-memory'),
  f('--mmap-torch-files'),
  f('--disable-mmap'),
  f('--dont-print-server'),
  f('--quick-test-for-ci'),
  f('--windows-standalone-build'),
  f('--disable-metadata'),
  f('--disable-all-custom-nodes'),
  { name: '--whitelist-custom-nodes', kind: 'multi', metavar: 'WHITELIST_CUSTOM_NODES' },
  f('--disable-api-nodes'),
  f('--multi-user'),
  { name: '--verbose', kind: 'optional', metavar: '{DEBUG,INFO,WARNING,ERROR,CRITICAL}', constValue: 'DEBUG', choices: ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] },
  f('--log-stdout'),
  v('--front-end-version', 'FRONT_END_VERSION'),
  v('--front-end-root', 'FRONT_END_ROOT', 'dir'),
  v('--user-directory', 'USER_DIRECTORY', 'dir'),
  f('--enable-compress-response-body'),
  v('--comfy-api-base', 'COMFY_API_BASE'),
  v('--database-url', 'DATABASE_URL'),
  f('--enable-assets'),
  { name: '--feature-flag', kind: 'value', metavar: 'KEY[=VALUE]', append: true },
  f('--list-feature-flags'),
];

/** Parsed values keyed by flag name without dashes (`output-directory`). */
export type ParsedArgs = Map<string, string | true | string[] | string[][]>;

export class ArgError extends Error {}

function usagePart(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'flag': return `[${spec.name}]`;
    case 'value': return `[${spec.name} ${spec.metavar}]`;
    case 'optional': return `[${spec.name} [${spec.metavar}]]`;
    case 'multi': return `[${spec.name} ${spec.metavar} [${spec.metavar} ...]]`;
  }
}

/** argparse's usage line, wrapped at 78 columns under `usage: main.py `. */
export function usageText(): string {
  const head = 'usage: main.py ';
  const indent = ' '.repeat(head.length);
  const lines: string[] = [];
  let line = head;
  for (const part of FLAG_SPECS.map(usagePart)) {
    if (line.length + part.length + 1 > 78 && line !== head && line !== indent) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${part} `;
  }
  lines.push(line.trimEnd());
  return `${lines.join('\n')}\n`;
}

function resolveSpec(word: string): FlagSpec {
  const exact = FLAG_SPECS.find((s) => s.name === word);
  if (exact) return exact;
  if (word === '--help') return FLAG_SPECS[0] as FlagSpec;
  const matches = FLAG_SPECS.filter((s) => s.name.startsWith('--') && s.name.startsWith(word) && word.length > 2);
  if (matches.length === 1) return matches[0] as FlagSpec;
  if (matches.length > 1) {
    throw new ArgError(`ambiguous option: ${word} could match ${matches.map((m) => m.name).join(', ')}`);
  }
  throw new ArgError(`unrecognized arguments: ${word}`);
}

const looksLikeOption = (w: string | undefined): boolean => w !== undefined && w.startsWith('-') && !/^-\d/.test(w) && w.length > 1;

function checkValue(spec: FlagSpec, value: string): string {
  const where = `argument ${spec.name}`;
  if (spec.type === 'int' && !/^\s*[-+]?\d+\s*$/.test(value)) throw new ArgError(`${where}: invalid int value: '${value}'`);
  if (spec.type === 'float' && (value.trim() === '' || Number.isNaN(Number(value)))) throw new ArgError(`${where}: invalid float value: '${value}'`);
  if (spec.type === 'dir') {
    if (!existsSync(value)) throw new ArgError(`${where}: The path '${value}' does not exist.`);
    if (!statSync(value).isDirectory()) throw new ArgError(`${where}: '${value}' is not a directory.`);
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new ArgError(`${where}: invalid choice: '${value}' (choose from ${spec.choices.map((c) => `'${c}'`).join(', ')})`);
  }
  return value;
}

function store(out: ParsedArgs, spec: FlagSpec, value: string | true | string[]): void {
  const key = spec.name.replace(/^-+/, '');
  if (spec.append) {
    const prev = (out.get(key) as string[][] | string[] | undefined) ?? [];
    out.set(key, [...prev, value] as string[][]);
  } else out.set(key, value);
}

/** Parse argv (without node and script). Throws ArgError with argparse's message text. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = new Map();
  const unrecognized: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (!looksLikeOption(word)) { unrecognized.push(word); continue; }
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flagWord = eq >= 0 ? word.slice(0, eq) : word;
    let spec: FlagSpec;
    try {
      spec = resolveSpec(flagWord);
    } catch (err) {
      if (err instanceof ArgError && err.message.startsWith('unrecognized')) { unrecognized.push(word); continue; }
      throw err;
    }
    const inline = eq >= 0 ? word.slice(eq + 1) : undefined;
    const next = argv[i + 1];
    switch (spec.kind) {
      case 'flag':
        if (inline !== undefined) throw new ArgError(`argument ${spec.name}: ignored explicit argument '${inline}'`);
        store(out, spec, true);
        break;
      case 'value':
        if (inline !== undefined) store(out, spec, checkValue(spec, inline));
        else if (next === undefined || looksLikeOption(next)) throw new ArgError(`argument ${spec.name}: expected one argument`);
        else { store(out, spec, checkValue(spec, next)); i++; }
        break;
      case 'optional':
        if (inline !== undefined) store(out, spec, checkValue(spec, inline));
        else if (next === undefined || looksLikeOption(next)) store(out, spec, spec.constValue ?? '');
        else { store(out, spec, checkValue(spec, next)); i++; }
        break;
      case 'multi': {
        const values = inline !== undefined ? [inline] : [];
        while (argv[i + 1] !== undefined && !looksLikeOption(argv[i + 1])) values.push(argv[++i] as string);
        if (values.length === 0) throw new ArgError(`argument ${spec.name}: expected at least one argument`);
        store(out, spec, values);
        break;
      }
    }
  }
  if (unrecognized.length > 0) throw new ArgError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  return out;
}
