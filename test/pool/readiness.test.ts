// Readiness and output plumbing without processes: the readiness line (ANSI-prefixed, v0.27
// style) wins over failing probes; probes alone are bounded; the log ring keeps the newest lines.
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FileTail, LogRing } from '../../src/pool/logs.ts';
import { waitForReady } from '../../src/pool/readiness.ts';
import { eventually, tempDir } from './helpers.ts';

const never = new Promise<never>(() => undefined);

test('the readiness line on the output (after ANSI stripping) makes a server ready', async () => {
  const file = path.join(tempDir(), 'comfy.log');
  writeFileSync(file, '');
  const listeners = new Set<(line: string) => void>();
  const tail = new FileTail({ file, offset: 0, intervalMs: 10, onLine: (l) => listeners.forEach((f) => f(l)) });
  tail.start();
  const outcome = waitForReady({
    onLine: (f) => { listeners.add(f); return () => listeners.delete(f); },
    probe: async () => false,
    exited: never,
    attempts: 1000,
    timeoutMs: 10_000,
    maxProbeGapMs: 50,
  });
  appendFileSync(file, 'Starting server\n\n\u001b[32m[INFO]\u001b[0m To see the GUI go to: http://127.0.0.1:8188\n');
  const result = await outcome;
  await tail.close();
  assert.equal(result.ok && result.via, 'line');
});

test('probes are bounded by COMFY_CONNECT_ATTEMPTS, and an exit ends the wait', async () => {
  let probes = 0;
  const bounded = await waitForReady({ onLine: () => () => undefined, probe: async () => { probes++; return false; }, exited: never, attempts: 3, timeoutMs: 10_000, maxProbeGapMs: 20 });
  assert.deepEqual([bounded.ok, !bounded.ok && bounded.why, probes], [false, 'attempts', 3]);
  const exited = await waitForReady({ onLine: () => () => undefined, probe: async () => false, exited: Promise.resolve({ code: 2, signal: null }), attempts: 3, timeoutMs: 10_000, maxProbeGapMs: 20 });
  assert.equal(!exited.ok && exited.why, 'exited');
});

test('the log ring keeps the newest lines; the tail waits for a line to be complete', async () => {
  const ring = new LogRing(3);
  for (const l of ['a', 'b', 'c', 'd', 'e']) ring.push(l);
  assert.deepEqual(ring.tail(), ['c', 'd', 'e']);
  assert.deepEqual(ring.tail(2), ['d', 'e']);

  const file = path.join(tempDir(), 'out.log');
  writeFileSync(file, 'one\ntw');
  const lines: string[] = [];
  const tail = new FileTail({ file, offset: 0, intervalMs: 10, onLine: (l) => lines.push(l) });
  tail.start();
  await eventually('first line', () => (lines.length === 1 ? true : undefined));
  appendFileSync(file, 'o\n');
  await eventually('second line', () => (lines.length === 2 ? true : undefined));
  await tail.close();
  assert.deepEqual(lines, ['one', 'two']);
});
