/**
 * Aggregate queries: aggregate functions (COUNT(f), COUNT_DISTINCT, SUM, AVG, MIN, MAX) with or
 * without GROUP BY (plain, ROLLUP or CUBE), HAVING, and ORDER BY over the groups. Rules from the
 * SOQL reference ("GROUP BY", "Considerations for GROUP BY", "Use Aliases with GROUP BY") and
 * real error messages quoted in public issues:
 * - every SELECT item is an aggregate or is grouped (`Field must be grouped or aggregated: X`),
 *   ORDER BY likewise (`Ordered field must be grouped or aggregated: X`), and a grouped field
 *   is not also aggregated (`Grouped field should not be aggregated: X`);
 * - GROUP BY takes only describe's `groupable` fields (`field 'X' can not be grouped in a query
 *   call`), and date functions of dates and dateTimes;
 * - an item without alias is keyed by its field's name when it is a grouped field (also under
 *   toLabel() or FORMAT()), otherwise `expr0`, `expr1`... counting only those items.
 * Sources: developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/
 * sforce_api_calls_soql_select_groupby_alias.htm and ..._group_by_considerations.htm; the
 * messages as quoted in github.com/forcedotcom/cli/issues/1356 (not grouped, can not be
 * grouped) and RoseSilverSoftware/IlluminatedCloud issue 1824 (grouped and aggregated).
 */
import type { FieldType, SObjectDescribe } from '../model.ts';
import type {
  AggregateFunction,
  CallNode,
  ExpressionNode,
  QueryNode
} from '../../../../toolkit/src/soql/ast.ts';
import {
  cannotGroup,
  duplicateAlias,
  groupedAggregated,
  notAggregatable,
  notGrouped,
  unexpectedToken,
  unsupportedFunction
} from './errors.ts';
import { aggregatable, filterTypeName, groupable, type ValueKind } from './field-kinds.ts';
import type { FilterTarget, Resolver } from './resolve.ts';
import type {
  AggregateColumn,
  GroupOperand,
  ResolvedAggregate,
  ResolvedAggregation,
  ResolvedExpression
} from './resolved.ts';

const AGGREGATE_FUNCTIONS: ReadonlySet<string> = new Set<AggregateFunction>([
  'COUNT',
  'COUNT_DISTINCT',
  'SUM',
  'AVG',
  'MIN',
  'MAX'
]);

type AggregateCall = CallNode & { name: AggregateFunction };

function isAggregateCall(node: ExpressionNode): node is AggregateCall {
  return node.kind === 'call' && AGGREGATE_FUNCTIONS.has(node.name);
}

function containsAggregate(node: ExpressionNode): boolean {
  return node.kind === 'call' && (isAggregateCall(node) || node.args.some(containsAggregate));
}

/** A GROUP BY, or an aggregate function in the SELECT list (also inside FORMAT()). */
export function isAggregateQuery(node: QueryNode): boolean {
  return (
    node.groupBy !== undefined ||
    node.select.some((item) => item.kind === 'expression' && containsAggregate(item.expression))
  );
}

export function resolveAggregation(
  resolver: Resolver,
  node: QueryNode,
  object: SObjectDescribe
): ResolvedAggregation {
  return new AggregationResolver(resolver, node, object).resolve();
}

class AggregationResolver {
  private readonly keys: ResolvedExpression[] = [];
  private readonly aggregates: ResolvedAggregate[] = [];
  private unnamed = 0;

  constructor(
    private readonly resolver: Resolver,
    private readonly node: QueryNode,
    private readonly object: SObjectDescribe
  ) {}

  private get query(): string {
    return this.resolver.query;
  }

  resolve(): ResolvedAggregation {
    for (const expression of this.node.groupBy?.expressions ?? []) {
      const key = this.expression(expression);
      if (!key.fn && !groupable(key.path.field)) {
        throw cannotGroup(this.query, expression.offset, key.path.field.name);
      }
      this.keys.push(key);
    }
    const columns = this.columns();
    const aggregation: ResolvedAggregation = {
      mode: this.node.groupBy?.mode ?? 'PLAIN',
      keys: this.keys,
      aggregates: this.aggregates,
      columns,
      orderBy: this.node.orderBy.map((item) => ({
        operand: this.operand(item.expression, 'Ordered field'),
        descending: item.descending,
        nullsFirst: item.nulls !== 'LAST'
      }))
    };
    if (this.node.having) {
      aggregation.having = this.resolver.resolveCondition(this.node.having, (expression) =>
        this.filterTarget(expression)
      );
    }
    return aggregation;
  }

  private expression(node: ExpressionNode): ResolvedExpression {
    return this.resolver.resolveExpression(node, this.object, this.node.from.alias, 'group');
  }

  private columns(): AggregateColumn[] {
    const columns: AggregateColumn[] = [];
    const names = new Set<string>();
    for (const item of this.node.select) {
      if (item.kind !== 'expression') {
        throw unsupportedFunction(
          this.query,
          item.offset,
          'Aggregate queries select only grouped fields and aggregate functions'
        );
      }
      const column = this.column(item.expression, item.alias?.name);
      if (item.alias) {
        if (names.has(item.alias.name.toLowerCase())) {
          throw duplicateAlias(this.query, item.alias.offset, item.alias.name);
        }
        names.add(item.alias.name.toLowerCase());
      }
      columns.push(column);
    }
    return columns;
  }

  /** One SELECT item: named by its alias, its grouped field, or the next `exprN`. */
  private column(node: ExpressionNode, alias: string | undefined): AggregateColumn {
    const generated = (): string => alias ?? `expr${this.unnamed++}`;
    const display = node.text;
    if (node.kind === 'call' && (node.name === 'FORMAT' || node.name === 'TOLABEL')) {
      const [inner] = node.args;
      if (node.args.length !== 1 || !inner) {
        throw unsupportedFunction(this.query, node.offset, `${node.name}() takes one argument`);
      }
      const operand = this.operand(inner, 'Field');
      const key = operand.source === 'key' ? this.keys[operand.index] : undefined;
      const named = key !== undefined && !key.fn;
      const name = named ? (alias ?? key.path.field.name) : generated();
      if (node.name === 'FORMAT') {
        return { name, display, operand, transform: { fn: 'FORMAT', ...this.shownAs(operand) } };
      }
      if (!named) {
        throw unsupportedFunction(this.query, node.offset, 'toLabel() takes a grouped field');
      }
      return { name, display, operand, transform: { fn: 'TOLABEL', field: key.path.field } };
    }
    const operand = this.operand(node, 'Field');
    const key = operand.source === 'key' ? this.keys[operand.index] : undefined;
    if (key && !key.fn) return { name: alias ?? key.path.field.name, display, operand };
    return { name: generated(), display, operand };
  }

  /** The type (and decimal places) FORMAT() shows a group value as. */
  private shownAs(operand: GroupOperand): { type: FieldType; scale: number } {
    if (operand.source === 'aggregate') {
      const aggregate = this.aggregates[operand.index];
      const field = aggregate?.path?.field;
      const counts = aggregate?.fn === 'COUNT' || aggregate?.fn === 'COUNT_DISTINCT';
      return counts || !field
        ? { type: 'int', scale: 0 }
        : { type: field.type, scale: field.scale };
    }
    const key = operand.source === 'key' ? this.keys[operand.index] : undefined;
    if (key && !key.fn) return { type: key.path.field.type, scale: key.path.field.scale };
    // Date functions give whole numbers (DAY_ONLY a date), as does GROUPING().
    return { type: key?.fn === 'DAY_ONLY' ? 'date' : 'int', scale: 0 };
  }

  /** What an item of SELECT, HAVING or ORDER BY reads from a group. */
  private operand(node: ExpressionNode, clause: 'Field' | 'Ordered field'): GroupOperand {
    if (isAggregateCall(node)) return this.aggregate(node);
    if (node.kind === 'call' && node.name === 'GROUPING') {
      const [argument] = node.args;
      const index = argument ? this.keyIndex(this.expression(argument)) : -1;
      if (index < 0) {
        throw unsupportedFunction(this.query, node.offset, 'GROUPING() takes a grouped field');
      }
      return { source: 'grouping', index, kind: 'number' };
    }
    const expression = this.expression(node);
    const index = this.keyIndex(expression);
    if (index < 0) throw notGrouped(this.query, node.offset, expression.path.name, clause);
    return { source: 'key', index, kind: expression.kind };
  }

  private keyIndex(expression: ResolvedExpression): number {
    const key = expression.key.toLowerCase();
    return this.keys.findIndex((candidate) => candidate.key.toLowerCase() === key);
  }

  /** An aggregate function, computed once however many clauses use it. */
  private aggregate(node: AggregateCall): GroupOperand {
    const fn = node.name;
    const [argument] = node.args;
    if (!argument) {
      if (fn !== 'COUNT') {
        throw unexpectedToken(this.query, node.offset + node.text.length - 1, ')');
      }
      return this.register({ fn, key: 'COUNT()' }, 'number');
    }
    if (node.args.length !== 1 || argument.kind !== 'path') {
      throw unsupportedFunction(this.query, node.offset, `${fn}() takes one field`);
    }
    const path = this.resolver.resolvePath(argument, this.object, this.node.from.alias);
    const grouped = this.keys.some(
      (key) => !key.fn && key.key.toLowerCase() === path.name.toLowerCase()
    );
    if (grouped) throw groupedAggregated(this.query, argument.offset, path.field.name);
    const numeric = fn === 'SUM' || fn === 'AVG';
    if (!aggregatable(path.field) || (numeric && path.kind !== 'number')) {
      throw notAggregatable(this.query, argument.offset, path.field.name, fn);
    }
    const kind = fn === 'MIN' || fn === 'MAX' ? path.kind : 'number';
    return this.register({ fn, path, key: `${fn}(${path.name})` }, kind);
  }

  private register(aggregate: ResolvedAggregate, kind: ValueKind): GroupOperand {
    let index = this.aggregates.findIndex((known) => known.key === aggregate.key);
    if (index < 0) index = this.aggregates.push(aggregate) - 1;
    return { source: 'aggregate', index, kind };
  }

  /** HAVING's left side: a group value, with the type its literals must have. */
  private filterTarget(node: ExpressionNode): FilterTarget<GroupOperand> {
    const operand = this.operand(node, 'Field');
    const key = operand.source === 'key' ? this.keys[operand.index] : undefined;
    const aggregate = operand.source === 'aggregate' ? this.aggregates[operand.index] : undefined;
    const field = key?.path.field ?? aggregate?.path?.field;
    const typeName =
      key && !key.fn && field
        ? filterTypeName(field)
        : operand.kind === 'number'
          ? 'double'
          : operand.kind;
    return { operand, name: field?.name ?? node.text, typeName };
  }
}
