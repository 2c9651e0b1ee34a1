/** /view, /upload/image and /upload/mask (§3.3.9–3.3.11). */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Core } from './core.ts';
import { alternativeName, annotatedFilepath, dirOfType, isInside, normpath, pyJoin } from './files.ts';
import { empty, isDict, json } from './http.ts';
import type { Reply } from './http.ts';
import { decodePng, encodeRgbaPng, encodeRgbPng, readTextChunks, withTextChunks } from './images.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import type { Part } from './multipart.ts';
import { pyLoads } from './pyjson.ts';
import { Http500 } from './pyerrors.ts';
import type { Ctx, Router } from './router.ts';
import { fileReply } from './static.ts';

const FORCE_DOWNLOAD = new Set(['text/html', 'text/html-sandboxed', 'application/xhtml+xml', 'text/javascript', 'text/css', 'image/svg+xml', 'text/xml', 'application/xml']);

function channelReply(file: string, channel: string): Reply {
  const png = decodePng(readFileSync(file));
  const n = png.width * png.height;
  if (channel === 'rgb') {
    const rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) rgb.set(png.data.subarray(i * 4, i * 4 + 3), i * 3);
    return { status: 200, headers: { 'Content-Type': 'image/png', 'Content-Disposition': `filename="${basename(file)}"` }, body: encodeRgbPng(png.width, png.height, rgb, 6) };
  }
  const rgba = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) rgba[i * 4 + 3] = png.hasAlpha ? (png.data[i * 4 + 3] as number) : 255;
  return { status: 200, headers: { 'Content-Type': 'image/png', 'Content-Disposition': `filename="${basename(file)}"` }, body: encodeRgbaPng(png.width, png.height, rgba, 6) };
}

function view(ctx: Ctx): Reply {
  const q = ctx.url.searchParams;
  const { folders } = ctx.core;
  const raw = q.get('filename');
  if (raw === null) return empty(404);
  const a = annotatedFilepath(folders, raw);
  if (!a.name) return empty(400);
  if (a.name.startsWith('/') || a.name.includes('..')) return empty(400);
  let dir = a.dir ?? dirOfType(folders, q.get('type') ?? 'output');
  if (dir === undefined) return empty(400);
  const sub = q.get('subfolder');
  if (sub !== null) {
    const full = pyJoin(dir, sub);
    if (!isInside(dir, full)) return empty(403);
    dir = full;
  }
  const name = basename(a.name);
  const file = join(dir, name);
  if (!existsSync(file) || !statSync(file).isFile()) return empty(404);
  const channel = q.get('channel') ?? 'rgba';
  if (channel === 'rgb' || channel === 'a') {
    try {
      return channelReply(file, channel);
    } catch {
      throw new Http500('cannot decode image for channel');
    }
  }
  let type = contentTypeOf(name);
  let disposition = `filename="${name}"`;
  if (FORCE_DOWNLOAD.has(type)) {
    type = 'application/octet-stream';
    disposition = `attachment; ${disposition}`;
  }
  return fileReply(ctx.req, file, { 'Content-Disposition': disposition, 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' });
}

const MIME: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif', '.bmp': 'image/bmp',
  '.tif': 'image/tiff', '.tiff': 'image/tiff', '.svg': 'image/svg+xml', '.ico': 'image/vnd.microsoft.icon', '.avif': 'image/avif',
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime', '.mp3': 'audio/mpeg', '.wav': 'audio/x-wav', '.flac': 'audio/flac',
  '.ogg': 'audio/ogg', '.json': 'application/json', '.txt': 'text/plain', '.html': 'text/html', '.htm': 'text/html', '.js': 'text/javascript',
  '.css': 'text/css', '.xml': 'application/xml', '.glb': 'model/gltf-binary', '.gltf': 'model/gltf+json', '.safetensors': 'application/octet-stream',
};

export const contentTypeOf = (name: string): string => MIME[extname(name).toLowerCase()] ?? 'application/octet-stream';

async function formParts(ctx: Ctx): Promise<Map<string, Part>> {
  const boundary = boundaryOf(ctx.req.headers['content-type']);
  const body = await ctx.body(false);
  // aiohttp's post() on a non-form body yields an empty form.
  if (!boundary) return new Map();
  const form = new Map<string, Part>();
  for (const p of parseMultipart(body, boundary)) if (!form.has(p.name)) form.set(p.name, p);
  return form;
}

const field = (form: Map<string, Part>, name: string): string | undefined => form.get(name)?.data.toString('utf8');

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

type SaveFn = (image: Part, form: Map<string, Part>, filepath: string) => void;

function imageUpload(core: Core, form: Map<string, Part>, save?: SaveFn): Reply {
  const image = form.get('image');
  const uploadType = field(form, 'type') ?? 'input';
  const dir = dirOfType(core.folders, uploadType);
  if (dir === undefined) throw new Http500(`unknown upload type ${uploadType}`);
  if (!image) return empty(400);
  if (image.filename === undefined) throw new Http500('image is not a file');
  let filename = image.filename;
  if (!filename) return empty(400);
  const subfolder = field(form, 'subfolder') ?? '';
  const folder = pyJoin(dir, normpath(subfolder));
  let filepath = pyJoin(folder, filename);
  if (!isInside(dir, filepath)) return empty(400);
  mkdirSync(folder, { recursive: true });
  const overwrite = field(form, 'overwrite');
  let duplicate = false;
  if (overwrite !== 'true' && overwrite !== '1') {
    const original = filename;
    for (let i = 1; existsSync(filepath); i++) {
      if (statSync(filepath).isFile() && sha256(readFileSync(filepath)) === sha256(image.data)) {
        duplicate = true;
        break;
      }
      filename = alternativeName(original, i);
      filepath = join(folder, filename);
    }
  }
  if (!duplicate) {
    if (save) save(image, form, filepath);
    else writeFileSync(filepath, image.data);
  }
  return json({ name: filename, subfolder, type: uploadType });
}

/** Copy the uploaded image's alpha into the referenced original and save it (upload_mask). */
function maskSaver(core: Core): SaveFn {
  return (image, form, filepath) => {
    const ref = pyLoads(field(form, 'original_ref') ?? '');
    if (!isDict(ref)) throw new Http500('original_ref is not a dict');
    const a = annotatedFilepath(core.folders, String(ref['filename'] ?? ''));
    if (!a.name || a.name.startsWith('/') || a.name.includes('..')) return;
    let dir = a.dir ?? dirOfType(core.folders, String(ref['type'] ?? 'output'));
    if (dir === undefined) return;
    const sub = String(ref['subfolder'] ?? '');
    if (sub !== '') {
      const full = pyJoin(dir, sub);
      if (!isInside(dir, full)) return;
      dir = full;
    }
    const file = join(dir, a.name);
    if (!existsSync(file) || !statSync(file).isFile()) return;
    const originalBuf = readFileSync(file);
    const original = decodePng(originalBuf);
    const mask = decodePng(image.data);
    if (mask.width !== original.width || mask.height !== original.height) throw new Http500('images do not match');
    for (let i = 3; i < original.data.length; i += 4) original.data[i] = mask.data[i] as number;
    const png = encodeRgbaPng(original.width, original.height, original.data, 4);
    writeFileSync(filepath, withTextChunks(png, readTextChunks(originalBuf)));
  };
}

export function addFileRoutes(r: Router): void {
  r.add('GET', '/view', view);
  r.add('POST', '/upload/image', async (ctx) => imageUpload(ctx.core, await formParts(ctx)));
  r.add('POST', '/upload/mask', async (ctx) => imageUpload(ctx.core, await formParts(ctx), maskSaver(ctx.core)));
}
