// The websocket protocol of GET /ws, as zod schemas: what a browser may send and what it gets.
import { z } from 'zod';
import { JOB_EVENT_TYPES } from '../jobs/events.ts';

export const MAX_SUBSCRIPTIONS = 100;

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    jobs: z.array(z.object({ id: z.uuid(), after: z.number().int().min(0).optional().describe('Last sequence number seen') })).min(1).max(MAX_SUBSCRIPTIONS),
  }),
  z.object({ type: z.literal('unsubscribe'), jobs: z.array(z.uuid()).min(1).max(MAX_SUBSCRIPTIONS) }),
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }),
]);
export type ClientMessage = z.output<typeof ClientMessageSchema>;

export const ServerEventSchema = z.object({
  type: z.literal('event'),
  jobId: z.string(),
  seq: z.number().int(),
  event: z.enum(JOB_EVENT_TYPES),
  at: z.number(),
  data: z.record(z.string(), z.unknown()),
});

/** Close codes, stable for clients. */
export const CLOSE = {
  BAD_MESSAGE: 4400,
  UNAUTHORIZED: 4401,
  UNKNOWN_JOB: 4404,
  TOO_MANY_SUBSCRIPTIONS: 4429,
  TOO_SLOW: 4408,
} as const;
