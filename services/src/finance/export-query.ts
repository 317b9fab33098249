/**
 * The Finance export's SOQL: read from the field mapping file, parsed with the project's SOQL
 * parser (toolkit/src/soql, the one the org emulator runs) and checked before any API call
 * against what a nightly Bulk API 2.0 export cannot use. Bulk API 2.0 itself refuses GROUP BY,
 * aggregate functions, date functions in GROUP BY, OFFSET, TYPEOF, compound address and
 * geolocation fields and parent-to-child subqueries ("Understanding Bulk API 2.0 Query", SOQL
 * considerations); the export refuses more, because it would run but export the wrong rows:
 * ORDER BY (it disables PK chunking, and the export splits and orders by Id itself), LIMIT
 * (it would silently truncate the night), FIELDS() (the columns must match the mapping), WITH
 * and FOR clauses. Every refusal says what to change, with the column it points at.
 *
 * `composeChunkQuery` then adds the incremental window and a chunk's Id range to the statement's
 * WHERE (through the parser's text spans, so the rest of the text stays as written).
 */
import type { ExpressionNode, FieldPathNode, QueryNode } from '../../../toolkit/src/soql/ast.ts';
import { isDateFunction } from '../../../toolkit/src/soql/date-function-names.ts';
import { parseSoql } from '../../../toolkit/src/soql/parser.ts';
import { locate, SoqlSyntaxError } from '../../../toolkit/src/soql/syntax-error.ts';
import { isSalesforceId } from '../../../toolkit/src/salesforce-id.ts';

/**
 * What an export query is refused for, most fundamental first: the error's `code` is that of
 * its first problem in this order (a GROUP BY query is a GROUP_BY error before its missing Id).
 */
const CODES = [
  'SYNTAX',
  'SUBQUERY',
  'TYPEOF',
  'GROUP_BY_DATE_FUNCTION',
  'GROUP_BY',
  'AGGREGATE',
  'HAVING',
  'COMPOUND_FIELD',
  'FIELDS',
  'FUNCTION',
  'ORDER_BY',
  'LIMIT',
  'OFFSET',
  'WITH',
  'FOR',
  'ALIAS',
  'SCOPE',
  'DUPLICATE_FIELD',
  'MISSING_ID',
  'MISSING_SYSTEMMODSTAMP'
] as const;

export type ExportQueryErrorCode = (typeof CODES)[number];

/** One reason to refuse the query, with the offset in the query text it is about. */
export interface ExportQueryProblem {
  code: ExportQueryErrorCode;
  message: string;
  offset: number;
}

/**
 * The export query cannot run: every problem found, each saying what to change. The message is
 * the problems' messages, one a line (a syntax error: Salesforce's own MALFORMED_QUERY text).
 */
export class ExportQueryError extends Error {
  readonly code: ExportQueryErrorCode;

  constructor(readonly problems: ExportQueryProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'));
    this.name = 'ExportQueryError';
    this.code = problems[0]?.code ?? 'SYNTAX';
  }
}

/** A query the export can run. */
export interface ExportQuery {
  /** The object queried (its FROM, as written). */
  object: string;
  /** The statement as given. */
  soql: string;
  /**
   * The Bulk API 2.0 CSV header names in SELECT order (`Id`, `Account__r.Name`), as written in
   * the query: the API answers the describe's spelling, so compare them case-insensitively.
   */
  columns: string[];
  /** Whether IsDeleted is selected (a queryAll export tells Finance which rows were deleted). */
  selectsIsDeleted: boolean;
  /**
   * The parents whose changes an incremental window follows (prepare.ts leaves out polymorphic
   * ones); absent: every selected parent.
   */
  windowParents?: string[];
  ast: QueryNode;
}

export interface ParseExportQueryOptions {
  /**
   * Whether a selected path names a compound field beyond the standard addresses the check
   * knows (`Location__c`, a custom geolocation field, is compound; its `Location__Latitude__s`
   * component is not). `object` is the FROM object, `path` the segments after it.
   */
  compoundFields?: (object: string, path: string[]) => boolean;
}

const AGGREGATES = new Set(['COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX', 'GROUPING']);
/** Functions that wrap a selected field and keep one value a row (Bulk API 2.0 runs them). */
/**
 * Functions that wrap a selected field and keep one value a row, and that the export allows:
 * toLabel() (the picklist label, a text). FORMAT() and convertCurrency() are refused: they give
 * the running user's locale and currency, not the stored value Finance needs (a `$125.50` does
 * not load into a number column).
 */
const ROW_FUNCTIONS = new Set(['TOLABEL']);
/** Standard compound addresses: `BillingAddress`, `MailingAddress`, a Lead's `Address`... */
const STANDARD_ADDRESS = /^(?:Person)?(?:Billing|Shipping|Mailing|Other)?Address$/i;
const ADDRESS_PARTS = ['Street', 'City', 'State', 'PostalCode', 'Country'];
const BULK_REFUSES = 'Bulk API 2.0 refuses it';

/** Where an offset is, as a person finds it: `col 57`, or `line 3, col 4` in a longer text. */
function at(soql: string, offset: number): string {
  const { row, column } = locate(soql, offset);
  return soql.includes('\n') ? `line ${row}, col ${column}` : `col ${column}`;
}

/** A selected column: its CSV header name, and whether it is a plain field (no function). */
interface Column {
  name: string;
  offset: number;
  plain: boolean;
}

function calls(expression: ExpressionNode): Array<Extract<ExpressionNode, { kind: 'call' }>> {
  if (expression.kind === 'path') return [];
  return [expression, ...expression.args.flatMap(calls)];
}

function paths(expression: ExpressionNode): FieldPathNode[] {
  return expression.kind === 'path' ? [expression] : expression.args.flatMap(paths);
}

/** The segments after the FROM object (`a.Name` with `FROM Account a` is `Name`). */
function fieldSegments(path: FieldPathNode, statement: QueryNode): string[] {
  const [first, ...rest] = path.segments;
  const alias = statement.from.alias;
  if (alias && rest.length > 0 && first?.toLowerCase() === alias.toLowerCase()) return rest;
  return path.segments;
}

/** The fields to select instead of a compound one, or undefined when it is not compound. */
function compoundComponents(
  statement: QueryNode,
  segments: string[],
  options: ParseExportQueryOptions
): string[] | undefined {
  const name = segments[segments.length - 1] ?? '';
  const prefix = segments
    .slice(0, -1)
    .map((segment) => `${segment}.`)
    .join('');
  if (STANDARD_ADDRESS.test(name)) {
    const stem = name.slice(0, -'Address'.length);
    return ADDRESS_PARTS.map((part) => `${prefix}${stem}${part}`);
  }
  if (!options.compoundFields?.(statement.from.name, segments)) return undefined;
  if (/__c$/i.test(name)) {
    const stem = name.slice(0, -'__c'.length);
    return [`${prefix}${stem}__Latitude__s`, `${prefix}${stem}__Longitude__s`];
  }
  return [`the component fields describe lists with compoundFieldName ${name}`];
}

/** The problems of one select list item, and its column name when it has one. */
function checkSelectItem(
  soql: string,
  statement: QueryNode,
  item: QueryNode['select'][number],
  options: ParseExportQueryOptions,
  problems: ExportQueryProblem[]
): Column | undefined {
  switch (item.kind) {
    case 'subquery': {
      const close = soql.indexOf(')', item.query.end);
      const text = soql.slice(item.offset, close < 0 ? item.query.end : close + 1);
      problems.push({
        code: 'SUBQUERY',
        offset: item.offset,
        message:
          `Parent-to-child subqueries are not allowed in the export query: ${BULK_REFUSES} ` +
          `("Aggregate Relationships not supported in Bulk V2 Query with CSV content type"). ` +
          `Remove \`${text}\` (${at(soql, item.offset)}) and query the child object in its own ` +
          `export (child-to-parent paths such as \`Account__r.Name\` are fine).`
      });
      return undefined;
    }
    case 'typeof':
      problems.push({
        code: 'TYPEOF',
        offset: item.offset,
        message:
          `TYPEOF is not allowed in the export query: ${BULK_REFUSES}. Replace ` +
          `\`TYPEOF ${item.path.text} ...\` (${at(soql, item.offset)}) with the reference's id ` +
          `and the fields every type has through it (\`${item.path.text}.Name\`), or export ` +
          `each type of record separately.`
      });
      return undefined;
    case 'fields':
      problems.push({
        code: 'FIELDS',
        offset: item.offset,
        message:
          `FIELDS(${item.scope}) is not allowed in the export query: the columns must be listed ` +
          `so that they match the field mapping and do not change when someone adds a field ` +
          `(and FIELDS(ALL) and FIELDS(CUSTOM) need LIMIT 200). List the fields instead of ` +
          `\`FIELDS(${item.scope})\` (${at(soql, item.offset)}).`
      });
      return undefined;
    case 'expression':
      break;
  }
  const { expression } = item;
  for (const call of calls(expression)) {
    if (AGGREGATES.has(call.name)) {
      problems.push({
        code: 'AGGREGATE',
        offset: call.offset,
        message:
          `Aggregate functions are not allowed in the export query: ${BULK_REFUSES}. Replace ` +
          `\`${call.text}\` (${at(soql, call.offset)}) with the fields it reads: export the ` +
          `rows, Finance aggregates` +
          (call.name === 'COUNT' && call.args.length === 0
            ? ' (the run summary reports how many rows were exported).'
            : '.')
      });
      return undefined;
    }
    // A date function in SELECT goes with one in GROUP BY: that problem says what to change.
    if (isDateFunction(call.name) && statement.groupBy) return undefined;
    if (!ROW_FUNCTIONS.has(call.name)) {
      problems.push({
        code: 'FUNCTION',
        offset: call.offset,
        message:
          `\`${call.text}\` (${at(soql, call.offset)}) is not allowed in the export's SELECT ` +
          `list: only toLabel() may wrap a field there (FORMAT() and convertCurrency() give the ` +
          `integration user's locale and currency, not the stored value). ` +
          `Select the field itself (${paths(call)
            .map((path) => `\`${path.text}\``)
            .join(', ')}).`
      });
      return undefined;
    }
  }
  for (const path of paths(expression)) {
    const components = compoundComponents(statement, fieldSegments(path, statement), options);
    if (components) {
      problems.push({
        code: 'COMPOUND_FIELD',
        offset: path.offset,
        message:
          `Compound fields are not allowed in the export query: ${BULK_REFUSES} ("Selecting ` +
          `compound data not supported in Bulk Query"). Replace \`${path.text}\` ` +
          `(${at(soql, path.offset)}) with its components: ${components.join(', ')}.`
      });
      return undefined;
    }
  }
  const [path] = paths(expression);
  const name =
    item.alias?.name ?? (path ? fieldSegments(path, statement).join('.') : expression.text);
  return { name, offset: expression.offset, plain: expression.kind === 'path' && !item.alias };
}

/** The clauses after the SELECT list that the export cannot use. */
function checkClauses(soql: string, statement: QueryNode, problems: ExportQueryProblem[]): void {
  const { alias, scope } = statement.from;
  if (alias !== undefined) {
    problems.push({
      code: 'ALIAS',
      offset: statement.from.offset,
      message:
        `The object alias \`${alias}\` is not allowed in the export query: the export adds its ` +
        `window and Id ranges, and builds its COUNT() planning queries, with plain field names. ` +
        `Remove \`${alias}\` after FROM ${statement.from.name} and the \`${alias}.\` prefixes.`
    });
  }
  if (scope !== undefined) {
    problems.push({
      code: 'SCOPE',
      offset: scope.offset,
      message:
        `USING SCOPE ${scope.name} is not allowed in the export query: a nightly export reads ` +
        `every row the filter selects, whoever owns it. Remove \`USING SCOPE ${scope.name}\` ` +
        `(${at(soql, scope.offset)}) and filter with WHERE.`
    });
  }
  if (statement.with !== undefined && statement.withOffset !== undefined) {
    problems.push({
      code: 'WITH',
      offset: statement.withOffset,
      message:
        `WITH ${statement.with} is not allowed in the export query: Bulk API 2.0 does not ` +
        `document it, and the API already applies the integration user's object and field ` +
        `permissions (a field its permission set does not grant fails the job when it is ` +
        `created). Remove \`WITH ${statement.with}\` (${at(soql, statement.withOffset)}).`
    });
  }
  const groupBy = statement.groupBy;
  if (groupBy) {
    const dateFunctions = groupBy.expressions
      .flatMap(calls)
      .filter((call) => isDateFunction(call.name));
    const clause = `GROUP BY ${groupBy.mode === 'PLAIN' ? '' : `${groupBy.mode}(`}${groupBy.expressions
      .map((expression) => expression.text)
      .join(', ')}${groupBy.mode === 'PLAIN' ? '' : ')'}`;
    const [first] = dateFunctions;
    problems.push(
      first
        ? {
            code: 'GROUP_BY_DATE_FUNCTION',
            offset: first.offset,
            message:
              `Date functions in GROUP BY are not allowed in the export query: ${BULK_REFUSES}. ` +
              `Remove \`${clause}\` (${at(soql, groupBy.offset)}) and export the date field ` +
              `itself (${paths(first)
                .map((path) => `\`${path.text}\``)
                .join(', ')}): Finance groups by ${first.name.toLowerCase().replace(/_/g, ' ')}.`
          }
        : {
            code: 'GROUP_BY',
            offset: groupBy.offset,
            message:
              `GROUP BY is not allowed in the export query: ${BULK_REFUSES}. Remove ` +
              `\`${clause}\` (${at(soql, groupBy.offset)}): export the rows, Finance groups them.`
          }
    );
  }
  if (statement.having) {
    problems.push({
      code: 'HAVING',
      offset: groupBy?.offset ?? statement.start,
      message:
        `HAVING is not allowed in the export query: it filters groups, and the export has none. ` +
        `Remove the HAVING clause; filter rows in WHERE.`
    });
  }
  if (statement.orderBy.length > 0 && statement.orderByOffset !== undefined) {
    const items = statement.orderBy.map(
      (item) =>
        item.expression.text +
        (item.descending ? ' DESC' : '') +
        (item.nulls ? ` NULLS ${item.nulls}` : '')
    );
    problems.push({
      code: 'ORDER_BY',
      offset: statement.orderByOffset,
      message:
        `ORDER BY is not allowed in the export query: Bulk API 2.0 accepts it but it disables ` +
        `PK chunking (slower) and the export splits and orders by Id itself. Remove ` +
        `\`ORDER BY ${items.join(', ')}\` (${at(soql, statement.orderByOffset)}).`
    });
  }
  if (statement.limit) {
    const keyword = keywordBefore(soql, statement.limit.offset, 'LIMIT');
    problems.push({
      code: 'LIMIT',
      offset: keyword,
      message:
        `LIMIT is not allowed in the export query: it would silently truncate the nightly ` +
        `export. Remove \`LIMIT ${statement.limit.value}\` (${at(soql, keyword)}); to ` +
        `export fewer rows, narrow the WHERE clause.`
    });
  }
  if (statement.offset) {
    const keyword = keywordBefore(soql, statement.offset.offset, 'OFFSET');
    problems.push({
      code: 'OFFSET',
      offset: keyword,
      message:
        `OFFSET is not allowed in the export query: ${BULK_REFUSES}, and it would skip rows. ` +
        `Remove \`OFFSET ${statement.offset.value}\` (${at(soql, keyword)}).`
    });
  }
  if (statement.for) {
    problems.push({
      code: 'FOR',
      offset: statement.for.offset,
      message:
        `FOR ${statement.for.mode} is not allowed in the export query: an export neither ` +
        `locks nor marks records as viewed. Remove \`FOR ${statement.for.mode}\` ` +
        `(${at(soql, statement.for.offset)}).`
    });
  }
}

/** The offset of `keyword` written just before the value at `valueOffset`. */
function keywordBefore(soql: string, valueOffset: number, keyword: string): number {
  const match = new RegExp(`${keyword}\\s*$`, 'i').exec(soql.slice(0, valueOffset));
  return match ? match.index : valueOffset;
}

/** Id and SystemModstamp selected as plain fields, each column once. */
function checkColumns(
  soql: string,
  statement: QueryNode,
  columns: Column[],
  problems: ExportQueryProblem[]
): void {
  const seen = new Set<string>();
  for (const column of columns) {
    const key = column.name.toLowerCase();
    if (seen.has(key)) {
      problems.push({
        code: 'DUPLICATE_FIELD',
        offset: column.offset,
        message:
          `\`${column.name}\` is selected twice (${at(soql, column.offset)}); Salesforce ` +
          `refuses a duplicate field. Remove one.`
      });
    }
    seen.add(key);
  }
  // Plain fields only: a wrapped SystemModstamp (FORMAT()) is no watermark.
  const plain = new Set(columns.filter((column) => column.plain).map((c) => c.name.toLowerCase()));
  const selectEnd = statement.from.offset;
  if (!plain.has('id')) {
    problems.push({
      code: 'MISSING_ID',
      offset: selectEnd,
      message:
        `The export query must select Id: it is the key the Finance tables merge on and the ` +
        `field the export splits large tables by. Add \`Id\` to the SELECT list.`
    });
  }
  if (!plain.has('systemmodstamp')) {
    problems.push({
      code: 'MISSING_SYSTEMMODSTAMP',
      offset: selectEnd,
      message:
        `The export query must select SystemModstamp: the export is incremental by it (each ` +
        `night asks for rows whose SystemModstamp is after the last run's) and Finance keeps ` +
        `the newest version of a row by it. LastModifiedDate is not enough: it does not change ` +
        `when the system changes a row. Add \`SystemModstamp\` to the SELECT list.`
    });
  }
}

/**
 * Parses the export's SOQL and checks it; throws ExportQueryError with every problem found,
 * before any API call.
 */
export function parseExportQuery(soql: string, options: ParseExportQueryOptions = {}): ExportQuery {
  let ast: QueryNode;
  try {
    ast = parseSoql(soql);
  } catch (error) {
    if (!(error instanceof SoqlSyntaxError)) throw error;
    throw new ExportQueryError([
      {
        code: 'SYNTAX',
        offset: error.offset,
        message: `The export query does not parse (MALFORMED_QUERY):${error.message.startsWith('\n') ? '' : ' '}${error.message}`
      }
    ]);
  }
  const problems: ExportQueryProblem[] = [];
  const columns: Column[] = [];
  for (const item of ast.select) {
    const column = checkSelectItem(soql, ast, item, options, problems);
    if (column) columns.push(column);
  }
  checkClauses(soql, ast, problems);
  // Asking an aggregate query or FIELDS() for Id would be advice to follow after the rest.
  const aggregated = ast.groupBy || problems.some((problem) => problem.code === 'AGGREGATE');
  if (!aggregated && !ast.select.some((item) => item.kind === 'fields')) {
    checkColumns(soql, ast, columns, problems);
  }
  if (problems.length > 0) {
    const rank = (problem: ExportQueryProblem): number => CODES.indexOf(problem.code);
    throw new ExportQueryError(problems.sort((a, b) => rank(a) - rank(b) || a.offset - b.offset));
  }
  return {
    object: ast.from.name,
    soql,
    columns: columns.map((column) => column.name),
    selectsIsDeleted: columns.some((column) => column.name.toLowerCase() === 'isdeleted'),
    ast
  };
}

/** The window and Id range of one chunk of an export run. */
export interface ChunkRange {
  /** Rows changed after this instant (exclusive); none for a full export. */
  since?: Date;
  /** Rows changed up to this instant (inclusive): the run's watermark once loaded. */
  until: Date;
  /** Lowest Id of the chunk (inclusive). */
  idFrom?: string;
  /** Id the chunk stops before (exclusive). */
  idTo?: string;
}

/**
 * A SOQL datetime literal of an instant floored to the whole second (`2026-12-07T02:00:00Z`).
 * Salesforce documents datetime literals without fractions of a second and stores
 * SystemModstamp to the second, so flooring loses nothing: with `since` exclusive and `until`
 * inclusive both floored, and the next run's `since` the floored `until` this run used, every
 * row falls in exactly one run.
 */
export function soqlDateTime(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError('Invalid date for a SOQL literal');
  return instant.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The condition of one chunk, the query's own WHERE included: `SystemModstamp > since AND
 * SystemModstamp <= until AND Id >= 'idFrom' AND Id < 'idTo' AND (original WHERE)`. The chunk's
 * job query and the REST queries that plan the chunks (`SELECT COUNT() ... WHERE`, `ORDER BY Id
 * LIMIT 1`) use the same text, so they count exactly the rows the job will read.
 */
export function composeCondition(query: ExportQuery, range: ChunkRange): string {
  const { soql, ast } = query;
  if (range.since && range.since.getTime() > range.until.getTime()) {
    throw new RangeError('The export window starts after it ends (since > until)');
  }
  const conditions = [windowCondition(query, range)];
  for (const [id, operator] of [
    [range.idFrom, '>='],
    [range.idTo, '<']
  ] as const) {
    if (id === undefined) continue;
    // Ids are written into the statement: only a well-formed one goes in.
    if (!isSalesforceId(id)) throw new RangeError(`Not a Salesforce id: ${JSON.stringify(id)}`);
    conditions.push(`Id ${operator} '${id}'`);
  }
  const added = conditions.join(' AND ');
  if (!ast.whereSpan) return added;
  const { start, end } = ast.whereSpan;
  return `${added} AND (${soql.slice(start, end)})`;
}

/**
 * The parents whose fields the query selects (`Account__r` for `Account__r.Name`,
 * `Account__r.Owner` too for `Account__r.Owner.Email`).
 */
export function selectedParents(query: ExportQuery): string[] {
  const parents = new Set<string>();
  for (const column of query.columns) {
    const segments = column.split('.');
    for (let i = 1; i < segments.length; i++) parents.add(segments.slice(0, i).join('.'));
  }
  return [...parents];
}

/**
 * Which rows changed in the window: the row's own SystemModstamp, or, for an incremental run,
 * the SystemModstamp of a parent whose fields it exports. Renaming an Account does not touch its
 * billing accounts' SystemModstamp, yet `Account__r.Name` in Finance must follow.
 */
function windowCondition(query: ExportQuery, range: ChunkRange): string {
  const until = soqlDateTime(range.until);
  if (!range.since) return `SystemModstamp <= ${until}`;
  const since = soqlDateTime(range.since);
  const changed = (prefix: string) =>
    `(${prefix}SystemModstamp > ${since} AND ${prefix}SystemModstamp <= ${until})`;
  const parents = query.windowParents ?? selectedParents(query);
  if (parents.length === 0) return `SystemModstamp > ${since} AND SystemModstamp <= ${until}`;
  return `(${[changed(''), ...parents.map((parent) => changed(`${parent}.`))].join(' OR ')})`;
}

/**
 * The export query restricted to one chunk: composeCondition's condition in place of the query's
 * WHERE (or in a WHERE inserted after FROM). The rest of the text is unchanged.
 */
export function composeChunkQuery(query: ExportQuery, range: ChunkRange): string {
  const { soql, ast } = query;
  const condition = composeCondition(query, range);
  if (ast.whereSpan) {
    const { start, end } = ast.whereSpan;
    return `${soql.slice(0, start)}${condition}${soql.slice(end)}`;
  }
  return `${soql.slice(0, ast.whereInsertAt)} WHERE ${condition}${soql.slice(ast.whereInsertAt)}`;
}
