/**
 * Seeds: records that exist from the start (the Organization, the integration user, deployed
 * custom metadata). They are remembered so reset() and restore() can recreate them, with the
 * same Id they first got.
 */
import type { Principal, SfRecord } from '../model.ts';
import type { StoreContext } from './context.ts';
import { insertRecord } from './insert.ts';

interface Seed {
  objectName: string;
  fields: Record<string, unknown>;
  by: Principal;
  id?: string;
}

export class SeedList {
  private readonly seeds: Seed[] = [];

  constructor(private readonly context: StoreContext) {}

  add(objectName: string, fields: Record<string, unknown>, by: Principal, id?: string): SfRecord {
    const seed: Seed = { objectName, fields: { ...fields }, by };
    if (id !== undefined) seed.id = id;
    const object = this.context.registry.requireObject(objectName);
    const record = insertRecord(this.context, object, seed.fields, by, true, { fixedId: seed.id });
    seed.id = record.Id;
    this.seeds.push(seed);
    return record;
  }

  /** Inserts again every seed the store does not hold (live or in the recycle bin). */
  replay(): void {
    const { registry } = this.context;
    for (const seed of this.seeds) {
      const object = registry.requireObject(seed.objectName);
      const table = registry.tableFor(object);
      if (seed.id !== undefined && (table.get(seed.id) !== undefined || table.binIds.has(seed.id)))
        continue;
      const record = insertRecord(this.context, object, seed.fields, seed.by, true, {
        fixedId: seed.id
      });
      seed.id = record.Id;
    }
  }
}
