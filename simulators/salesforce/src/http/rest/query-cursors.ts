/**
 * Server-side query cursors behind `nextRecordsUrl`: each open cursor keeps the running row
 * iterator of its query, so the next page resumes where the last one stopped (the query does
 * not run again per page, and a large result is never held in memory). As in a real org a
 * cursor dies after 15 minutes without use, a user holds at most 10 (opening an 11th releases
 * the oldest) and a finished query leaves none behind.
 */
import {
  SalesforceApiError,
  type Clock,
  type PreparedQuery,
  type QueryOptions
} from '../../model.ts';
import { newId } from '../../ids.ts';

export const DEFAULT_BATCH_SIZE = 2000;
export const MIN_BATCH_SIZE = 200;
export const MAX_BATCH_SIZE = 2000;
export const CURSOR_IDLE_MS = 15 * 60 * 1000;
export const MAX_CURSORS_PER_USER = 10;
/** Key prefix of QueryLocator ids (`01g...`), as in a real `nextRecordsUrl`. */
const LOCATOR_PREFIX = '01g';

type Row = Record<string, unknown>;

interface Cursor {
  id: string;
  userId: string;
  query: PreparedQuery;
  options: QueryOptions;
  iterator: Iterator<Row>;
  /** Rows already handed out. */
  position: number;
  /** A row read ahead to know whether the previous page was the last. */
  lookahead?: Row;
  totalSize: number;
  lastUsedMs: number;
}

export interface QueryPage {
  totalSize: number;
  done: boolean;
  records: Row[];
  /** `01gEm0000000001AAA-2000` when more rows remain. */
  locator?: string;
}

export function invalidLocator(): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
}

/** `Sforce-Query-Options: batchSize=500` -> 500, clamped to Salesforce's 200..2000. */
export function batchSizeFrom(header: unknown): number | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /(?:^|[,;\s])batchSize\s*=\s*(\d+)/i.exec(header);
  if (!match) return undefined;
  const size = Number(match[1]);
  return Math.min(MAX_BATCH_SIZE, Math.max(MIN_BATCH_SIZE, size));
}

export class QueryCursors {
  private readonly cursors = new Map<string, Cursor>();
  private sequence = 0;

  constructor(private readonly clock: Clock) {}

  /** The first page of a query; opens a cursor when more rows remain. */
  open(
    userId: string,
    query: PreparedQuery,
    options: QueryOptions,
    batchSize: number,
    countTotal: () => number
  ): QueryPage {
    this.expireIdle();
    const iterator = query.run(options)[Symbol.iterator]();
    const cursor: Cursor = {
      id: newId(LOCATOR_PREFIX, ++this.sequence),
      userId,
      query,
      options,
      iterator,
      position: 0,
      totalSize: 0,
      lastUsedMs: this.clock.now().getTime()
    };
    const records = this.read(cursor, batchSize);
    const done = cursor.lookahead === undefined;
    // A result that fits one page is counted by reading it; a longer one asks the engine.
    cursor.totalSize = done ? records.length : countTotal();
    if (done) {
      this.release(cursor);
      return { totalSize: cursor.totalSize, done: true, records };
    }
    this.cursors.set(cursor.id, cursor);
    this.enforcePerUserLimit(userId);
    return { totalSize: cursor.totalSize, done: false, records, locator: this.locatorOf(cursor) };
  }

  /** The page at `locator` (`<cursor id>-<rows already read>`). */
  next(userId: string, locator: string, batchSize: number | undefined): QueryPage {
    this.expireIdle();
    const match = /^([a-zA-Z0-9]{15,18})-(\d+)$/.exec(locator);
    const cursor = match ? this.cursors.get(match[1] ?? '') : undefined;
    if (!match || !cursor || cursor.userId !== userId) throw invalidLocator();
    const offset = Number(match[2]);
    this.seek(cursor, offset);
    cursor.lastUsedMs = this.clock.now().getTime();
    const records = this.read(cursor, batchSize ?? DEFAULT_BATCH_SIZE);
    if (cursor.lookahead === undefined) {
      this.release(cursor);
      return { totalSize: cursor.totalSize, done: true, records };
    }
    return { totalSize: cursor.totalSize, done: false, records, locator: this.locatorOf(cursor) };
  }

  /** Open cursors (for the driver's state). */
  size(): number {
    return this.cursors.size;
  }

  clear(): void {
    for (const cursor of this.cursors.values()) this.release(cursor);
  }

  private locatorOf(cursor: Cursor): string {
    return `${cursor.id}-${cursor.position}`;
  }

  /** Positions the cursor at `offset`: usually where it is; re-runs only to go back. */
  private seek(cursor: Cursor, offset: number): void {
    if (offset === cursor.position) return;
    if (offset < cursor.position) {
      cursor.iterator.return?.();
      cursor.iterator = cursor.query.run(cursor.options)[Symbol.iterator]();
      cursor.lookahead = undefined;
      cursor.position = 0;
      this.prime(cursor);
    }
    while (cursor.position < offset && cursor.lookahead !== undefined) {
      cursor.position++;
      this.advance(cursor);
    }
    if (cursor.position < offset) throw invalidLocator();
  }

  private prime(cursor: Cursor): void {
    const step = cursor.iterator.next();
    cursor.lookahead = step.done ? undefined : step.value;
  }

  private advance(cursor: Cursor): void {
    this.prime(cursor);
  }

  private read(cursor: Cursor, batchSize: number): Row[] {
    if (cursor.position === 0 && cursor.lookahead === undefined) this.prime(cursor);
    const records: Row[] = [];
    while (records.length < batchSize && cursor.lookahead !== undefined) {
      records.push(cursor.lookahead);
      cursor.position++;
      this.advance(cursor);
    }
    return records;
  }

  private release(cursor: Cursor): void {
    this.cursors.delete(cursor.id);
    try {
      cursor.iterator.return?.();
    } catch {
      // A generator that fails while closing has nothing left to free.
    }
  }

  private expireIdle(): void {
    const now = this.clock.now().getTime();
    for (const cursor of this.cursors.values()) {
      if (now - cursor.lastUsedMs > CURSOR_IDLE_MS) this.release(cursor);
    }
  }

  private enforcePerUserLimit(userId: string): void {
    const mine = [...this.cursors.values()].filter((cursor) => cursor.userId === userId);
    mine.sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    while (mine.length > MAX_CURSORS_PER_USER) {
      const oldest = mine.shift();
      if (oldest) this.release(oldest);
    }
  }
}
