/**
 * The store's public contract beyond RecordStore: what the emulator's own wiring (context,
 * driver, persistence) and the test fixtures use.
 */
import type { Principal, RecordStore, SfRecord } from '../model.ts';

export interface RecordStoreOptions {
  /** Owner and creator of generated dataset rows (the integration user). */
  systemUserId?: string;
}

export interface InsertOptions {
  /** Let fixtures set CreatedDate/CreatedById/LastModifiedDate/LastModifiedById. */
  allowAuditFields?: boolean;
  /**
   * Write as the platform itself (test fixtures): objects and fields the API may not create
   * (custom metadata records, Organization, read-only fields) are accepted, and so is an Id.
   */
  asSystem?: boolean;
}

/** Undoes every change made since it was taken (allOrNone writes); see savepoint(). */
export interface Savepoint {
  rollback(): void;
  /** Stops recording (the changes stay). Also happens on its own once the handle is dropped. */
  release(): void;
}

/** The store plus what the emulator's own wiring (context, driver) needs beyond RecordStore. */
export interface MemoryRecordStore extends RecordStore {
  insert(
    objectName: string,
    fields: Record<string, unknown>,
    by: Principal,
    options?: InsertOptions
  ): SfRecord;
  /**
   * Records the inverse of every change from now on, so rollback() puts stored records, the
   * recycle bin and generated-row overrides back as they were (ids and auto-numbers are not
   * reused, as in an org). O(changes), not O(store). Savepoints nest.
   */
  savepoint(): Savepoint;
  /** Called after anything changes stored records (for persistence). */
  onChange(listener: () => void): void;
  /**
   * A record that exists from the start and is recreated by reset(): the Organization, the
   * integration user, deployed custom metadata. Written as the system (any field; optional
   * fixed Id), otherwise validated like an insert.
   */
  seed(objectName: string, fields: Record<string, unknown>, by: Principal, id?: string): SfRecord;
  /**
   * An insert as the system: any field may be set (read-only objects' fixtures, custom metadata
   * records), Id included. Not recreated by reset().
   */
  insertAsSystem(objectName: string, fields: Record<string, unknown>, by: Principal): SfRecord;
  /** Live stored records whose `fieldName` equals `value` (indexed for unique/external ids). */
  findByField(objectName: string, fieldName: string, value: unknown): SfRecord[];
}
