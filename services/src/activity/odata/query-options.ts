// The system query options of a request, read from the raw query string, not fastify's parsed
// object: a repeated option must be refused, not merged. Values are percent-decoded once here
// (`+` is a space, form encoding, which some clients use; Salesforce sends %20 and %2B) and parsed
// decoded: @odata/parser reads a decoded literal with quotes, `&`, `%` or `:` as is, while it
// refuses some encoded forms (`%3A` in a DateTimeOffset).
import { defaultParser } from '@odata/parser';
import { ODataError, badRequest, notImplemented } from './errors.ts';
import { checkExpressionSize } from './expression-limits.ts';
import { parseFilter } from './filter.ts';
import { PROPERTY_BY_NAME } from './model.ts';
import type { Property } from './model.ts';

export interface OrderItem {
  property: Property;
  descending: boolean;
}

export interface QueryOptions {
  /** Parsed $filter (filter.ts turns it into SQL). */
  filter?: ReturnType<typeof parseFilter>;
  /** $select: undefined = every property. */
  select?: Property[];
  orderBy: OrderItem[];
  top?: number;
  skip: number;
  count: boolean;
  skipToken?: string;
  /** The options that define the result (for the next link and the skip token's binding). */
  defining: Array<[string, string]>;
}

/** Options Salesforce Connect sends (+ $skiptoken of our next links and $format). */
const KNOWN = new Set([
  '$filter',
  '$select',
  '$orderby',
  '$top',
  '$skip',
  '$count',
  '$skiptoken',
  '$format'
]);
/** Valid OData options this service does not implement. */
const UNIMPLEMENTED = new Set(['$search', '$expand', '$apply', '$compute', '$index', '$levels']);

/** Largest $top / $skip accepted (PostgreSQL LIMIT/OFFSET are bigint; this is plenty). */
const MAX_INTEGER = 2_147_483_647;

function decode(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, '%20'));
  } catch {
    throw badRequest(`${what} holds an invalid percent-encoding.`);
  }
}

function nonNegative(value: string, name: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_INTEGER) {
    throw badRequest(`${name} must be a non-negative integer.`);
  }
  return Number(value);
}

function property(name: string, option: string): Property {
  const found = PROPERTY_BY_NAME.get(name);
  // The name is not echoed: nothing of the request comes back in an error body.
  if (!found) throw badRequest(`${option} names a property DailyActivity does not have.`);
  return found;
}

function parseSelect(value: string): Property[] | undefined {
  const items = value.split(',').map((item) => item.trim());
  if (items.length === 1 && items[0] === '*') return undefined;
  const selected = new Map<string, Property>();
  for (const item of items) {
    if (item === '*') return undefined;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(item)) {
      throw notImplemented('$select supports property names and * only.');
    }
    selected.set(item, property(item, '$select'));
  }
  return [...selected.values()];
}

function parseOrderBy(raw: string): OrderItem[] {
  let ast: { value: { options: Array<{ type: string; value: { items: any[] } }> } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- the parser's own typing
  try {
    ast = defaultParser.query(`$orderby=${raw}`) as unknown as typeof ast;
  } catch {
    throw badRequest('$orderby is not a valid OData order-by list.');
  }
  // A decoded `&` would make the parser read another option: one option or nothing.
  if (ast.value.options.length !== 1 || ast.value.options[0]?.type !== 'OrderBy') {
    throw badRequest('$orderby is not a valid OData order-by list.');
  }
  const items = ast.value.options[0].value.items;
  return items.map((item: { value: { expr: { raw: string }; direction: number } }) => {
    const name = item.value.expr.raw.trim();
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      throw notImplemented('$orderby supports property names only.');
    }
    return { property: property(name, '$orderby'), descending: item.value.direction === -1 };
  });
}

/** The query options of `rawQuery` (the URL's part after `?`, as sent). */
export function parseQueryOptions(rawQuery: string): QueryOptions {
  const seen = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq), 'A query option name');
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (!name.startsWith('$')) continue; // custom query options: not ours, ignored (OData 4.0 5.2)
    if (UNIMPLEMENTED.has(name)) throw notImplemented(`${name} is not supported.`);
    if (!KNOWN.has(name)) throw badRequest('The request holds an unknown system query option.');
    if (seen.has(name)) throw badRequest(`${name} may be given once.`);
    seen.set(name, value);
  }

  const options: QueryOptions = { orderBy: [], skip: 0, count: false, defining: [] };
  const format = seen.get('$format');
  if (
    format !== undefined &&
    !/^(json|application\/json(;.*)?)$/i.test(decode(format, '$format'))
  ) {
    throw new ODataError(406, 'not_acceptable', 'This service answers JSON only ($format=json).');
  }
  const filter = seen.get('$filter');
  if (filter !== undefined) {
    const text = decode(filter, '$filter');
    checkExpressionSize(text, '$filter');
    options.filter = parseFilter(text);
  }
  const select = seen.get('$select');
  if (select !== undefined) options.select = parseSelect(decode(select, '$select'));
  const orderBy = seen.get('$orderby');
  if (orderBy !== undefined) {
    const text = decode(orderBy, '$orderby');
    checkExpressionSize(text, '$orderby');
    options.orderBy = parseOrderBy(text);
  }
  const top = seen.get('$top');
  if (top !== undefined) options.top = nonNegative(decode(top, '$top'), '$top');
  const skip = seen.get('$skip');
  if (skip !== undefined) options.skip = nonNegative(decode(skip, '$skip'), '$skip');
  const count = seen.get('$count');
  if (count !== undefined) {
    const flag = decode(count, '$count');
    if (flag !== 'true' && flag !== 'false') throw badRequest('$count must be true or false.');
    options.count = flag === 'true';
  }
  const skipToken = seen.get('$skiptoken');
  if (skipToken !== undefined) options.skipToken = decode(skipToken, '$skiptoken');
  for (const name of ['$filter', '$select', '$orderby', '$top', '$skip', '$count']) {
    const value = seen.get(name);
    if (value !== undefined) options.defining.push([name, value]);
  }
  return options;
}
