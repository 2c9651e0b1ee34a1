// Follows one job over GET /ws until it ends. A dropped socket is reopened with the last sequence
// seen, so no event is lost or repeated and the terminal one is never missed; refusals (unknown
// job, bad credentials) end the follow with an ApiError instead of retrying forever.
import WebSocket from 'ws';
import { ApiError, UnreachableError, type FleetClient } from './client.ts';
import { TERMINAL_STATES, WsMessage, type JobReplyT } from './replies.ts';

export interface FollowHandlers {
  /** The job row, on every (re)subscription. */
  snapshot(job: JobReplyT): void;
  /** `at`: when the service recorded it (epoch ms). */
  event(type: string, data: Record<string, unknown>, seq: number, at: number): void;
  /** The socket dropped and will be reopened after `delayMs`. */
  reconnecting?(delayMs: number, attempt: number): void;
}

/** Close codes of GET /ws that a retry cannot fix, as the HTTP status they stand for. */
const FATAL: Record<number, number> = { 4400: 400, 4401: 401, 4403: 403, 4404: 404, 4429: 429 };

const REPLAYED = 'replayed';

export const isTerminal = (status: string): boolean => (TERMINAL_STATES as readonly string[]).includes(status);

export function followJob(client: FleetClient, jobId: string, on: FollowHandlers, opts: { maxRetries?: number } = {}): Promise<void> {
  const maxRetries = opts.maxRetries ?? 8;
  return new Promise<void>((resolve, reject) => {
    let lastSeq = 0;
    let attempt = 0;
    let done = false;
    let socket: WebSocket | undefined;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      socket?.close(1000, 'done');
      if (err) reject(err);
      else resolve();
    };

    const connect = () => {
      const ws = new WebSocket(client.wsUrl('/ws'), { headers: client.headers() });
      socket = ws;
      let refusal: { code?: string | undefined; message: string } | undefined;
      ws.on('open', () => {
        attempt = 0;
        ws.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: jobId, after: lastSeq }] }));
      });
      ws.on('message', (data, isBinary) => {
        if (done || isBinary) return; // binary frames are previews: nothing to show in a terminal
        let parsed;
        try {
          parsed = WsMessage.safeParse(JSON.parse(data.toString()));
        } catch {
          return;
        }
        if (!parsed.success) return;
        const m = parsed.data;
        if (m.type === 'snapshot') {
          on.snapshot(m.job);
          // A finished job: the server replays what is still buffered right after the snapshot,
          // then answers this ping, so the pong marks the end (even when nothing is buffered).
          if (isTerminal(m.job.status)) ws.send(JSON.stringify({ type: 'ping', id: REPLAYED }));
        } else if (m.type === 'event' && m.seq > lastSeq) {
          lastSeq = m.seq;
          on.event(m.event, m.data, m.seq, m.at ?? Date.now());
          if (isTerminal(m.event)) finish();
        } else if (m.type === 'pong' && m.id === REPLAYED) {
          finish();
        } else if (m.type === 'error') {
          refusal = { code: m.code, message: m.message };
        }
      });
      ws.on('error', () => undefined); // 'close' follows and decides
      ws.on('close', (code, reason) => {
        if (done) return;
        const status = FATAL[code];
        if (status !== undefined) {
          finish(new ApiError(status, { status, code: refusal?.code, detail: refusal?.message ?? (reason.toString() || `websocket closed with ${code}`) }));
          return;
        }
        if (++attempt > maxRetries) {
          finish(new UnreachableError(client.url, new Error(`the websocket closed ${maxRetries + 1} times in a row (last code ${code})`)));
          return;
        }
        const delayMs = Math.min(250 * 2 ** (attempt - 1), 5000);
        on.reconnecting?.(delayMs, attempt);
        setTimeout(connect, delayMs);
      });
    };
    connect();
  });
}
