import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { ComfyHttpError, ComfyPromptError, ComfyProtocolError, ComfyUnreachableError } from '../../src/comfy/errors.ts';
import { ComfyHttp } from '../../src/comfy/http.ts';
import { loadCapture } from './captures.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (req: Seen, res: ServerResponse) => void;

/** A throwaway HTTP server that records requests and answers with `handler`. */
async function serve(t: TestContext, handler: Handler): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(entry);
      handler(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

test('routes use the /api prefix, parse replies and send the documented bodies', async (t) => {
  const { baseUrl, seen } = await serve(t, (req, res) => {
    if (req.url === '/api/system_stats') return json(res, 200, loadCapture('system_stats.json').body);
    if (req.url === '/api/prompt' && req.method === 'GET') return json(res, 200, { exec_info: { queue_remaining: 2 } });
    if (req.url === '/api/prompt') return json(res, 200, { prompt_id: JSON.parse(req.body.toString()).prompt_id, number: 3.0, node_errors: {} });
    if (req.url === '/api/queue' && req.method === 'GET') {
      return json(res, 200, { queue_running: [], queue_pending: [[5, 'b', {}, {}, ['9']], [4, 'z', {}, {}, []], [5, 'a', {}, {}, []]] });
    }
    if (req.url?.startsWith('/api/history/')) return json(res, 200, req.url.endsWith('/known') ? { known: { outputs: {}, status: null } } : {});
    if (req.url === '/api/object_info/Nope') return json(res, 200, {});
    if (req.url === '/api/models/unet') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(); // empty 200s of mutating routes
  });
  const http = new ComfyHttp({ baseUrl });
  assert.equal((await http.systemStats()).system.comfyui_version, '0.27.0');
  assert.deepEqual(await http.promptCounter(), { queueRemaining: 2 });
  const reply = await http.postPrompt({ prompt: { '1': {} }, clientId: 'c', promptId: 'p-1', extraData: { a: 1 }, front: true, partialExecutionTargets: ['9'] });
  assert.deepEqual(reply, { promptId: 'p-1', number: 3, nodeErrors: [] });
  const posted = JSON.parse(seen.find((s) => s.method === 'POST' && s.url === '/api/prompt')!.body.toString());
  assert.deepEqual(posted, { prompt: { '1': {} }, client_id: 'c', prompt_id: 'p-1', extra_data: { a: 1 }, front: true, partial_execution_targets: ['9'] });
  const queue = await http.queue();
  assert.deepEqual(queue.pending.map((i) => i.promptId), ['z', 'a', 'b']); // number, then prompt_id
  assert.equal(await http.history('unknown'), null);
  assert.ok(await http.history('known'));
  assert.equal(await http.objectInfoClass('Nope'), null);
  assert.equal(await http.modelFiles('unet'), null);
  await http.deleteFromQueue(['x']);
  await http.clearQueue();
  await http.interrupt('p-1');
  await http.interrupt();
  await http.free({ unloadModels: true, freeMemory: true });
  await http.deleteHistory(['p-1']);
  await http.historyPage({ maxItems: 2, offset: 1 }).catch(() => {});
  const bodies = seen.filter((s) => s.method === 'POST' && s.url !== '/api/prompt').map((s) => `${s.url} ${s.body.toString()}`);
  assert.deepEqual(bodies, [
    '/api/queue {"delete":["x"]}', '/api/queue {"clear":true}', '/api/interrupt {"prompt_id":"p-1"}', '/api/interrupt {}',
    '/api/free {"unload_models":true,"free_memory":true}', '/api/history {"delete":["p-1"]}',
  ]);
  assert.ok(seen.some((s) => s.url === '/api/history?max_items=2&offset=1'));
});

test('apiPrefix "" talks to the bare routes; a base path is kept', async (t) => {
  const { baseUrl, seen } = await serve(t, (_req, res) => json(res, 200, ['checkpoints']));
  await new ComfyHttp({ baseUrl, apiPrefix: '' }).models();
  await new ComfyHttp({ baseUrl: `${baseUrl}/comfy/` }).embeddings();
  assert.deepEqual(seen.map((s) => s.url), ['/models', '/comfy/api/embeddings']);
});

test('a 400 from /prompt is a ComfyPromptError; a text 500 is a ComfyHttpError with the raw body', async (t) => {
  let mode = 'validation';
  const { baseUrl } = await serve(t, (_req, res) => {
    if (mode === 'validation') return json(res, 400, loadCapture('prompt_error_bad_value_int_range.json').body);
    if (mode === '500') return res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('500 Internal Server Error\n\nServer got itself in trouble');
    if (mode === '413') return res.writeHead(413, { 'content-type': 'text/plain' }).end('Request Entity Too Large');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy page</html>');
  });
  const http = new ComfyHttp({ baseUrl });
  const request = { prompt: {}, clientId: 'c', promptId: 'p' };
  const validation = await http.postPrompt(request).catch((e: unknown) => e);
  assert.ok(validation instanceof ComfyPromptError);
  assert.equal(validation.nodeErrors[0]?.inputName, 'width');
  mode = '500';
  const crash = await http.postPrompt(request).catch((e: unknown) => e);
  assert.ok(crash instanceof ComfyHttpError);
  assert.equal(crash.status, 500);
  assert.equal(crash.bodyText, '500 Internal Server Error\n\nServer got itself in trouble');
  assert.equal(crash.contentType, 'text/plain; charset=utf-8');
  mode = '413';
  const large = await http.postPrompt(request).catch((e: unknown) => e);
  assert.ok(large instanceof ComfyHttpError && large.status === 413);
  mode = 'html';
  const html = await http.systemStats().catch((e: unknown) => e);
  assert.ok(html instanceof ComfyProtocolError && html.bodyText.includes('proxy page'));
});

test('timeouts, refused connections and caller aborts', async (t) => {
  const { baseUrl } = await serve(t, () => {}); // never answers
  const http = new ComfyHttp({ baseUrl, timeoutMs: 100 });
  const started = Date.now();
  const timeout = await http.systemStats().catch((e: unknown) => e);
  assert.ok(timeout instanceof ComfyUnreachableError && timeout.reason === 'timeout');
  assert.ok(Date.now() - started < 2_000);
  const perCall = await http.queue({ timeoutMs: 50 }).catch((e: unknown) => e);
  assert.ok(perCall instanceof ComfyUnreachableError && perCall.reason === 'timeout');

  const controller = new AbortController();
  const pending = http.systemStats({ signal: controller.signal, timeoutMs: 10_000 });
  controller.abort(new Error('caller gave up'));
  await assert.rejects(pending, /caller gave up/);

  const closed = new ComfyHttp({ baseUrl: `http://127.0.0.1:${await closedPort()}`, timeoutMs: 2_000 });
  const refused = await closed.systemStats().catch((e: unknown) => e);
  assert.ok(refused instanceof ComfyUnreachableError && refused.reason === 'network');
  assert.match(refused.message, /ECONNREFUSED/);
});

test('view streams the body, passes Range, and a 404 is a ComfyHttpError', async (t) => {
  const png = Buffer.alloc(300, 7);
  const { baseUrl, seen } = await serve(t, (req, res) => {
    if (!req.url.includes('filename=a.png')) return res.writeHead(404).end();
    const range = req.headers.range;
    if (range === 'bytes=10-19') return res.writeHead(206, { 'content-type': 'image/png' }).end(png.subarray(10, 20));
    res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  });
  const http = new ComfyHttp({ baseUrl, timeoutMs: 1_000 });
  const response = await http.view({ filename: 'a.png', subfolder: 'sub dir', type: 'output' });
  assert.equal(response.headers.get('content-type'), 'image/png');
  assert.ok(response.body, 'body left unread for the caller to stream');
  assert.equal((await response.arrayBuffer()).byteLength, 300);
  assert.ok(seen[0]?.url.includes('subfolder=sub+dir'));
  const partial = await http.view({ filename: 'a.png' }, { range: { start: 10, end: 19 } });
  assert.equal(partial.status, 206);
  assert.equal((await partial.arrayBuffer()).byteLength, 10);
  const missing = await http.view({ filename: 'b.png' }).catch((e: unknown) => e);
  assert.ok(missing instanceof ComfyHttpError && missing.status === 404);
});

test('uploadImage sends multipart with the file name and options', async (t) => {
  const { baseUrl, seen } = await serve(t, (_req, res) => json(res, 200, { name: 'in (1).png', subfolder: 'inbox', type: 'input' }));
  const http = new ComfyHttp({ baseUrl });
  const reply = await http.uploadImage(Uint8Array.from([137, 80, 78, 71]), { filename: 'in.png', subfolder: 'inbox', overwrite: true });
  assert.deepEqual(reply, { name: 'in (1).png', subfolder: 'inbox', type: 'input' });
  const body = seen[0]!.body.toString('latin1');
  assert.match(String(seen[0]?.headers['content-type']), /^multipart\/form-data; boundary=/);
  assert.match(body, /name="image"; filename="in.png"/);
  assert.match(body, /name="subfolder"\r\n\r\ninbox/);
  assert.match(body, /name="overwrite"\r\n\r\ntrue/);
});

test('options are validated before anything starts', () => {
  assert.throws(() => new ComfyHttp({ baseUrl: 'not a url' }));
  assert.throws(() => new ComfyHttp({ baseUrl: 'ftp://x' }));
  assert.throws(() => new ComfyHttp({ baseUrl: 'http://x', timeoutMs: -1 }));
});
