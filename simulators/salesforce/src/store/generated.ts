/**
 * Generated datasets: `count` synthetic records produced on demand from their index, with
 * deterministic ids that encode dataset and index. Nothing is kept per row, so a million-row
 * dataset costs a closure until someone reads it, and reading it retains nothing. Rows updated
 * or deleted through the API are kept as overrides (the only per-row memory they ever use).
 */
import type { SfRecord, SObjectDescribe } from '../model.ts';
import { generatedId } from '../ids.ts';
import type { UndoSink } from './table.ts';

export class GeneratedDataset {
  /** index -> replacement record, or null once deleted. */
  readonly overrides = new Map<number, SfRecord | null>();
  private deleted = 0;

  constructor(
    readonly number: number,
    readonly object: SObjectDescribe,
    readonly count: number,
    private readonly make: (index: number) => Record<string, unknown>,
    /** System fields every row carries (IsDeleted, CreatedDate, OwnerId...). */
    private readonly template: Readonly<Record<string, unknown>>,
    private readonly journal: UndoSink
  ) {}

  get liveCount(): number {
    return this.count - this.deleted;
  }

  idOf(index: number): string {
    return generatedId(this.object.keyPrefix, this.number, index);
  }

  /** The row as generated (ignoring overrides). */
  generate(index: number): SfRecord {
    const id = this.idOf(index);
    const record = { Id: id, ...this.template, ...this.make(index) } as SfRecord;
    record.Id = id;
    return record;
  }

  /** The live row at `index`, or undefined when it was deleted or is out of range. */
  row(index: number): SfRecord | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    if (this.overrides.size > 0 && this.overrides.has(index)) {
      return this.overrides.get(index) ?? undefined;
    }
    return this.generate(index);
  }

  isDeleted(index: number): boolean {
    return this.overrides.get(index) === null;
  }

  update(index: number, record: SfRecord): void {
    this.setOverride(index, record);
  }

  delete(index: number): void {
    if (this.overrides.get(index) === null) return;
    this.setOverride(index, null);
  }

  private setOverride(index: number, value: SfRecord | null): void {
    const had = this.overrides.has(index);
    const previous = this.overrides.get(index);
    this.overrides.set(index, value);
    if (value === null) this.deleted += 1;
    this.journal(() => {
      if (value === null) this.deleted -= 1;
      if (had) this.overrides.set(index, previous ?? null);
      else this.overrides.delete(index);
    });
  }

  /**
   * Live rows after skipping the first `skip` live ones (so a reader that counted what it read
   * resumes exactly; only a dataset with deleted rows needs walking to find the start).
   */
  *liveRows(skip = 0): Generator<SfRecord> {
    let index = 0;
    if (this.deleted === 0) index = Math.max(0, skip);
    else {
      for (let skipped = 0; index < this.count && skipped < skip; index++) {
        if (!this.isDeleted(index)) skipped += 1;
      }
    }
    for (; index < this.count; index++) {
      const record = this.row(index);
      if (record !== undefined) yield record;
    }
  }
}
