// kill -9 of the service: the spawned servers live on (own process group, output into their log
// file, not a pipe), and the next service instance re-adopts them by record (same pids, none
// spawned twice), keeps watching them by probing, and reaps recorded servers that are unhealthy.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import type { BackendSummary } from '../../src/pool/pool.ts';
import { eventually, FAST, freePort, killGroup, killRecorded, makePool, one, poolConfig, tempDir, until } from './helpers.ts';
import { standinCommand } from '../../src/config.ts';

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const at = text.indexOf('\n');
      if (at >= 0) resolve(text.slice(0, at));
    });
    stream.on('end', () => reject(new Error(`service ended before printing its servers: ${text}`)));
  });
}

const SERVICE = new URL('./fixtures/service.ts', import.meta.url).pathname;

test('after kill -9 of the service, a new instance re-adopts the running servers (same pids, no duplicates)', async (t) => {
  const dataDir = tempDir();
  const env = { DATA_DIR: dataDir, COMFY_COMMAND: standinCommand().join(' '), COMFY_SPAWN_COUNT: '2', ...FAST };
  t.after(() => killRecorded(dataDir));
  const service = execa(process.execPath, ['--import', 'tsx', SERVICE], { env, reject: false, stdin: 'ignore', stderr: 'inherit' });
  t.after(() => service.kill('SIGKILL'));
  const firstList = await firstLine(service.stdout).then((line) => JSON.parse(line) as BackendSummary[]);
  assert.deepEqual(firstList.map((b) => b.state), ['ready', 'ready']);
  service.kill('SIGKILL');
  await service;

  const pool = makePool(t, poolConfig({ COMFY_SPAWN_COUNT: '2' }, dataDir));
  await pool.start();
  const list = await until(pool, 'adopted servers ready', (l) => l.length === 2 && l.every((b) => b.state === 'ready'));
  assert.deepEqual(list.map((b) => b.pid).sort(), firstList.map((b) => b.pid).sort(), 'same pids');
  assert.deepEqual(list.map((b) => b.port).sort(), firstList.map((b) => b.port).sort());
  assert.ok(list.every((b) => b.adopted && /re-adopted pid/.test(b.reason)));
  assert.ok(pool.logs('local-1').lines.some((l) => l.includes('not our child')), 'the log says so');
  assert.ok(list.every((b) => b.capabilities.nodeClasses > 0), 'capabilities read from the adopted servers');

  // Not our child: its death is noticed by probing, and it is replaced.
  const victim = one(list, 'local-1');
  process.kill(victim.pid ?? 0, 'SIGKILL');
  const replaced = one(await until(pool, 'replacement ready', (l) => {
    const b = l.find((x) => x.id === 'local-1');
    return b?.state === 'ready' && b.pid !== victim.pid;
  }), 'local-1');
  assert.equal(replaced.adopted, false);
  assert.equal(pool.list().length, 2);
});

test('recorded servers that are dead or do not answer are reaped, and their slots spawned afresh', async (t) => {
  const dataDir = tempDir();
  const silentPort = await freePort();
  // A live process that claims our --port but never answers: reaped (its group killed).
  const silent = execa(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', '--port', String(silentPort)], { detached: true, stdio: 'ignore', reject: false });
  t.after(() => killGroup(silent.pid));
  const dirs = (id: string) => ({ root: path.join(dataDir, 'servers', id), input: path.join(dataDir, 'in'), output: path.join(dataDir, 'out'), temp: path.join(dataDir, 'servers', id) });
  const record = (id: string, slot: string, pid: number, port: number) => ({
    id, slot, pid, port, gpu: null, argv: [], extraArgs: [], dirs: dirs(id), logFile: path.join(dirs(id).root, 'comfy.log'), simulated: false, startedAt: Date.now(),
  });
  const file = path.join(dataDir, 'servers', 'records.json');
  await eventually('records dir', () => { try { return readFileSync(file, 'utf8') ? true : undefined; } catch { return true; } });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ version: 1, servers: [record('local-1', 'n:0', 999_999, 1), record('local-2', 'n:1', silent.pid ?? 0, silentPort)] }));

  const pool = makePool(t, poolConfig({ COMFY_SPAWN_COUNT: '2' }, dataDir));
  await pool.start();
  await silent; // reaped: SIGKILL to its group
  const list = await until(pool, 'fresh servers ready', (l) => l.length === 2 && l.every((b) => b.state === 'ready'));
  assert.ok(list.every((b) => !b.adopted && b.pid !== 999_999 && b.pid !== silent.pid));
});
