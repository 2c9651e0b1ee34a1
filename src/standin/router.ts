/**
 * A minimal aiohttp-like router: exact paths and `{param}` segments, each route also at
 * `/api/...` unless told otherwise, 404/405 text replies, and the middlewares ComfyUI installs
 * (origin check or CORS headers), with unhandled errors turned into aiohttp's text 500.
 */
import type { IncomingMessage } from 'node:http';
import type { Core } from './core.ts';
import { empty, methodNotAllowed, notFound, readBody, serverError, tooLarge, TooLarge } from './http.ts';
import type { Reply } from './http.ts';

export interface Ctx {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  core: Core;
  /** The raw body, limited by --max-upload-size (`inclusive`: aiohttp read() semantics). */
  body(inclusive?: boolean): Promise<Buffer>;
}

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class Router {
  readonly #routes: Route[] = [];

  /** Register at `path` and, unless `alias` is false, at `/api` + path (ComfyUI's twin routes). */
  add(method: string, path: string, handler: Handler, alias = true): void {
    const paths = alias ? [path, `/api${path}`] : [path];
    for (const p of paths) this.#routes.push({ method, segments: p.split('/'), handler });
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | { allow: string[] } | undefined {
    const parts = path.split('/');
    const allow: string[] = [];
    for (const r of this.#routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = r.segments.every((s, i) => {
        const p = parts[i] as string;
        if (s.startsWith('{') && s.endsWith('}')) {
          params[s.slice(1, -1)] = p;
          return p !== '';
        }
        return s === p;
      });
      if (!ok) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { handler: r.handler, params };
      allow.push(r.method);
    }
    return allow.length > 0 ? { allow } : undefined;
  }
}

const LOOPBACK = /^(localhost|.*\.localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

function splitHost(hostport: string): { host: string; port: string | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  return { host: (m?.[1] ?? hostport).replace(/^\[|\]$/g, ''), port: m?.[2] || undefined };
}

/** ComfyUI's origin_only_middleware (and the ≥0.19 Sec-Fetch-Site check). */
export function originRejected(req: IncomingMessage, warn: (m: string) => void): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return true;
  const hostHeader = req.headers.host;
  const origin = req.headers.origin;
  if (!hostHeader || !origin) return false;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return false;
  }
  const host = splitHost(hostHeader.toLowerCase());
  const loopback = LOOPBACK.test(host.host);
  let hostDomain = hostHeader.toLowerCase();
  let originDomain = originUrl.host.toLowerCase();
  if (originUrl.port === '') hostDomain = host.host;
  if (host.port === undefined) originDomain = originUrl.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (loopback && hostDomain && originDomain && hostDomain !== originDomain) {
    warn(`WARNING: request with non matching host and origin ${hostDomain} != ${originDomain}, returning 403`);
    return true;
  }
  return false;
}

export async function dispatch(router: Router, core: Core, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const cors = core.opts.corsOrigin;
  if (cors === undefined && originRejected(req, (m) => core.log.warning(m))) return empty(403);
  if (req.method === 'OPTIONS') return empty(200);
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path; it will not match a route
  }
  const m = router.match(req.method ?? 'GET', path);
  if (!m) return notFound();
  if ('allow' in m) return methodNotAllowed(m.allow);
  const ctx: Ctx = { req, url, params: m.params, core, body: (inclusive = true) => readBody(req, core.opts.maxUploadBytes, inclusive) };
  try {
    return await m.handler(ctx);
  } catch (err) {
    if (err instanceof TooLarge) return tooLarge(err);
    core.log.error(`Error handling request ${req.method} ${url.pathname}: ${(err as Error)?.message ?? String(err)}`);
    return serverError(String(req.headers.accept ?? '').includes('text/html'));
  }
}

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, GET, DELETE, PUT, OPTIONS, PATCH',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization',
    'Access-Control-Allow-Credentials': 'true',
  };
}
