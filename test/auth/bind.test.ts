import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { assertSafeBind, isLoopbackHost } from '../../src/auth/bind.ts';
import { loadConfig } from '../../src/config.ts';
import { API_KEYS } from './helpers.ts';

const root = new URL('../../', import.meta.url).pathname;

test('the service refuses to listen on 0.0.0.0 without API_KEYS, naming the fix, before starting anything', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-bind-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOST: '0.0.0.0', PORT: '0', DATA_DIR: dataDir, COMFY_SERVERS: 'http://127.0.0.1:9' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without API_KEYS/);
  assert.match(r.stderr, /HOST=127\.0\.0\.1/);
  assert.equal(r.stdout, '', 'nothing started, nothing logged');
});

test('loopback hosts are fine without keys; any host is fine with keys', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '::ffff:10.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
  assert.doesNotThrow(() => assertSafeBind(loadConfig({ HOST: '127.0.0.1' })));
  assert.throws(() => assertSafeBind(loadConfig({ HOST: '::' })), /refusing to listen on ::/);
  assert.doesNotThrow(() => assertSafeBind(loadConfig({ HOST: '0.0.0.0', API_KEYS })));
});
