// The safe default: without API keys the service is open to anyone who can reach it, so it may
// only listen on loopback. Any other HOST without keys is a configuration error, caught before
// anything starts.
import { isIP } from 'node:net';
import { ConfigError, type Config } from '../config.ts';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Throws ConfigError when the service would listen publicly with no keys. */
export function assertSafeBind(config: Config): void {
  if (config.auth.keys.length > 0 || isLoopbackHost(config.host)) return;
  throw new ConfigError([
    `HOST: refusing to listen on ${config.host} without API_KEYS: anyone who can reach it could run workflows and manage servers. ` +
      'Set API_KEYS (e.g. API_KEYS=web:<secret>:submit,ops:<secret>:admin), or listen on loopback (HOST=127.0.0.1) behind your own proxy.',
  ]);
}
