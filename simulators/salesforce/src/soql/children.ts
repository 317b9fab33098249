/**
 * Parent-to-child sub-query results for one run of a query. Each sub-query's object is read
 * once, at the first parent that needs it, and its matching records are kept by parent id, so
 * streaming the parents stays a single pass whatever their number; memory holds the children
 * the sub-query matches. Each parent's children then get the sub-query's ORDER BY, OFFSET and
 * LIMIT (a sub-query's LIMIT is per parent).
 */
import { normalizeId } from '../ids.ts';
import type { SfRecord } from '../model.ts';
import type { ParentLookup, Predicate } from './evaluate.ts';
import type { ResolvedQuery, ResolvedSelectItem } from './resolved.ts';
import { orderedWindow } from './window.ts';

type ChildrenItem = Extract<ResolvedSelectItem, { kind: 'children' }>;

export class ChildRecords {
  private readonly byItem = new Map<ChildrenItem, Map<string, SfRecord[]>>();

  constructor(
    /** The records of a sub-query's object and the filter of its WHERE. */
    private readonly source: (query: ResolvedQuery) => {
      records: Iterable<SfRecord>;
      predicate: Predicate | undefined;
    },
    private readonly lookup: ParentLookup
  ) {}

  of(item: ChildrenItem, parentId: string): SfRecord[] {
    let byParent = this.byItem.get(item);
    if (!byParent) {
      byParent = this.index(item);
      this.byItem.set(item, byParent);
    }
    return byParent.get(parentId) ?? [];
  }

  private index(item: ChildrenItem): Map<string, SfRecord[]> {
    const { records, predicate } = this.source(item.query);
    const byParent = new Map<string, SfRecord[]>();
    const unordered = { orderBy: [] };
    for (const child of orderedWindow(records, predicate, unordered, this.lookup)) {
      const parentId = normalizeId(child[item.referenceField.name]);
      if (parentId === undefined) continue;
      const list = byParent.get(parentId);
      if (list) list.push(child);
      else byParent.set(parentId, [child]);
    }
    const { orderBy, offset, limit } = item.query;
    if (orderBy.length > 0 || offset !== undefined || limit !== undefined) {
      for (const [parentId, list] of byParent) {
        byParent.set(parentId, [...orderedWindow(list, undefined, item.query, this.lookup)]);
      }
    }
    return byParent;
  }
}
