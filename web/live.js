// Live events of one job over GET /ws. The socket resubscribes with the last sequence it saw
// after a drop, so the page gets what it missed (and the terminal event exactly once) instead of
// starting over. Previews arrive as binary frames: [u32 BE header length][JSON header][image].

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** Close codes that a retry cannot fix (bad message, auth, unknown job, too many subscriptions). */
const FATAL_CLOSE = new Set([4400, 4401, 4404, 4429]);

/** @param {ArrayBuffer} buf */
export function decodePreview(buf) {
  const len = new DataView(buf).getUint32(0, false);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len)));
  return { ...header, blob: new Blob([new Uint8Array(buf, 4 + len)], { type: header.mime }) };
}

/**
 * @typedef {object} Handlers
 * @property {(job: any) => void} snapshot  the job row, on every (re)subscription
 * @property {(type: string, data: any, seq: number) => void} event
 * @property {(preview: {jobId: string, seq: number, mime: string, nodeId: string, blob: Blob}) => void} preview
 * @property {(state: 'connecting' | 'live' | 'reconnecting' | 'closed', why?: string) => void} connection
 */

/**
 * @param {string} jobId
 * @param {Handlers} on
 * @param {{ticket?: () => Promise<string | null>}} [opts] a fresh auth ticket per connection, when auth is on
 * @returns {{close: () => void}}
 */
export function watchJob(jobId, on, opts = {}) {
  let lastSeq = 0;
  let stopped = false;
  let attempt = 0;
  /** @type {WebSocket | null} */
  let ws = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer;

  const stop = () => {
    stopped = true;
    clearTimeout(retryTimer);
    ws?.close(1000, 'done');
    on.connection('closed');
  };

  async function connect() {
    on.connection(attempt === 0 ? 'connecting' : 'reconnecting');
    const ticket = opts.ticket ? await opts.ticket() : null;
    if (stopped) return;
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (ticket) url.searchParams.set('ticket', ticket);
    const socket = new WebSocket(url);
    ws = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      attempt = 0;
      socket.send(JSON.stringify({ type: 'subscribe', jobs: [{ id: jobId, after: lastSeq }] }));
      on.connection('live');
    };
    socket.onmessage = (m) => {
      if (stopped) return;
      if (m.data instanceof ArrayBuffer) {
        const p = decodePreview(m.data);
        if (p.jobId === jobId) on.preview(p);
        return;
      }
      const msg = JSON.parse(m.data);
      if (msg.type === 'snapshot') {
        on.snapshot(msg.job);
        // A finished job's row already holds its outputs and error: nothing more to wait for.
        if (TERMINAL.has(msg.job.status)) stop();
      }
      else if (msg.type === 'error') on.connection('closed', msg.message);
      else if (msg.type === 'event' && msg.seq > lastSeq) {
        lastSeq = msg.seq;
        on.event(msg.event, msg.data, msg.seq);
        if (TERMINAL.has(msg.event)) stop();
      }
    };
    socket.onclose = (e) => {
      if (stopped || ws !== socket) return;
      if (FATAL_CLOSE.has(e.code)) {
        stopped = true;
        on.connection('closed', e.reason || `closed (${e.code})`);
        return;
      }
      // Capped exponential backoff: a restarting service is not hammered, a blip costs ~0.5 s.
      const delay = Math.min(500 * 2 ** attempt++, 10_000);
      on.connection('reconnecting', `connection lost; retrying in ${Math.round(delay / 100) / 10} s`);
      retryTimer = setTimeout(() => void connect(), delay);
    };
  }

  void connect();
  return { close: stop };
}
