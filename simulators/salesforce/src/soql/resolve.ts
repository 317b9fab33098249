/**
 * Resolves a parsed query against the schema: object and field names to their describes
 * (case-insensitively, output under the canonical API names), relationship paths through
 * reference fields, functions to what they compute, and every filter literal checked and
 * normalised for what it is compared with. All of Salesforce's schema errors are raised here,
 * with the caret at the offending name or value. Aggregate queries (aggregate functions or
 * GROUP BY) are resolved by resolve-aggregate.ts on the primitives this module exposes.
 */
import type { Schema, SObjectDescribe } from '../model.ts';
import type { SalesforceApiError } from '../model.ts';
import { normalizeId } from '../ids.ts';
import type {
  CallNode,
  ConditionNode,
  ExpressionNode,
  FieldPathNode,
  LiteralNode,
  QueryNode,
  SelectItem,
  TypeofNode
} from '../../../../toolkit/src/soql/ast.ts';
import { appliesTo, dateFunctionKind, isDateFunction } from './date-functions.ts';
import { dayNumber } from './date-literals.ts';
import {
  aliasNotAllowed,
  duplicateField,
  errorAt,
  invalidIdLiteral,
  invalidOperator,
  malformedQuery,
  noSuchColumn,
  notQueryable,
  offsetTooLarge,
  unknownChildRelationship,
  unknownObject,
  unknownRelationship,
  unsupportedFunction,
  wrongLiteralType
} from './errors.ts';
import { filterTypeName, kindOf } from './field-kinds.ts';
import { isAggregateQuery, resolveAggregation } from './resolve-aggregate.ts';
import type {
  Hop,
  Operand,
  ResolvedCondition,
  ResolvedExpression,
  ResolvedPath,
  ResolvedQuery,
  ResolvedSelectItem,
  ResolvedValue
} from './resolved.ts';

/** Salesforce caps OFFSET at 2,000 rows. */
export const MAX_OFFSET = 2000;
/** FIELDS(ALL) and FIELDS(CUSTOM) need a LIMIT of at most 200. */
const MAX_FIELDS_LIMIT = 200;

/** What a filter's left side is, for checking and normalising the literals it meets. */
export interface FilterTarget<O extends Operand> {
  operand: O;
  /** The name the error messages give (the field's). */
  name: string;
  /** The type the messages name (`string`, `dateTime`, `int`...). */
  typeName: string;
}

/** Where an expression stands: what each clause lets a function do. */
export type Clause = 'select' | 'where' | 'group' | 'order';

function isString(literal: LiteralNode): literal is Extract<LiteralNode, { kind: 'string' }> {
  return literal.kind === 'string';
}

/** SOQL LIKE: `%` any run, `_` one character, `\%` / `\_` literal; case-insensitive, whole value. */
export function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charAt(i);
    const next = pattern.charAt(i + 1);
    if (char === '\\' && (next === '%' || next === '_')) {
      source += next;
      i++;
    } else if (char === '%') {
      source += '.*';
    } else if (char === '_') {
      source += '.';
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'is');
}

function dateDay(text: string): number {
  return dayNumber(
    Number(text.slice(0, 4)),
    Number(text.slice(5, 7)) - 1,
    Number(text.slice(8, 10))
  );
}

export class Resolver {
  constructor(
    readonly schema: Schema,
    readonly query: string
  ) {}

  resolve(node: QueryNode): ResolvedQuery {
    const object = this.schema.getObject(node.from.name);
    if (!object) throw unknownObject(this.query, node.from.offset, node.from.name);
    return this.resolveOn(node, object);
  }

  /** `node` over `object` (the FROM object, or a sub-query's child object). */
  private resolveOn(node: QueryNode, object: SObjectDescribe): ResolvedQuery {
    if (!object.queryable) throw notQueryable(object.name);
    if (node.offset && node.offset.value > MAX_OFFSET) throw offsetTooLarge(MAX_OFFSET);
    const alias = node.from.alias;
    const resolved: ResolvedQuery = { object, select: [], countOnly: false, orderBy: [] };
    if (node.limit) resolved.limit = node.limit.value;
    if (node.offset) resolved.offset = node.offset.value;
    // After the SELECT list: an error in it is the one reported, as it comes first in the text.
    const where = (): void => {
      if (node.where) resolved.where = this.resolveWhere(node.where, object, alias);
    };

    const count = node.select.find(
      (item) =>
        item.kind === 'expression' &&
        item.expression.kind === 'call' &&
        item.expression.name === 'COUNT' &&
        item.expression.args.length === 0
    );
    if (count?.kind === 'expression') {
      if (node.groupBy) {
        throw unsupportedFunction(
          this.query,
          count.expression.offset,
          "COUNT() can't be used with GROUP BY: use COUNT(fieldName)"
        );
      }
      if (node.select.length > 1) {
        throw malformedQuery(
          this.query,
          count.expression.offset,
          'COUNT() must be the only element in the SELECT list'
        );
      }
      resolved.countOnly = true;
      where();
      return resolved;
    }
    if (isAggregateQuery(node)) {
      resolved.aggregation = resolveAggregation(this, node, object);
      where();
      return resolved;
    }
    resolved.select = this.resolveSelect(node, object);
    where();
    for (const item of node.orderBy) {
      resolved.orderBy.push({
        operand: this.resolveExpression(item.expression, object, alias, 'order'),
        descending: item.descending,
        // Salesforce sorts nulls first unless told otherwise, whatever the direction.
        nullsFirst: item.nulls !== 'LAST'
      });
    }
    return resolved;
  }

  /** A record query's SELECT list. */
  private resolveSelect(node: QueryNode, object: SObjectDescribe): ResolvedSelectItem[] {
    const alias = node.from.alias;
    const items: ResolvedSelectItem[] = [];
    const seen = new Set<string>();
    const add = (item: ResolvedSelectItem, key: string): void => {
      if (seen.has(key.toLowerCase())) throw duplicateField(key);
      seen.add(key.toLowerCase());
      items.push(item);
    };
    for (const item of node.select) {
      switch (item.kind) {
        case 'expression': {
          const expression = this.resolveExpression(item.expression, object, alias, 'select');
          if (!item.alias) {
            add({ kind: 'column', expression }, expression.path.name);
          } else if (expression.fn === undefined) {
            throw aliasNotAllowed(this.query, item.alias.offset);
          } else {
            add({ kind: 'column', expression, alias: item.alias.name }, item.alias.name);
          }
          break;
        }
        case 'fields':
          for (const path of this.fieldsOf(item, object, node.limit?.value)) {
            add({ kind: 'column', expression: plain(path) }, path.name);
          }
          break;
        case 'subquery': {
          const children = this.resolveChildren(item.query, object);
          add(children, children.relationshipName);
          break;
        }
        case 'typeof': {
          const typeOf = this.resolveTypeof(item, object, alias);
          add(typeOf, typeOf.relationshipName);
          break;
        }
      }
    }
    return items;
  }

  /** The fields FIELDS(ALL | STANDARD | CUSTOM) stands for. */
  private fieldsOf(
    item: Extract<SelectItem, { kind: 'fields' }>,
    object: SObjectDescribe,
    limit: number | undefined
  ): ResolvedPath[] {
    if (item.scope !== 'STANDARD' && (limit === undefined || limit > MAX_FIELDS_LIMIT)) {
      throw malformedQuery(
        this.query,
        item.offset,
        `The SOQL FIELDS function must have a LIMIT of at most ${MAX_FIELDS_LIMIT}`
      );
    }
    return object.fields
      .filter((field) => (item.scope === 'STANDARD' ? !field.custom : true))
      .filter((field) => (item.scope === 'CUSTOM' ? field.custom : true))
      .map((field) => ({ name: field.name, hops: [], field, kind: kindOf(field.type) }));
  }

  /** `(SELECT ... FROM Contacts)`: the child relationship and the query over its object. */
  private resolveChildren(
    node: QueryNode,
    parent: SObjectDescribe
  ): Extract<ResolvedSelectItem, { kind: 'children' }> {
    const wanted = node.from.name.toLowerCase();
    const relationship = this.schema
      .childRelationships(parent)
      .find((candidate) => candidate.relationshipName?.toLowerCase() === wanted);
    if (!relationship?.relationshipName) {
      throw unknownChildRelationship(this.query, node.from.offset, node.from.name);
    }
    const query = this.resolveOn(node, relationship.childObject);
    if (query.countOnly || query.aggregation) {
      throw unsupportedFunction(
        this.query,
        node.start,
        'Aggregate functions are not supported in parent-to-child relationship sub-queries'
      );
    }
    return {
      kind: 'children',
      relationshipName: relationship.relationshipName,
      referenceField: relationship.field,
      query
    };
  }

  /**
   * TYPEOF: the WHEN branches' fields resolved on their types; ELSE's on each other type the
   * reference can point at (a field ELSE names must exist on all of them).
   */
  private resolveTypeof(
    node: TypeofNode,
    object: SObjectDescribe,
    alias: string | undefined
  ): Extract<ResolvedSelectItem, { kind: 'typeof' }> {
    const segments = this.withoutSelf(node.path.segments, object, alias);
    const hops = this.walkRelationships(node.path, object, segments.slice(0, -1));
    const owner = hops[hops.length - 1]?.target ?? object;
    const last = segments[segments.length - 1] ?? '';
    const referenceField = this.schema.getRelationship(owner, last);
    if (!referenceField) throw unknownRelationship(this.query, node.path.offset, last);
    const branches = new Map<string, ResolvedPath[]>();
    for (const branch of node.branches) {
      const type = this.schema.getObject(branch.type);
      if (!type) throw unknownObject(this.query, branch.typeOffset, branch.type);
      branches.set(
        type.name,
        branch.fields.map((field) => this.resolvePath(field, type))
      );
    }
    if (node.otherwise.length > 0) {
      for (const name of referenceField.referenceTo) {
        const type = this.schema.getObject(name);
        if (!type || branches.has(type.name)) continue;
        branches.set(
          type.name,
          node.otherwise.map((field) => this.resolvePath(field, type))
        );
      }
    }
    return {
      kind: 'typeof',
      hops,
      referenceField,
      relationshipName: referenceField.relationshipName ?? last,
      branches
    };
  }

  /** `Account.Name FROM Account` and `a.Name FROM Account a` name the queried object itself. */
  private withoutSelf(segments: string[], base: SObjectDescribe, alias?: string): string[] {
    const first = segments[0]?.toLowerCase();
    if (
      segments.length > 1 &&
      (first === alias?.toLowerCase() ||
        (first === base.name.toLowerCase() &&
          !this.schema.getRelationship(base, segments[0] ?? '')))
    ) {
      return segments.slice(1);
    }
    return segments;
  }

  resolvePath(node: FieldPathNode, base: SObjectDescribe, alias?: string): ResolvedPath {
    return this.walk(node, base, this.withoutSelf(node.segments, base, alias), [], []);
  }

  /** The hops of a path made only of (single-target) parent relationships. */
  private walkRelationships(
    node: FieldPathNode,
    object: SObjectDescribe,
    segments: string[]
  ): Hop[] {
    const hops: Hop[] = [];
    let current = object;
    for (const segment of segments) {
      const reference = this.schema.getRelationship(current, segment);
      const target = this.schema.getObject(reference?.referenceTo[0] ?? '');
      if (!reference || !target) throw unknownRelationship(this.query, node.offset, segment);
      hops.push({
        referenceField: reference,
        relationshipName: reference.relationshipName ?? segment,
        target
      });
      current = target;
    }
    return hops;
  }

  /**
   * Follows `segments` from `object`. A polymorphic reference (Owner: Group or User) is tried
   * against each of its target objects in turn; the path resolves through the first that has
   * the rest of it (Salesforce resolves such paths against its common "Name" entity).
   */
  private walk(
    node: FieldPathNode,
    object: SObjectDescribe,
    segments: string[],
    hops: Hop[],
    names: string[]
  ): ResolvedPath {
    const [segment = '', ...rest] = segments;
    if (rest.length === 0) {
      const field = this.schema.getField(object, segment);
      if (!field) throw noSuchColumn(this.query, node.offset, segment, object.name);
      return {
        name: [...names, field.name].join('.'),
        hops,
        field,
        kind: kindOf(field.type)
      };
    }
    const reference = this.schema.getRelationship(object, segment);
    const targets = (reference?.referenceTo ?? [])
      .map((name) => this.schema.getObject(name))
      .filter((target): target is SObjectDescribe => target !== undefined);
    if (!reference || targets.length === 0) {
      throw unknownRelationship(this.query, node.offset, segment);
    }
    const relationshipName = reference.relationshipName ?? segment;
    let firstError: unknown;
    for (const target of targets) {
      try {
        const hop = { referenceField: reference, relationshipName, target };
        return this.walk(node, target, rest, [...hops, hop], [...names, relationshipName]);
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError;
  }

  /**
   * A field, or a function of one: a date function (`CALENDAR_YEAR(CreatedDate)`, also around
   * `convertTimezone()`), `toLabel()` (SELECT and WHERE) or `FORMAT()` (SELECT only).
   */
  resolveExpression(
    node: ExpressionNode,
    object: SObjectDescribe,
    alias: string | undefined,
    clause: Clause
  ): ResolvedExpression {
    if (node.kind === 'path') return plain(this.resolvePath(node, object, alias));
    const path = this.functionArgument(node, object, alias);
    if (isDateFunction(node.name)) {
      if (clause === 'select') {
        throw unsupportedFunction(
          this.query,
          node.offset,
          `${node.name}() selects a group: use it in GROUP BY and in an aggregate query`
        );
      }
      if (!appliesTo(node.name, path.field.type)) {
        throw unsupportedFunction(
          this.query,
          node.offset,
          `${node.name}() cannot be applied to field ${path.field.name} of type ${path.field.type}`
        );
      }
      return {
        path,
        fn: node.name,
        kind: dateFunctionKind(node.name),
        key: `${node.name}(${path.name})`
      };
    }
    if (node.name === 'TOLABEL' && (clause === 'select' || clause === 'where')) {
      const kind = path.kind === 'multipicklist' ? 'multipicklist' : 'string';
      return { path, fn: 'TOLABEL', kind, key: path.name };
    }
    if (node.name === 'FORMAT' && clause === 'select') {
      return { path, fn: 'FORMAT', kind: 'string', key: path.name };
    }
    throw unsupportedFunction(
      this.query,
      node.offset,
      `${node.text} is not supported here by the Salesforce emulator's SOQL engine`
    );
  }

  /** The one field a scalar function takes (a date function also takes convertTimezone(f)). */
  functionArgument(node: CallNode, object: SObjectDescribe, alias?: string): ResolvedPath {
    let [argument] = node.args;
    if (
      argument?.kind === 'call' &&
      argument.name === 'CONVERTTIMEZONE' &&
      isDateFunction(node.name)
    ) {
      [argument] = argument.args;
    }
    if (node.args.length !== 1 || argument?.kind !== 'path') {
      throw unsupportedFunction(
        this.query,
        node.offset,
        `${node.text}: ${node.name}() takes one field`
      );
    }
    return this.resolvePath(argument, object, alias);
  }

  private resolveWhere(
    node: ConditionNode,
    object: SObjectDescribe,
    alias: string | undefined
  ): ResolvedCondition {
    return this.resolveCondition(node, (expression) => {
      const resolved = this.resolveExpression(expression, object, alias, 'where');
      if (resolved.kind === 'compound') {
        throw errorAt(
          'INVALID_FIELD',
          this.query,
          expression.offset,
          `field '${resolved.path.field.name}' can not be filtered in a query call`
        );
      }
      const typeName = resolved.fn
        ? resolved.kind === 'number'
          ? 'int'
          : resolved.kind
        : filterTypeName(resolved.path.field);
      return { operand: resolved, name: resolved.path.field.name, typeName };
    });
  }

  /** A WHERE or HAVING condition; `left` resolves what each comparison reads. */
  resolveCondition<O extends Operand>(
    node: ConditionNode,
    left: (expression: ExpressionNode) => FilterTarget<O>
  ): ResolvedCondition<O> {
    switch (node.kind) {
      case 'and':
      case 'or':
        return {
          kind: node.kind,
          operands: node.operands.map((operand) => this.resolveCondition(operand, left))
        };
      case 'not':
        return { kind: 'not', operand: this.resolveCondition(node.operand, left) };
      case 'compare': {
        const target = left(node.left);
        if (node.operator !== 'LIKE') {
          return {
            kind: 'compare',
            left: target.operand,
            operator: node.operator,
            value: this.resolveLiteral(node.value, target)
          };
        }
        const kind = target.operand.kind;
        if (kind === 'id') {
          throw invalidOperator(this.query, node.operatorOffset, 'invalid operator on id field');
        }
        if (kind !== 'string' && kind !== 'multipicklist' && kind !== 'time') {
          throw invalidOperator(
            this.query,
            node.operatorOffset,
            `invalid operator on ${target.typeName} field`
          );
        }
        if (node.value.kind === 'null') {
          return {
            kind: 'compare',
            left: target.operand,
            operator: 'LIKE',
            value: { kind: 'null' }
          };
        }
        if (!isString(node.value)) {
          throw wrongLiteralType(this.query, node.value.offset, target.name, 'string', true);
        }
        return {
          kind: 'compare',
          left: target.operand,
          operator: 'LIKE',
          value: { kind: 'pattern', regex: likeToRegExp(node.value.value) }
        };
      }
      case 'in': {
        const target = left(node.left);
        return {
          kind: 'in',
          left: target.operand,
          negated: node.negated,
          values: node.values.map((value) => this.resolveLiteral(value, target))
        };
      }
      case 'inQuery': {
        const target = left(node.left);
        const inner = this.resolve(node.query);
        const [only] = inner.select;
        if (inner.select.length !== 1 || only?.kind !== 'column' || only.expression.fn) {
          throw malformedQuery(
            this.query,
            node.query.start,
            'Semi join sub-selects can only select one field'
          );
        }
        return { kind: 'inQuery', left: target.operand, negated: node.negated, query: inner };
      }
      case 'includes': {
        const target = left(node.left);
        if (target.operand.kind !== 'multipicklist') {
          throw invalidOperator(
            this.query,
            node.offset,
            `includes or excludes operator only valid on multipicklist field`
          );
        }
        const values = node.values.map((value) => {
          if (!isString(value)) {
            throw wrongLiteralType(this.query, value.offset, target.name, 'string', true);
          }
          return value.value
            .split(';')
            .map((part) => part.trim().toLowerCase())
            .filter(Boolean);
        });
        return { kind: 'includes', left: target.operand, excludes: node.excludes, values };
      }
    }
  }

  /** Checks a literal against what it is compared with and normalises it for comparison. */
  private resolveLiteral<O extends Operand>(
    literal: LiteralNode,
    target: FilterTarget<O>
  ): ResolvedValue {
    if (literal.kind === 'null') return { kind: 'null' };
    const wrong = (quotedExpected: boolean): SalesforceApiError =>
      wrongLiteralType(this.query, literal.offset, target.name, target.typeName, quotedExpected);
    switch (target.operand.kind) {
      case 'string':
      case 'time':
      case 'multipicklist':
        if (!isString(literal)) throw wrong(true);
        return { kind: 'scalar', value: literal.value };
      case 'id': {
        if (!isString(literal)) throw wrong(true);
        // An empty id filter means "no value", as Salesforce treats it.
        if (literal.value === '') return { kind: 'null' };
        const id = normalizeId(literal.value);
        if (!id) throw invalidIdLiteral(this.query, literal.offset, literal.value);
        return { kind: 'scalar', value: id };
      }
      case 'number':
        if (literal.kind !== 'number') throw wrong(false);
        return { kind: 'scalar', value: literal.value };
      case 'boolean':
        if (literal.kind !== 'boolean') throw wrong(false);
        return { kind: 'scalar', value: literal.value };
      case 'date':
        if (literal.kind === 'dateLiteral') return literalRange(literal);
        if (literal.kind !== 'date') throw wrong(false);
        return { kind: 'scalar', value: dateDay(literal.value) };
      case 'datetime':
        if (literal.kind === 'dateLiteral') return literalRange(literal);
        if (literal.kind !== 'datetime') throw wrong(false);
        return { kind: 'scalar', value: literal.epochMs };
      case 'compound':
        throw wrong(false);
    }
  }
}

/** A field read as it is stored. */
export function plain(path: ResolvedPath): ResolvedExpression {
  return { path, kind: path.kind, key: path.name };
}

function literalRange(literal: Extract<LiteralNode, { kind: 'dateLiteral' }>): ResolvedValue {
  const value: ResolvedValue = { kind: 'dateLiteral', name: literal.name };
  if (literal.n !== undefined) value.n = literal.n;
  return value;
}

/** Resolves a parsed statement; `query` is the original text (for the caret messages). */
export function resolveQuery(schema: Schema, query: string, node: QueryNode): ResolvedQuery {
  return new Resolver(schema, query).resolve(node);
}

/** Resolves one field path against an object (used by the Bulk checks). */
export function resolveFieldPath(
  schema: Schema,
  query: string,
  node: FieldPathNode,
  object: SObjectDescribe,
  alias?: string
): ResolvedPath {
  return new Resolver(schema, query).resolvePath(node, object, alias);
}
