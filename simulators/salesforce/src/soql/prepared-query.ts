/**
 * A resolved query ready to run any number of times. Rows are produced lazily from
 * `store.scan()`: without ORDER BY nothing is kept (a million-row scan runs in flat memory);
 * with ORDER BY the matching records are sorted first, as Salesforce does, keeping only the
 * first OFFSET + LIMIT when that is small. Date literals and semi-joins are evaluated at the
 * start of each run, against the emulator clock at that moment.
 */
import type { Clock, PreparedQuery, QueryOptions, RecordStore, SfRecord } from '../model.ts';
import {
  aggregate,
  comparable,
  compileCondition,
  compileOrder,
  readPath,
  type EvalContext,
  type ParentLookup
} from './evaluate.ts';
import type { ValueKind } from './field-kinds.ts';
import type { ResolvedQuery } from './resolve.ts';
import { flatRow, outputTree, restRow } from './rows.ts';

/** The API version record urls name when the caller does not say (the emulator's default). */
export const DEFAULT_API_VERSION = '65.0';

/** Up to this many rows (OFFSET + LIMIT), ORDER BY keeps a bounded sorted window. */
const BOUNDED_SORT_MAX = 10_000;

export interface RunOptions extends QueryOptions {
  /** `65.0`: the version in `attributes.url` (the REST request's version). */
  apiVersion?: string;
}

export class SoqlPreparedQuery implements PreparedQuery {
  readonly objectName: string;
  readonly columns: string[];
  readonly hasOrderBy: boolean;
  readonly hasLimit: boolean;
  readonly isAggregate: boolean;
  /** `SELECT COUNT() ...`: REST answers `totalSize` = count() and no records. */
  readonly isCountQuery: boolean;
  readonly limit?: number;
  readonly offset?: number;
  private readonly tree: ReturnType<typeof outputTree>;
  private readonly lookup: ParentLookup;

  constructor(
    private readonly resolved: ResolvedQuery,
    private readonly store: RecordStore,
    private readonly clock: Clock
  ) {
    this.objectName = resolved.object.name;
    this.isCountQuery = resolved.countOnly;
    this.isAggregate = resolved.countOnly || resolved.aggregates.length > 0;
    this.columns = resolved.countOnly
      ? []
      : resolved.aggregates.length > 0
        ? resolved.aggregates.map((item) => item.key)
        : resolved.fields.map((path) => path.name);
    this.hasOrderBy = resolved.orderBy.length > 0;
    this.hasLimit = resolved.limit !== undefined;
    if (resolved.limit !== undefined) this.limit = resolved.limit;
    if (resolved.offset !== undefined) this.offset = resolved.offset;
    this.tree = outputTree(resolved.fields);
    this.lookup = (id) => store.getById(id);
  }

  *run(options: RunOptions = {}): Generator<Record<string, unknown>> {
    if (this.resolved.countOnly) return;
    const context = this.context();
    if (this.resolved.aggregates.length > 0) {
      const row = this.aggregateRow(options, context);
      if (row) yield { attributes: { type: 'AggregateResult' }, ...row };
      return;
    }
    const rowContext = {
      lookup: this.lookup,
      apiVersion: options.apiVersion ?? DEFAULT_API_VERSION
    };
    for (const record of this.matching(this.resolved, options, context)) {
      yield restRow(record, this.objectName, this.tree, rowContext);
    }
  }

  *runFlat(options: QueryOptions = {}): Generator<Record<string, unknown>> {
    if (this.resolved.countOnly) return;
    const context = this.context();
    if (this.resolved.aggregates.length > 0) {
      const row = this.aggregateRow(options, context);
      if (row) yield row;
      return;
    }
    for (const record of this.matching(this.resolved, options, context)) {
      yield flatRow(record, this.resolved.fields, this.lookup);
    }
  }

  /** COUNT() queries: the count; any other query: how many rows it returns. */
  count(options: QueryOptions = {}): number {
    const { resolved } = this;
    if (resolved.aggregates.length > 0) {
      return (resolved.limit ?? 1) > 0 && (resolved.offset ?? 0) === 0 ? 1 : 0;
    }
    let total: number;
    if (!resolved.where) {
      total = this.store.count(resolved.object.name, scanOptions(options));
    } else {
      const predicate = compileCondition(resolved.where, this.context());
      total = 0;
      for (const record of this.store.scan(resolved.object.name, scanOptions(options))) {
        if (predicate(record)) total++;
      }
    }
    total = Math.max(0, total - (resolved.offset ?? 0));
    return resolved.limit === undefined ? total : Math.min(total, resolved.limit);
  }

  private context(): EvalContext {
    const context: EvalContext = {
      lookup: this.lookup,
      now: this.clock.now(),
      semiJoin: (query, kind) => this.semiJoinValues(query, kind, context)
    };
    return context;
  }

  private semiJoinValues(
    query: ResolvedQuery,
    kind: ValueKind,
    context: EvalContext
  ): Set<string | number | boolean> {
    const values = new Set<string | number | boolean>();
    const [path] = query.fields;
    if (!path) return values;
    for (const record of this.matching(query, {}, context)) {
      const value = comparable(kind, readPath(record, path, this.lookup));
      if (value !== null) values.add(value);
    }
    return values;
  }

  private aggregateRow(
    options: QueryOptions,
    context: EvalContext
  ): Record<string, unknown> | undefined {
    const { resolved } = this;
    if ((resolved.limit ?? 1) === 0 || (resolved.offset ?? 0) > 0) return undefined;
    const all: ResolvedQuery = { ...resolved, orderBy: [] };
    delete all.limit;
    delete all.offset;
    return aggregate(resolved.aggregates, this.matching(all, options, context), this.lookup);
  }

  /** The records a query returns, in order, after WHERE, ORDER BY, OFFSET and LIMIT. */
  private *matching(
    query: ResolvedQuery,
    options: QueryOptions,
    context: EvalContext
  ): Generator<SfRecord> {
    const predicate = query.where ? compileCondition(query.where, context) : undefined;
    const skip = query.offset ?? 0;
    const take = query.limit ?? Number.POSITIVE_INFINITY;
    if (take === 0) return;
    const source = this.store.scan(query.object.name, scanOptions(options));

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

    const order = compileOrder(query.orderBy, context.lookup);
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
}

function scanOptions(options: QueryOptions): { includeDeleted: true } | undefined {
  return options.includeDeleted ? { includeDeleted: true } : undefined;
}
