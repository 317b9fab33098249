/**
 * All-or-none writes (sObject Collections and composite with `allOrNone: true`, driver
 * fixtures): a savepoint taken before the first write, rolled back when any write fails and
 * released when all succeeded, so the org ends as if a failed request never ran. The emulator's
 * store records the inverse of each change (O(changes)); a store without savepoints falls back
 * to a copy of its stored records.
 */
import type { EmulatorContext } from '../../model.ts';

export interface Savepoint {
  rollback(): void;
  release(): void;
}

interface StoreWithSavepoint {
  savepoint?: () => Savepoint;
}

export function savepoint(ctx: EmulatorContext): Savepoint {
  const store = ctx.store as unknown as StoreWithSavepoint;
  if (typeof store.savepoint === 'function') return store.savepoint();
  const copy = structuredClone(ctx.store.snapshot());
  return { rollback: () => ctx.store.restore(copy), release: () => undefined };
}
