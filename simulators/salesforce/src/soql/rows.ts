/**
 * Result row shapes. REST (`/query`) nests parent fields under the relationship name, each
 * record with its `attributes` (`type`, `url`), and a missing parent is `null`:
 *
 *   { attributes: { type: 'Contact', url: '/services/data/v65.0/sobjects/Contact/003...' },
 *     Name: 'Ada', Account: { attributes: {...}, Name: 'Acme' } }
 *
 * Bulk API CSV rows are flat: one key per selected path (`Account.Name`), null when a parent
 * on the way is missing.
 */
import type { FieldDescribe, SfRecord } from '../model.ts';
import { fieldValue, parentOf, readPath, type ParentLookup } from './evaluate.ts';
import type { ResolvedPath } from './resolve.ts';

type OutputNode =
  | { kind: 'field'; field: FieldDescribe }
  | { kind: 'parent'; key: string; referenceField: FieldDescribe; children: OutputNode[] };

/**
 * The nested output tree of the selected paths: fields in SELECT order, every relationship
 * once, at the place of its first use (`Account.Name, Id, Account.Industry` gives
 * `Account{Name, Industry}, Id`), as the REST API does.
 */
export function outputTree(paths: ResolvedPath[]): OutputNode[] {
  const root: OutputNode[] = [];
  for (const path of paths) {
    let level = root;
    for (const hop of path.hops) {
      let node = level.find(
        (candidate): candidate is Extract<OutputNode, { kind: 'parent' }> =>
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
    const name = path.field.name;
    if (!level.some((node) => node.kind === 'field' && node.field.name === name)) {
      level.push({ kind: 'field', field: path.field });
    }
  }
  return root;
}

export interface RestRowContext {
  lookup: ParentLookup;
  /** `65.0`: the API version the record urls name. */
  apiVersion: string;
}

function attributes(type: string, id: unknown, apiVersion: string): Record<string, unknown> {
  return { type, url: `/services/data/v${apiVersion}/sobjects/${type}/${String(id)}` };
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
    if (node.kind === 'field') {
      row[node.field.name] = fieldValue(record, node.field);
    } else {
      const parent = parentOf(record, node.referenceField, context.lookup);
      row[node.key] = parent
        ? restRow(parent.record, parent.object.name, node.children, context)
        : null;
    }
  }
  return row;
}

/** One record as a flat Bulk API row: selected path -> value. */
export function flatRow(
  record: SfRecord,
  paths: ResolvedPath[],
  lookup: ParentLookup
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const path of paths) row[path.name] = readPath(record, path, lookup);
  return row;
}
