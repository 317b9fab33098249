/**
 * Scans restricted to an Id range and a SystemModstamp range, optionally in Id order: what a
 * Bulk API 2.0 export asks of an org when it splits a table into Id-range chunks and filters by
 * a watermark. Stored records and the recycle bin are few and are checked one by one; a
 * generated dataset turns the ranges into a range of row indexes (its ids increase with the
 * index, and a spread of stamps is non-decreasing with it), so a chunk of 100,000 rows out of
 * 5,000,000 reads 100,000 rows, and counting it builds none.
 *
 * Ids compare as Salesforce orders them: the case-sensitive 15-character id, digit by base-62
 * digit in ASCII order (0-9 < A-Z < a-z). Comparing the canonical 18-character forms gives the
 * same order, since the first 15 characters decide the 3-character suffix.
 */
import type { RangeBound, ScanOptions, SfRecord, ValueRange } from '../model.ts';
import type { GeneratedDataset } from './generated.ts';
import type { ObjectTable } from './table.ts';

/** True when a scan must honour ranges or an order (the plain scan is faster otherwise). */
export function isRestricted(options: ScanOptions): boolean {
  return (
    options.idRange !== undefined ||
    options.modstampRange !== undefined ||
    options.order !== undefined
  );
}

function aboveLow<T>(value: T, low: RangeBound<T> | undefined): boolean {
  return low === undefined || (low.inclusive ? value >= low.value : value > low.value);
}

function belowHigh<T>(value: T, high: RangeBound<T> | undefined): boolean {
  return high === undefined || (high.inclusive ? value <= high.value : value < high.value);
}

export function inRange<T>(value: T, range: ValueRange<T> | undefined): boolean {
  return range === undefined || (aboveLow(value, range.low) && belowHigh(value, range.high));
}

/** A record's SystemModstamp in epoch ms (NaN when it has none: outside every range). */
function modstampOf(record: SfRecord): number {
  const text = record.SystemModstamp;
  return typeof text === 'string' ? Date.parse(text) : Number.NaN;
}

/** Whether a record lies inside both ranges. */
export function matchesRanges(record: SfRecord, options: ScanOptions): boolean {
  if (!inRange(record.Id, options.idRange)) return false;
  if (options.modstampRange === undefined) return true;
  const stamp = modstampOf(record);
  return !Number.isNaN(stamp) && inRange(stamp, options.modstampRange);
}

/** The first index in [0, count) whose value `at(index)` (non-decreasing) passes `passes`. */
function firstIndex(count: number, passes: (index: number) => boolean): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (passes(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** [from, to) of row indexes whose generated value `at(index)` (non-decreasing) is in range. */
function indexRange<T>(
  count: number,
  at: (index: number) => T,
  range: ValueRange<T> | undefined
): [number, number] {
  if (range === undefined) return [0, count];
  const from = firstIndex(count, (index) => aboveLow(at(index), range.low));
  const to = firstIndex(count, (index) => !belowHigh(at(index), range.high));
  return [from, Math.max(from, to)];
}

/** The index ranges a dataset's rows must lie in: by Id (exact for every row) and by stamp. */
function datasetRanges(
  dataset: GeneratedDataset,
  options: ScanOptions
): { byId: [number, number]; byStamp: [number, number] } {
  const byId = indexRange(dataset.count, (index) => dataset.idOf(index), options.idRange);
  const { modstampAt } = dataset;
  let byStamp: [number, number] = byId;
  if (options.modstampRange !== undefined && modstampAt !== undefined) {
    const [from, to] = indexRange(dataset.count, modstampAt, options.modstampRange);
    byStamp = [Math.max(from, byId[0]), Math.max(Math.max(from, byId[0]), Math.min(to, byId[1]))];
  }
  return { byId, byStamp };
}

/**
 * Updated rows inside the Id range whose stamp can no longer be told from their index (an
 * update moves SystemModstamp to now), sorted by index; deleted rows are in the bin instead.
 */
function overriddenRows(
  dataset: GeneratedDataset,
  [from, to]: [number, number],
  options: ScanOptions
): Array<[number, SfRecord]> {
  const rows: Array<[number, SfRecord]> = [];
  for (const [index, record] of dataset.overrides) {
    if (record === null || index < from || index >= to) continue;
    if (matchesRanges(record, options)) rows.push([index, record]);
  }
  return rows.sort((a, b) => a[0] - b[0]);
}

/**
 * True when the dataset's rows are checked against the stamp range one by one (it has no
 * spread, so every row's stamp must be read).
 */
function checksEachRow(dataset: GeneratedDataset, options: ScanOptions): boolean {
  return options.modstampRange !== undefined && dataset.modstampAt === undefined;
}

/** One dataset's rows inside the ranges, by index ascending or descending. */
function* datasetRows(
  dataset: GeneratedDataset,
  options: ScanOptions,
  descending: boolean
): Generator<SfRecord> {
  const { byId, byStamp } = datasetRanges(dataset, options);
  const eachRow = checksEachRow(dataset, options);
  const overridden = overriddenRows(dataset, byId, options);
  const [from, to] = byStamp;
  // Walk the stamp range, skipping rows overridden when the scan started (they come from
  // `overridden`, merged in index order) and rows deleted since.
  const step = descending ? -1 : 1;
  let index = descending ? to - 1 : from;
  let o = descending ? overridden.length - 1 : 0;
  const merged = new Set(overridden.map(([at]) => at));
  for (;;) {
    const inside = descending ? index >= from : index < to;
    const pending = overridden[o];
    if (
      pending !== undefined &&
      (!inside || (descending ? pending[0] > index : pending[0] < index))
    ) {
      yield pending[1];
      o += step;
      continue;
    }
    if (!inside) return;
    const override = dataset.overrides.size === 0 ? undefined : dataset.overrides.get(index);
    if (override === undefined) {
      const record = dataset.generate(index);
      if (!eachRow || matchesRanges(record, options)) yield record;
    } else if (override !== null && !merged.has(index) && matchesRanges(override, options)) {
      // Updated after the scan started: its current version, where the row stands.
      yield override;
    }
    index += step;
  }
}

/** Stored records and (with includeDeleted) the bin inside the ranges, sorted when asked. */
function fewRecords(table: ObjectTable, options: ScanOptions): SfRecord[] {
  const records: SfRecord[] = [];
  for (const record of table.rows) {
    if (record !== undefined && matchesRanges(record, options)) records.push(record);
  }
  if (options.order === undefined) return records;
  if (options.includeDeleted) {
    for (const record of table.bin) if (matchesRanges(record, options)) records.push(record);
  }
  const sign = options.order === 'idDesc' ? -1 : 1;
  return records.sort((a, b) => (a.Id < b.Id ? -sign : a.Id > b.Id ? sign : 0));
}

function* generatedRows(table: ObjectTable, options: ScanOptions): Generator<SfRecord> {
  const descending = options.order === 'idDesc';
  const datasets = [...table.datasets];
  // Dataset numbers are part of the id: later datasets hold higher ids.
  if (descending) datasets.reverse();
  for (const dataset of datasets) yield* datasetRows(dataset, options, descending);
}

/** The records inside the ranges: by Id when `order` is set, else stored, generated, bin. */
export function* restrictedScan(table: ObjectTable, options: ScanOptions): Generator<SfRecord> {
  table.compact();
  const few = fewRecords(table, options);
  let skip = Math.max(0, Math.floor(options.fromIndex ?? 0));
  const pass = function* (records: Iterable<SfRecord>): Generator<SfRecord> {
    for (const record of records) {
      if (skip > 0) skip -= 1;
      else yield record;
    }
  };
  if (options.order === undefined) {
    yield* pass(few);
    yield* pass(generatedRows(table, options));
    if (options.includeDeleted) {
      yield* pass(table.bin.filter((record) => matchesRanges(record, options)));
    }
    return;
  }
  // Merge the sorted few with the generated rows, which come in Id order already.
  const descending = options.order === 'idDesc';
  const before = (a: SfRecord, b: SfRecord): boolean => (descending ? a.Id > b.Id : a.Id < b.Id);
  let f = 0;
  yield* pass(
    (function* () {
      for (const record of generatedRows(table, options)) {
        while (f < few.length && before(few[f] as SfRecord, record)) yield few[f++] as SfRecord;
        yield record;
      }
      while (f < few.length) yield few[f++] as SfRecord;
    })()
  );
}

/** How many records restrictedScan yields, without building a generated row it can count. */
export function restrictedCount(table: ObjectTable, options: ScanOptions): number {
  table.compact();
  let total = 0;
  for (const record of table.rows)
    if (record !== undefined && matchesRanges(record, options)) total++;
  if (options.includeDeleted) {
    for (const record of table.bin) if (matchesRanges(record, options)) total++;
  }
  for (const dataset of table.datasets) {
    if (checksEachRow(dataset, options)) {
      const rows = datasetRows(dataset, options, false);
      while (!rows.next().done) total++;
      continue;
    }
    const { byId, byStamp } = datasetRanges(dataset, options);
    let plain = byStamp[1] - byStamp[0];
    for (const index of dataset.overrides.keys()) {
      if (index >= byStamp[0] && index < byStamp[1]) plain -= 1;
    }
    total += plain + overriddenRows(dataset, byId, options).length;
  }
  return Math.max(0, total - Math.max(0, Math.floor(options.fromIndex ?? 0)));
}
