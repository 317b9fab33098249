/**
 * A query resolved against the schema: canonical names, the describe of every field it reads,
 * literals normalised for comparison. What resolve.ts produces and evaluate.ts, aggregate.ts,
 * rows.ts and prepared-query.ts run.
 */
import type { FieldDescribe, FieldType, SObjectDescribe } from '../model.ts';
import type { AggregateFunction, ComparisonOperator } from '../../../../toolkit/src/soql/ast.ts';
import type { DateFunction } from './date-functions.ts';
import type { ValueKind } from './field-kinds.ts';

export interface Hop {
  referenceField: FieldDescribe;
  /** Canonical relationship name (`Account`, `Parent__r`): the key of the nested record. */
  relationshipName: string;
  target: SObjectDescribe;
}

/** A field reached from the queried object through zero or more parent relationships. */
export interface ResolvedPath {
  /** Canonical dotted name: `Name`, `Account.Owner.Name`. */
  name: string;
  hops: Hop[];
  field: FieldDescribe;
  kind: ValueKind;
}

/** Functions of one value: the date functions, `toLabel()` and `FORMAT()`. */
export type ScalarFunction = DateFunction | 'TOLABEL' | 'FORMAT';

/** What a record yields for a SELECT item or a filter: a field, maybe through a function. */
export interface ResolvedExpression {
  path: ResolvedPath;
  fn?: ScalarFunction;
  /** The kind of the value read: a date function gives numbers (DAY_ONLY a date). */
  kind: ValueKind;
  /** `Name`, `CALENDAR_YEAR(CreatedDate)`: canonical, how GROUP BY items are matched. */
  key: string;
}

export type ResolvedValue =
  | { kind: 'null' }
  /** Normalised for the field: 18-char id, day number (date), epoch ms (datetime)... */
  | { kind: 'scalar'; value: string | number | boolean }
  | { kind: 'dateLiteral'; name: string; n?: number }
  | { kind: 'pattern'; regex: RegExp };

/** What a filter compares: only its kind matters to the comparison. */
export interface Operand {
  kind: ValueKind;
}

/** A filter over records (WHERE, operands are expressions) or over groups (HAVING). */
export type ResolvedCondition<O extends Operand = ResolvedExpression> =
  | { kind: 'and' | 'or'; operands: Array<ResolvedCondition<O>> }
  | { kind: 'not'; operand: ResolvedCondition<O> }
  | { kind: 'compare'; left: O; operator: ComparisonOperator; value: ResolvedValue }
  | { kind: 'in'; left: O; negated: boolean; values: ResolvedValue[] }
  | { kind: 'inQuery'; left: O; negated: boolean; query: ResolvedQuery }
  | { kind: 'includes'; left: O; excludes: boolean; values: string[][] };

export interface ResolvedOrder<O extends Operand = ResolvedExpression> {
  operand: O;
  descending: boolean;
  nullsFirst: boolean;
}

/** One element of a record query's rows, in SELECT order. */
export type ResolvedSelectItem =
  /** An aliased column is a top-level key; otherwise the value sits at its path. */
  | { kind: 'column'; expression: ResolvedExpression; alias?: string }
  /** A parent-to-child sub-query: the children whose `referenceField` names the row. */
  | {
      kind: 'children';
      relationshipName: string;
      referenceField: FieldDescribe;
      query: ResolvedQuery;
    }
  /**
   * TYPEOF over the polymorphic `referenceField` (reached through `hops`): the paths read for
   * each type the parent can have; a type without WHEN or ELSE reads nothing.
   */
  | {
      kind: 'typeof';
      hops: Hop[];
      referenceField: FieldDescribe;
      relationshipName: string;
      branches: Map<string, ResolvedPath[]>;
    };

export interface ResolvedAggregate {
  fn: AggregateFunction;
  /** Absent for COUNT() in HAVING or ORDER BY. */
  path?: ResolvedPath;
  /** `COUNT(Id)`: canonical, so SELECT, HAVING and ORDER BY share one accumulator. */
  key: string;
}

/** A value of a group: a GROUP BY key, an aggregate, or GROUPING() of a key. */
export type GroupOperand =
  | { source: 'key'; index: number; kind: ValueKind }
  | { source: 'aggregate'; index: number; kind: ValueKind }
  | { source: 'grouping'; index: number; kind: 'number' };

export interface AggregateColumn {
  /** The key in the row: the alias, the field's name, or `expr0`, `expr1`... */
  name: string;
  /** As written: `COUNT(Id)` (the `columns=true` display name). */
  display: string;
  operand: GroupOperand;
  /** toLabel() of a grouped picklist, or FORMAT() as a field of `type` is shown. */
  transform?:
    { fn: 'TOLABEL'; field: FieldDescribe } | { fn: 'FORMAT'; type: FieldType; scale: number };
}

/** Aggregate functions and GROUP BY: one row per group (one row in all without GROUP BY). */
export interface ResolvedAggregation {
  mode: 'PLAIN' | 'ROLLUP' | 'CUBE';
  keys: ResolvedExpression[];
  /** Every aggregate the query computes (SELECT, HAVING, ORDER BY), each once. */
  aggregates: ResolvedAggregate[];
  columns: AggregateColumn[];
  having?: ResolvedCondition<GroupOperand>;
  orderBy: Array<ResolvedOrder<GroupOperand>>;
}

export interface ResolvedQuery {
  object: SObjectDescribe;
  /** Record queries: the row's elements (empty for aggregate and COUNT() queries). */
  select: ResolvedSelectItem[];
  aggregation?: ResolvedAggregation;
  /** `SELECT COUNT() FROM ...`: only a count, no rows. */
  countOnly: boolean;
  where?: ResolvedCondition;
  /** Record queries' ORDER BY (an aggregation orders its groups itself). */
  orderBy: ResolvedOrder[];
  limit?: number;
  offset?: number;
}
