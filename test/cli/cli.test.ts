// The comfy-fleet CLI as a child process against a running service with a spawned stand-in:
// submit writes the outputs, the listings show what happened, refusals print the problem and
// exit non-zero, each failure kind with its own exit code.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { EXAMPLES_DIR, startFleet } from '../browser/fleet.ts';
import { cli } from './run.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port nothing listens on: bound then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

test('cli: submit runs a template, writes its output to --out, prints the path; jobs, watch and servers show it', { timeout: 90_000 }, async (t) => {
  const { url } = await startFleet(t);
  const out = tempDir(t);

  const sub = await cli(['submit', 'txt2img', '--param', 'steps=8', '-p', 'prompt=a red fox', '-p', 'cfg=6.5', '-p', 'sampler=heun', '--out', out], { url });
  assert.equal(sub.code, 0, sub.stderr);
  const files = sub.stdout.trim().split('\n');
  assert.equal(files.length, 1);
  assert.deepEqual(readdirSync(out), [path.basename(files[0] as string)]);
  assert.deepEqual([...readFileSync(files[0] as string).subarray(0, 4)], PNG_MAGIC);
  const jobId = /job ([0-9a-f-]{36})/.exec(sub.stderr)?.[1];
  assert.ok(jobId, `the job id is on stderr: ${sub.stderr}`);
  assert.match(sub.stderr, /100% · succeeded/, 'the progress line ends at 100%');
  assert.match(path.basename(files[0] as string), new RegExp(`^${jobId.slice(0, 8)}-0-.+\\.png$`));

  // The parameters were typed from the schema: the job ran 8 steps with heun at cfg 6.5.
  const workflow = await (await fetch(`${url}/jobs/${jobId}/workflow`)).json() as Record<string, { inputs: Record<string, unknown> }>;
  assert.deepEqual([workflow['3']?.inputs.steps, workflow['3']?.inputs.cfg, workflow['3']?.inputs.sampler_name], [8, 6.5, 'heun']);
  assert.equal(workflow['6']?.inputs.text, 'a red fox');

  const jobs = await cli(['jobs', '--status', 'succeeded'], { url });
  assert.equal(jobs.code, 0, jobs.stderr);
  assert.match(jobs.stdout, /^ID\s+STATUS\s+TEMPLATE/);
  assert.match(jobs.stdout, new RegExp(`${jobId}\\s+succeeded\\s+txt2img\\s+local-1`));
  const none = await cli(['jobs', '--status', 'failed', '--json'], { url });
  assert.deepEqual(JSON.parse(none.stdout).jobs, []);

  const watch = await cli(['watch', jobId], { url });
  assert.equal(watch.code, 0, watch.stderr);
  assert.match(watch.stdout, /snapshot\s+succeeded/);
  assert.match(watch.stdout, /started\s+on local-1/);
  assert.match(watch.stdout, /succeeded\n/);
  assert.match(watch.stdout, new RegExp(`output 0: ${url}/jobs/${jobId}/outputs/0`));

  const servers = await cli(['servers'], { url });
  assert.equal(servers.code, 0, servers.stderr);
  assert.match(servers.stdout, /^ID\s+STATE\s+KIND/);
  assert.match(servers.stdout, /local-1\s+(ready|busy)\s+spawned \(stand-in\)/);
});

test('cli: refusals print the problem and exit 3; usage errors 2; an unreachable service 4', { timeout: 90_000 }, async (t) => {
  const { url } = await startFleet(t);

  const bad = await cli(['submit', 'txt2img', '-p', 'steps=0', '-p', 'bogus=1'], { url });
  assert.equal(bad.code, 3);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^comfy-fleet submit: FLEET_PARAMS_INVALID \(HTTP 422\): /);
  assert.match(bad.stderr, /\n {2}- params\/steps: .*>=1/);
  assert.match(bad.stderr, /\n {2}- params\/bogus: Unknown parameter "bogus"; this template has prompt, /);

  const missing = await cli(['submit', 'no-such-template'], { url });
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /FLEET_TEMPLATE_NOT_FOUND \(HTTP 404\)/);

  const unknownJob = await cli(['watch', '00000000-0000-4000-8000-000000000000'], { url });
  assert.equal(unknownJob.code, 3);
  assert.match(unknownJob.stderr, /FLEET_JOB_NOT_FOUND \(HTTP 404\)/);

  const usage = await cli(['submit', 'txt2img', '--frobnicate'], { url });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /Unknown option '--frobnicate'/);
  assert.match(usage.stderr, /usage: comfy-fleet submit <template>/);
  assert.equal((await cli(['explode'], { url })).code, 2);
  assert.equal((await cli(['watch', 'not-a-uuid'], { url })).code, 2);

  const down = await cli(['jobs', '--url', `http://127.0.0.1:${await closedPort()}`]);
  assert.equal(down.code, 4);
  assert.match(down.stderr, /cannot reach the service at http:\/\/127\.0\.0\.1:\d+/);
});

test('cli: templates add stores a file (bare or {workflow, parameters}), list and show describe it; submit --no-wait returns the id', { timeout: 90_000 }, async (t) => {
  const { url } = await startFleet(t);
  const dir = tempDir(t);
  const { workflow } = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, 'solid-color.json'), 'utf8')) as { workflow: unknown };
  const wrapped = path.join(dir, 'tiny.json');
  writeFileSync(wrapped, JSON.stringify({
    description: 'tiny solid colour',
    workflow,
    parameters: { size: { target: [{ node: '1', input: 'width' }, { node: '1', input: 'height' }] } },
  }));
  writeFileSync(path.join(dir, 'plain.api.json'), JSON.stringify(workflow));

  const add = await cli(['templates', 'add', 'tiny.json'], { url, cwd: dir });
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^tiny v1 — tiny solid colour\n/);
  assert.match(add.stdout, /size\s+integer 1\.\.16384\s+64/);

  const again = await cli(['templates', 'add', wrapped], { url });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /FLEET_TEMPLATE_EXISTS \(HTTP 409\)/);

  const bare = await cli(['templates', 'add', path.join(dir, 'plain.api.json'), '--description', 'no parameters'], { url });
  assert.equal(bare.code, 0, bare.stderr);
  assert.match(bare.stdout, /no parameters declared; suggested: /);

  const list = await cli(['templates', 'list'], { url });
  assert.match(list.stdout, /^tiny\s+1\s+size\s+tiny solid colour$/m);
  assert.match(list.stdout, /^plain\s+1\s+no parameters$/m, 'named after the file, without .api.json');

  const id = await cli(['submit', 'tiny', '-p', 'size=16', '--no-wait'], { url });
  assert.equal(id.code, 0, id.stderr);
  assert.match(id.stdout.trim(), /^[0-9a-f-]{36}$/);
  const out = tempDir(t);
  const watched = await cli(['submit', 'tiny', '-p', 'size=8', '--out', out, '--json'], { url });
  assert.equal(watched.code, 0, watched.stderr);
  const job = JSON.parse(watched.stdout) as { status: string; files: string[] };
  assert.equal(job.status, 'succeeded');
  assert.equal(job.files.length, 1);
  assert.deepEqual([...readFileSync(job.files[0] as string).subarray(0, 4)], PNG_MAGIC);
});
