/**
 * The Id and SystemModstamp ranges a WHERE clause implies, handed to the store's scan so an
 * Id-range chunk or a watermark reads only its rows (store/ranges.ts), and whether ORDER BY can
 * be served by reading in Id order instead of sorting. The rest of the WHERE is evaluated on
 * every row read: the store yields exactly the rows inside the ranges, so the terms that became ranges are
 * not evaluated again. Ranges come from top-level AND terms alone
 * (`Id >= 'a' AND Id < 'b' AND SystemModstamp > t AND (<mapping's filter>)`).
 */
import type { ScanOptions, ValueRange } from '../model.ts';
import type { ResolvedCondition, ResolvedOrder, ResolvedQuery } from './resolved.ts';

type Condition = ResolvedCondition;

/** Fields whose comparisons become scan ranges. */
const RANGE_FIELDS = new Set(['Id', 'SystemModstamp']);

export interface ScanRanges {
  options: Pick<ScanOptions, 'idRange' | 'modstampRange'>;
  /**
   * What the WHERE says beyond the ranges (undefined: nothing, so a COUNT() needs no row). The
   * store's range scan yields only rows inside the ranges, so only this is checked per row.
   */
  rest: Condition | undefined;
}

function terms(where: Condition): Condition[] {
  return where.kind === 'and' ? where.operands.flatMap(terms) : [where];
}

/** Narrows `range` by one comparison; false when the comparison is no range (e.g. `!=`). */
function narrow<T>(range: ValueRange<T>, operator: string, value: T): boolean {
  const tighterLow = (inclusive: boolean): void => {
    const low = range.low;
    if (low === undefined || value > low.value || (value === low.value && !inclusive)) {
      range.low = { value, inclusive };
    }
  };
  const tighterHigh = (inclusive: boolean): void => {
    const high = range.high;
    if (high === undefined || value < high.value || (value === high.value && !inclusive)) {
      range.high = { value, inclusive };
    }
  };
  switch (operator) {
    case '=':
      tighterLow(true);
      tighterHigh(true);
      return true;
    case '>':
      tighterLow(false);
      return true;
    case '>=':
      tighterLow(true);
      return true;
    case '<':
      tighterHigh(false);
      return true;
    case '<=':
      tighterHigh(true);
      return true;
    default:
      return false;
  }
}

/** The ranges of a query's own Id and SystemModstamp that its WHERE requires. */
export function scanRanges(query: ResolvedQuery): ScanRanges {
  const options: ScanRanges['options'] = {};
  if (!query.where) return { options, rest: undefined };
  const rest: Condition[] = [];
  const idRange: ValueRange<string> = {};
  const modstampRange: ValueRange<number> = {};
  for (const term of terms(query.where)) {
    const used =
      term.kind === 'compare' &&
      term.left.fn === undefined &&
      term.left.path.hops.length === 0 &&
      RANGE_FIELDS.has(term.left.path.field.name) &&
      term.value.kind === 'scalar' &&
      (term.left.path.field.name === 'Id'
        ? typeof term.value.value === 'string' && narrow(idRange, term.operator, term.value.value)
        : typeof term.value.value === 'number' &&
          narrow(modstampRange, term.operator, term.value.value));
    if (!used) rest.push(term);
  }
  if (idRange.low || idRange.high) options.idRange = idRange;
  if (modstampRange.low || modstampRange.high) options.modstampRange = modstampRange;
  return {
    options,
    rest:
      rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : { kind: 'and', operands: rest }
  };
}

/** `ORDER BY Id [ASC|DESC]` alone: served by an Id-ordered scan, nothing sorted. */
export function idOrder(orderBy: ReadonlyArray<ResolvedOrder>): ScanOptions['order'] {
  if (orderBy.length !== 1) return undefined;
  const [item] = orderBy;
  if (item === undefined) return undefined;
  const { path, fn } = item.operand;
  if (fn !== undefined || path.hops.length > 0 || path.field.name !== 'Id') return undefined;
  return item.descending ? 'idDesc' : 'idAsc';
}
