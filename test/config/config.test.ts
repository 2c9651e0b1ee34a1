import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, splitArgs } from '../../src/config.ts';

test('defaults: nothing configured means two simulated stand-in servers', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8787);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.comfy.simulated, true);
  assert.equal(c.comfy.spawnCount, 2);
  assert.ok(c.comfy.command?.some((a) => a.endsWith('src/standin/main.ts')));
});

test('COMFY_PATH spawns python main.py, one server per GPU id', () => {
  const c = loadConfig({ COMFY_PYTHON: '/venv/bin/python', COMFY_PATH: '/opt/ComfyUI', COMFY_GPUS: '0, 1' });
  assert.deepEqual(c.comfy.command, ['/venv/bin/python', '/opt/ComfyUI/main.py']);
  assert.deepEqual(c.comfy.gpus, ['0', '1']);
  assert.equal(c.comfy.spawnCount, 2);
  assert.equal(c.comfy.simulated, false);
});

test('COMFY_COMMAND replaces python + path as a whole; remote servers are normalised', () => {
  const c = loadConfig({ COMFY_COMMAND: 'node "my dir/main.js" --x', COMFY_SERVERS: 'http://a:8188/, https://b' });
  assert.deepEqual(c.comfy.command, ['node', 'my dir/main.js', '--x']);
  assert.deepEqual(c.comfy.servers, ['http://a:8188', 'https://b']);
  assert.equal(c.comfy.spawnCount, 1);
});

test('only remote servers: nothing is spawned', () => {
  const c = loadConfig({ COMFY_SERVERS: 'http://127.0.0.1:8188' });
  assert.equal(c.comfy.command, null);
  assert.equal(c.comfy.spawnCount, 0);
  assert.equal(c.comfy.simulated, false);
});

test('a bad setting names the variable and what is wrong', () => {
  assert.throws(() => loadConfig({ PORT: 'eighty', COMFY_SERVERS: 'ftp://x', COMFY_CONNECT_ATTEMPTS: '0' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const text = err.issues.join('\n');
    assert.match(text, /^PORT: .*"eighty"/m);
    assert.match(text, /^COMFY_SERVERS: /m);
    assert.match(text, /^COMFY_CONNECT_ATTEMPTS: /m);
    return true;
  });
});

test('CONFIG_FILE (YAML or JSON) is layered under the environment; unknown keys are refused', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-config-'));
  const yaml = path.join(dir, 'c.yaml');
  writeFileSync(yaml, 'PORT: 9000\nCOMFY_SERVERS:\n  - http://x:1\nLOG_LEVEL: debug\n');
  const c = loadConfig({ CONFIG_FILE: yaml, LOG_LEVEL: 'warn' });
  assert.equal(c.port, 9000);
  assert.deepEqual(c.comfy.servers, ['http://x:1']);
  assert.equal(c.logLevel, 'warn');
  const json = path.join(dir, 'c.json');
  writeFileSync(json, JSON.stringify({ PROT: 1 }));
  assert.throws(() => loadConfig({ CONFIG_FILE: json }), /PROT: unknown setting/);
  writeFileSync(json, '{nope');
  assert.throws(() => loadConfig({ CONFIG_FILE: json }), /CONFIG_FILE: .* is not valid JSON/);
});

test('splitArgs honours quotes', () => {
  assert.deepEqual(splitArgs(` a 'b c' "d e"  f `), ['a', 'b c', 'd e', 'f']);
});
