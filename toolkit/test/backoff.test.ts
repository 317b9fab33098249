import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, equalJitteredDelay, jitteredDelay } from '../src/backoff.ts';

describe('equalJitteredDelay', () => {
  const options = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2 };

  it('stays within [delay / 2, delay] of the deterministic backoff', () => {
    for (const attempt of [0, 1, 2, 5, 10]) {
      const base = backoffDelay(attempt, options);
      assert.equal(
        equalJitteredDelay(attempt, options, () => 0),
        base / 2
      );
      assert.equal(
        equalJitteredDelay(attempt, options, () => 0.999999),
        base
      );
    }
    assert.equal(
      equalJitteredDelay(1, options, () => 0.5),
      750
    );
  });

  it('never waits less than half the cap once the cap is reached, unlike full jitter', () => {
    assert.equal(
      equalJitteredDelay(40, options, () => 0),
      15_000
    );
    assert.equal(
      jitteredDelay(40, options, () => 0),
      0
    );
  });

  it('uses Math.random by default', () => {
    for (let i = 0; i < 100; i++) {
      const wait = equalJitteredDelay(0, options);
      assert.ok(wait >= 250 && wait <= 500, `${wait}`);
    }
  });
});
