/**
 * Result row shapes. REST (`/query`) nests parent fields under the relationship name, each
 * record with its `attributes` (`type`, `url`), and a missing parent is `null`; a
 * parent-to-child sub-query is a nested query result, `null` when there are no children (SOQL
 * reference, "Understanding Query Results": developer.salesforce.com/docs/atlas.en-us.soql_sosl.
 * meta/soql_sosl/sforce_api_calls_soql_relationships_query_results.htm); TYPEOF gives the
 * parent with the fields of the branch its type matches:
 *
 *   { attributes: { type: 'Account', url: '/services/data/v65.0/sobjects/Account/001...' },
 *     Name: 'Acme', Owner: { attributes: {...}, Name: 'Ada' },
 *     Contacts: { totalSize: 1, done: true,
 *                 records: [{ attributes: {...}, LastName: 'Lovelace' }] } }
 *
 * An aliased column (`toLabel(Status) statusLabel`) is a key of the row itself. Bulk API CSV
 * rows are flat: one key per column (`Account.Name`, or the alias), null when a parent on the
 * way is missing.
 */
import type { FieldDescribe, SfRecord } from '../model.ts';
import { blobValue } from '../files/blob-fields.ts';
import { apiValue } from '../java-json.ts';
import {
  applyFunction,
  expressionReader,
  fieldValue,
  parentOf,
  readPath,
  type ParentLookup
} from './evaluate.ts';
import type { ResolvedPath, ResolvedSelectItem, ScalarFunction } from './resolved.ts';

type ChildrenItem = Extract<ResolvedSelectItem, { kind: 'children' }>;

type OutputNode =
  | { kind: 'field'; key: string; field: FieldDescribe; fn?: ScalarFunction }
  /** An aliased column: read along its whole path from the row's record. */
  | { kind: 'aliased'; key: string; path: ResolvedPath; fn?: ScalarFunction }
  | { kind: 'parent'; key: string; referenceField: FieldDescribe; children: OutputNode[] }
  | { kind: 'children'; key: string; item: ChildrenItem; type: string; tree: OutputNode[] }
  | {
      kind: 'typeof';
      key: string;
      referenceField: FieldDescribe;
      branches: Map<string, OutputNode[]>;
    };

type ParentNode = Extract<OutputNode, { kind: 'parent' }>;

/** The level a path's hops lead to, creating each relationship's node once. */
function levelOf(root: OutputNode[], path: Pick<ResolvedPath, 'hops'>): OutputNode[] {
  let level = root;
  for (const hop of path.hops) {
    let node = level.find(
      (candidate): candidate is ParentNode =>
        candidate.kind === 'parent' && candidate.key === hop.relationshipName
    );
    if (!node) {
      node = {
        kind: 'parent',
        key: hop.relationshipName,
        referenceField: hop.referenceField,
        children: []
      };
      level.push(node);
    }
    level = node.children;
  }
  return level;
}

function pathTree(paths: ResolvedPath[]): OutputNode[] {
  return outputTree(
    paths.map((path) => ({ kind: 'column', expression: { path, kind: path.kind, key: path.name } }))
  );
}

/**
 * The nested output tree of a record query's SELECT list: fields in SELECT order, every
 * relationship once, at the place of its first use (`Account.Name, Id, Account.Industry` gives
 * `Account{Name, Industry}, Id`), as the REST API does.
 */
export function outputTree(items: ResolvedSelectItem[]): OutputNode[] {
  const root: OutputNode[] = [];
  for (const item of items) {
    switch (item.kind) {
      case 'column': {
        const { path, fn } = item.expression;
        if (item.alias !== undefined) {
          root.push({ kind: 'aliased', key: item.alias, path, ...(fn ? { fn } : {}) });
          break;
        }
        const level = levelOf(root, path);
        const name = path.field.name;
        if (!level.some((node) => node.kind === 'field' && node.key === name)) {
          level.push({ kind: 'field', key: name, field: path.field, ...(fn ? { fn } : {}) });
        }
        break;
      }
      case 'children':
        root.push({
          kind: 'children',
          key: item.relationshipName,
          item,
          type: item.query.object.name,
          tree: outputTree(item.query.select)
        });
        break;
      case 'typeof': {
        const branches = new Map<string, OutputNode[]>();
        for (const [type, paths] of item.branches) branches.set(type, pathTree(paths));
        levelOf(root, item).push({
          kind: 'typeof',
          key: item.relationshipName,
          referenceField: item.referenceField,
          branches
        });
        break;
      }
    }
  }
  return root;
}

export interface RestRowContext {
  lookup: ParentLookup;
  /** `65.0`: the API version the record urls name. */
  apiVersion: string;
  /** The records a sub-query yields for one parent, in order, after its LIMIT. */
  children(item: ChildrenItem, parentId: string): SfRecord[];
}

function attributes(type: string, id: unknown, apiVersion: string): Record<string, unknown> {
  return { type, url: `/services/data/v${apiVersion}/sobjects/${type}/${String(id)}` };
}

function valueAt(record: SfRecord, field: FieldDescribe, fn: ScalarFunction | undefined): unknown {
  const value = fieldValue(record, field);
  // Doubles as Java writes them (java-json.ts); a function's result is text.
  return fn === undefined ? apiValue(field, value) : applyFunction(fn, field, value);
}

/** One record as the REST query resource returns it. */
export function restRow(
  record: SfRecord,
  type: string,
  tree: OutputNode[],
  context: RestRowContext
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    attributes: attributes(type, record.Id, context.apiVersion)
  };
  for (const node of tree) {
    switch (node.kind) {
      case 'field':
        // A blob is never inline in a query result: its URL is (see files/blob-fields.ts).
        row[node.key] =
          node.field.type === 'base64'
            ? blobValue(context.apiVersion, type, record.Id, node.field, record[node.field.name])
            : valueAt(record, node.field, node.fn);
        break;
      case 'aliased': {
        const value = readPath(record, node.path, context.lookup);
        row[node.key] =
          node.fn === undefined
            ? apiValue(node.path.field, value)
            : applyFunction(node.fn, node.path.field, value);
        break;
      }
      case 'parent': {
        const parent = parentOf(record, node.referenceField, context.lookup);
        row[node.key] = parent
          ? restRow(parent.record, parent.object.name, node.children, context)
          : null;
        break;
      }
      case 'children': {
        const children = context.children(node.item, record.Id);
        row[node.key] =
          children.length === 0
            ? null
            : {
                totalSize: children.length,
                done: true,
                records: children.map((child) => restRow(child, node.type, node.tree, context))
              };
        break;
      }
      case 'typeof': {
        const parent = parentOf(record, node.referenceField, context.lookup);
        if (!parent) {
          row[node.key] = null;
          break;
        }
        // A type no WHEN names, without ELSE, still comes back: as the record with no fields.
        const branch = node.branches.get(parent.object.name) ?? [];
        row[node.key] = restRow(parent.record, parent.object.name, branch, context);
        break;
      }
    }
  }
  return row;
}

/** Flat Bulk API rows: column name (alias or path) -> value. */
export function flatRows(
  items: ResolvedSelectItem[],
  lookup: ParentLookup
): (record: SfRecord) => Record<string, unknown> {
  const read = expressionReader(lookup);
  const columns = items.flatMap((item) =>
    item.kind === 'column'
      ? [{ name: item.alias ?? item.expression.path.name, read: read(item.expression) }]
      : []
  );
  return (record) => {
    const row: Record<string, unknown> = {};
    for (const column of columns) row[column.name] = column.read(record);
    return row;
  };
}
