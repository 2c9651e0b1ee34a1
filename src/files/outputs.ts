// Output files: streamed from the backend's /view (no shared disk assumed) and cached on our
// side once fetched whole, so repeated downloads (and Range requests) do not touch the backend.
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyReply } from 'fastify';
import { FleetError } from '../errors.ts';

interface Meta {
  contentType: string;
  size: number;
}

/** Parses a single `bytes=a-b` range against a size; null when absent, 'bad' when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'bad' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'bad' : { start, end };
}

/** The base name only (descriptors come from ComfyUI and could carry path parts), header-safe. */
const safeName = (name: string) => path.basename(name.replace(/\\/g, '/')).replace(/[^\x20-\x7e]|"/g, '_') || 'output';

async function serveCached(reply: FastifyReply, file: string, meta: Meta, name: string, range: string | undefined): Promise<FastifyReply> {
  const r = parseRange(range, meta.size);
  if (r === 'bad') {
    throw new FleetError('FLEET_RANGE_NOT_SATISFIABLE', `Range ${range} is outside 0-${meta.size - 1}`, { headers: { 'content-range': `bytes */${meta.size}` } });
  }
  void reply.header('accept-ranges', 'bytes').header('content-type', meta.contentType).header('content-disposition', `inline; filename="${safeName(name)}"`);
  if (r === null) return reply.header('content-length', meta.size).send(createReadStream(file));
  return reply.code(206).header('content-range', `bytes ${r.start}-${r.end}/${meta.size}`).header('content-length', r.end - r.start + 1)
    .send(createReadStream(file, { start: r.start, end: r.end }));
}

export async function streamOutput(
  reply: FastifyReply,
  o: { cacheDir: string; key: string; name: string; range: string | undefined; fetch: (range?: string) => Promise<Response> },
): Promise<FastifyReply> {
  const file = path.join(o.cacheDir, o.key);
  const metaFile = `${file}.meta.json`;
  const meta = await fs.readFile(metaFile, 'utf8').then((t) => JSON.parse(t) as Meta, () => null);
  if (meta) return serveCached(reply, file, meta, o.name, o.range);

  let res: Response;
  try {
    res = await o.fetch(o.range);
  } catch (err) {
    throw new FleetError('FLEET_BACKEND_UNAVAILABLE', `Cannot reach the backend: ${(err as Error).message}`, { cause: err });
  }
  if (res.status === 404) throw new FleetError('FLEET_OUTPUT_NOT_FOUND', 'The backend no longer has this file');
  if (res.status === 416) throw new FleetError('FLEET_RANGE_NOT_SATISFIABLE', `Range ${o.range} is not satisfiable`);
  if (!res.ok || !res.body) throw new FleetError('FLEET_BACKEND_UNAVAILABLE', `The backend answered HTTP ${res.status}`);

  const contentType = res.headers.get('content-type') ?? 'application/octet-stream';
  void reply.code(res.status).header('content-type', contentType).header('accept-ranges', 'bytes')
    .header('content-disposition', `inline; filename="${safeName(o.name)}"`);
  for (const h of ['content-length', 'content-range', 'etag', 'last-modified']) {
    const v = res.headers.get(h);
    if (v) void reply.header(h, v);
  }
  const body = Readable.fromWeb(res.body as unknown as WebReadableStream);
  if (res.status !== 200) return reply.send(body);

  // Whole file: tee into the cache; it becomes visible only once complete.
  const toClient = new PassThrough();
  const toDisk = new PassThrough();
  body.pipe(toClient);
  body.pipe(toDisk);
  void writeCache(file, toDisk, contentType, Number(res.headers.get('content-length') ?? Number.NaN));
  return reply.send(toClient);
}

/** Writes a whole file into the cache: temp file, then rename, then the meta file last. */
async function writeCache(file: string, body: Readable, contentType: string, expected: number): Promise<boolean> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.part`;
  let size = 0;
  body.on('data', (chunk: Buffer) => { size += chunk.length; });
  try {
    await pipeline(body, createWriteStream(tmp));
    if (Number.isFinite(expected) && expected !== size) throw new Error('short read');
    await fs.rename(tmp, file);
    await fs.writeFile(`${file}.meta.json`, JSON.stringify({ contentType, size } satisfies Meta));
    return true;
  } catch {
    await fs.rm(tmp, { force: true });
    return false;
  }
}

/** Fetches a whole output into the cache unless it is there already; true when cached. */
export async function cacheOutput(o: { cacheDir: string; key: string; fetch: () => Promise<Response> }): Promise<boolean> {
  const file = path.join(o.cacheDir, o.key);
  if (await fs.access(`${file}.meta.json`).then(() => true, () => false)) return true;
  const res = await o.fetch();
  if (!res.ok || !res.body) return false;
  const body = Readable.fromWeb(res.body as unknown as WebReadableStream);
  return writeCache(file, body, res.headers.get('content-type') ?? 'application/octet-stream', Number(res.headers.get('content-length') ?? Number.NaN));
}
