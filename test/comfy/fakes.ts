/** In-memory stand-ins for the client's transports: a scripted socket and a fetch-level backend. */
import type { SocketPort } from '../../src/comfy/client.ts';
import { TypedEmitter } from '../../src/comfy/emitter.ts';
import { silentLogger } from '../../src/comfy/logger.ts';
import { parseWsMessage } from '../../src/comfy/messages.ts';
import { decodeBinaryFrame } from '../../src/comfy/preview.ts';
import type { ComfySocketEvents, OpenInfo, SocketState } from '../../src/comfy/socket.ts';

export class FakeSocket implements SocketPort {
  readonly clientId: string;
  lastFrameAt = Date.now();
  state: SocketState = 'idle';
  reconnects: string[] = [];
  closed = 0;
  readonly #emitter = new TypedEmitter<ComfySocketEvents>(silentLogger());
  #opens = 0;

  constructor(clientId = 'fake-client') {
    this.clientId = clientId;
  }

  on<K extends keyof ComfySocketEvents>(event: K, listener: (payload: ComfySocketEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  start(): void {
    if (this.state === 'idle') this.open();
  }

  opened(): Promise<OpenInfo> {
    return Promise.resolve({ sid: this.clientId, reconnect: this.#opens > 1 });
  }

  reconnect(reason: string): void {
    this.reconnects.push(reason);
  }

  async close(): Promise<void> {
    this.closed++;
    this.state = 'stopped';
  }

  /** Simulates a (re)connection greeting. */
  open(): void {
    this.state = 'open';
    this.#opens++;
    this.#emitter.emit('open', { sid: this.clientId, reconnect: this.#opens > 1 });
  }

  giveUp(attempts: number): void {
    this.state = 'stopped';
    this.#emitter.emit('gave_up', { attempts });
  }

  /** Delivers a JSON message as if it came off the wire. */
  send(raw: unknown): void {
    this.lastFrameAt = Date.now();
    const parsed = parseWsMessage(raw);
    if (!parsed.ok) throw new Error(`fake socket got an unparseable message: ${JSON.stringify(raw)}`);
    this.#emitter.emit('message', parsed.message);
  }

  sendBinary(bytes: Uint8Array): void {
    this.lastFrameAt = Date.now();
    const frame = decodeBinaryFrame(bytes);
    if (frame.kind === 'preview') this.#emitter.emit('preview', frame);
    else if (frame.kind === 'text') this.#emitter.emit('text', frame);
  }
}

type Json = Record<string, unknown>;

/** A fetch that answers the ComfyUI routes the client uses from in-memory state. */
export class FakeBackend {
  history = new Map<string, Json>();
  running: string[] = [];
  pending: string[] = [];
  posted: Json[] = [];
  calls: string[] = [];
  /** Called with the POST body before the reply is sent: lets a test emit early events. */
  onPrompt: (body: Json) => Response | void = () => {};
  /** How many `/history/{id}` reads answer `{}` before the entry shows (history written late). */
  historyLag = 0;

  fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Json) : {};
    const route = url.pathname.replace(/^\/api/, '');
    this.calls.push(`${method} ${route}`);
    if (method === 'POST' && route === '/prompt') {
      this.posted.push(body);
      const early = this.onPrompt(body);
      if (early) return early;
      return json({ prompt_id: body['prompt_id'], number: this.posted.length, node_errors: {} });
    }
    if (route.startsWith('/history/')) {
      const id = decodeURIComponent(route.slice('/history/'.length));
      if (this.historyLag > 0) {
        this.historyLag--;
        return json({});
      }
      const entry = this.history.get(id);
      return json(entry ? { [id]: entry } : {});
    }
    if (route === '/queue' && method === 'GET') {
      const item = (id: string, n: number) => [n, id, {}, { client_id: 'fake-client' }, ['9']];
      return json({ queue_running: this.running.map(item), queue_pending: this.pending.map(item) });
    }
    if (route === '/queue' && method === 'POST') {
      const ids = (body['delete'] as string[] | undefined) ?? [];
      this.pending = this.pending.filter((id) => !ids.includes(id));
      return new Response('', { status: 200 });
    }
    if (route === '/interrupt') return new Response('', { status: 200 });
    return new Response('404: Not Found', { status: 404 });
  };

  /** A history entry the way ComfyUI writes it. */
  finish(promptId: string, status: 'success' | 'error' | 'interrupted', outputs: Json = {}): void {
    const terminal = status === 'success'
      ? ['execution_success', { prompt_id: promptId, timestamp: 3 }]
      : status === 'interrupted'
        ? ['execution_interrupted', { prompt_id: promptId, node_id: '2', node_type: 'ImageInvert', executed: ['1'], timestamp: 3 }]
        : ['execution_error', { prompt_id: promptId, node_id: '1', node_type: 'LoadImage', executed: [], exception_message: 'boom\n', exception_type: 'RuntimeError', traceback: [], current_inputs: {}, current_outputs: [], timestamp: 3 }];
    this.history.set(promptId, {
      prompt: [1, promptId, {}, { client_id: 'fake-client' }, ['3']],
      outputs,
      status: { status_str: status === 'success' ? 'success' : 'error', completed: status === 'success', messages: [['execution_start', { prompt_id: promptId, timestamp: 1 }], terminal] },
      meta: {},
    });
    this.running = this.running.filter((id) => id !== promptId);
  }
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
