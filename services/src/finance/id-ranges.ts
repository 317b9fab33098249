// Id-range chunking: the Bulk API 2.0 counterpart of Bulk API 1.0's PK chunking.
//
// Bulk API 2.0 has no `Sforce-Enable-PKChunking` header: it splits a query job internally, but one
// job over tens of millions of rows still runs (and can fail) as one unit, and its results arrive
// one page at a time from one job. Splitting the export into jobs over disjoint Id ranges lets
// several run at once and lets a failed range be redone alone, as PK chunking does.
//
// Why not split the Id space evenly between the smallest and the largest Id: Salesforce Ids are
// not spread evenly. The 15 characters are a key prefix, two pod characters and a base-62
// sequence; an org moved between instances (or the emulator, whose stored and generated rows
// carry different pod characters) has dense clusters far apart, so equal-width ranges would put
// nearly every row in one range. Instead the planner bisects: it counts a range with one REST
// `SELECT COUNT()` and splits it at its midpoint while it holds more than the chunk size (the
// other half's count is the difference, so each split costs one call). A split that leaves one
// half empty jumps to the first or last Id of the other half (one `ORDER BY Id LIMIT 1` query),
// so the empty stretch between two pods costs two calls, not one per halving.
//
// Comparisons: SOQL compares Ids as their 15-character case-sensitive form, and base-62 digits
// `0-9A-Za-z` are in ASCII order, so string order of 15-character Ids is numeric order.
import { BASE62 } from '../../../toolkit/src/base62.ts';
import { id15 } from '../../../toolkit/src/salesforce-id.ts';

const ID_LENGTH = 15;
const BASE = 62n;

/** Half-open range of Ids: `Id >= from AND Id < to`; an absent bound is open. */
export interface IdRange {
  from?: string;
  to?: string;
  /** Rows the range held when it was planned. */
  expected: number;
}

export function idToNumber(id: string): bigint {
  let value = 0n;
  for (const char of id15(id)) {
    const digit = BASE62.indexOf(char);
    if (digit < 0) throw new RangeError(`Not a Salesforce id: ${JSON.stringify(id)}`);
    value = value * BASE + BigInt(digit);
  }
  return value;
}

export function numberToId(value: bigint): string {
  if (value < 0n) throw new RangeError('An id number is never negative');
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = BASE62.charAt(Number(rest % BASE)) + out;
    rest /= BASE;
  }
  if (out.length > ID_LENGTH) throw new RangeError(`${value} does not fit a 15-character id`);
  return out.padStart(ID_LENGTH, '0');
}

export interface PlanIdRangesOptions {
  /** Rows matching the export's filter (one COUNT() already made). */
  total: number;
  /** Smallest and largest matching Id. */
  minId: string;
  maxId: string;
  /** Most rows per range (a range that cannot be split further may hold more). */
  chunkSize: number;
  /** Rows matching the filter with `Id >= from AND Id < to` (one API call each). */
  count(from: string, to: string): Promise<number>;
  /** The smallest or largest matching Id with `Id >= from AND Id < to` (one API call each). */
  edge(from: string, to: string, which: 'first' | 'last'): Promise<string>;
}

interface Span {
  low: bigint;
  /** Exclusive. */
  high: bigint;
  rows: number;
}

/**
 * Disjoint ranges covering every Id (the first has no lower bound, the last no upper one, so a
 * row created outside [minId, maxId] after planning is still in exactly one range), each holding
 * at most `chunkSize` rows when planned unless it is a single Id wide.
 */
export async function planIdRanges(options: PlanIdRangesOptions): Promise<IdRange[]> {
  const { total, chunkSize } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError('chunkSize must be a positive whole number');
  }
  if (total <= chunkSize) return [{ expected: total }];
  const low = idToNumber(options.minId);
  const high = idToNumber(options.maxId) + 1n;
  if (high <= low) throw new RangeError('minId must not be above maxId');

  const spans: Span[] = [];
  // Depth-first, left to right, so spans come out in Id order.
  const pending: Span[] = [{ low, high, rows: total }];
  while (pending.length > 0) {
    const span = pending.pop() as Span;
    if (span.rows === 0) continue;
    if (span.rows <= chunkSize || span.high - span.low <= 1n) {
      spans.push(span);
      continue;
    }
    const middle = span.low + (span.high - span.low) / 2n;
    const left = await options.count(numberToId(span.low), numberToId(middle));
    const right = Math.max(0, span.rows - left);
    if (left === 0) {
      const first = await options.edge(numberToId(middle), numberToId(span.high), 'first');
      pending.push({ low: idToNumber(first), high: span.high, rows: right });
    } else if (right === 0) {
      const last = await options.edge(numberToId(span.low), numberToId(middle), 'last');
      pending.push({ low: span.low, high: idToNumber(last) + 1n, rows: left });
    } else {
      pending.push({ low: middle, high: span.high, rows: right });
      pending.push({ low: span.low, high: middle, rows: left });
    }
  }
  return toRanges(mergeNeighbours(spans, chunkSize));
}

/** Bisection leaves small neighbours (a half with a few rows); joined while they fit. */
function mergeNeighbours(spans: Span[], chunkSize: number): Span[] {
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && last.rows + span.rows <= chunkSize) {
      merged[merged.length - 1] = { low: last.low, high: span.high, rows: last.rows + span.rows };
    } else {
      merged.push(span);
    }
  }
  return merged;
}

/** Adjacent ranges share their bound; the outer bounds are left open. */
function toRanges(spans: Span[]): IdRange[] {
  return spans.map((span, i) => ({
    ...(i > 0 ? { from: numberToId(span.low) } : {}),
    ...(i < spans.length - 1 ? { to: numberToId((spans[i + 1] as Span).low) } : {}),
    expected: span.rows
  }));
}
