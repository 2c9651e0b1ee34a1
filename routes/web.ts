// The demo page: static files of web/ (plain ES modules, no build step) at / and /web/<file>.
// Only flat names of known types are served, so no request can leave the directory. Files are
// revalidated on every load (ETag + no-cache): the page is small and must never run a stale
// app.js against a newer API.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FleetError } from '../src/errors.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';

const WEB_DIR = path.resolve(import.meta.dirname, '../web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const FileParams = z.object({
  file: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/i).describe('A file of the page, e.g. app.js'),
});

async function sendFile(req: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
  const type = TYPES[path.extname(name).toLowerCase()];
  const file = path.join(WEB_DIR, name);
  // The name pattern already excludes separators; this keeps the guarantee if it ever changes.
  if (!type || path.dirname(file) !== WEB_DIR) throw new FleetError('FLEET_NOT_FOUND', `No file ${name} in the demo page`);
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw new FleetError('FLEET_NOT_FOUND', `No file ${name} in the demo page`);
  const etag = `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
  void reply.header('etag', etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.type(type).header('content-length', st.size).send(createReadStream(file));
}

const webRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/', {
    schema: {
      summary: 'The demo page: pick or upload a template, fill its form, watch the job live',
      description: 'A static page that uses only the public REST and websocket API.',
      tags: ['web'],
      produces: ['text/html'],
    },
  }, async (req, reply) => sendFile(req, reply, 'index.html'));

  r.get('/web/:file', {
    schema: {
      summary: 'Static files of the demo page (scripts, styles)',
      description: 'Revalidated on every load with ETag / If-None-Match.',
      tags: ['web'],
      params: FileParams,
      produces: ['text/javascript', 'text/css', 'text/html', 'image/svg+xml', 'image/png'],
    },
  }, async (req, reply) => sendFile(req, reply, req.params.file));
};

export default webRoutes;
