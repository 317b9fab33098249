/**
 * ORDER BY, OFFSET and LIMIT over a stream of records, as a query or a sub-query (per parent)
 * returns them. Without ORDER BY nothing is kept: records pass through as they stream (a
 * million-row scan runs in flat memory). With ORDER BY the matching records are sorted first,
 * as Salesforce does, keeping only the first OFFSET + LIMIT when that is small.
 */
import type { SfRecord } from '../model.ts';
import { compileOrder, expressionReader, type ParentLookup, type Predicate } from './evaluate.ts';
import type { ResolvedQuery } from './resolved.ts';

/** Up to this many rows (OFFSET + LIMIT), ORDER BY keeps a bounded sorted window. */
const BOUNDED_SORT_MAX = 10_000;

type Window = Pick<ResolvedQuery, 'orderBy' | 'offset' | 'limit'>;

/** The records of `source` that pass `predicate`, in `query`'s order, after OFFSET and LIMIT. */
export function* orderedWindow(
  source: Iterable<SfRecord>,
  predicate: Predicate | undefined,
  query: Window,
  lookup: ParentLookup
): Generator<SfRecord> {
  const skip = query.offset ?? 0;
  const take = query.limit ?? Number.POSITIVE_INFINITY;
  if (take === 0) return;

  if (query.orderBy.length === 0) {
    let skipped = 0;
    let emitted = 0;
    for (const record of source) {
      if (predicate && !predicate(record)) continue;
      if (skipped < skip) {
        skipped++;
        continue;
      }
      yield record;
      if (++emitted >= take) return;
    }
    return;
  }

  const order = compileOrder(query.orderBy, expressionReader(lookup));
  type Entry = { key: ReturnType<typeof order.key>; record: SfRecord };
  const bound = skip + take;
  const entries: Entry[] = [];
  if (bound <= BOUNDED_SORT_MAX) {
    // Keep only the first `bound` rows: insert after equal keys, so ties keep scan order.
    for (const record of source) {
      if (predicate && !predicate(record)) continue;
      const entry = { key: order.key(record), record };
      const last = entries[entries.length - 1];
      if (entries.length >= bound && last && order.compare(entry.key, last.key) >= 0) continue;
      let low = 0;
      let high = entries.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const probe = entries[middle];
        if (probe && order.compare(probe.key, entry.key) <= 0) low = middle + 1;
        else high = middle;
      }
      entries.splice(low, 0, entry);
      if (entries.length > bound) entries.pop();
    }
  } else {
    for (const record of source) {
      if (predicate && !predicate(record)) continue;
      entries.push({ key: order.key(record), record });
    }
    entries.sort((a, b) => order.compare(a.key, b.key));
  }
  const end = Math.min(entries.length, bound);
  for (let i = skip; i < end; i++) {
    const entry = entries[i];
    if (entry) yield entry.record;
  }
}
