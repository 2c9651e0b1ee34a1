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
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'comfy-fleet' },
  };
}
