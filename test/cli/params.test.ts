// `--param name=value` typed through the parameter's derived JSON Schema, and the progress line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coerceValue, parseParams, UsageError } from '../../src/cli/params.ts';
import { ProgressLine, renderLine } from '../../src/cli/progress.ts';
import type { ParameterReplyT } from '../../src/cli/replies.ts';

const seed = { anyOf: [{ type: 'integer', minimum: 0, 'x-seed': true }, { type: 'string', const: 'random' }] };

test('values follow the schema: numbers, booleans, enums, seeds, text that looks like a number', () => {
  assert.equal(coerceValue('20', { type: 'integer' }), 20);
  assert.equal(coerceValue('6.5', { type: 'number' }), 6.5);
  assert.equal(coerceValue('20', { type: 'string' }), '20');
  assert.equal(coerceValue('true', { type: 'boolean' }), true);
  assert.equal(coerceValue('heun', { type: 'string', enum: ['euler', 'heun'] }), 'heun');
  assert.equal(coerceValue('2', { enum: [1, 2, 3] }), 2);
  assert.equal(coerceValue('42', seed), 42);
  assert.equal(coerceValue('random', seed), 'random');
  assert.equal(coerceValue('abc', { type: 'integer' }), 'abc', 'left for the service to refuse with its message');
  assert.deepEqual(coerceValue('{"a":1}', undefined), { a: 1 }, 'unknown parameters are read as JSON when they parse');
  assert.equal(coerceValue('hello', undefined), 'hello');
});

test('parseParams: name=value pairs, @file for text, @file uploads for image parameters, bad flags refused', async () => {
  const p = (schema: Record<string, unknown>): ParameterReplyT => ({ required: false, schema });
  const parameters = { steps: p({ type: 'integer' }), prompt: p({ type: 'string', 'x-multiline': true }), image: p({ anyOf: [{ type: 'string' }, { type: 'object' }], 'x-upload': 'image' }) };
  const uploaded: string[] = [];
  const sources = {
    readText: (f: string) => { if (f !== 'prompt.txt') throw new Error('ENOENT'); return 'a long\nprompt\n'; },
    upload: async (f: string) => { uploaded.push(f); return { upload: 'sha' }; },
  };
  assert.deepEqual(await parseParams(['steps=12', 'prompt=@prompt.txt', 'image=@cat.png'], parameters, sources), { steps: 12, prompt: 'a long\nprompt', image: { upload: 'sha' } });
  assert.deepEqual(uploaded, ['cat.png']);
  assert.deepEqual(await parseParams(['prompt=a=b'], parameters, sources), { prompt: 'a=b' }, 'only the first = splits');
  await assert.rejects(parseParams(['steps'], parameters, sources), UsageError);
  await assert.rejects(parseParams(['=3'], parameters, sources), UsageError);
  await assert.rejects(parseParams(['prompt=@missing.txt'], parameters, sources), /cannot read missing.txt/);
});

test('the progress line: a bar, the status, the queue position or node and step; one line per change when not a terminal', () => {
  assert.equal(renderLine({ status: 'queued', position: 2, node: null, percent: 0, step: null }), '[------------------------]   0% · queued · 2 ahead');
  assert.equal(renderLine({ status: 'running', position: null, node: 'KSampler', percent: 50, step: { value: 5, max: 20 } }), '[############------------]  50% · running · KSampler · 5/20');
  const lines: string[] = [];
  const bar = new ProgressLine({ write: (s) => { lines.push(s); return true; } });
  bar.update({ status: 'running', percent: 10 });
  bar.update({ percent: 12 }); // same tenth: nothing new to say
  bar.update({ percent: 25 });
  bar.update({ status: 'succeeded', percent: 100 });
  assert.deepEqual(lines.map((l) => l.trim().split(' · ').slice(0, 2).join(' · ')), ['[##----------------------]  10% · running', '[######------------------]  25% · running', '[########################] 100% · succeeded']);
});
