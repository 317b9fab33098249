import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  malformedPayload,
  MALFORMED_KINDS,
  oversizedPayload,
  readingPayload,
  type Reading
} from '../src/payload.ts';
import { payloadProblems, readingProblems, readingSchema } from './helpers/contract.ts';

const reading: Reading = {
  deviceId: 'dev-000042-a',
  ts: '2026-12-07T08:15:05.000Z',
  steps: 14,
  heartRate: 96,
  calories: 0.9,
  activeMinutes: 0.08
};

describe('the device reading contract', () => {
  it("the checker accepts the contract's examples and refuses its invalid ones", () => {
    for (const example of readingSchema.examples) assert.deepEqual(readingProblems(example), []);
    for (const { why, message } of readingSchema['x-invalid-examples'])
      assert.notDeepEqual(readingProblems(message), [], why);
  });

  it('a valid reading passes; every malformed kind and an oversized one fail', () => {
    assert.deepEqual(payloadProblems(readingPayload(reading)), []);
    MALFORMED_KINDS.forEach((kind, index) => {
      const payload = malformedPayload(reading, () => (index + 0.5) / MALFORMED_KINDS.length);
      assert.notDeepEqual(payloadProblems(payload), [], kind);
    });
    const big = oversizedPayload(reading, 2048);
    assert.equal(big.length, 2048);
    assert.deepEqual(payloadProblems(big), ['oversized']);
    // The padding is the only thing wrong with it besides its size.
    const parsed = JSON.parse(big.toString()) as Record<string, unknown>;
    assert.deepEqual(readingProblems(parsed), ['padding unknown']);
    assert.equal(oversizedPayload(reading, 10).length, 1025);
  });
});
