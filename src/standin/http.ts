/** Replies shaped like aiohttp's: JSON helper, empty responses, its plain-text errors. */
import type { IncomingMessage } from 'node:http';
import { pyDumps, pyLoads } from './pyjson.ts';
import { Http500 } from './pyerrors.ts';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  /** aiohttp closes the connection after its default 500. */
  close?: boolean;
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export const json = (data: unknown, status = 200): Reply => ({ status, headers: { 'Content-Type': JSON_TYPE }, body: pyDumps(data) });

/** `web.Response(status=N)`: no body, aiohttp's default content type. */
export const empty = (status = 200): Reply => ({ status, headers: { 'Content-Type': 'application/octet-stream' }, body: '' });

export const text = (body: string, status: number): Reply => ({ status, headers: { 'Content-Type': TEXT_TYPE }, body });

export function serverError(acceptHtml: boolean): Reply {
  if (acceptHtml) {
    return { status: 500, headers: { 'Content-Type': 'text/html; charset=utf-8' }, close: true,
      body: '<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1>Server got itself in trouble</body></html>' };
  }
  return { ...text('500 Internal Server Error\n\nServer got itself in trouble', 500), close: true };
}

export const notFound = (): Reply => text('404: Not Found', 404);

export const methodNotAllowed = (allow: string[]): Reply => ({ ...text('405: Method Not Allowed', 405), headers: { 'Content-Type': TEXT_TYPE, Allow: allow.join(',') } });

export class TooLarge extends Error {
  readonly max: number;
  readonly actual: number;
  constructor(max: number, actual: number) {
    super('too large');
    this.max = max;
    this.actual = actual;
  }
}

export const tooLarge = (e: TooLarge): Reply => text(`Maximum request body size ${e.max} exceeded, actual body size ${e.actual}`, 413);

/**
 * Read the whole body. Over the limit it keeps draining (so the client can read our 413)
 * and then throws TooLarge. `inclusive` mirrors aiohttp's `>=` check in read().
 */
export async function readBody(req: IncomingMessage, max: number, inclusive: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (over) continue;
    if (max > 0 && (inclusive ? size >= max : size > max)) {
      over = size;
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk);
  }
  if (over) throw new TooLarge(max, over);
  return Buffer.concat(chunks);
}

/** `await request.json()`: any content type; invalid JSON is an unhandled error (500). */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return pyLoads(body.toString('utf8'));
  } catch {
    throw new Http500('invalid JSON body');
  }
}

export const isDict = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
