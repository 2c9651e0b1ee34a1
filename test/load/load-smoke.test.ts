// The load script in its bounded CI mode: a few seconds, 50 connections, 2 stand-ins on
// loopback. Asserts correctness under load (no errors, every job finished), never a speed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');

test('load (bounded): every request answered without error, every job finished', { timeout: 180_000 }, async () => {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'fleet-load-smoke-')), 'load.json');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/load.ts'), '--duration', '4', '--connections', '50', '--servers', '2', '--out', out], {
    cwd: root,
    timeout: 170_000,
  });
  const r = JSON.parse(readFileSync(out, 'utf8')) as {
    jobs: { submitted: number; succeeded: number; failed: number; unfinished: number };
    routes: Record<string, { requests: number; errorRate: number }>;
  };
  assert.ok(r.jobs.submitted > 0);
  assert.equal(r.jobs.failed, 0);
  assert.equal(r.jobs.unfinished, 0);
  assert.equal(r.jobs.succeeded, r.jobs.submitted);
  for (const [route, x] of Object.entries(r.routes)) {
    assert.ok(x.requests > 0, route);
    assert.equal(x.errorRate, 0, `${route} had errors`);
  }
});
