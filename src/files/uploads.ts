// Client uploads: stored by content hash (same bytes → same id, stored once), size-limited, and
// type-checked from their first bytes (the client's Content-Type and file name are not trusted).
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../db/db.ts';
import { FleetError } from '../errors.ts';

export interface UploadRow {
  id: string;
  owner: string;
  size: number;
  mime: string;
  filename: string;
  created_at: number;
}

/** Recognised image types by magic bytes, with the extension used on backends. */
const SNIFFERS: { mime: string; ext: string; test: (b: Buffer) => boolean }[] = [
  { mime: 'image/png', ext: 'png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mime: 'image/jpeg', ext: 'jpg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: 'image/webp', ext: 'webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { mime: 'image/gif', ext: 'gif', test: (b) => /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1')) },
];

export function sniff(head: Buffer): { mime: string; ext: string } | null {
  const s = SNIFFERS.find((x) => x.test(head));
  return s ? { mime: s.mime, ext: s.ext } : null;
}

/** The file name an upload gets in a backend's input folder: stable, so ComfyUI dedups it. */
export function backendName(row: Pick<UploadRow, 'id' | 'mime'>): string {
  const ext = SNIFFERS.find((s) => s.mime === row.mime)?.ext ?? 'bin';
  return `fleet_${row.id.slice(0, 32)}.${ext}`;
}

/** Only the base name, without control or path characters, for display and Content-Disposition. */
const cleanName = (name: string) => path.basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f"]/g, '_').slice(0, 200) || 'upload';

export class UploadStore {
  readonly #dir: string;
  readonly #s;

  constructor(db: Db, dir: string) {
    this.#dir = dir;
    this.#s = {
      insert: db.prepare(`INSERT INTO uploads (id, owner, size, mime, filename, created_at) VALUES (@id, @owner, @size, @mime, @filename, @created_at)
        ON CONFLICT (id, owner) DO NOTHING`),
      get: db.prepare('SELECT * FROM uploads WHERE id = ? AND owner = ?'),
      any: db.prepare('SELECT * FROM uploads WHERE id = ? LIMIT 1'),
    };
  }

  path(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new FleetError('FLEET_UPLOAD_NOT_FOUND', `No upload ${id}`);
    return path.join(this.#dir, id);
  }

  /** Streams the body to disk while hashing and checking size and type; returns the stored row. */
  async save(body: Readable, o: { owner: string; filename: string; maxBytes: number; now?: number; signal?: AbortSignal }): Promise<UploadRow & { deduplicated: boolean }> {
    await fs.mkdir(this.#dir, { recursive: true });
    const tmp = path.join(this.#dir, `.${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > o.maxBytes) return done(new FleetError('FLEET_BODY_TOO_LARGE', `Uploads are limited to ${o.maxBytes} bytes`));
        if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16 - head.length)]);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp), ...(o.signal ? [{ signal: o.signal }] : []));
      if ((body as Readable & { truncated?: boolean }).truncated) throw new FleetError('FLEET_BODY_TOO_LARGE', `Uploads are limited to ${o.maxBytes} bytes`);
      const type = sniff(head);
      if (!type) throw new FleetError('FLEET_UPLOAD_TYPE', 'Only PNG, JPEG, WebP and GIF images are accepted (checked from the file content)');
      const id = hash.digest('hex');
      const final = this.path(id);
      const existed = await fs.access(final).then(() => true, () => false);
      if (existed) await fs.rm(tmp, { force: true });
      else await fs.rename(tmp, final);
      const row: UploadRow = { id, owner: o.owner, size, mime: type.mime, filename: cleanName(o.filename), created_at: o.now ?? Date.now() };
      this.#s.insert.run(row);
      return { ...(this.get(id, o.owner) ?? row), deduplicated: existed };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw o.signal?.aborted ? o.signal.reason : err;
    }
  }

  get(id: string, owner: string | null): UploadRow | undefined {
    return (owner === null ? this.#s.any.get(id) : this.#s.get.get(id, owner)) as UploadRow | undefined;
  }
}
