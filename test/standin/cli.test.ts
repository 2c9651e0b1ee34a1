/**
 * The executable as a child process: ComfyUI's flags and exit codes, the log lines, readiness,
 * a busy port, a slow start, and the crash faults (which SIGKILL the process).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { connectWs, freePort, makeDirs, spawnStandin, stripAnsi, waitFor, EMPTY } from './helpers.ts';

const READY = /To see the GUI go to: http:\/\/127\.0\.0\.1:(\d+)/;

function baseArgs(t: Parameters<typeof makeDirs>[0], port: number): string[] {
  const d = makeDirs(t);
  return ['--listen', '127.0.0.1', '--port', String(port), '--input-directory', d.input, '--output-directory', d.output, '--temp-directory', d.tempParent];
}

test('unknown flags, bad values and a missing --user-directory exit 2 with argparse usage', async (t) => {
  const cases: [string[], string][] = [
    [['--foo'], 'main.py: error: unrecognized arguments: --foo'],
    [['--port', 'abc'], "main.py: error: argument --port: invalid int value: 'abc'"],
    [['--user-directory', '/nonexistent/standin-user'], "main.py: error: argument --user-directory: The path '/nonexistent/standin-user' does not exist."],
    [['--preview-method', 'fancy'], "main.py: error: argument --preview-method: invalid choice: 'fancy'"],
    [['--port'], 'main.py: error: argument --port: expected one argument'],
  ];
  await Promise.all(cases.map(async ([args, message]) => {
    const child = spawnStandin(t, args);
    const { code } = await child.exited;
    assert.equal(code, 2, args.join(' '));
    assert.match(child.stderr(), /^usage: main\.py \[-h\] \[--listen \[IP\]\] \[--port PORT\]/);
    assert.ok(child.stderr().includes(message), `${args.join(' ')}: ${child.stderr()}`);
  }));
});

test('readiness line comes after the socket listens, with ComfyUI log lines and ANSI prefixes', async (t) => {
  const port = await freePort();
  const child = spawnStandin(t, [...baseArgs(t, port), '--cpu', '--disable-all-custom-nodes', '--cache-lru', '5', '--verbose', 'INFO', '--fast', 'fp16_accumulation', '--extra-model-paths-config', 'a.yaml', 'b.yaml']);
  const line = await waitFor(() => stripAnsi(child.stderr()).match(READY) ?? undefined, 20_000, 'readiness');
  assert.equal(Number(line[1]), port);
  // The line is printed after listen(), so the port must answer right away.
  assert.deepEqual(await (await fetch(`http://127.0.0.1:${port}/prompt`)).json(), { exec_info: { queue_remaining: 0 } });
  const err = child.stderr();
  assert.ok(err.includes('\x1b[32m[INFO]\x1b[0m To see the GUI go to: http://127.0.0.1:'));
  assert.ok(err.includes('\x1b[32m[INFO]\x1b[0m Setting output directory to: '));
  assert.ok(err.includes('\x1b[32m[INFO]\x1b[0m ComfyUI version: 0.27.0\n'));
  assert.ok(err.includes('\x1b[32m[INFO]\x1b[0m Starting server\n\n'));
  assert.ok(err.indexOf('Starting server') < err.indexOf('To see the GUI'));
  await fetch(`http://127.0.0.1:${port}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: EMPTY() }) });
  await waitFor(() => child.stderr().includes('Prompt executed in '), 10_000, 'executed log');
  assert.match(child.stderr(), /\x1b\[32m\[INFO\]\x1b\[0m got prompt\n/);
  assert.match(child.stderr(), /\x1b\[32m\[INFO\]\x1b\[0m \x1b\[32mPrompt executed in \d+\.\d\d seconds\x1b\[0m/);
  await fetch(`http://127.0.0.1:${port}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: { 1: { class_type: 'Nope', inputs: {} } } }) });
  await waitFor(() => child.stderr().includes('invalid prompt: '), 10_000, 'invalid prompt log');
  assert.ok(child.stderr().includes(`\x1b[1m\x1b[33m[WARNING]\x1b[0m invalid prompt: {'type': 'missing_node_type', 'message': "Node 'Nope' not found. The custom node may not be installed."`));
});

test('--dont-print-server hides the readiness line; --log-stdout moves INFO to stdout', async (t) => {
  const port = await freePort();
  const child = spawnStandin(t, [...baseArgs(t, port), '--dont-print-server', '--log-stdout']);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/prompt`).catch(() => undefined))?.status === 200, 20_000, 'http');
  assert.ok(child.stdout().includes('\x1b[32m[INFO]\x1b[0m ComfyUI version: 0.27.0'));
  assert.ok(!child.stdout().includes('To see the GUI'));
  assert.ok(!child.stderr().includes('To see the GUI'));
});

test('a busy port logs ComfyUI\'s message and exits 1', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const child = spawnStandin(t, baseArgs(t, port));
  const { code } = await child.exited;
  assert.equal(code, 1);
  assert.ok(stripAnsi(child.stderr()).includes(`[ERROR] Port ${port} is already in use on address 127.0.0.1. Please close the other application or use a different port with --port.`));
});

test('STANDIN_STARTUP_DELAY_MS delays listening; --quick-test-for-ci exits 0 without listening', async (t) => {
  const quick = spawnStandin(t, [...baseArgs(t, await freePort()), '--quick-test-for-ci']);
  assert.equal((await quick.exited).code, 0);
  const port = await freePort();
  const startedAt = Date.now();
  const child = spawnStandin(t, baseArgs(t, port), { STANDIN_STARTUP_DELAY_MS: '1500' });
  await waitFor(() => child.stderr().includes('Starting server') || child.stderr().includes('Using RAM'), 20_000, 'early logs');
  await assert.rejects(fetch(`http://127.0.0.1:${port}/prompt`));
  await waitFor(() => READY.test(stripAnsi(child.stderr())), 20_000, 'readiness');
  assert.ok(Date.now() - startedAt >= 1500);
});

test('fault crashNow and crashOnPrompt kill the process with SIGKILL', async (t) => {
  const portA = await freePort();
  const a = spawnStandin(t, baseArgs(t, portA));
  const portB = await freePort();
  const b = spawnStandin(t, baseArgs(t, portB), { STANDIN_FAULTS: '{"crashOnPrompt": true}' });
  await waitFor(() => READY.test(stripAnsi(a.stderr())) && READY.test(stripAnsi(b.stderr())), 20_000, 'both ready');
  const res = await fetch(`http://127.0.0.1:${portA}/__standin/faults`, { method: 'POST', body: '{"crashNow": true}' });
  assert.equal(res.status, 200);
  assert.equal((await a.exited).signal, 'SIGKILL');
  const ws = await connectWs(`http://127.0.0.1:${portB}`, 'c1');
  await fetch(`http://127.0.0.1:${portB}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: EMPTY(), client_id: 'c1' }) });
  assert.equal((await b.exited).signal, 'SIGKILL');
  // It died in the middle: the prompt started but never finished.
  assert.ok(ws.messages.some((m) => m.type === 'execution_start'));
  assert.ok(!ws.messages.some((m) => m.type === 'execution_success'));
});

test('SIGINT logs Stopped server, removes temp and exits 0; temp is wiped at start', async (t) => {
  const port = await freePort();
  const args = baseArgs(t, port);
  const tempParent = args[args.indexOf('--temp-directory') + 1] as string;
  const { mkdirSync, writeFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  mkdirSync(join(tempParent, 'temp'), { recursive: true });
  writeFileSync(join(tempParent, 'temp', 'stale.png'), 'x');
  const child = spawnStandin(t, args);
  await waitFor(() => READY.test(stripAnsi(child.stderr())), 20_000, 'readiness');
  assert.equal(existsSync(join(tempParent, 'temp', 'stale.png')), false);
  child.proc.kill('SIGINT');
  assert.equal((await child.exited).code, 0);
  assert.ok(stripAnsi(child.stderr()).includes('[INFO] Stopped server'));
  assert.equal(existsSync(join(tempParent, 'temp')), false);
});
