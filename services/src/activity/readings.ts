// One MQTT message -> a validated reading or the reason it is dropped
// (toolkit/contracts/device-reading.schema.json). Hand-written rather than a JSON-schema engine:
// it runs for every message (10M devices every few seconds), and the contract is small and flat.
// Never throws: a bad message is a counted drop, not an error of the worker.
import { DEVICE_ID_PATTERN, parseDeviceTopic } from '../../../toolkit/src/device-topic.ts';

export interface Reading {
  deviceId: string;
  /** Epoch milliseconds (UTC). */
  ts: number;
  steps: number;
  heartRate: number | null;
  calories: number;
  activeMinutes: number;
}

export type RejectReason =
  'bad_topic' | 'oversized' | 'malformed' | 'invalid' | 'device_mismatch' | 'future' | 'too_late';

export type ReadingCheck = { ok: true; reading: Reading } | { ok: false; reason: RejectReason };

export interface ReadingLimits {
  maxBytes: number;
  lateWindowMs: number;
  /** How far ahead of our clock a device's clock may be (contract: 5 minutes). */
  futureMs?: number;
}

export const FUTURE_TOLERANCE_MS = 5 * 60_000;

const TS_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$/;
const ALLOWED = new Set(['deviceId', 'ts', 'steps', 'heartRate', 'calories', 'activeMinutes']);

/** Epoch ms of a contract timestamp, or undefined (pattern, and a real calendar date/time). */
export function parseUtcTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TS_PATTERN.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) + (m[7] ? Math.round(Number(m[7]) * 1000) : 0);
  // Date.UTC rolls 2026-02-30 over to March: a rolled date is not the one the device sent.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

function inRange(value: unknown, min: number, max: number, integer: boolean): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value))
  );
}

/**
 * Calories and active minutes are kept to 3 decimals (the contract's precision): a value such as
 * 1e-50 is valid JSON and in range but below what a PostgreSQL real can hold (22003).
 */
function toThousandths(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The contract's checks on a parsed payload (no clock, no topic): the reading or undefined. */
export function contractReading(body: unknown): Reading | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!ALLOWED.has(key)) return undefined;
  const { deviceId, steps, heartRate, calories, activeMinutes } = record;
  if (typeof deviceId !== 'string' || !DEVICE_ID_PATTERN.test(deviceId)) return undefined;
  const ts = parseUtcTimestamp(record.ts);
  if (ts === undefined) return undefined;
  if (!inRange(steps, 0, 1000, true)) return undefined;
  if (heartRate !== undefined && heartRate !== null && !inRange(heartRate, 25, 250, true))
    return undefined;
  if (!inRange(calories, 0, 100, false) || !inRange(activeMinutes, 0, 10, false)) return undefined;
  return {
    deviceId,
    ts,
    steps,
    heartRate: (heartRate as number | null | undefined) ?? null,
    calories: toThousandths(calories),
    activeMinutes: toThousandths(activeMinutes)
  };
}

/** Checks one message as it came off the broker. */
export function checkMessage(
  topic: string,
  payload: Buffer,
  limits: ReadingLimits,
  now = Date.now()
): ReadingCheck {
  // Size first: an oversized payload is never parsed.
  if (payload.length > limits.maxBytes) return { ok: false, reason: 'oversized' };
  const target = parseDeviceTopic(topic);
  if (!target) return { ok: false, reason: 'bad_topic' };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const reading = contractReading(body);
  if (!reading) return { ok: false, reason: 'invalid' };
  // The broker authenticated the topic's device; the payload may not speak for another one.
  if (reading.deviceId !== target.deviceId) return { ok: false, reason: 'device_mismatch' };
  if (reading.ts > now + (limits.futureMs ?? FUTURE_TOLERANCE_MS))
    return { ok: false, reason: 'future' };
  if (reading.ts < now - limits.lateWindowMs) return { ok: false, reason: 'too_late' };
  return { ok: true, reading };
}
