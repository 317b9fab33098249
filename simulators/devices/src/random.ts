// Seeded randomness: every draw of the simulator comes from a generator keyed by (seed, what it
// is for), so a device's profile, its day and each reading are the same in every run with the
// same seed, whatever order the devices happen to publish in.
import { fnv1a32 } from '../../../toolkit/src/device-topic.ts';

export type Random = () => number;

/** mulberry32: a tiny, fast, well-distributed 32-bit generator; returns [0, 1). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator for one purpose, e.g. randomFor(seed, 'profile', deviceId). */
export function randomFor(seed: number, ...parts: Array<string | number>): Random {
  return mulberry32(fnv1a32(`${seed}|${parts.join('|')}`));
}

export function between(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}
