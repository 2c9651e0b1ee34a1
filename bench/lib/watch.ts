// Following jobs over the service's websocket (GET /ws): subscribe, receive events, resolve when
// every watched job has reached a terminal event.
import WebSocket from 'ws';

export interface WsEvent {
  type: 'event';
  jobId: string;
  seq: number;
  event: string;
  at: number;
  data: Record<string, unknown>;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** The service's limit on subscriptions per socket (src/events/protocol.ts). */
const PER_SOCKET = 100;

export function openSocket(baseUrl: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export function subscribe(ws: WebSocket, ids: string[]): void {
  for (let i = 0; i < ids.length; i += PER_SOCKET) {
    ws.send(JSON.stringify({ type: 'subscribe', jobs: ids.slice(i, i + PER_SOCKET).map((id) => ({ id })) }));
  }
}

/** Watches jobs on as many sockets as needed; `done` resolves with each job's terminal event. */
export class JobWatcher {
  readonly #sockets: WebSocket[] = [];
  readonly #pending = new Map<string, (e: WsEvent) => void>();
  readonly #terminal = new Map<string, WsEvent>();
  readonly #base: string;
  #current: { ws: WebSocket; count: number } | null = null;

  constructor(baseUrl: string) {
    this.#base = baseUrl;
  }

  async watch(id: string): Promise<WsEvent> {
    if (!this.#current || this.#current.count >= PER_SOCKET) {
      const ws = await openSocket(this.#base);
      ws.on('message', (raw: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        const m = JSON.parse(raw.toString()) as WsEvent | { type: string };
        if (m.type !== 'event') return;
        const e = m as WsEvent;
        if (!TERMINAL.has(e.event) || this.#terminal.has(e.jobId)) return;
        this.#terminal.set(e.jobId, e);
        this.#pending.get(e.jobId)?.(e);
      });
      this.#sockets.push(ws);
      this.#current = { ws, count: 0 };
    }
    const cur = this.#current;
    cur.count++;
    const done = new Promise<WsEvent>((resolve) => this.#pending.set(id, resolve));
    subscribe(cur.ws, [id]);
    return done;
  }

  close(): void {
    for (const ws of this.#sockets) ws.close();
  }
}
