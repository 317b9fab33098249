/**
 * Evaluating a resolved query against records: reading field paths (through parent
 * references) and the functions of them, filter predicates with SOQL's null semantics and
 * ORDER BY comparison. Filters and sorts are compiled over an operand reader, so the same code
 * filters records (WHERE) and groups (HAVING, see aggregate.ts).
 *
 * Null semantics, as Salesforce documents them: `= null` / `!= null` test for a missing value;
 * a boolean field is never null (`= null` matches false); `!=` and NOT match records whose
 * value is null (SOQL is two-valued, unlike SQL), while `<`, `>`, LIKE, IN and NOT IN never
 * match a null value; a path through a missing parent reads as null.
 */
import type { FieldDescribe, SfRecord, SObjectDescribe } from '../model.ts';
import { normalizeId } from '../ids.ts';
import { applyDateFunction } from './date-functions.ts';
import { dateLiteralRange, dayStartMs } from './date-literals.ts';
import { formatForDisplay, picklistLabel } from './display.ts';
import { ADDRESS_COMPONENTS, type ValueKind } from './field-kinds.ts';
import { MS_PER_DAY, toDay, toEpochMs } from './instants.ts';
import type {
  Operand,
  ResolvedCondition,
  ResolvedExpression,
  ResolvedOrder,
  ResolvedPath,
  ResolvedQuery,
  ResolvedValue,
  ScalarFunction
} from './resolved.ts';

export type ParentLookup = (
  id: string
) => { object: SObjectDescribe; record: SfRecord } | undefined;

export interface EvalContext {
  lookup: ParentLookup;
  /** The emulator clock's instant for this run (date literals are relative to it). */
  now: Date;
  /** The normalised values a semi-join sub-select yields (computed once per run). */
  semiJoin(query: ResolvedQuery, kind: ValueKind): Set<string | number | boolean>;
}

export type Predicate<T = SfRecord> = (item: T) => boolean;

/** How compiled filters and sorts read an operand's value from an item (record or group). */
export type OperandReader<T, O> = (operand: O) => (item: T) => unknown;

export type Comparable = string | number | boolean;

/** A compound address from its component fields (`BillingStreet`...), null when all are empty. */
function assembleAddress(record: SfRecord, field: FieldDescribe): unknown {
  const prefix = field.name.replace(/Address$/, '');
  const address: Record<string, unknown> = {};
  let any = false;
  for (const [key, suffix] of ADDRESS_COMPONENTS) {
    const value = record[prefix + suffix] ?? null;
    if (value !== null) any = true;
    address[key] = value;
  }
  return any ? address : null;
}

function assembleLocation(record: SfRecord, field: FieldDescribe): unknown {
  const prefix = field.custom ? field.name.replace(/__c$/, '__') : field.name;
  const suffix = field.custom ? '__s' : '';
  const latitude = record[`${prefix}Latitude${suffix}`] ?? null;
  const longitude = record[`${prefix}Longitude${suffix}`] ?? null;
  return latitude === null && longitude === null ? null : { latitude, longitude };
}

/** A field's value on a record as the API returns it (null when absent). */
export function fieldValue(record: SfRecord, field: FieldDescribe): unknown {
  const value = record[field.name];
  if (value !== undefined && value !== null) {
    return value instanceof Date ? value.toISOString().replace('Z', '+0000') : value;
  }
  if (field.type === 'address') return assembleAddress(record, field);
  if (field.type === 'location') return assembleLocation(record, field);
  return null;
}

/** The parent record a reference field points at, or undefined when empty or dangling. */
export function parentOf(
  record: SfRecord,
  referenceField: FieldDescribe,
  lookup: ParentLookup
): { object: SObjectDescribe; record: SfRecord } | undefined {
  const id = record[referenceField.name];
  if (typeof id !== 'string' || id === '') return undefined;
  return lookup(id);
}

/** The value at the end of a path; null when a parent on the way is missing. */
export function readPath(record: SfRecord, path: ResolvedPath, lookup: ParentLookup): unknown {
  let current = record;
  for (const hop of path.hops) {
    const parent = parentOf(current, hop.referenceField, lookup);
    if (!parent) return null;
    current = parent.record;
  }
  return fieldValue(current, path.field);
}

/** A function of a field's value (null stays null). */
export function applyFunction(fn: ScalarFunction, field: FieldDescribe, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (fn === 'TOLABEL') return picklistLabel(field, value);
  if (fn === 'FORMAT') return formatForDisplay(field.type, field.scale, value);
  const day = field.type === 'date' ? toDay(value) : null;
  const ms = day === null ? toEpochMs(value) : day * MS_PER_DAY;
  return ms === null ? null : applyDateFunction(fn, ms);
}

/** Reads an expression from records: a plain path costs no more than before functions. */
export function expressionReader(
  lookup: ParentLookup
): OperandReader<SfRecord, ResolvedExpression> {
  return ({ path, fn }) => {
    if (fn === undefined) return (record) => readPath(record, path, lookup);
    return (record) => applyFunction(fn, path.field, readPath(record, path, lookup));
  };
}

/**
 * A stored value in the form filters compare: folded upper-case text (SOQL string comparison is
 * case-insensitive), canonical 18-char ids, numbers, day numbers for dates, epoch ms for
 * datetimes. Null for a missing value (booleans: false).
 */
export function comparable(kind: ValueKind, value: unknown): Comparable | null {
  if (kind === 'boolean') return value === true || value === 'true';
  if (value === null || value === undefined || value === '') return null;
  switch (kind) {
    case 'id':
      return normalizeId(value) ?? String(value);
    case 'number': {
      const number = typeof value === 'number' ? value : Number(value);
      return Number.isNaN(number) ? null : number;
    }
    case 'date':
      return toDay(value);
    case 'datetime':
      return toEpochMs(value);
    default:
      return typeof value === 'string' ? value.toUpperCase() : String(value).toUpperCase();
  }
}

/** A literal in the same form as `comparable` (strings folded). */
function literalComparable(kind: ValueKind, value: string | number | boolean): Comparable {
  return typeof value === 'string' && kind !== 'id' ? value.toUpperCase() : value;
}

/** [low, highExclusive) of a date/datetime literal, in days (date) or epoch ms (datetime). */
function rangeOf(kind: ValueKind, value: ResolvedValue, now: Date): [number, number] | undefined {
  if (value.kind === 'dateLiteral') {
    const { firstDay, lastDay } = dateLiteralRange(value.name, value.n, now);
    return kind === 'date'
      ? [firstDay, lastDay + 1]
      : [dayStartMs(firstDay), dayStartMs(lastDay + 1)];
  }
  if (value.kind === 'scalar' && typeof value.value === 'number') {
    return [value.value, value.value + 1];
  }
  return undefined;
}

function compareRange(operator: string, x: number, [low, high]: [number, number]): boolean {
  switch (operator) {
    case '=':
      return x >= low && x < high;
    case '!=':
      return !(x >= low && x < high);
    case '<':
      return x < low;
    case '<=':
      return x < high;
    case '>':
      return x >= high;
    case '>=':
      return x >= low;
    default:
      return false;
  }
}

function compareValues(operator: string, a: Comparable, b: Comparable): boolean {
  switch (operator) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return false;
  }
}

function multipicklistSet(value: unknown): Set<string> {
  return new Set(
    String(value)
      .split(';')
      .map((part) => part.trim().toLowerCase())
      .filter(Boolean)
  );
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

/** Compiles a filter for one run (date literals fixed at `ctx.now`). */
export function compileCondition<T, O extends Operand>(
  condition: ResolvedCondition<O>,
  ctx: EvalContext,
  reader: OperandReader<T, O>
): Predicate<T> {
  switch (condition.kind) {
    case 'and': {
      const parts = condition.operands.map((operand) => compileCondition(operand, ctx, reader));
      return (item) => parts.every((part) => part(item));
    }
    case 'or': {
      const parts = condition.operands.map((operand) => compileCondition(operand, ctx, reader));
      return (item) => parts.some((part) => part(item));
    }
    case 'not': {
      const inner = compileCondition(condition.operand, ctx, reader);
      return (item) => !inner(item);
    }
    case 'compare':
      return compileComparison(condition, ctx, reader(condition.left));
    case 'in':
      return compileIn(condition, ctx, reader(condition.left));
    case 'inQuery': {
      const { left, negated } = condition;
      const read = reader(left);
      let values: Set<Comparable> | undefined;
      return (item) => {
        values ??= ctx.semiJoin(condition.query, left.kind);
        const value = comparable(left.kind, read(item));
        if (value === null) return false;
        return values.has(value) !== negated;
      };
    }
    case 'includes': {
      const { excludes, values } = condition;
      const read = reader(condition.left);
      return (item) => {
        const raw = read(item);
        if (raw === null || raw === '') return excludes;
        const selected = multipicklistSet(raw);
        const matches = values.some((group) => group.every((part) => selected.has(part)));
        return matches !== excludes;
      };
    }
  }
}

function compileComparison<T, O extends Operand>(
  condition: Extract<ResolvedCondition<O>, { kind: 'compare' }>,
  ctx: EvalContext,
  read: (item: T) => unknown
): Predicate<T> {
  const { left, operator, value } = condition;
  const kind = left.kind;

  if (value.kind === 'pattern') {
    const { regex } = value;
    return (item) => {
      const raw = read(item);
      return raw !== null && raw !== undefined && regex.test(String(raw));
    };
  }
  if (kind === 'boolean') {
    const expected = value.kind === 'scalar' ? value.value === true : false;
    return (item) => compareValues(operator, comparable(kind, read(item)) as boolean, expected);
  }
  if (value.kind === 'null') {
    if (operator === '=') return (item) => comparable(kind, read(item)) === null;
    if (operator === '!=') return (item) => comparable(kind, read(item)) !== null;
    return () => false;
  }
  if (kind === 'date' || kind === 'datetime') {
    const range = rangeOf(kind, value, ctx.now);
    if (!range) return () => false;
    return (item) => {
      const x = comparable(kind, read(item));
      if (x === null) return operator === '!=';
      return compareRange(operator, x as number, range);
    };
  }
  if (value.kind !== 'scalar') return () => false;
  if (kind === 'multipicklist' && (operator === '=' || operator === '!=')) {
    const expected = multipicklistSet(value.value);
    return (item) => {
      const raw = read(item);
      if (raw === null || raw === '') return operator === '!=';
      return sameSet(multipicklistSet(raw), expected) === (operator === '=');
    };
  }
  const expected = literalComparable(kind, value.value);
  return (item) => {
    const x = comparable(kind, read(item));
    if (x === null) return operator === '!=';
    return compareValues(operator, x, expected);
  };
}

function compileIn<T, O extends Operand>(
  condition: Extract<ResolvedCondition<O>, { kind: 'in' }>,
  ctx: EvalContext,
  read: (item: T) => unknown
): Predicate<T> {
  const { left, negated, values } = condition;
  const kind = left.kind;
  const matchesNull = values.some((value) => value.kind === 'null');
  let matches: (x: Comparable) => boolean;
  if (kind === 'date' || kind === 'datetime') {
    const ranges = values
      .map((value) => rangeOf(kind, value, ctx.now))
      .filter((range): range is [number, number] => range !== undefined);
    matches = (x) => ranges.some((range) => compareRange('=', x as number, range));
  } else {
    const set = new Set<Comparable>();
    for (const value of values) {
      if (value.kind === 'scalar') set.add(literalComparable(kind, value.value));
    }
    matches = (x) => set.has(x);
  }
  return (item) => {
    const x = comparable(kind, read(item));
    if (x === null) return !negated && matchesNull;
    return matches(x) !== negated;
  };
}

/** ORDER BY comparison of two items (stable sorts keep insertion order for ties). */
export function compileOrder<T, O extends Operand>(
  order: Array<ResolvedOrder<O>>,
  reader: OperandReader<T, O>
): {
  key(item: T): Array<Comparable | null>;
  compare(a: Array<Comparable | null>, b: Array<Comparable | null>): number;
} {
  const reads = order.map((item) => reader(item.operand));
  return {
    key: (item) =>
      order.map((entry, index) => comparable(entry.operand.kind, reads[index]?.(item) ?? null)),
    compare(a, b) {
      for (let i = 0; i < order.length; i++) {
        const item = order[i];
        if (!item) continue;
        const x = a[i] ?? null;
        const y = b[i] ?? null;
        if (x === y) continue;
        if (x === null) return item.nullsFirst ? -1 : 1;
        if (y === null) return item.nullsFirst ? 1 : -1;
        const result = x < y ? -1 : x > y ? 1 : 0;
        if (result !== 0) return item.descending ? -result : result;
      }
      return 0;
    }
  };
}
