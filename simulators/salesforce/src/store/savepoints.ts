/**
 * Savepoints: while any is open, tables and generated datasets report the inverse of each change
 * to `sink`, and every open savepoint keeps it, so rolling one back replays its log backwards.
 */
import type { UndoSink } from './table.ts';
import type { Savepoint } from './types.ts';

interface OpenSavepoint {
  log: Array<() => void>;
}

export class SavepointJournal {
  /** Open savepoints, newest last; held weakly so a handle nobody releases stops recording. */
  private open: Array<WeakRef<OpenSavepoint>> = [];
  private replaying = false;

  constructor(private readonly afterRollback: () => void) {}

  readonly sink: UndoSink = (undo) => {
    if (this.replaying || this.open.length === 0) return;
    let live = 0;
    for (const ref of this.open) {
      const open = ref.deref();
      if (open === undefined) continue;
      open.log.push(undo);
      live += 1;
    }
    if (live < this.open.length) {
      this.open = this.open.filter((ref) => ref.deref() !== undefined);
    }
  };

  take(): Savepoint {
    const state: OpenSavepoint = { log: [] };
    this.open.push(new WeakRef(state));
    let done = false;
    return {
      rollback: () => {
        if (done) return;
        done = true;
        this.rollback(state);
      },
      release: () => {
        if (done) return;
        done = true;
        this.close(state);
        state.log = [];
      }
    };
  }

  /** Forgets every open savepoint (the store was cleared under them). */
  clear(): void {
    this.open = [];
  }

  private rollback(state: OpenSavepoint): void {
    // Outer savepoints recorded the same changes: once undone here they must not be
    // undone again there.
    for (const ref of this.close(state)) {
      const outer = ref.deref();
      if (outer) outer.log.splice(Math.max(0, outer.log.length - state.log.length));
    }
    this.replaying = true;
    try {
      for (let i = state.log.length - 1; i >= 0; i--) state.log[i]?.();
    } finally {
      this.replaying = false;
      state.log = [];
    }
    this.afterRollback();
  }

  /** Stops recording into `state`; returns the savepoints opened before it. */
  private close(state: OpenSavepoint): WeakRef<OpenSavepoint>[] {
    const at = this.open.findIndex((ref) => ref.deref() === state);
    const outer = at < 0 ? [] : this.open.slice(0, at);
    if (at >= 0) this.open.splice(at, 1);
    return outer;
  }
}
