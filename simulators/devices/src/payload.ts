// The MQTT payloads a device sends: a valid reading as the contract
// (toolkit/contracts/device-reading.schema.json) describes it, and the faults the fleet injects
// on purpose to prove the ingest path drops and counts them: malformed (not JSON, or JSON the
// contract refuses) and oversized (a valid reading padded past the 1024-byte limit with a
// property the contract does not know, so the size check is what must catch it first).
import type { ReadingValues } from './day-pattern.ts';
import type { Random } from './random.ts';

export const MAX_PAYLOAD_BYTES = 1024;
/** How big an oversized message is unless the fleet says otherwise. */
export const DEFAULT_OVERSIZED_BYTES = 2048;

export interface Reading extends ReadingValues {
  deviceId: string;
  /** ISO 8601 UTC with milliseconds. */
  ts: string;
}

export function readingPayload(reading: Reading): Buffer {
  // The contract's property order, so payloads are byte-for-byte predictable.
  const { deviceId, ts, steps, heartRate, calories, activeMinutes } = reading;
  return Buffer.from(JSON.stringify({ deviceId, ts, steps, heartRate, calories, activeMinutes }));
}

/** The ways a malformed message is wrong, taken in turn. */
export const MALFORMED_KINDS = [
  'not-json',
  'unknown-property',
  'negative-steps',
  'local-time',
  'missing-steps'
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export function malformedPayload(reading: Reading, random: Random): Buffer {
  const kind = MALFORMED_KINDS[Math.floor(random() * MALFORMED_KINDS.length)] ?? 'not-json';
  const valid = JSON.parse(readingPayload(reading).toString()) as Record<string, unknown>;
  switch (kind) {
    case 'not-json':
      return Buffer.from(readingPayload(reading).toString().slice(0, 20));
    case 'unknown-property':
      return Buffer.from(JSON.stringify({ ...valid, userId: 'someone-else' }));
    case 'negative-steps':
      return Buffer.from(JSON.stringify({ ...valid, steps: -5 }));
    case 'local-time':
      return Buffer.from(JSON.stringify({ ...valid, ts: reading.ts.replace(/\.\d+Z$/, '+02:00') }));
    case 'missing-steps': {
      delete valid.steps;
      return Buffer.from(JSON.stringify(valid));
    }
  }
}

/** A valid reading with a padding property that makes it `bytes` long (at least 1025). */
export function oversizedPayload(reading: Reading, bytes: number): Buffer {
  const body = readingPayload(reading).toString();
  const overhead = body.length + ',"padding":""'.length;
  const padding = 'x'.repeat(Math.max(MAX_PAYLOAD_BYTES + 1, bytes) - overhead);
  return Buffer.from(`${body.slice(0, -1)},"padding":"${padding}"}`);
}
