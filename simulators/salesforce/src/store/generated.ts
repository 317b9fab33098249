/**
 * Generated datasets: `count` synthetic records produced on demand from their index, with
 * deterministic ids that encode dataset and index. Nothing is kept per row, so a million-row
 * dataset costs a closure until someone reads it, and reading it retains nothing. Rows updated
 * or deleted through the API are kept as overrides (the only per-row memory they ever use).
 */
import type { SfRecord, SObjectDescribe } from '../model.ts';
import { generatedId } from '../ids.ts';
import type { UndoSink } from './table.ts';
import { formatDatetime } from './values.ts';

/** Dated audit fields a spread stamps (created = last modified for a never-updated row). */
const STAMP_FIELDS = ['CreatedDate', 'LastModifiedDate', 'SystemModstamp'];
const DAY_MS = 86_400_000;

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

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
    private readonly journal: UndoSink,
    /**
     * The SystemModstamp (epoch ms) of row `index` as generated, non-decreasing with the index,
     * when the dataset spreads its stamps (datasets.ts): lets a watermark become an index range.
     */
    readonly modstampAt?: (index: number) => number,
    /** The candidate row for an external id value (GeneratedDatasetOptions.rowOfKey). */
    readonly rowOfKey?: (field: string, value: string) => number | undefined
  ) {}

  get liveCount(): number {
    return this.count - this.deleted;
  }

  idOf(index: number): string {
    return generatedId(this.object.keyPrefix, this.number, index);
  }

  /**
   * The row as generated (ignoring overrides). A spread of stamps wins over stamps `make` sets,
   * so the row's SystemModstamp always equals modstampAt (which range scans rely on).
   */
  generate(index: number): SfRecord {
    const id = this.idOf(index);
    const record = {
      Id: id,
      ...this.template,
      ...this.make(index),
      ...this.stamps(index)
    } as SfRecord;
    record.Id = id;
    return record;
  }

  /** The audit dates of a dataset that spreads them (see modstampAt). */
  private stamps(index: number): Record<string, string> | undefined {
    if (this.modstampAt === undefined || this.stampFields.length === 0) return undefined;
    const text = this.stampText(this.modstampAt(index));
    const stamps: Record<string, string> = {};
    for (const name of this.stampFields) stamps[name] = text;
    return stamps;
  }

  /** The audit date fields the object has, stamped per row when modstampAt is set. */
  private get stampFields(): string[] {
    this.stampFieldsCache ??= STAMP_FIELDS.filter((name) =>
      this.object.fields.some((field) => field.name === name)
    );
    return this.stampFieldsCache;
  }

  private stampFieldsCache: string[] | undefined;
  private stampDay = Number.NaN;
  private stampDayText = '';

  /**
   * formatDatetime for whole-second instants, with the date part kept per day: consecutive
   * rows share a day, and Date#toISOString per row would dominate a scan.
   */
  private stampText(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.stampDay) {
      this.stampDay = day;
      this.stampDayText = formatDatetime(new Date(day * DAY_MS)).slice(0, 11);
    }
    const seconds = Math.floor((ms - day * DAY_MS) / 1000);
    const hh = Math.floor(seconds / 3600);
    const mm = Math.floor((seconds % 3600) / 60);
    const ss = seconds % 60;
    return `${this.stampDayText}${pad2(hh)}:${pad2(mm)}:${pad2(ss)}.000+0000`;
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
