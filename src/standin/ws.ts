/**
 * The /ws endpoint and message delivery, like ComfyUI's PromptServer: sockets registered by
 * sid, a `status` first message, the optional `executing` reconnect hint, the feature_flags
 * handshake, and the #16010 bug (an old socket's close unregisters its replacement).
 * Faults: `hang` silences every message, `dropFraction` drops some at random.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Faults } from './faults.ts';
import type { Logger } from './log.ts';
import { pyDumps, pyLoads } from './pyjson.ts';

export const BinaryEventTypes = { PREVIEW_IMAGE: 1, TEXT: 3, PREVIEW_IMAGE_WITH_METADATA: 4 } as const;

export interface WsHubDeps {
  faults: Faults;
  log: Logger;
  queueInfo(): Record<string, unknown>;
  serverFeatures(): Record<string, unknown>;
  /** The running prompt's node when `sid` is its client, for the reconnect hint. */
  executingNodeFor(sid: string): string | undefined;
}

export class WsHub {
  readonly #sockets = new Map<string, WebSocket>();
  readonly #flags = new Map<string, Record<string, unknown>>();
  readonly #deps: WsHubDeps;

  constructor(deps: WsHubDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#sockets.size;
  }

  sids(): string[] {
    return [...this.#sockets.keys()];
  }

  accept(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://x');
    let sid = url.searchParams.get('clientId') ?? '';
    // Reusing an id forgets (does not close) the old socket.
    if (sid) this.#sockets.delete(sid);
    else sid = randomUUID().replaceAll('-', '');
    this.#sockets.set(sid, ws);
    this.#flags.set(sid, {});
    this.send('status', { status: this.#deps.queueInfo(), sid }, sid);
    const node = this.#deps.executingNodeFor(sid);
    if (node !== undefined) this.send('executing', { node }, sid);
    let first = true;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = pyLoads(data.toString());
      } catch {
        this.#deps.log.warning(`Invalid JSON received from client ${sid}: ${data.toString()}`);
        return;
      }
      const m = msg as { type?: unknown; data?: unknown };
      if (first && m !== null && typeof m === 'object' && m.type === 'feature_flags') {
        const flags = m.data && typeof m.data === 'object' ? (m.data as Record<string, unknown>) : {};
        this.#flags.set(sid, flags);
        this.send('feature_flags', this.#deps.serverFeatures(), sid);
      }
      first = false;
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      // #16010: unregisters whatever socket holds this sid now, even a newer one.
      this.#sockets.delete(sid);
      this.#flags.delete(sid);
    });
  }

  supportsPreviewMetadata(sid: string | null | undefined): boolean {
    if (sid === null || sid === undefined) return false;
    return this.#flags.get(sid)?.['supports_preview_metadata'] === true;
  }

  #deliver(payload: string | Buffer, sid: string | null | undefined): void {
    const { faults } = this.#deps;
    if (faults.state.hang) return;
    const targets = sid === null || sid === undefined ? [...this.#sockets.values()] : [this.#sockets.get(sid)].filter((w) => w !== undefined);
    for (const ws of targets) {
      if (faults.shouldDrop()) continue;
      if (ws.readyState === ws.OPEN) ws.send(payload);
    }
  }

  /** send_sync: to one sid, or to everyone when sid is null/undefined. */
  send(type: string, data: unknown, sid: string | null | undefined): void {
    this.#deliver(pyDumps({ type, data }), sid);
  }

  sendBinary(eventType: number, body: Buffer, sid: string | null | undefined): void {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(eventType);
    this.#deliver(Buffer.concat([head, body]), sid);
  }

  /** Close every socket abruptly (fault `closeSockets`, server close). */
  terminateAll(): void {
    for (const ws of this.#sockets.values()) ws.terminate();
  }
}
