/**
 * `createStandin(options)`: one stand-in ComfyUI server (HTTP + /ws on each --listen address).
 * `listen()` prints the readiness line after the sockets listen; `close()` is idempotent.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { createCore } from './core.ts';
import type { Core } from './core.ts';
import { createLogger } from './log.ts';
import type { Logger } from './log.ts';
import type { StandinOptions } from './options.ts';
import { corsHeaders, dispatch, originRejected, Router } from './router.ts';
import { addControlRoutes } from './routes-control.ts';
import { addCoreRoutes } from './routes-core.ts';
import { addFileRoutes } from './routes-files.ts';
import { addJobRoutes } from './routes-jobs.ts';
import { startWorker } from './worker.ts';
import type { Worker } from './worker.ts';

export interface Standin {
  core: Core;
  /** Bind every address; resolves with the bound port. Rejects with code EADDRINUSE on a busy port. */
  listen(): Promise<number>;
  close(): Promise<void>;
  readonly port: number;
}

export interface StandinDeps {
  log?: Logger;
  /** What `crashOnPrompt`/`crashNow` do; the executable kills itself with SIGKILL. */
  crash?: () => void;
}

const SERVER_HEADER = 'Python/3.12 aiohttp/3.11.18';

export function createStandin(opts: StandinOptions, deps: StandinDeps = {}): Standin {
  const log = deps.log ?? createLogger({ level: opts.logLevel, logStdout: opts.logStdout });
  const core = createCore(opts, log, { crash: deps.crash ?? (() => process.kill(process.pid, 'SIGKILL')) });
  const wss = new WebSocketServer({ noServer: true });
  const closeSockets = (): void => {
    for (const ws of wss.clients) ws.terminate();
  };
  const router = new Router();
  addCoreRoutes(router);
  addFileRoutes(router);
  addJobRoutes(router);
  addControlRoutes(router, closeSockets);
  const servers: Server[] = [];
  let worker: Worker | undefined;
  let port = opts.port;
  let closed = false;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void dispatch(router, core, req).then((reply) => {
      const headers: Record<string, string> = { Server: SERVER_HEADER, ...reply.headers };
      if (opts.corsOrigin !== undefined) Object.assign(headers, corsHeaders(opts.corsOrigin));
      if (reply.close) headers['Connection'] = 'close';
      headers['Content-Length'] = String(Buffer.byteLength(reply.body));
      res.writeHead(reply.status, headers);
      res.end(req.method === 'HEAD' ? undefined : reply.body);
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if ((path !== '/ws' && path !== '/api/ws') || (opts.corsOrigin === undefined && originRejected(req, (m) => log.warning(m)))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => core.hub.accept(ws, req));
  };

  const bind = (host: string): Promise<Server> => new Promise((resolve, reject) => {
    const server = createServer(onRequest);
    server.on('upgrade', onUpgrade);
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });

  return {
    core,
    get port() {
      return port;
    },
    async listen() {
      rmSync(opts.tempDir, { recursive: true, force: true });
      mkdirSync(opts.tempDir, { recursive: true });
      worker = startWorker(core);
      for (const host of opts.listen) {
        const server = await bind(host);
        servers.push(server);
        const addr = server.address();
        if (addr && typeof addr === 'object') port = addr.port;
        if (!opts.dontPrintServer) {
          log.info(`To see the GUI go to: http://${host.includes(':') ? `[${host}]` : host}:${port}`);
        }
      }
      return port;
    },
    async close() {
      if (closed) return;
      closed = true;
      worker?.stop();
      core.faults.reset();
      closeSockets();
      await Promise.all(servers.map((s) => new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      })));
      wss.close();
    },
  };
}
