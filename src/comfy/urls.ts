/**
 * URL building for one ComfyUI backend. Every route exists both at `/<path>` and at
 * `/api/<path>` (PROTOCOL.md §3.1); the prefix is configurable for proxies that only forward one.
 * A base URL may carry a path (a reverse proxy mount), which is kept.
 */
export type QueryValue = string | number | boolean | null | undefined;

export function comfyUrl(baseUrl: string, apiPrefix: string, route: string, query?: Record<string, QueryValue>): URL {
  const url = new URL(baseUrl);
  url.pathname = joinPath(url.pathname, apiPrefix, route);
  url.search = '';
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  return url;
}

/** `ws(s)://host[/base]/api/ws?clientId=<id>`. */
export function comfyWsUrl(baseUrl: string, apiPrefix: string, clientId: string): URL {
  const url = comfyUrl(baseUrl, apiPrefix, '/ws', { clientId });
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

/** Normalises an api prefix: `''`, `'/api'`, `'api/'` → `''`, `'/api'`, `'/api'`. */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

function joinPath(...parts: string[]): string {
  const joined = parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
  return `/${joined}`;
}
