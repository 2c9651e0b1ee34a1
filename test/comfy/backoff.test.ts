import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffCeiling, fullJitterDelay } from '../../src/comfy/backoff.ts';

const policy = { baseMs: 100, maxMs: 5_000 };

test('the ceiling doubles per attempt and stops at maxMs', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffCeiling(a, policy)), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  assert.equal(backoffCeiling(10_000, policy), 5_000);
  assert.equal(backoffCeiling(-3, policy), 100);
});

test('full jitter: uniformly in [0, ceiling)', () => {
  assert.equal(fullJitterDelay(3, policy, () => 0), 0);
  assert.equal(fullJitterDelay(3, policy, () => 0.5), 400);
  assert.equal(fullJitterDelay(3, policy, () => 0.999999), 799);
  assert.equal(fullJitterDelay(40, policy, () => 0.5), 2_500);
  for (let i = 0; i < 200; i++) {
    const delay = fullJitterDelay(i % 9, policy);
    assert.ok(delay >= 0 && delay < backoffCeiling(i % 9, policy));
  }
});
