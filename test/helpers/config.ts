import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';

/** A config that spawns nothing and attaches nothing unless the test says so, with its own DATA_DIR. */
export function testConfig(env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-test-'));
  return loadConfig({ COMFY_SERVERS: 'http://127.0.0.1:9', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
}
