/**
 * Resolves a parsed query against the schema: object and field names to their describes
 * (case-insensitively, output under the canonical API names), relationship paths through
 * reference fields, and every filter literal checked and normalised for its field's type. All
 * of Salesforce's schema errors are raised here, with the caret at the offending name or value.
 */
import type { FieldDescribe, Schema, SObjectDescribe } from '../model.ts';
import type { SalesforceApiError } from '../model.ts';
import { normalizeId } from '../ids.ts';
import type {
  AggregateFunction,
  ComparisonOperator,
  ConditionNode,
  FieldPathNode,
  LiteralNode,
  QueryNode
} from './ast.ts';
import { dayNumber } from './date-literals.ts';
import {
  duplicateField,
  errorAt,
  invalidIdLiteral,
  invalidOperator,
  malformedQuery,
  noSuchColumn,
  notQueryable,
  offsetTooLarge,
  unknownObject,
  unknownRelationship,
  wrongLiteralType
} from './errors.ts';
import { filterTypeName, kindOf, type ValueKind } from './field-kinds.ts';

/** Salesforce caps OFFSET at 2,000 rows. */
export const MAX_OFFSET = 2000;
/** FIELDS(ALL) and FIELDS(CUSTOM) need a LIMIT of at most 200. */
const MAX_FIELDS_LIMIT = 200;

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

export type ResolvedValue =
  | { kind: 'null' }
  /** Normalised for the field: 18-char id, day number (date), epoch ms (datetime)... */
  | { kind: 'scalar'; value: string | number | boolean }
  | { kind: 'dateLiteral'; name: string; n?: number }
  | { kind: 'pattern'; regex: RegExp };

export type ResolvedCondition =
  | { kind: 'and' | 'or'; operands: ResolvedCondition[] }
  | { kind: 'not'; operand: ResolvedCondition }
  | { kind: 'compare'; path: ResolvedPath; operator: ComparisonOperator; value: ResolvedValue }
  | { kind: 'in'; path: ResolvedPath; negated: boolean; values: ResolvedValue[] }
  | { kind: 'inQuery'; path: ResolvedPath; negated: boolean; query: ResolvedQuery }
  | { kind: 'includes'; path: ResolvedPath; excludes: boolean; values: string[][] };

export interface ResolvedAggregate {
  fn: AggregateFunction;
  path?: ResolvedPath;
  /** Output key: the alias, or `expr0`, `expr1`... */
  key: string;
}

export interface ResolvedOrder {
  path: ResolvedPath;
  descending: boolean;
  nullsFirst: boolean;
}

export interface ResolvedQuery {
  object: SObjectDescribe;
  /** Selected fields in SELECT order (empty for aggregate queries). */
  fields: ResolvedPath[];
  aggregates: ResolvedAggregate[];
  /** `SELECT COUNT() FROM ...`: only a count, no rows. */
  countOnly: boolean;
  where?: ResolvedCondition;
  orderBy: ResolvedOrder[];
  limit?: number;
  offset?: number;
}

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

class Resolver {
  constructor(
    private readonly schema: Schema,
    private readonly query: string
  ) {}

  resolve(node: QueryNode): ResolvedQuery {
    const object = this.schema.getObject(node.from.name);
    if (!object) throw unknownObject(this.query, node.from.offset, node.from.name);
    if (!object.queryable) throw notQueryable(object.name);
    const alias = node.from.alias;

    if (node.groupBy) {
      throw malformedQuery(
        this.query,
        node.groupBy.offset,
        'GROUP BY is not supported by the Salesforce emulator'
      );
    }
    if (node.offset && node.offset.value > MAX_OFFSET) throw offsetTooLarge(MAX_OFFSET);

    const fields: ResolvedPath[] = [];
    const aggregates: ResolvedAggregate[] = [];
    const seen = new Set<string>();
    let countOnly = false;
    let firstFieldOffset: number | undefined;
    let unnamed = 0;

    const addField = (path: ResolvedPath): void => {
      const key = path.name.toLowerCase();
      if (seen.has(key)) throw duplicateField(path.name);
      seen.add(key);
      fields.push(path);
    };

    for (const item of node.select) {
      switch (item.kind) {
        case 'field':
          firstFieldOffset ??= item.path.offset;
          addField(this.resolvePath(item.path, object, alias));
          break;
        case 'fields': {
          firstFieldOffset ??= item.offset;
          if (item.scope !== 'STANDARD' && (!node.limit || node.limit.value > MAX_FIELDS_LIMIT)) {
            throw malformedQuery(
              this.query,
              item.offset,
              `The SOQL FIELDS function must have a LIMIT of at most ${MAX_FIELDS_LIMIT}`
            );
          }
          for (const field of object.fields) {
            if (item.scope === 'STANDARD' && field.custom) continue;
            if (item.scope === 'CUSTOM' && !field.custom) continue;
            addField({ name: field.name, hops: [], field, kind: kindOf(field.type) });
          }
          break;
        }
        case 'aggregate':
          if (!item.argument) {
            if (node.select.length > 1) {
              throw malformedQuery(
                this.query,
                item.offset,
                'COUNT() must be the only element in the SELECT list'
              );
            }
            countOnly = true;
            break;
          }
          aggregates.push({
            fn: item.fn,
            path: this.resolvePath(item.argument, object, alias),
            key: item.alias ?? `expr${unnamed++}`
          });
          break;
        case 'subquery':
          throw malformedQuery(
            this.query,
            item.offset,
            'Parent-to-child relationship subqueries are not supported by the Salesforce emulator'
          );
        case 'typeof':
          throw malformedQuery(
            this.query,
            item.offset,
            'TYPEOF is not supported by the Salesforce emulator'
          );
      }
    }
    if (aggregates.length > 0 && fields.length > 0) {
      throw malformedQuery(
        this.query,
        firstFieldOffset ?? node.start,
        `Field must be grouped or aggregated: ${fields[0]?.field.name ?? ''}`
      );
    }

    const resolved: ResolvedQuery = { object, fields, aggregates, countOnly, orderBy: [] };
    if (node.where) resolved.where = this.resolveCondition(node.where, object, alias);
    for (const item of node.orderBy) {
      resolved.orderBy.push({
        path: this.resolvePath(item.path, object, alias),
        descending: item.descending,
        // Salesforce sorts nulls first unless told otherwise, whatever the direction.
        nullsFirst: item.nulls !== 'LAST'
      });
    }
    if (node.limit) resolved.limit = node.limit.value;
    if (node.offset) resolved.offset = node.offset.value;
    return resolved;
  }

  resolvePath(node: FieldPathNode, base: SObjectDescribe, alias?: string): ResolvedPath {
    let segments = node.segments;
    const first = segments[0]?.toLowerCase();
    // `Account.Name FROM Account` and `a.Name FROM Account a` name the queried object itself.
    if (
      segments.length > 1 &&
      (first === alias?.toLowerCase() ||
        (first === base.name.toLowerCase() &&
          !this.schema.getRelationship(base, segments[0] ?? '')))
    ) {
      segments = segments.slice(1);
    }
    return this.walk(node, base, segments, [], []);
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

  private resolveCondition(
    node: ConditionNode,
    object: SObjectDescribe,
    alias?: string
  ): ResolvedCondition {
    switch (node.kind) {
      case 'and':
      case 'or':
        return {
          kind: node.kind,
          operands: node.operands.map((operand) => this.resolveCondition(operand, object, alias))
        };
      case 'not':
        return { kind: 'not', operand: this.resolveCondition(node.operand, object, alias) };
      case 'compare': {
        const path = this.resolveFilterable(node.field, object, alias);
        if (node.operator === 'LIKE') {
          if (path.kind === 'id') {
            throw invalidOperator(this.query, node.operatorOffset, 'invalid operator on id field');
          }
          if (path.kind !== 'string' && path.kind !== 'multipicklist' && path.kind !== 'time') {
            throw invalidOperator(
              this.query,
              node.operatorOffset,
              `invalid operator on ${filterTypeName(path.field)} field`
            );
          }
          if (node.value.kind === 'null') {
            return { kind: 'compare', path, operator: 'LIKE', value: { kind: 'null' } };
          }
          if (!isString(node.value)) {
            throw wrongLiteralType(this.query, node.value.offset, path.field.name, 'string', true);
          }
          return {
            kind: 'compare',
            path,
            operator: 'LIKE',
            value: { kind: 'pattern', regex: likeToRegExp(node.value.value) }
          };
        }
        return {
          kind: 'compare',
          path,
          operator: node.operator,
          value: this.resolveLiteral(node.value, path)
        };
      }
      case 'in': {
        const path = this.resolveFilterable(node.field, object, alias);
        return {
          kind: 'in',
          path,
          negated: node.negated,
          values: node.values.map((value) => this.resolveLiteral(value, path))
        };
      }
      case 'inQuery': {
        const path = this.resolveFilterable(node.field, object, alias);
        const inner = this.resolve(node.query);
        if (inner.fields.length !== 1 || inner.aggregates.length > 0 || inner.countOnly) {
          throw malformedQuery(
            this.query,
            node.query.start,
            'Semi join sub-selects can only select one field'
          );
        }
        return { kind: 'inQuery', path, negated: node.negated, query: inner };
      }
      case 'includes': {
        const path = this.resolveFilterable(node.field, object, alias);
        if (path.kind !== 'multipicklist') {
          throw invalidOperator(
            this.query,
            node.offset,
            `includes or excludes operator only valid on multipicklist field`
          );
        }
        const values = node.values.map((value) => {
          if (!isString(value)) {
            throw wrongLiteralType(this.query, value.offset, path.field.name, 'string', true);
          }
          return value.value
            .split(';')
            .map((part) => part.trim().toLowerCase())
            .filter(Boolean);
        });
        return { kind: 'includes', path, excludes: node.excludes, values };
      }
    }
  }

  private resolveFilterable(
    node: FieldPathNode,
    object: SObjectDescribe,
    alias?: string
  ): ResolvedPath {
    const path = this.resolvePath(node, object, alias);
    if (path.kind === 'compound') {
      throw errorAt(
        'INVALID_FIELD',
        this.query,
        node.offset,
        `field '${path.field.name}' can not be filtered in a query call`
      );
    }
    return path;
  }

  /** Checks a literal against the field's type and normalises it for comparison. */
  private resolveLiteral(literal: LiteralNode, path: ResolvedPath): ResolvedValue {
    if (literal.kind === 'null') return { kind: 'null' };
    const field = path.field;
    const wrong = (quotedExpected: boolean): SalesforceApiError =>
      wrongLiteralType(
        this.query,
        literal.offset,
        field.name,
        filterTypeName(field),
        quotedExpected
      );
    switch (path.kind) {
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
