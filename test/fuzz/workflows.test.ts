// Fuzz: workflow JSON on POST /templates, POST /jobs and POST /templates/:name/render — API and UI
// format, deeply nested, huge, wrong types, unicode, and prototype-pollution keys (`__proto__`,
// `constructor`, `prototype`) — and the websocket protocol of GET /ws. Never a 5xx, every error
// problem+json with a known code, no polluted prototype, the heap flat after warm-up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertSane, fuzzApp, heapAfterGc, NASTY, RUNS } from './app.ts';

const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '1', '2', '3', 'class_type', 'inputs', 'nodes', 'links'), fc.string(), fc.string({ unit: 'grapheme' }));
const leaf = fc.oneof(fc.constantFrom(...NASTY), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.tuple(fc.constantFrom('1', '2', '99'), fc.integer({ min: -1, max: 3 })));
const CLASSES = ['EmptyImage', 'ImageInvert', 'SaveImage', 'LoadImage', 'KSampler', 'CheckpointLoaderSimple', 'Nope', ''];
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
})).v;
const apiNode = fc.record({ class_type: fc.oneof(fc.constantFrom(...CLASSES), fc.string()), inputs: fc.oneof(fc.dictionary(key, value, { maxKeys: 5 }), value) }, { requiredKeys: [] });
const apiWorkflow = fc.dictionary(key, fc.oneof(apiNode, value), { maxKeys: 6 });
const uiWorkflow = fc.record({
  nodes: fc.array(fc.record({ id: fc.oneof(fc.integer(), fc.string()), type: fc.constantFrom(...CLASSES), widgets_values: fc.array(leaf, { maxLength: 4 }), inputs: value, outputs: value }, { requiredKeys: [] }), { maxLength: 5 }),
  links: fc.array(fc.array(fc.oneof(fc.integer({ min: -1, max: 5 }), fc.string()), { maxLength: 6 }), { maxLength: 5 }),
  version: fc.oneof(fc.double(), fc.string()),
}, { requiredKeys: [] });
const deep = fc.integer({ min: 100, max: 3000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`);
const huge = fc.integer({ min: 1, max: 4 }).map((mb) => JSON.stringify({ '1': { class_type: 'EmptyImage', inputs: { width: 'x'.repeat(mb * 1024 * 1024) } } }));
const workflow = fc.oneof(apiWorkflow, uiWorkflow, value, fc.record({ workflow: apiWorkflow, parameters: value }, { requiredKeys: [] }));
/** A raw JSON body: most are objects, some are nesting bombs or multi-MB strings. */
const raw = (body: fc.Arbitrary<unknown>) => fc.oneof({ weight: 8, arbitrary: body.map((b) => JSON.stringify(b) ?? 'null') }, { weight: 1, arbitrary: deep }, { weight: 1, arbitrary: huge });

test('fuzz: workflow JSON on templates, jobs and render', { timeout: 120_000 }, async (t) => {
  const app = await fuzzApp(t);
  const post = async (url: string, payload: string) => {
    const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
    assertSane(res, `POST ${url} ${payload.slice(0, 300)}`);
    return res;
  };
  let heapAt = 0;
  let runs = 0;
  const probe = () => { if (++runs === 40) heapAt = heapAfterGc(); };
  await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 20 }), workflow, fc.dictionary(key, value, { maxKeys: 4 }), raw(fc.constant(null)), async (name, wf, params, bomb) => {
    await post('/templates', JSON.stringify({ name, workflow: wf, parameters: params }));
    await post('/templates', bomb);
    probe();
  }), { numRuns: RUNS });
  await fc.assert(fc.asyncProperty(raw(fc.record({ workflow: apiWorkflow, template: fc.constantFrom('solid-color', 'nope'), params: value, patch: value, priority: value, metadata: value }, { requiredKeys: [] })), async (payload) => {
    await post('/jobs', payload);
    probe();
  }), { numRuns: RUNS });
  await fc.assert(fc.asyncProperty(fc.constantFrom('solid-color', 'txt2img', 'invert-image'), raw(fc.record({ params: fc.oneof(fc.dictionary(fc.constantFrom('width', 'height', 'color', 'prefix', 'seed', 'steps', 'image', '__proto__'), value), value), patch: value }, { requiredKeys: [] })), async (tpl, payload) => {
    await post(`/templates/${tpl}/render`, payload);
    probe();
  }), { numRuns: RUNS });
  assert.equal(({} as Record<string, unknown>).class_type, undefined, 'Object.prototype untouched');
  assert.equal(({} as Record<string, unknown>).a, undefined, 'Object.prototype untouched');
  const grew = heapAfterGc() - heapAt;
  t.diagnostic(`${runs} rounds; heap grew ${Math.round(grew / 1e6)} MB after warm-up`);
  assert.ok(grew < 40e6, `heap grew by ${Math.round(grew / 1e6)} MB`);
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});

test('fuzz: the websocket protocol of GET /ws', { timeout: 120_000 }, async (t) => {
  const app = await fuzzApp(t);
  const job = (await app.inject({ method: 'POST', url: '/jobs', payload: { template: 'solid-color', params: { width: 8, height: 8 } } })).json<{ id: string }>();
  const id = fc.oneof(fc.constant(job.id), fc.uuid(), fc.constantFrom(...NASTY), fc.integer());
  const message = fc.oneof(
    fc.record({ type: fc.constantFrom('subscribe', 'unsubscribe'), jobs: fc.oneof(fc.array(fc.record({ id, after: fc.oneof(fc.integer(), fc.double(), fc.string()) }, { requiredKeys: ['id'] }), { maxLength: 120 }), value) }, { requiredKeys: ['type'] }).map((m) => JSON.stringify(m)),
    fc.record({ type: fc.constant('ping'), id: value }, { requiredKeys: ['type'] }).map((m) => JSON.stringify(m)),
    value.map((v) => JSON.stringify(v) ?? 'null'),
    fc.string(),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  );
  await fc.assert(fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), async (msgs) => {
    const ws = await app.injectWS('/ws');
    const replies: string[] = [];
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (d, binary) => { if (!binary) replies.push(d.toString()); });
    for (const m of msgs) ws.send(m);
    ws.send(JSON.stringify({ type: 'ping', id: 'last' }));
    let check: NodeJS.Timeout | undefined;
    const code = await Promise.race([closed, new Promise<number>((resolve) => {
      check = setInterval(() => { if (replies.some((r) => r.includes('"last"'))) resolve(0); }, 5);
    })]).finally(() => clearInterval(check));
    for (const r of replies) {
      const m = JSON.parse(r) as { type: string; code?: string };
      assert.ok(['pong', 'snapshot', 'event', 'error'].includes(m.type), r);
      if (m.type === 'error') assert.match(m.code ?? '', /^FLEET_/);
    }
    if (code !== 0) assert.ok([4400, 4404, 4408, 4429].includes(code), `closed with ${code}`);
    ws.terminate();
  }), { numRuns: RUNS });
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});
