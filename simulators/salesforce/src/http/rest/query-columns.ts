/**
 * `GET query?q=...&columns=true`: the column metadata of a query instead of its rows. The
 * parameter is undocumented, but the sf CLI's `data query` calls it after every query to name
 * its columns (and fails without it), as the Developer Console does. Shape as a real org sends
 * it: one entry per selected field, parent fields grouped under their relationship with
 * `joinColumns`, aggregates flagged `aggregate: true`, and a parent-to-child sub-query as one
 * `aggregate` column whose `joinColumns` are the child's (the CLI prints those as a sub-table).
 */
import type {
  FieldDescribe,
  FieldType,
  PreparedQuery,
  QueryColumn,
  Schema,
  SObjectDescribe
} from '../../model.ts';

interface ColumnMetadata {
  aggregate: boolean;
  apexType: string | null;
  booleanType: boolean;
  columnName: string;
  custom: boolean;
  displayName: string;
  foreignKeyName: string | null;
  insertable: boolean;
  joinColumns: ColumnMetadata[];
  numberType: boolean;
  textType: boolean;
  updatable: boolean;
}

const APEX_TYPES: Partial<Record<FieldType, string>> = {
  id: 'Id',
  reference: 'Id',
  boolean: 'Boolean',
  int: 'Integer',
  double: 'Double',
  percent: 'Double',
  currency: 'Decimal',
  date: 'Date',
  datetime: 'Datetime',
  time: 'Time',
  base64: 'Blob',
  address: 'Address',
  location: 'Location'
};

const NUMBER_TYPES = new Set<FieldType>(['int', 'double', 'currency', 'percent']);

function fieldColumn(
  field: FieldDescribe | undefined,
  name: string,
  displayName: string
): ColumnMetadata {
  const type = field?.type;
  return {
    aggregate: false,
    apexType: type ? (APEX_TYPES[type] ?? 'String') : null,
    booleanType: type === 'boolean',
    columnName: field?.name ?? name,
    custom: field?.custom ?? false,
    displayName,
    foreignKeyName: null,
    insertable: field?.createable ?? false,
    joinColumns: [],
    numberType: type !== undefined && NUMBER_TYPES.has(type),
    textType: type !== undefined && APEX_TYPES[type] === undefined,
    updatable: field?.updateable ?? false
  };
}

function relationshipColumn(name: string, displayName: string): ColumnMetadata {
  return { ...fieldColumn(undefined, name, displayName), columnName: name };
}

/** The object a relationship name leads to from `object`, if the schema knows it. */
function parentObject(
  schema: Schema,
  object: SObjectDescribe,
  relationship: string
): SObjectDescribe | undefined {
  const field = schema.getRelationship(object, relationship);
  const target = field?.referenceTo[0];
  return target === undefined ? undefined : schema.getObject(target);
}

/** Adds `Account.Owner.Name` under the `Account` column (created once, in SELECT order). */
function addPath(
  schema: Schema,
  columns: ColumnMetadata[],
  object: SObjectDescribe | undefined,
  segments: string[],
  prefix: string
): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const displayName = prefix ? `${prefix}.${head}` : head;
  if (rest.length === 0) {
    const field = object ? schema.getField(object, head) : undefined;
    columns.push(fieldColumn(field, head, displayName));
    return;
  }
  const relationship = object ? schema.getRelationship(object, head) : undefined;
  const name = relationship?.relationshipName ?? head;
  let column = columns.find((c) => c.columnName === name && c.joinColumns.length > 0);
  if (!column) {
    column = relationshipColumn(name, displayName);
    columns.push(column);
  }
  addPath(
    schema,
    column.joinColumns,
    object ? parentObject(schema, object, head) : undefined,
    rest,
    displayName
  );
}

/** The metadata of each column: fields along their paths, aggregates, sub-queries nested. */
function columnsOf(
  schema: Schema,
  object: SObjectDescribe | undefined,
  details: QueryColumn[]
): ColumnMetadata[] {
  const columns: ColumnMetadata[] = [];
  for (const column of details) {
    if (column.children) {
      const child = schema.getObject(column.children.objectName);
      columns.push({
        ...relationshipColumn(column.name, column.displayName),
        aggregate: true,
        joinColumns: columnsOf(schema, child, column.children.columns)
      });
    } else if (column.aggregate) {
      columns.push({
        ...fieldColumn(undefined, column.name, column.displayName),
        aggregate: true,
        apexType: null
      });
    } else {
      addPath(schema, columns, object, column.name.split('.'), '');
    }
  }
  return columns;
}

export function queryColumns(schema: Schema, query: PreparedQuery): Record<string, unknown> {
  const object = schema.getObject(query.objectName);
  return {
    columnMetadata: columnsOf(schema, object, query.columnDetails),
    entityName: object?.name ?? query.objectName,
    groupBy: false,
    idSelected: query.columns.some((c) => c.toLowerCase() === 'id'),
    keyPrefix: object?.keyPrefix ?? null
  };
}
