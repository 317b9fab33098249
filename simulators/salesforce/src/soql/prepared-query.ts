/**
 * A resolved query ready to run any number of times. Record rows are produced lazily from
 * `store.scan()` (see window.ts: without ORDER BY nothing is kept, a million-row scan runs in
 * flat memory), sub-query children are read once per run (children.ts), aggregate queries keep
 * one accumulator set per group (aggregate.ts). Date literals and semi-joins are evaluated at
 * the start of each run, against the emulator clock at that moment.
 */
import type {
  Clock,
  PreparedQuery,
  QueryColumn,
  QueryOptions,
  RecordStore,
  SfRecord
} from '../model.ts';
import { AggregationRun, apiAggregateRow } from './aggregate.ts';
import { ChildRecords } from './children.ts';
import {
  comparable,
  compileCondition,
  expressionReader,
  readPath,
  type EvalContext,
  type ParentLookup,
  type Predicate
} from './evaluate.ts';
import type { ValueKind } from './field-kinds.ts';
import type { ResolvedCondition, ResolvedQuery, ResolvedSelectItem } from './resolved.ts';
import { flatRows, outputTree, restRow } from './rows.ts';
import { idOrder, scanRanges } from './scan-ranges.ts';
import { orderedWindow } from './window.ts';

/** The API version record urls name when the caller does not say (the emulator's default). */
export const DEFAULT_API_VERSION = '65.0';

export interface RunOptions extends QueryOptions {
  /** `65.0`: the version in `attributes.url` (the REST request's version). */
  apiVersion?: string;
}

/** What `?columns=true` tells of a record query's SELECT list. */
function recordColumns(items: ResolvedSelectItem[]): QueryColumn[] {
  return items.flatMap((item): QueryColumn[] => {
    switch (item.kind) {
      case 'column': {
        const name = item.alias ?? item.expression.path.name;
        return [{ name, displayName: name, aggregate: false }];
      }
      case 'children':
        return [
          {
            name: item.relationshipName,
            displayName: item.relationshipName,
            aggregate: true,
            children: {
              objectName: item.query.object.name,
              columns: recordColumns(item.query.select)
            }
          }
        ];
      case 'typeof':
        return [
          { name: item.relationshipName, displayName: item.relationshipName, aggregate: false }
        ];
    }
  });
}

export class SoqlPreparedQuery implements PreparedQuery {
  readonly objectName: string;
  readonly columns: string[];
  readonly columnDetails: QueryColumn[];
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
    const { aggregation } = resolved;
    this.objectName = resolved.object.name;
    this.isCountQuery = resolved.countOnly;
    this.isAggregate = resolved.countOnly || aggregation !== undefined;
    this.columnDetails = aggregation
      ? aggregation.columns.map((column) => ({
          name: column.name,
          displayName: column.display,
          aggregate: column.operand.source !== 'key'
        }))
      : recordColumns(resolved.select);
    this.columns = this.columnDetails.map((column) => column.name);
    this.hasOrderBy = resolved.orderBy.length > 0 || (aggregation?.orderBy.length ?? 0) > 0;
    this.hasLimit = resolved.limit !== undefined;
    if (resolved.limit !== undefined) this.limit = resolved.limit;
    if (resolved.offset !== undefined) this.offset = resolved.offset;
    this.tree = outputTree(resolved.select);
    this.lookup = (id) => store.getById(id);
  }

  *run(options: RunOptions = {}): Generator<Record<string, unknown>> {
    if (this.resolved.countOnly) return;
    const context = this.context();
    if (this.resolved.aggregation) {
      const { aggregation } = this.resolved;
      for (const row of this.aggregateRows(options, context)) {
        yield { attributes: { type: 'AggregateResult' }, ...apiAggregateRow(aggregation, row) };
      }
      return;
    }
    const children = new ChildRecords((query) => this.source(query, options, context), this.lookup);
    const rowContext = {
      lookup: this.lookup,
      apiVersion: options.apiVersion ?? DEFAULT_API_VERSION,
      children: children.of.bind(children)
    };
    for (const record of this.matching(this.resolved, options, context)) {
      yield restRow(record, this.objectName, this.tree, rowContext);
    }
  }

  *runFlat(options: QueryOptions = {}): Generator<Record<string, unknown>> {
    if (this.resolved.countOnly) return;
    const context = this.context();
    if (this.resolved.aggregation) {
      yield* this.aggregateRows(options, context);
      return;
    }
    const flat = flatRows(this.resolved.select, this.lookup);
    for (const record of this.matching(this.resolved, options, context)) yield flat(record);
  }

  /** COUNT() queries: the count; any other query: how many rows it returns. */
  count(options: QueryOptions = {}): number {
    const { resolved } = this;
    if (resolved.aggregation) return this.aggregateRows(options, this.context()).length;
    let total: number;
    // A WHERE of Id / SystemModstamp ranges alone is counted from the ranges (no row built).
    const ranges = scanRanges(resolved);
    const scan = { ...scanOptions(options), ...ranges.options };
    if (ranges.rest === undefined) {
      total = this.store.count(resolved.object.name, scan);
    } else {
      const predicate = this.compile(ranges.rest, this.context());
      total = 0;
      for (const record of this.store.scan(resolved.object.name, scan)) {
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
    const [column] = query.select;
    if (column?.kind !== 'column') return values;
    for (const record of this.matching(query, {}, context)) {
      const value = comparable(kind, readPath(record, column.expression.path, this.lookup));
      if (value !== null) values.add(value);
    }
    return values;
  }

  private aggregateRows(
    options: QueryOptions,
    context: EvalContext
  ): Array<Record<string, unknown>> {
    const { resolved } = this;
    if (!resolved.aggregation) return [];
    const run = new AggregationRun(resolved.aggregation, context);
    const { records, predicate } = this.source(resolved, options, context);
    for (const record of records) if (!predicate || predicate(record)) run.add(record);
    return run.rows(resolved.offset, resolved.limit);
  }

  private compile(condition: ResolvedCondition, context: EvalContext): Predicate {
    return compileCondition(condition, context, expressionReader(this.lookup));
  }

  /** A query's object, and the filter of its WHERE. */
  private source(
    query: ResolvedQuery,
    options: QueryOptions,
    context: EvalContext
  ): { records: Iterable<SfRecord>; predicate: Predicate | undefined; ordered: boolean } {
    // ORDER BY Id alone reads in Id order (a LIMIT 1 stops at the first row), and Id /
    // SystemModstamp ranges of the WHERE narrow what is read.
    const order = query.aggregation ? undefined : idOrder(query.orderBy);
    const ranges = scanRanges(query);
    return {
      records: this.store.scan(query.object.name, {
        ...scanOptions(options),
        ...ranges.options,
        ...(order ? { order } : {})
      }),
      predicate: ranges.rest === undefined ? undefined : this.compile(ranges.rest, context),
      ordered: order !== undefined
    };
  }

  /** The records a query returns, in order, after WHERE, ORDER BY, OFFSET and LIMIT. */
  private matching(
    query: ResolvedQuery,
    options: QueryOptions,
    context: EvalContext
  ): Iterable<SfRecord> {
    const { records, predicate, ordered } = this.source(query, options, context);
    const window = ordered ? { ...query, orderBy: [] } : query;
    return orderedWindow(records, predicate, window, this.lookup);
  }
}

function scanOptions(options: QueryOptions): { includeDeleted: true } | undefined {
  return options.includeDeleted ? { includeDeleted: true } : undefined;
}
