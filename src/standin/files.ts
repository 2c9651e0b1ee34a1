/**
 * Folder rules of ComfyUI's folder_paths and server.py: the input/output/temp folders,
 * ` [output]`-style annotations, Python's normpath/commonpath containment checks, and the
 * SaveImage file name counter.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, resolve } from 'node:path';

export type FolderType = 'input' | 'output' | 'temp';

export interface Folders {
  input: string;
  output: string;
  temp: string;
}

export function dirOfType(folders: Folders, type: string): string | undefined {
  return type === 'input' || type === 'output' || type === 'temp' ? folders[type] : undefined;
}

/** folder_paths.annotated_filepath: strip ` [output]` etc. (the char before `[` is dropped too). */
export function annotatedFilepath(folders: Folders, name: string): { name: string; dir: string | undefined } {
  for (const type of ['output', 'input', 'temp'] as const) {
    const tag = `[${type}]`;
    if (name.endsWith(tag)) return { name: name.slice(0, -(tag.length + 1)), dir: folders[type] };
  }
  return { name, dir: undefined };
}

/** LoadImage's path: annotated, else relative to input. */
export function inputImagePath(folders: Folders, value: string): string {
  const a = annotatedFilepath(folders, value);
  return join(a.dir ?? folders.input, a.name);
}

/** Python's os.path.normpath for POSIX paths. */
export function normpath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  const trimmed = n.length > 1 ? n.replace(/\/+$/, '') : n;
  return trimmed === '' ? '.' : trimmed;
}

/** True when `child` (made absolute) is `base` or inside it — commonpath((base, child)) == base. */
export function isInside(base: string, child: string): boolean {
  const b = resolve(base);
  const c = resolve(child);
  return c === b || c.startsWith(b.endsWith('/') ? b : `${b}/`);
}

/** Python's os.path.join: an absolute later part discards what came before. */
export function pyJoin(...parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (isAbsolute(part)) out = part;
    else if (out === '' || out.endsWith('/')) out += part;
    else out += `/${part}`;
  }
  return out;
}

function substitute(prefix: string, width: number, height: number, now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return prefix
    .replaceAll('%width%', String(width))
    .replaceAll('%height%', String(height))
    .replaceAll('%year%', String(now.getFullYear()))
    .replaceAll('%month%', two(now.getMonth() + 1))
    .replaceAll('%day%', two(now.getDate()))
    .replaceAll('%hour%', two(now.getHours()))
    .replaceAll('%minute%', two(now.getMinutes()))
    .replaceAll('%second%', two(now.getSeconds()));
}

export interface SavePath {
  folder: string;
  filename: string;
  counter: number;
  subfolder: string;
}

export class SaveOutsideError extends Error {}

/** folder_paths.get_save_image_path. Throws SaveOutsideError with ComfyUI's text on escape. */
export function saveImagePath(prefixIn: string, outputDir: string, width: number, height: number, now = new Date()): SavePath {
  const prefix = prefixIn.includes('%') ? substitute(prefixIn, width, height, now) : prefixIn;
  const norm = normpath(prefix);
  const subfolder = norm.includes('/') ? dirname(norm) : '';
  const filename = basename(norm);
  const folder = pyJoin(outputDir, subfolder);
  if (!isInside(outputDir, folder)) {
    const abs = resolve(folder);
    let common = outputDir;
    while (!isInside(common, abs) && common !== '/') common = dirname(common);
    throw new SaveOutsideError('**** ERROR: Saving image outside the output folder is not allowed.' +
      `\n full_output_folder: ${abs}\n         output_dir: ${outputDir}\n         commonpath: ${common}`);
  }
  const prefixLen = basename(prefix).length;
  let counter = 1;
  if (existsSync(folder)) {
    let best = -1;
    for (const name of readdirSync(folder)) {
      const head = name.slice(0, prefixLen + 1);
      if (head.slice(0, -1) !== filename || !head.endsWith('_')) continue;
      const digits = Number.parseInt(name.slice(prefixLen + 1).split('_')[0] ?? '', 10);
      const d = /^\d+$/.test(name.slice(prefixLen + 1).split('_')[0] ?? '') ? digits : 0;
      best = Math.max(best, d);
    }
    if (best >= 0) counter = best + 1;
  } else mkdirSync(folder, { recursive: true });
  return { folder, filename, counter, subfolder };
}

/** `name (1).ext` for the i-th alternative, as os.path.splitext splits. */
export function alternativeName(filename: string, i: number): string {
  const dot = filename.lastIndexOf('.');
  const hasExt = dot > 0 && !/^\.+$/.test(filename.slice(0, dot + 1));
  const [stem, ext] = hasExt ? [filename.slice(0, dot), filename.slice(dot)] : [filename, ''];
  return `${stem} (${i})${ext}`;
}
