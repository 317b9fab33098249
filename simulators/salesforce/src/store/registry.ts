/**
 * The store's tables (one per object, made on first use) and its generated datasets by number:
 * together they say where a record id lives (a stored record, a generated row, the recycle bin).
 */
import type { Schema, SfRecord, SObjectDescribe } from '../model.ts';
import { parseId } from '../ids.ts';
import { writeErrors } from './errors.ts';
import { GeneratedDataset } from './generated.ts';
import type { UndoSink } from './table.ts';
import { ObjectTable } from './table.ts';
import type { RecordStatus } from './validation.ts';

export type LiveLocation =
  | { kind: 'stored'; record: SfRecord }
  | { kind: 'generated'; record: SfRecord; dataset: GeneratedDataset; index: number };

export type Location = LiveLocation | { kind: 'deleted' } | undefined;

export class TableRegistry {
  private readonly tables = new Map<string, ObjectTable>();
  private readonly datasets = new Map<number, GeneratedDataset>();
  private nextDataset = 0;

  constructor(
    readonly schema: Schema,
    private readonly journal: UndoSink
  ) {}

  requireObject(name: string): SObjectDescribe {
    const object = this.schema.getObject(name);
    if (object === undefined) throw writeErrors.unknownObject();
    return object;
  }

  tableFor(object: SObjectDescribe): ObjectTable {
    let table = this.tables.get(object.name);
    if (table === undefined) {
      table = new ObjectTable(object, this.journal);
      this.tables.set(object.name, table);
    }
    return table;
  }

  allTables(): Iterable<ObjectTable> {
    return this.tables.values();
  }

  addDataset(
    object: SObjectDescribe,
    count: number,
    make: (index: number) => Record<string, unknown>,
    template: Readonly<Record<string, unknown>>,
    modstampAt?: (index: number) => number,
    rowOfKey?: (field: string, value: string) => number | undefined
  ): void {
    const dataset = new GeneratedDataset(
      this.nextDataset,
      object,
      count,
      make,
      template,
      this.journal,
      modstampAt,
      rowOfKey
    );
    // Validates the dataset number and row range once, up front.
    if (count > 0) dataset.idOf(count - 1);
    this.nextDataset += 1;
    this.datasets.set(dataset.number, dataset);
    this.tableFor(object).datasets.push(dataset);
  }

  locate(table: ObjectTable, id: string): Location {
    const stored = table.get(id);
    if (stored !== undefined) return { kind: 'stored', record: stored };
    if (table.binIds.has(id)) return { kind: 'deleted' };
    const parsed = parseId(id);
    if (parsed?.kind !== 'generated') return undefined;
    const dataset = this.datasets.get(parsed.dataset);
    if (dataset === undefined || dataset.object !== table.object) return undefined;
    if (dataset.isDeleted(parsed.index)) return { kind: 'deleted' };
    const record = dataset.row(parsed.index);
    return record === undefined
      ? undefined
      : { kind: 'generated', record, dataset, index: parsed.index };
  }

  recordStatus(id: string): RecordStatus {
    const object = this.schema.objectForKeyPrefix(id.slice(0, 3));
    if (object === undefined) return 'missing';
    const location = this.locate(this.tableFor(object), id);
    if (location === undefined) return 'missing';
    return location.kind === 'deleted' ? 'deleted' : 'live';
  }

  clear(): void {
    this.tables.clear();
    this.datasets.clear();
    this.nextDataset = 0;
  }
}
