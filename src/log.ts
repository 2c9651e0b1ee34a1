// pino options shared by the service: JSON lines, request ids, and secrets redacted wherever
// they may appear (headers, webhook secrets, keys in config dumps).
import type { LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.apiKey',
  '*.secret',
  '*.webhookSecret',
  'headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["sec-websocket-protocol"]',
  // Top-level and one level down: pino's `*` matches exactly one level.
  'ticket',
  'token',
  'secret',
  'apiKey',
  'authorization',
  '*.ticket',
  '*.token',
  '*.password',
  '*.authorization',
];

/** Query parameters that carry credentials (tickets; keys are never accepted there, but callers may try). */
const SECRET_PARAMS = /([?&](?:ticket|token|api_key|apikey|key|access_token)=)[^&#]*/gi;

/** A URL fit for logs: secret query parameters replaced by [redacted]. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, except that the URL goes through redactUrl. */
function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest },
    base: { service: 'comfy-fleet' },
  };
}
