import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderReadme } from '../../src/http/readme-tables.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const ciRun = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');

test('README tables match the config schema and the error registry (npm run docs)', () => {
  assert.equal(readme, renderReadme(readme), 'README tables are stale: run `npm run docs`');
});

test('.ci/run runs exactly the README test command', () => {
  const m = /<!-- test-command -->\n```sh\n(.+)\n```/.exec(readme);
  assert.ok(m?.[1], 'README names its test command');
  assert.ok(ciRun.split('\n').includes(m[1]), `.ci/run must run \`${m[1]}\``);
});
