// File uploads (multipart). Stored by content hash; a template image parameter takes
// `{"upload": "<id>"}` and the file is copied to whichever backend runs the job.
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { FleetError } from '../src/errors.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';
import type { UploadStore } from '../src/files/uploads.ts';
import { creatorOf, visibleOwner } from '../src/auth/ownership.ts';

declare module 'fastify' {
  interface FastifyInstance {
    uploads: UploadStore;
  }
}

const UploadSchema = z.object({
  id: z.string().describe('sha256 of the bytes: the same file always gets the same id'),
  size: z.number().int(),
  mime: z.string().describe('Detected from the content'),
  filename: z.string().describe('The name the client gave (display only)'),
  createdAt: z.number(),
  use: z.object({ upload: z.string() }).describe('What to pass as the value of an image parameter'),
});

const view = (r: { id: string; size: number; mime: string; filename: string; created_at: number }) => ({
  id: r.id, size: r.size, mime: r.mime, filename: r.filename, createdAt: r.created_at, use: { upload: r.id },
});

/** Calls `check` a moment after the request body has been read entirely; returns a canceller. */
function whenBodyEnded(raw: IncomingMessage, check: () => void, graceMs = 2000): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => { timer = setTimeout(check, graceMs); };
  if (raw.readableEnded) arm();
  else raw.once('end', arm);
  return () => {
    clearTimeout(timer);
    raw.off('end', arm);
  };
}

const uploadsRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const maxBytes = app.config.uploadMaxBytes;

  r.post('/uploads', {
    schema: {
      summary: 'Upload an image (multipart/form-data, field `file`)',
      description: `Stored by content hash (same bytes → same id, 200 instead of 201). PNG, JPEG, WebP or GIF, detected from the bytes; at most ${maxBytes} bytes.`,
      tags: ['uploads'],
      consumes: 'multipart/form-data',
      response: { 200: UploadSchema.describe('Already stored'), 201: UploadSchema.describe('Stored') },
    },
  }, async (req, reply) => {
    if (!req.isMultipart()) throw new FleetError('FLEET_UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data with a `file` part');
    // busboy refuses a malformed body (no boundary, broken headers) with a bare Error: that is the
    // client's fault, not ours.
    const part = await req.file({ limits: { fileSize: maxBytes, files: 1 } }).catch((err: unknown) => {
      if (err instanceof Error && !('statusCode' in err)) throw new FleetError('FLEET_INVALID_REQUEST', `Malformed multipart body: ${err.message}`);
      throw err;
    });
    if (!part) throw new FleetError('FLEET_UPLOAD_MISSING_FILE', 'The body has no file part; send it as the `file` field');
    // busboy reports a body that ends inside the file part on itself, not on the file stream,
    // which would then wait forever: once the request is over, a file still open is truncated.
    const abort = new AbortController();
    const guard = whenBodyEnded(req.raw, () => {
      if (!part.file.readableEnded) abort.abort(new FleetError('FLEET_INVALID_REQUEST', 'The multipart body ended inside the file part (no closing boundary)'));
    });
    let row;
    try {
      row = await app.uploads.save(part.file, { owner: creatorOf(req), filename: part.filename, maxBytes, signal: abort.signal });
    } finally {
      guard();
    }
    return reply.code(row.deduplicated ? 200 : 201).header('location', `/uploads/${row.id}`).send(view(row));
  });

  r.get('/uploads/:id', {
    schema: { summary: 'An upload\'s metadata', tags: ['uploads'], params: z.object({ id: z.string() }), response: { 200: UploadSchema } },
  }, async (req) => {
    const row = app.uploads.get(req.params.id, visibleOwner(req) ?? null);
    if (!row) throw new FleetError('FLEET_UPLOAD_NOT_FOUND', `No upload ${req.params.id}`);
    return view(row);
  });
};

export default uploadsRoutes;
