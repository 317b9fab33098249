/**
 * Rounds, for benchmarks on shared and noisy machines (the project standard: "baseline and
 * subject interleaved, several rounds, median with spread").
 *
 *  * The baseline and the subject are measured alternately, in ABBA order (round 0 baseline
 *    first, round 1 subject first, ...), so that noise lasting longer than one measurement (another
 *    process compiling, a test suite starting) hits both sides alike and neither side always runs
 *    on a warmer or colder machine. Benchmarks that can interleave the two request by request
 *    (payments) do so inside each round and repeat the rounds.
 *  * Each round yields its own figure (a ratio or a difference of the two sides); the figure
 *    reported is the median of the rounds, and `detail.spread` gives min, quartiles, max, IQR and
 *    every round's value, so a reader sees at once whether the median is stable.
 */
import os from 'node:os';
import { report, type Figure } from './report.ts';

export type Side = 'baseline' | 'subject';

/** Which side goes first in `round` (0-based): ABBA, i.e. A B, B A, A B, ... */
export function roundOrder(round: number): [Side, Side] {
  return round % 2 === 0 ? ['baseline', 'subject'] : ['subject', 'baseline'];
}

export interface Round<B, S> {
  round: number;
  order: [Side, Side];
  baseline: B;
  subject: S;
}

/**
 * Measures baseline and subject alternately for `rounds` rounds (ABBA order) and returns every
 * round. `between` runs after each measurement (clean-up), `onRound` after each round (progress).
 */
export async function alternateRounds<B, S>(options: {
  rounds: number;
  baseline: (round: number) => Promise<B>;
  subject: (round: number) => Promise<S>;
  onRound?: (round: Round<B, S>) => void;
}): Promise<Array<Round<B, S>>> {
  const results: Array<Round<B, S>> = [];
  for (let round = 0; round < options.rounds; round++) {
    const order = roundOrder(round);
    let baseline: B | undefined;
    let subject: S | undefined;
    for (const side of order) {
      if (side === 'baseline') baseline = await options.baseline(round);
      else subject = await options.subject(round);
    }
    const result = { round, order, baseline: baseline as B, subject: subject as S };
    results.push(result);
    options.onRound?.(result);
  }
  return results;
}

/** Runs `measure` for `rounds` rounds, one after another (it interleaves both sides itself). */
export async function repeatRounds<T>(
  rounds: number,
  measure: (round: number) => Promise<T>,
  onRound?: (result: T, round: number) => void
): Promise<T[]> {
  const results: T[] = [];
  for (let round = 0; round < rounds; round++) {
    const result = await measure(round);
    results.push(result);
    onRound?.(result, round);
  }
  return results;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

/** Quantile with linear interpolation between closest ranks (q in 0..1). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[above] ?? Number.NaN;
  return low + (high - low) * (position - below);
}

/** Four significant digits: enough for figures measured on a noisy machine. */
export function sig(value: number): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(4)) : value;
}

export interface Spread {
  median: number;
  min: number;
  q1: number;
  q3: number;
  max: number;
  /** Interquartile range, q3 - q1. */
  iqr: number;
  /** Every round's value, in round order. */
  rounds: number[];
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  return {
    median: sig(quantile(sorted, 0.5)),
    min: sig(sorted[0] ?? Number.NaN),
    q1: sig(q1),
    q3: sig(q3),
    max: sig(sorted[sorted.length - 1] ?? Number.NaN),
    iqr: sig(q3 - q1),
    rounds: values.map(sig)
  };
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5
  );
}

/**
 * Reports the median of the per-round `values` as the figure, with `detail.spread` and
 * `detail.rounds` (their count) next to the bench's own detail.
 */
export function reportMedian(
  figure: Omit<Figure, 'value' | 'detail'>,
  values: readonly number[],
  detail: Record<string, unknown> = {}
): void {
  const stats = spread(values);
  report({
    bench: figure.bench,
    metric: figure.metric,
    value: stats.median,
    unit: figure.unit,
    detail: { ...detail, rounds: values.length, spread: stats }
  });
}

/** A positive integer from the environment, or the default; anything else stops the bench. */
export function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  }
  return value;
}

/**
 * What the machine was doing: its CPUs and the 1-minute load average at the start and at the end
 * of the bench (on 2 cores, a load far above 2 means other work competed with every round).
 */
export function machineLoad(): () => {
  cpus: number;
  loadAverage1m: { start: number; end: number };
} {
  const start = os.loadavg()[0] ?? Number.NaN;
  return () => ({
    cpus: os.cpus().length,
    loadAverage1m: { start: sig(start), end: sig(os.loadavg()[0] ?? Number.NaN) }
  });
}
