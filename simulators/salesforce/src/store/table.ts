/**
 * The records of one object: live records in insertion order (an array with holes left by
 * deletes, compacted lazily so deletes stay O(1)), an id -> slot map, the recycle bin, the
 * generated datasets, and value indexes for unique / external-id fields.
 */
import type { FieldDescribe, SfRecord, SObjectDescribe } from '../model.ts';
import type { GeneratedDataset } from './generated.ts';
import { indexKey } from './values.ts';

/**
 * Value -> record ids for one field. Unique fields hold at most one id per key; external ids
 * that are not unique may hold several (an upsert on them answers 300 MULTIPLE_CHOICES).
 */
export class ValueIndex {
  private readonly entries = new Map<string, string | string[]>();

  constructor(readonly field: FieldDescribe) {}

  add(value: unknown, id: string): void {
    const key = indexKey(this.field, value);
    if (key === undefined) return;
    const existing = this.entries.get(key);
    if (existing === undefined) this.entries.set(key, id);
    else if (typeof existing === 'string') {
      if (existing !== id) this.entries.set(key, [existing, id]);
    } else if (!existing.includes(id)) existing.push(id);
  }

  remove(value: unknown, id: string): void {
    const key = indexKey(this.field, value);
    if (key === undefined) return;
    const existing = this.entries.get(key);
    if (existing === id) this.entries.delete(key);
    else if (Array.isArray(existing)) {
      const rest = existing.filter((other) => other !== id);
      if (rest.length === 0) this.entries.delete(key);
      else this.entries.set(key, rest.length === 1 ? (rest[0] as string) : rest);
    }
  }

  ids(value: unknown): string[] {
    const key = indexKey(this.field, value);
    const existing = key === undefined ? undefined : this.entries.get(key);
    if (existing === undefined) return [];
    return typeof existing === 'string' ? [existing] : [...existing];
  }
}

/** Receives the inverse of each change while a savepoint is open. */
export type UndoSink = (undo: () => void) => void;

export class ObjectTable {
  /** Live stored records; `undefined` marks a deleted record's slot until compaction. */
  rows: Array<SfRecord | undefined> = [];
  readonly slots = new Map<string, number>();
  holes = 0;
  readonly bin: SfRecord[] = [];
  readonly binIds = new Set<string>();
  readonly datasets: GeneratedDataset[] = [];
  /** Indexes of unique, external-id and other id-lookup fields (never Id: slots cover it). */
  readonly indexes = new Map<string, ValueIndex>();
  readonly autoNumbers = new Map<string, number>();

  constructor(
    readonly object: SObjectDescribe,
    private readonly journal: UndoSink
  ) {
    for (const field of object.fields) {
      if (field.type !== 'id' && (field.unique || field.externalId || field.idLookup)) {
        this.indexes.set(field.name, new ValueIndex(field));
      }
    }
  }

  get storedCount(): number {
    return this.rows.length - this.holes;
  }

  get generatedCount(): number {
    let total = 0;
    for (const dataset of this.datasets) total += dataset.liveCount;
    return total;
  }

  get(id: string): SfRecord | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.rows[slot];
  }

  add(record: SfRecord): void {
    this.slots.set(record.Id, this.rows.length);
    this.rows.push(record);
    this.indexAll(record);
    this.journal(() => this.takeOut(record));
  }

  /** Swaps a stored record for its new version, re-filing changed indexed values. */
  replace(previous: SfRecord, next: SfRecord): void {
    const slot = this.slots.get(previous.Id);
    if (slot === undefined) throw new Error(`${previous.Id} is not stored`);
    this.rows[slot] = next;
    for (const index of this.indexes.values()) {
      const name = index.field.name;
      if (previous[name] === next[name]) continue;
      index.remove(previous[name], previous.Id);
      index.add(next[name], next.Id);
    }
    this.journal(() => this.replace(next, previous));
  }

  /** Moves a live record to the recycle bin as `deleted`. */
  remove(record: SfRecord, deleted: SfRecord): void {
    const rows = this.rows;
    const slot = this.slots.get(record.Id);
    this.takeOut(record);
    this.addToBin(deleted);
    this.journal(() => {
      // Back into its old place when no compaction moved things since, else at the end.
      if (slot !== undefined && this.rows === rows && rows[slot] === undefined) {
        rows[slot] = record;
        this.slots.set(record.Id, slot);
        this.holes -= 1;
        this.indexAll(record);
      } else {
        this.slots.set(record.Id, this.rows.length);
        this.rows.push(record);
        this.indexAll(record);
      }
    });
  }

  addToBin(deleted: SfRecord): void {
    if (this.binIds.has(deleted.Id)) return;
    this.bin.push(deleted);
    this.binIds.add(deleted.Id);
    this.journal(() => {
      const at = this.bin.lastIndexOf(deleted);
      if (at >= 0) this.bin.splice(at, 1);
      this.binIds.delete(deleted.Id);
    });
  }

  /**
   * Drops the holes. Builds a new array so iterators already walking the old one are not
   * disturbed (they keep skipping the holes they see).
   */
  compact(): void {
    if (this.holes === 0) return;
    const rows: SfRecord[] = [];
    for (const record of this.rows) {
      if (record === undefined) continue;
      this.slots.set(record.Id, rows.length);
      rows.push(record);
    }
    this.rows = rows;
    this.holes = 0;
  }

  private indexAll(record: SfRecord): void {
    for (const index of this.indexes.values()) index.add(record[index.field.name], record.Id);
  }

  /** Empties a record's slot (a hole until compaction) and unindexes it. */
  private takeOut(record: SfRecord): void {
    const slot = this.slots.get(record.Id);
    if (slot === undefined) return;
    this.rows[slot] = undefined;
    this.slots.delete(record.Id);
    this.holes += 1;
    for (const index of this.indexes.values()) index.remove(record[index.field.name], record.Id);
  }
}
