import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus, type JobEvent } from '../../src/events/bus.ts';

test('sequence numbers per job; `replay: false` events are counted and sent live but not kept', () => {
  const bus = new EventBus();
  const all: JobEvent[] = [];
  bus.subscribeAll((e) => all.push(e));
  bus.publish('j1', 'queued', { priority: 0 }, { replay: false });
  assert.equal(bus.lastSeq('j1'), 1);
  assert.deepEqual(bus.since('j1', 0), []);
  const started = bus.publish('j1', 'started', {});
  assert.equal(started.seq, 2);
  assert.deepEqual(bus.since('j1', 0).map((e) => e.type), ['started']);
  assert.deepEqual(all.map((e) => [e.type, e.seq]), [['queued', 1], ['started', 2]]);
  assert.equal(bus.publish('j2', 'queued', {}).seq, 1, 'another job has its own sequence');
});

test('coalesced events keep only the latest; overflow drops the oldest non-terminal event, never the terminal one', () => {
  const bus = new EventBus({ ringSize: 4 });
  for (let i = 0; i < 10; i++) bus.publish('j', 'progress', { value: i }, { coalesce: true });
  assert.deepEqual(bus.since('j', 0).map((e) => e.data.value), [9]);
  bus.publish('j', 'succeeded', {});
  for (let i = 0; i < 10; i++) bus.publish('j', 'node', { nodeId: String(i) });
  const ring = bus.since('j', 0);
  assert.equal(ring.length, 4);
  assert.ok(ring.some((e) => e.type === 'succeeded'));
  assert.deepEqual(ring.filter((e) => e.type === 'node').map((e) => e.data.nodeId), ['7', '8', '9']);
});

test('listeners get events for their job only, and unsubscribe', () => {
  const bus = new EventBus();
  const got: number[] = [];
  const off = bus.subscribe('a', (e) => got.push(e.seq));
  bus.publish('a', 'started', {});
  bus.publish('b', 'started', {});
  off();
  bus.publish('a', 'node', {});
  assert.deepEqual(got, [1]);
});
