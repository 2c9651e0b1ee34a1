// Credentials for browsers, and a way for any client to see who it is. A ticket stands in for
// the key on the two streaming routes that browsers cannot put headers on (EventSource and
// WebSocket): it lasts TICKET_TTL_MS, works once, and only as `?ticket=` on those routes.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { grants, SCOPES } from '../src/auth/scopes.ts';
import type { ZodTypeProvider } from '../src/http/zod.ts';

const TicketRequest = z.object({
  jobId: z.uuid().optional().describe('Bind the ticket to GET /jobs/{jobId}/events only (it then cannot open /ws)'),
}).describe('Optional: what the ticket is for');

const TicketReply = z.object({
  ticket: z.string().describe('Pass as `?ticket=` to GET /ws or GET /jobs/{id}/events; works once'),
  expiresAt: z.number().describe('Epoch milliseconds after which the ticket is refused'),
  expiresInMs: z.number().int(),
}).describe('A single-use ticket for the caller\'s key');

const WhoAmI = z.object({
  name: z.string().describe('Key name ("" when no keys are configured)'),
  scopes: z.array(z.enum(SCOPES)),
  open: z.boolean().describe('true when no keys are configured and every route is open'),
});

const authRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/auth/ticket', {
    config: { scope: 'read' },
    schema: {
      summary: 'A short-lived, single-use ticket for EventSource/WebSocket, which cannot send Authorization',
      description: 'Never put an API key in a URL: ask for a ticket with the key (server side or from the page), then open `/ws?ticket=…` or `/jobs/{id}/events?ticket=…` within TICKET_TTL_MS. A used, expired or mismatched ticket is answered 401 (websocket: close 4401).',
      tags: ['auth'],
      body: TicketRequest.nullish(),
      response: { 201: TicketReply },
    },
  }, async (req, reply) => {
    const { ticket, expiresAt } = app.access.tickets.issue(req.principal?.name ?? '', req.body?.jobId ?? null);
    return reply.code(201).header('cache-control', 'no-store').send({ ticket, expiresAt, expiresInMs: app.config.auth.ticketTtlMs });
  });

  r.get('/auth/whoami', {
    config: { scope: 'read' },
    schema: { summary: 'The key this request was made with, and its scopes', tags: ['auth'], response: { 200: WhoAmI } },
  }, async (req) => ({
    name: req.principal?.name ?? '',
    scopes: SCOPES.filter((s) => req.principal !== null && grants(req.principal.scopes, s)),
    open: app.access.open,
  }));
};

export default authRoutes;
