/** A scriptable websocket server on a free port, standing in for ComfyUI's /ws in socket tests. */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Connection {
  ws: WebSocket;
  url: string;
  received: string[];
  closedAt: number | null;
  openedAt: number;
}

export interface FakeWsServer {
  baseUrl: string;
  connections: Connection[];
  server: WebSocketServer;
  greet(conn: Connection, queueRemaining?: number): void;
}

export async function fakeWsServer(
  t: TestContext,
  options: { autoPong?: boolean; greet?: boolean; port?: number } = {},
): Promise<FakeWsServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0, autoPong: options.autoPong ?? true });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const connections: Connection[] = [];
  const greet = (conn: Connection, queueRemaining = 0): void => {
    const clientId = new URL(conn.url, 'http://x').searchParams.get('clientId') ?? 'generated';
    conn.ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: queueRemaining } }, sid: clientId } }));
  };
  server.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const conn: Connection = { ws, url: req.url ?? '', received: [], closedAt: null, openedAt: Date.now() };
    connections.push(conn);
    ws.on('message', (data) => conn.received.push(String(data)));
    ws.on('close', () => {
      conn.closedAt = Date.now();
    });
    if (options.greet ?? true) greet(conn);
  });
  t.after(() => new Promise<void>((resolve) => {
    for (const client of server.clients) client.terminate();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, connections, server, greet };
}

/** Bounded polling: resolves when `check` returns true, fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 100);
  }
}
