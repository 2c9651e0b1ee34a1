import { loadConfig, type Config } from '../../src/config.ts';

/** A config that spawns nothing and attaches nothing unless the test says so. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ COMFY_SERVERS: 'http://127.0.0.1:9', DATA_DIR: ':memory:', LOG_LEVEL: 'silent', ...env });
}
