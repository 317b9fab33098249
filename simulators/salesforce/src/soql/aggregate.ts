/**
 * Running an aggregate query: the matching records stream through once, each adding to the
 * accumulators of its group (of each grouping set: one for a plain GROUP BY, the prefixes for
 * ROLLUP, every subset for CUBE), so memory grows with the number of groups, never with the
 * records. Then HAVING filters the groups, ORDER BY sorts them, and each becomes a row in SELECT
 * order.
 *
 * Without ORDER BY, groups come in the order their first record was met; ROLLUP puts each
 * subtotal after the groups it sums and the grand total last, as the SOQL reference's ROLLUP
 * example shows, and CUBE lists its grouping sets from the most detailed to the grand total.
 * Without GROUP BY there is one group, answered even when no record matches (COUNT is 0).
 */
import type { SfRecord } from '../model.ts';
import { apiValue, JavaDouble } from '../java-json.ts';
import { formatForDisplay, picklistLabel } from './display.ts';
import {
  comparable,
  compileCondition,
  compileOrder,
  expressionReader,
  readPath,
  type Comparable,
  type EvalContext,
  type OperandReader
} from './evaluate.ts';
import type {
  AggregateColumn,
  GroupOperand,
  ResolvedAggregate,
  ResolvedAggregation
} from './resolved.ts';

interface Accumulator {
  add(raw: unknown): void;
  result(): unknown;
}

function accumulator(aggregate: ResolvedAggregate): Accumulator {
  const kind = aggregate.path?.kind ?? 'number';
  const valueOf = (raw: unknown): Comparable | null =>
    kind === 'boolean' && raw === null ? null : comparable(kind, raw);
  let count = 0;
  let sum = 0;
  const distinct = new Set<Comparable>();
  let best: { raw: unknown; key: Comparable } | undefined;
  return {
    add(raw) {
      const key = aggregate.path ? valueOf(raw) : 0;
      if (key === null) return;
      count++;
      switch (aggregate.fn) {
        case 'COUNT_DISTINCT':
          distinct.add(key);
          break;
        case 'SUM':
        case 'AVG':
          sum += Number(raw);
          break;
        case 'MIN':
        case 'MAX':
          if (!best || (aggregate.fn === 'MIN' ? key < best.key : key > best.key)) {
            best = { raw, key };
          }
          break;
        case 'COUNT':
          break;
      }
    },
    result() {
      switch (aggregate.fn) {
        case 'COUNT':
          return count;
        case 'COUNT_DISTINCT':
          return distinct.size;
        case 'SUM':
          return count > 0 ? sum : null;
        case 'AVG':
          return count > 0 ? sum / count : null;
        case 'MIN':
        case 'MAX':
          return best ? best.raw : null;
      }
    }
  };
}

interface Group {
  /** The first record's value of each GROUP BY key; null where this group rolls a key up. */
  keys: unknown[];
  rolledUp: boolean[];
  accumulators: Accumulator[];
  /** Its place in the output before ORDER BY (compared element by element). */
  order: number[];
}

/** Which keys each grouping set groups by, most detailed first. */
function groupingSets(mode: ResolvedAggregation['mode'], count: number): boolean[][] {
  const all = Array.from({ length: count }, () => true);
  if (mode === 'PLAIN') return [all];
  if (mode === 'ROLLUP') {
    return Array.from({ length: count + 1 }, (_, set) => all.map((_, key) => key < count - set));
  }
  const subsets: boolean[][] = [];
  for (let mask = (1 << count) - 1; mask >= 0; mask--) {
    subsets.push(all.map((_, key) => (mask & (1 << (count - 1 - key))) !== 0));
  }
  return subsets.sort((a, b) => b.filter(Boolean).length - a.filter(Boolean).length);
}

function groupKey(set: number, comparables: Array<Comparable | null>, included: boolean[]): string {
  let key = String(set);
  comparables.forEach((value, index) => {
    if (included[index]) key += value === null ? '\u0001' : `\u0002${typeof value}:${value}`;
  });
  return key;
}

export class AggregationRun {
  private readonly groups = new Map<string, Group>();
  private readonly sets: boolean[][];
  private readonly readKeys: Array<(record: SfRecord) => unknown>;
  private sequence = 0;

  constructor(
    private readonly aggregation: ResolvedAggregation,
    private readonly ctx: EvalContext
  ) {
    this.sets = groupingSets(aggregation.mode, aggregation.keys.length);
    const read = expressionReader(ctx.lookup);
    this.readKeys = aggregation.keys.map((key) => read(key));
  }

  add(record: SfRecord): void {
    const { keys, aggregates } = this.aggregation;
    const raws = this.readKeys.map((read) => read(record));
    const comparables = raws.map((raw, index) => comparable(keys[index]?.kind ?? 'string', raw));
    const values = aggregates.map((aggregate) =>
      aggregate.path ? readPath(record, aggregate.path, this.ctx.lookup) : null
    );
    // A ROLLUP group is placed under the subtotal one key shorter (the grand total is []).
    let parentOrder: number[] = [];
    for (let set = this.sets.length - 1; set >= 0; set--) {
      const included = this.sets[set] ?? [];
      const key = groupKey(set, comparables, included);
      let group = this.groups.get(key);
      if (!group) {
        const order =
          this.aggregation.mode !== 'ROLLUP'
            ? [set, this.sequence++]
            : set === this.sets.length - 1
              ? []
              : [...parentOrder, this.sequence++];
        group = {
          keys: raws.map((raw, index) => (included[index] ? raw : null)),
          rolledUp: included.map((grouped) => !grouped),
          accumulators: aggregates.map(accumulator),
          order
        };
        this.groups.set(key, group);
      }
      parentOrder = group.order;
      group.accumulators.forEach((slot, index) => slot.add(values[index]));
    }
  }

  /** The groups as AggregateResult values, after HAVING, ORDER BY, OFFSET and LIMIT. */
  rows(offset = 0, limit = Number.POSITIVE_INFINITY): Array<Record<string, unknown>> {
    const { aggregation } = this;
    if (aggregation.keys.length === 0 && this.groups.size === 0) {
      this.groups.set('', {
        keys: [],
        rolledUp: [],
        accumulators: aggregation.aggregates.map(accumulator),
        order: [0]
      });
    }
    // Subtotals sort after the groups they sum: their missing places count as Infinity.
    const depth = aggregation.keys.length;
    const position = (group: Group): number[] =>
      aggregation.mode === 'ROLLUP'
        ? [...group.order, ...Array<number>(depth - group.order.length).fill(Infinity)]
        : group.order;
    let groups = [...this.groups.values()].sort((a, b) => {
      const x = position(a);
      const y = position(b);
      for (let i = 0; i < x.length; i++) {
        if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
      }
      return 0;
    });
    const reader: OperandReader<Group, GroupOperand> = (operand) => (group) =>
      valueOf(group, operand);
    if (aggregation.having) {
      const keep = compileCondition(aggregation.having, this.ctx, reader);
      groups = groups.filter(keep);
    }
    if (aggregation.orderBy.length > 0) {
      const order = compileOrder(aggregation.orderBy, reader);
      groups = groups
        .map((group) => ({ group, key: order.key(group) }))
        .sort((a, b) => order.compare(a.key, b.key))
        .map(({ group }) => group);
    }
    return groups.slice(offset, offset + limit).map((group) => rowOf(group, aggregation.columns));
  }
}

function valueOf(group: Group, operand: GroupOperand): unknown {
  switch (operand.source) {
    case 'key':
      return group.keys[operand.index] ?? null;
    case 'aggregate':
      return group.accumulators[operand.index]?.result() ?? null;
    case 'grouping':
      return group.rolledUp[operand.index] ? 1 : 0;
  }
}

/**
 * A column's value as the API writes it (java-json.ts): AVG is always a double; SUM, MIN, MAX
 * and grouped values are doubles when their field is; counts are integers.
 */
function apiColumnValue(
  aggregation: ResolvedAggregation,
  operand: GroupOperand,
  value: unknown
): unknown {
  if (typeof value !== 'number') return value;
  if (operand.source === 'key') {
    const key = aggregation.keys[operand.index];
    return key && key.fn === undefined ? apiValue(key.path.field, value) : value;
  }
  if (operand.source !== 'aggregate') return value;
  const aggregate = aggregation.aggregates[operand.index];
  if (aggregate?.fn === 'AVG') return new JavaDouble(value);
  if (aggregate?.fn === 'SUM' || aggregate?.fn === 'MIN' || aggregate?.fn === 'MAX') {
    return aggregate.path ? apiValue(aggregate.path.field, value) : value;
  }
  return value;
}

/** An aggregate row as REST writes it (Bulk API 2.0 refuses aggregate queries). */
export function apiAggregateRow(
  aggregation: ResolvedAggregation,
  row: Record<string, unknown>
): Record<string, unknown> {
  const out = { ...row };
  for (const column of aggregation.columns) {
    if (column.transform) continue;
    out[column.name] = apiColumnValue(aggregation, column.operand, row[column.name]);
  }
  return out;
}

function rowOf(group: Group, columns: AggregateColumn[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of columns) {
    const value = valueOf(group, column.operand);
    const { transform } = column;
    if (!transform) row[column.name] = value;
    else if (transform.fn === 'TOLABEL') row[column.name] = picklistLabel(transform.field, value);
    else row[column.name] = formatForDisplay(transform.type, transform.scale, value);
  }
  return row;
}
