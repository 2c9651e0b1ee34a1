// Live job events: GET /jobs/:id/events (SSE, `id:` = sequence, Last-Event-ID resume) and GET /ws
// (JSON protocol in src/events/protocol.ts; previews as binary frames with a small header).
// Both start with the job row as a snapshot, then replay what the client missed, then go live.
import type { FastifyPluginAsync } from 'fastify';
import { isTerminalEvent } from '../src/jobs/events.ts';
import { isTerminal } from '../src/jobs/states.ts';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { JobEvent } from '../src/events/bus.ts';
import { CLOSE, ClientMessageSchema, MAX_SUBSCRIPTIONS } from '../src/events/protocol.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';
import { visibleOwner } from '../src/auth/ownership.ts';

const Ticket = z.string().optional().describe('Single-use ticket from POST /auth/ticket, for clients that cannot send Authorization (EventSource, browser WebSocket)');

/** Above this many buffered bytes a socket only gets events that cannot be coalesced. */
const SOFT_BUFFER = 512 * 1024;
/** Above this a socket is closed: it cannot keep up and would grow memory without bound. */
const HARD_BUFFER = 8 * 1024 * 1024;

function jsonSafe(e: JobEvent, previewsAsDataUrl: boolean): Record<string, unknown> {
  if (e.type !== 'preview') return { type: 'event', jobId: e.jobId, seq: e.seq, event: e.type, at: e.at, data: e.data };
  const image = e.data.image as Buffer;
  const data = { mime: e.data.mime, nodeId: e.data.nodeId, ...(previewsAsDataUrl ? { dataUrl: `data:${String(e.data.mime)};base64,${image.toString('base64')}` } : {}) };
  return { type: 'event', jobId: e.jobId, seq: e.seq, event: e.type, at: e.at, data };
}

/** Binary preview frame: 4-byte BE header length, JSON header {jobId, seq, mime, nodeId}, image bytes. */
export function previewFrame(e: JobEvent): Buffer {
  const header = Buffer.from(JSON.stringify({ jobId: e.jobId, seq: e.seq, mime: e.data.mime, nodeId: e.data.nodeId }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  return Buffer.concat([len, header, e.data.image as Buffer]);
}

/**
 * Each event is encoded once per form and the bytes shared by every socket that receives it: with
 * many subscribers on a job, a JSON.stringify per socket and per event was most of the fan-out cost.
 */
const encoded = new WeakMap<JobEvent, { json?: Buffer; jsonPreview?: Buffer; binary?: Buffer }>();
function encode(e: JobEvent, form: 'json' | 'jsonPreview' | 'binary'): Buffer {
  let forms = encoded.get(e);
  if (!forms) { forms = {}; encoded.set(e, forms); }
  return (forms[form] ??= form === 'binary' ? previewFrame(e) : Buffer.from(JSON.stringify(jsonSafe(e, form === 'jsonPreview'))));
}

const eventsRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/jobs/:id/events', {
    config: { scope: 'read', ticket: true },
    schema: {
      summary: 'Server-sent events of one job (snapshot, then every event; resumable with Last-Event-ID)',
      description: 'Event names: snapshot (the job), queued, position, started, node, progress, preview (no image bytes), output, retrying, succeeded, failed, cancelled. `id:` is the per-job sequence number. The stream ends after the terminal event.',
      tags: ['events'],
      params: z.object({ id: z.uuid() }),
      querystring: z.object({ after: z.coerce.number().int().min(0).optional().describe('Resume after this sequence (same as Last-Event-ID)'), ticket: Ticket }),
      produces: ['text/event-stream'],
    },
  }, async (req, reply) => {
    const job = app.jobs.get(req.params.id, visibleOwner(req));
    const lastId = Number(req.headers['last-event-id'] ?? req.query.after ?? 0);
    const after = Number.isSafeInteger(lastId) && lastId >= 0 ? lastId : 0;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const write = (event: string, data: unknown, id?: number) =>
      res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    write('snapshot', job);
    let ended = isTerminal(job.status) && app.bus.since(job.id, after).length === 0;
    const send = (e: JobEvent) => {
      if (ended || e.seq <= after) return;
      write(e.type, jsonSafe(e, false).data, e.seq);
      if (isTerminalEvent(e.type)) { ended = true; finish(); }
    };
    const off = app.bus.subscribe(job.id, send);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    function finish() { off(); clearInterval(keepAlive); res.end(); }
    req.raw.on('close', () => { off(); clearInterval(keepAlive); });
    if (ended) return finish();
    for (const e of app.bus.since(job.id, after)) send(e);
  });

  r.get('/ws', {
    websocket: true,
    config: { scope: 'read', ticket: true },
    schema: {
      summary: 'Websocket of live job events',
      description: 'Send {"type":"subscribe","jobs":[{"id":"<job>","after":<seq>}]}, {"type":"unsubscribe","jobs":[...]}, {"type":"ping"}. Receive {"type":"snapshot","jobId","job"}, {"type":"event","jobId","seq","event","at","data"}, {"type":"pong"}, {"type":"error","code","message"}. Previews come as binary frames: 4-byte big-endian header length, JSON header {jobId, seq, mime, nodeId}, image bytes; connect with ?previews=json to get them as data URLs instead. Close codes: 4400 bad message, 4404 unknown job, 4408 too slow, 4429 too many subscriptions.',
      tags: ['events'],
      querystring: z.object({ previews: z.enum(['binary', 'json']).default('binary'), ticket: Ticket }),
    },
  }, (socket: WebSocket, req) => {
    const jsonPreviews = (req.query as { previews?: string }).previews === 'json';
    const subs = new Map<string, () => void>();
    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, 30_000);
    socket.on('pong', () => { alive = true; });
    const sendJson = (m: unknown) => socket.send(JSON.stringify(m));
    const deliver = (e: JobEvent) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > HARD_BUFFER) {
        // Stop feeding it at once; the close frame waits behind the backlog, so cut it off soon.
        for (const off of subs.values()) off();
        subs.clear();
        socket.close(CLOSE.TOO_SLOW, 'consumer too slow');
        setTimeout(() => socket.terminate(), 5000).unref();
        return;
      }
      const droppable = e.type === 'preview' || e.type === 'progress' || e.type === 'position';
      if (droppable && socket.bufferedAmount > SOFT_BUFFER) return;
      if (e.type === 'preview' && !jsonPreviews) return socket.send(encode(e, 'binary'));
      socket.send(encode(e, e.type === 'preview' ? 'jsonPreview' : 'json'), { binary: false });
    };
    socket.on('message', (raw, isBinary) => {
      alive = true;
      let msg;
      try {
        msg = ClientMessageSchema.parse(JSON.parse(isBinary ? '' : raw.toString()));
      } catch (err) {
        sendJson({ type: 'error', code: 'FLEET_INVALID_REQUEST', message: err instanceof z.ZodError ? z.prettifyError(err) : 'messages must be JSON text' });
        return socket.close(CLOSE.BAD_MESSAGE, 'bad message');
      }
      if (msg.type === 'ping') return sendJson({ type: 'pong', ...(msg.id ? { id: msg.id } : {}) });
      if (msg.type === 'unsubscribe') {
        for (const id of msg.jobs) { subs.get(id)?.(); subs.delete(id); }
        return;
      }
      if (subs.size + msg.jobs.length > MAX_SUBSCRIPTIONS) {
        sendJson({ type: 'error', code: 'FLEET_INVALID_REQUEST', message: `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket` });
        return socket.close(CLOSE.TOO_MANY_SUBSCRIPTIONS, 'too many subscriptions');
      }
      for (const { id, after = 0 } of msg.jobs) {
        let job;
        try { job = app.jobs.get(id, visibleOwner(req)); } catch {
          sendJson({ type: 'error', code: 'FLEET_JOB_NOT_FOUND', message: `No job ${id}` });
          return socket.close(CLOSE.UNKNOWN_JOB, 'unknown job');
        }
        subs.get(id)?.();
        sendJson({ type: 'snapshot', jobId: id, job });
        for (const e of app.bus.since(id, after)) deliver(e);
        subs.set(id, app.bus.subscribe(id, deliver));
      }
    });
    socket.on('close', () => {
      clearInterval(heartbeat);
      for (const off of subs.values()) off();
    });
  });
};

export default eventsRoutes;
