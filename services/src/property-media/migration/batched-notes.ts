// Progress notes collected for a moment and written in one statement: the transfer phase of a
// 3 MB image takes a few ms of the event loop, and a PostgreSQL round trip per image was a
// visible share of it. Losing the unwritten notes (SIGKILL) only repeats work, never skips it:
// a row not noted as done is still claimed by the dead run, so the next run does it again onto
// the same key.

export class BatchedNotes<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly limits: { maxItems: number; maxDelayMs: number }
  ) {}

  /** Queues a note; throws the error of an earlier write (the database is gone: stop). */
  add(item: T): void {
    if (this.failure !== undefined) throw this.failure;
    this.items.push(item);
    if (this.items.length >= this.limits.maxItems) this.start();
    else this.timer ??= setTimeout(() => this.start(), this.limits.maxDelayMs);
  }

  /** Writes what is queued and waits for every write so far. */
  async flush(): Promise<void> {
    this.start();
    await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  /** One write at a time, in order. */
  private start(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.writing = this.writing
      .then(() => this.write(items))
      .catch((error: unknown) => {
        this.failure ??= error;
      });
  }
}
