// Where the subscription resumes, and when that position may move.
//
// A replay id is stored only once its event and every event delivered before it were processed:
// the store never runs ahead of the handler, so a crash replays (at least once) instead of
// skipping. Writes are serialized, each taking the best candidate at the time it runs, so a slow
// store never sees an older position after a newer one.
import type { Logger } from '../../logger.ts';
import type { ReplayStore } from './replay-store.ts';

export type ReplayStart = 'EARLIEST' | 'LATEST';

/** Where a Subscribe call starts: a preset, or (CUSTOM) right after a stored replay id. */
export type ResumePoint = ReplayStart | bigint;

export interface ReplayPositionOptions {
  replayStore: ReplayStore;
  subscriber: string;
  topic: string;
  logger: Logger;
  /** After every successful write of a new position. */
  onCommitted: (replayId: bigint) => void;
}

export class ReplayPosition {
  /** What the store holds, once known. */
  private committedId: bigint | undefined;
  /** Processed, not yet committed replay ids, ascending. */
  private processed: bigint[] = [];
  private writes: Promise<void> = Promise.resolve();
  /** Preset forced for the next connection (after a replay gap), until the next commit. */
  private resumePreset: ReplayStart | undefined;
  /** Latest id of the previous keepalive, if no event came since. */
  private quietKeepaliveId: bigint | undefined;

  constructor(private readonly options: ReplayPositionOptions) {}

  get committed(): bigint | undefined {
    return this.committedId;
  }

  /**
   * Reads the stored position for a new connection; what a previous connection processed but did
   * not commit is forgotten, because the new one delivers it again.
   */
  async reload(initialReplay: ReplayStart): Promise<ResumePoint> {
    const stored = await this.options.replayStore.load(this.options.subscriber, this.options.topic);
    this.committedId = stored;
    this.processed = [];
    this.quietKeepaliveId = undefined;
    return this.resumePreset ?? stored ?? initialReplay;
  }

  /** The stored id was refused: connect from `preset` until a new position is committed. */
  resumeAfterGap(preset: ReplayStart): void {
    this.resumePreset = preset;
  }

  /** An event arrived: the topic is not quiet (see `keepalive`). */
  eventDelivered(): void {
    this.quietKeepaliveId = undefined;
  }

  markProcessed(replayId: bigint): void {
    // Usually appended in order; keep the array sorted if the client reordered deliveries.
    let index = this.processed.length;
    while (index > 0 && this.processed[index - 1]! > replayId) index--;
    this.processed.splice(index, 0, replayId);
  }

  /** The connection is over: its uncommitted progress will be delivered again. */
  discardUncommitted(): void {
    this.processed = [];
  }

  /**
   * Commits the best candidate at the time the write runs; `unprocessed` are the replay ids
   * delivered but not processed yet, which bound it. Resolves false when the store failed (the
   * events stay uncommitted and will be delivered again); never rejects.
   */
  commit(unprocessed: () => Iterable<bigint>): Promise<boolean> {
    const run = this.writes.then(async () => {
      const candidate = this.candidate(unprocessed());
      if (candidate === undefined) return true;
      await this.save(candidate);
      this.processed = this.processed.filter((id) => id > candidate);
      return true;
    });
    const settled = run.catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'could not store the replay id');
      return false;
    });
    this.writes = settled.then(() => undefined);
    return settled;
  }

  /**
   * Two consecutive keepalives with the same latest replay id and no event in between: the
   * topic had nothing new for a whole interval and everything before it was processed, so that
   * id is a safe, fresher resume point. Without this a stored position on a quiet topic would age
   * out of the retention window and surface as a replay gap. Call it once every event decoded in
   * the same read as the keepalive has been delivered; `connectionIdle`: nothing is queued or
   * being processed.
   */
  keepalive(latestId: bigint, connectionIdle: boolean): void {
    // 0: the stream had no event yet, which is no position to resume from.
    if (latestId <= 0n) return;
    const previous = this.quietKeepaliveId;
    this.quietKeepaliveId = latestId;
    if (!connectionIdle || this.processed.length > 0 || previous !== latestId) return;
    if (this.committedId !== undefined && latestId <= this.committedId) return;
    this.writes = this.writes
      .then(async () => {
        if (this.quietKeepaliveId !== latestId || this.processed.length > 0) return;
        await this.save(latestId);
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'could not store the keepalive replay id');
      });
  }

  /** Resolves once every write queued so far is over. */
  settled(): Promise<void> {
    return this.writes;
  }

  /** The highest processed replay id with every event delivered before it processed too. */
  private candidate(unprocessed: Iterable<bigint>): bigint | undefined {
    let bound: bigint | undefined;
    for (const id of unprocessed) {
      if (bound === undefined || id < bound) bound = id;
    }
    let candidate: bigint | undefined;
    for (const id of this.processed) {
      if (bound !== undefined && id >= bound) break;
      candidate = id;
    }
    return candidate;
  }

  private async save(replayId: bigint): Promise<void> {
    if (this.committedId !== replayId) {
      await this.options.replayStore.save(this.options.subscriber, this.options.topic, replayId);
      this.committedId = replayId;
      this.options.onCommitted(replayId);
    }
    // Back on a stored position: a replay-gap override is no longer needed.
    this.resumePreset = undefined;
  }
}
