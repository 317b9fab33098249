/**
 * The syntax tree of one SOQL statement, as the parser reads it: names exactly as written (case
 * and all), with the offset of each element in the query text so that later checks (unknown
 * field, wrong literal type) can point Salesforce's caret at the right column.
 */

/** A dotted name such as `Account.Owner.Name`: segments as written, `offset` of its first char. */
export interface FieldPathNode {
  segments: string[];
  offset: number;
  /** The path as written, e.g. `account.name`. */
  text: string;
}

export type AggregateFunction = 'COUNT' | 'COUNT_DISTINCT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

export type SelectItem =
  | { kind: 'field'; path: FieldPathNode }
  /** `COUNT()` (no argument) or an aggregate function of a field, with an optional alias. */
  | {
      kind: 'aggregate';
      fn: AggregateFunction;
      argument?: FieldPathNode;
      alias?: string;
      offset: number;
    }
  | { kind: 'fields'; scope: 'ALL' | 'STANDARD' | 'CUSTOM'; offset: number }
  /** A parent-to-child relationship query: `(SELECT Id FROM Contacts)`. */
  | { kind: 'subquery'; query: QueryNode; offset: number }
  /** `TYPEOF What WHEN Account THEN Name ... END` (polymorphic fields). */
  | { kind: 'typeof'; path: FieldPathNode; offset: number };

export type LiteralNode =
  | { kind: 'null'; offset: number; text: string }
  | { kind: 'string'; value: string; offset: number; text: string }
  | { kind: 'number'; value: number; offset: number; text: string }
  | { kind: 'boolean'; value: boolean; offset: number; text: string }
  /** `2026-11-29`: a calendar day. */
  | { kind: 'date'; value: string; offset: number; text: string }
  /** `2026-11-29T03:00:00Z` / `+01:00`: an instant, kept as epoch milliseconds. */
  | { kind: 'datetime'; epochMs: number; offset: number; text: string }
  /** A relative range such as `TODAY` or `LAST_N_DAYS:30` (`n` for the parameterised ones). */
  | { kind: 'dateLiteral'; name: string; n?: number; offset: number; text: string };

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE';

export type ConditionNode =
  | { kind: 'and' | 'or'; operands: ConditionNode[] }
  | { kind: 'not'; operand: ConditionNode }
  | {
      kind: 'compare';
      field: FieldPathNode;
      operator: ComparisonOperator;
      value: LiteralNode;
      operatorOffset: number;
    }
  | { kind: 'in'; field: FieldPathNode; negated: boolean; values: LiteralNode[]; offset: number }
  /** Semi-join / anti-join: `Id IN (SELECT AccountId FROM Contact)`. */
  | { kind: 'inQuery'; field: FieldPathNode; negated: boolean; query: QueryNode; offset: number }
  /** Multi-select picklist `INCLUDES ('a;b', 'c')` / `EXCLUDES (...)`. */
  | {
      kind: 'includes';
      field: FieldPathNode;
      excludes: boolean;
      values: LiteralNode[];
      offset: number;
    };

export interface OrderByItem {
  path: FieldPathNode;
  descending: boolean;
  /** Explicit NULLS FIRST / NULLS LAST; undefined means Salesforce's default. */
  nulls?: 'FIRST' | 'LAST';
}

export interface QueryNode {
  select: SelectItem[];
  from: { name: string; offset: number; alias?: string };
  where?: ConditionNode;
  /** `WITH SECURITY_ENFORCED`, `WITH USER_MODE`... (accepted, no effect here). */
  with?: string;
  groupBy?: { paths: FieldPathNode[]; offset: number };
  having?: ConditionNode;
  orderBy: OrderByItem[];
  limit?: { value: number; offset: number };
  offset?: { value: number; offset: number };
  /** Offset of the first token of the statement (its `SELECT`). */
  start: number;
}
