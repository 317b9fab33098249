/**
 * The syntax tree of one SOQL statement, as the parser reads it: names exactly as written (case
 * and all), with the offset of each element in the query text so that later checks (unknown
 * field, wrong literal type) can point Salesforce's caret at the right column.
 */

/** A dotted name such as `Account.Owner.Name`: segments as written, `offset` of its first char. */
export interface FieldPathNode {
  kind: 'path';
  segments: string[];
  offset: number;
  /** The path as written, e.g. `account.name`. */
  text: string;
}

/**
 * A function applied to values: `COUNT(Id)`, `COUNT()`, `CALENDAR_YEAR(CreatedDate)`,
 * `toLabel(Status)`, `FORMAT(MIN(CloseDate))`, `GROUPING(Type)`. The parser only reads the
 * syntax; which functions exist and where they may appear is decided when resolving.
 */
export interface CallNode {
  kind: 'call';
  /** Upper-cased: `COUNT`, `TOLABEL`, `CONVERTTIMEZONE`... */
  name: string;
  args: ExpressionNode[];
  offset: number;
  /** The call as written, e.g. `calendar_year(CreatedDate)`. */
  text: string;
}

export type ExpressionNode = FieldPathNode | CallNode;

export type AggregateFunction = 'COUNT' | 'COUNT_DISTINCT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** `TYPEOF What WHEN Account THEN Phone, Name ... ELSE Name END` (polymorphic fields). */
export interface TypeofNode {
  kind: 'typeof';
  path: FieldPathNode;
  branches: Array<{ type: string; typeOffset: number; fields: FieldPathNode[] }>;
  /** The ELSE field list (empty without ELSE). */
  otherwise: FieldPathNode[];
  offset: number;
}

export type SelectItem =
  /** A field, a function of one or an aggregate, with an optional alias. */
  | { kind: 'expression'; expression: ExpressionNode; alias?: { name: string; offset: number } }
  | { kind: 'fields'; scope: 'ALL' | 'STANDARD' | 'CUSTOM'; offset: number }
  /** A parent-to-child relationship query: `(SELECT Id FROM Contacts)`. */
  | { kind: 'subquery'; query: QueryNode; offset: number }
  | TypeofNode;

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
      left: ExpressionNode;
      operator: ComparisonOperator;
      value: LiteralNode;
      operatorOffset: number;
    }
  | { kind: 'in'; left: ExpressionNode; negated: boolean; values: LiteralNode[]; offset: number }
  /** Semi-join / anti-join: `Id IN (SELECT AccountId FROM Contact)`. */
  | { kind: 'inQuery'; left: ExpressionNode; negated: boolean; query: QueryNode; offset: number }
  /** Multi-select picklist `INCLUDES ('a;b', 'c')` / `EXCLUDES (...)`. */
  | {
      kind: 'includes';
      left: ExpressionNode;
      excludes: boolean;
      values: LiteralNode[];
      offset: number;
    };

export interface OrderByItem {
  expression: ExpressionNode;
  descending: boolean;
  /** Explicit NULLS FIRST / NULLS LAST; undefined means Salesforce's default. */
  nulls?: 'FIRST' | 'LAST';
}

export interface GroupByNode {
  /** `GROUP BY a, b`, `GROUP BY ROLLUP(a, b)` (subtotals) or `GROUP BY CUBE(a, b)`. */
  mode: 'PLAIN' | 'ROLLUP' | 'CUBE';
  expressions: ExpressionNode[];
  offset: number;
}

/** A range of the query text: `soql.slice(start, end)`. */
export interface TextSpan {
  start: number;
  end: number;
}

export interface QueryNode {
  select: SelectItem[];
  /** `FROM Account a USING SCOPE mine`: the alias and the scope as written. */
  from: { name: string; offset: number; alias?: string; scope?: { name: string; offset: number } };
  where?: ConditionNode;
  /** The text of the WHERE condition (without the keyword), to splice conditions around it. */
  whereSpan?: TextSpan;
  /**
   * Offset just past the FROM clause (object, alias, `USING SCOPE`): where a ` WHERE ...`
   * clause goes in a statement that has none (WITH, GROUP BY, ORDER BY... come after it).
   */
  whereInsertAt: number;
  /** `WITH SECURITY_ENFORCED`, `WITH USER_MODE`... (upper-cased; the emulator ignores it). */
  with?: string;
  /** Offset of the WITH keyword. */
  withOffset?: number;
  groupBy?: GroupByNode;
  having?: ConditionNode;
  orderBy: OrderByItem[];
  /** Offset of the ORDER keyword (when there is an ORDER BY). */
  orderByOffset?: number;
  limit?: { value: number; offset: number };
  offset?: { value: number; offset: number };
  /** `FOR VIEW`, `FOR REFERENCE`, `FOR UPDATE` (outer statement only), with the FOR's offset. */
  for?: { mode: 'VIEW' | 'REFERENCE' | 'UPDATE'; offset: number };
  /** Offset of the first token of the statement (its `SELECT`). */
  start: number;
  /** Offset just past the statement's last token (a sub-query's: before its `)`). */
  end: number;
}
