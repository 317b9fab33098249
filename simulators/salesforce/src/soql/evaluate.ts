/**
 * Evaluating a resolved query against records: reading field paths (through parent
 * references), filter predicates with SOQL's null semantics, ORDER BY comparison and aggregate
 * functions.
 *
 * Null semantics, as Salesforce documents them: `= null` / `!= null` test for a missing value;
 * a boolean field is never null (`= null` matches false); `!=` and NOT match records whose
 * value is null (SOQL is two-valued, unlike SQL), while `<`, `>`, LIKE, IN and NOT IN never
 * match a null value; a path through a missing parent reads as null.
 */
import type { FieldDescribe, SfRecord, SObjectDescribe } from '../model.ts';
import { normalizeId } from '../ids.ts';
import { dateLiteralRange, dayStartMs } from './date-literals.ts';
import { ADDRESS_COMPONENTS, type ValueKind } from './field-kinds.ts';
import { parseDateTimeLiteral } from './parser.ts';
import type {
  ResolvedAggregate,
  ResolvedCondition,
  ResolvedOrder,
  ResolvedPath,
  ResolvedQuery,
  ResolvedValue
} from './resolve.ts';

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

export type Predicate = (record: SfRecord) => boolean;

type Comparable = string | number | boolean;

const MS_PER_DAY = 86_400_000;

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

function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

/**
 * Stored datetimes are almost always `2026-11-29T03:00:00.000+0000` (or `...000Z`): read those
 * without a regular expression, since filters on a million-row scan parse one per row.
 */
function storedDateTimeMs(text: string): number | undefined {
  const utc =
    (text.length === 28 && text.endsWith('+0000')) || (text.length === 24 && text.endsWith('Z'));
  if (!utc || text.charCodeAt(10) !== 84 || text.charCodeAt(19) !== 46) return undefined;
  return Date.UTC(
    digits(text, 0, 4),
    digits(text, 5, 7) - 1,
    digits(text, 8, 10),
    digits(text, 11, 13),
    digits(text, 14, 16),
    digits(text, 17, 19),
    digits(text, 20, 23)
  );
}

function toEpochMs(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const fast = storedDateTimeMs(value);
  if (fast !== undefined && !Number.isNaN(fast)) return fast;
  const parsed = parseDateTimeLiteral(value);
  if (!Number.isNaN(parsed)) return parsed;
  const fallback = Date.parse(value);
  return Number.isNaN(fallback) ? null : fallback;
}

function toDay(value: unknown): number | null {
  const ms =
    value instanceof Date ? value.getTime() : toEpochMs(String(value).slice(0, 10) + 'T00:00:00Z');
  return ms === null ? null : Math.floor(ms / MS_PER_DAY);
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
export function compileCondition(condition: ResolvedCondition, ctx: EvalContext): Predicate {
  switch (condition.kind) {
    case 'and': {
      const parts = condition.operands.map((operand) => compileCondition(operand, ctx));
      return (record) => parts.every((part) => part(record));
    }
    case 'or': {
      const parts = condition.operands.map((operand) => compileCondition(operand, ctx));
      return (record) => parts.some((part) => part(record));
    }
    case 'not': {
      const inner = compileCondition(condition.operand, ctx);
      return (record) => !inner(record);
    }
    case 'compare':
      return compileComparison(condition, ctx);
    case 'in':
      return compileIn(condition, ctx);
    case 'inQuery': {
      const { path, negated } = condition;
      let values: Set<Comparable> | undefined;
      return (record) => {
        values ??= ctx.semiJoin(condition.query, path.kind);
        const value = comparable(path.kind, readPath(record, path, ctx.lookup));
        if (value === null) return false;
        return values.has(value) !== negated;
      };
    }
    case 'includes': {
      const { path, excludes, values } = condition;
      return (record) => {
        const raw = readPath(record, path, ctx.lookup);
        if (raw === null || raw === '') return excludes;
        const selected = multipicklistSet(raw);
        const matches = values.some((group) => group.every((item) => selected.has(item)));
        return matches !== excludes;
      };
    }
  }
}

function compileComparison(
  condition: Extract<ResolvedCondition, { kind: 'compare' }>,
  ctx: EvalContext
): Predicate {
  const { path, operator, value } = condition;
  const kind = path.kind;
  const read = (record: SfRecord): unknown => readPath(record, path, ctx.lookup);

  if (value.kind === 'pattern') {
    const { regex } = value;
    return (record) => {
      const raw = read(record);
      return raw !== null && raw !== undefined && regex.test(String(raw));
    };
  }
  if (kind === 'boolean') {
    const expected = value.kind === 'scalar' ? value.value === true : false;
    return (record) => compareValues(operator, comparable(kind, read(record)) as boolean, expected);
  }
  if (value.kind === 'null') {
    if (operator === '=') return (record) => comparable(kind, read(record)) === null;
    if (operator === '!=') return (record) => comparable(kind, read(record)) !== null;
    return () => false;
  }
  if (kind === 'date' || kind === 'datetime') {
    const range = rangeOf(kind, value, ctx.now);
    if (!range) return () => false;
    return (record) => {
      const x = comparable(kind, read(record));
      if (x === null) return operator === '!=';
      return compareRange(operator, x as number, range);
    };
  }
  if (value.kind !== 'scalar') return () => false;
  if (kind === 'multipicklist' && (operator === '=' || operator === '!=')) {
    const expected = multipicklistSet(value.value);
    return (record) => {
      const raw = read(record);
      if (raw === null || raw === '') return operator === '!=';
      return sameSet(multipicklistSet(raw), expected) === (operator === '=');
    };
  }
  const expected = literalComparable(kind, value.value);
  return (record) => {
    const x = comparable(kind, read(record));
    if (x === null) return operator === '!=';
    return compareValues(operator, x, expected);
  };
}

function compileIn(
  condition: Extract<ResolvedCondition, { kind: 'in' }>,
  ctx: EvalContext
): Predicate {
  const { path, negated, values } = condition;
  const kind = path.kind;
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
  return (record) => {
    const x = comparable(kind, readPath(record, path, ctx.lookup));
    if (x === null) return !negated && matchesNull;
    return matches(x) !== negated;
  };
}

/** ORDER BY comparison of two records (stable sorts keep insertion order for ties). */
export function compileOrder(
  order: ResolvedOrder[],
  lookup: ParentLookup
): {
  key(record: SfRecord): Array<Comparable | null>;
  compare(a: Array<Comparable | null>, b: Array<Comparable | null>): number;
} {
  return {
    key: (record) =>
      order.map((item) => comparable(item.path.kind, readPath(record, item.path, lookup))),
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

/** Accumulates aggregate functions over the matching records (one row, no GROUP BY). */
export function aggregate(
  aggregates: ResolvedAggregate[],
  records: Iterable<SfRecord>,
  lookup: ParentLookup
): Record<string, unknown> {
  const state = aggregates.map(() => ({
    count: 0,
    sum: 0,
    distinct: new Set<Comparable>(),
    best: null as { raw: unknown; key: Comparable } | null
  }));
  for (const record of records) {
    aggregates.forEach((item, index) => {
      const slot = state[index];
      if (!slot || !item.path) return;
      const raw = readPath(record, item.path, lookup);
      const key =
        item.path.kind === 'boolean' && raw === null ? null : comparable(item.path.kind, raw);
      if (key === null) return;
      slot.count++;
      if (item.fn === 'COUNT_DISTINCT') slot.distinct.add(key);
      if (item.fn === 'SUM' || item.fn === 'AVG') slot.sum += Number(raw);
      if (item.fn === 'MIN' || item.fn === 'MAX') {
        const better =
          !slot.best || (item.fn === 'MIN' ? key < slot.best.key : key > slot.best.key);
        if (better) slot.best = { raw, key };
      }
    });
  }
  const row: Record<string, unknown> = {};
  aggregates.forEach((item, index) => {
    const slot = state[index];
    if (!slot) return;
    switch (item.fn) {
      case 'COUNT':
        row[item.key] = slot.count;
        break;
      case 'COUNT_DISTINCT':
        row[item.key] = slot.distinct.size;
        break;
      case 'SUM':
        row[item.key] = slot.count > 0 ? slot.sum : null;
        break;
      case 'AVG':
        row[item.key] = slot.count > 0 ? slot.sum / slot.count : null;
        break;
      case 'MIN':
      case 'MAX':
        row[item.key] = slot.best ? slot.best.raw : null;
        break;
    }
  });
  return row;
}
