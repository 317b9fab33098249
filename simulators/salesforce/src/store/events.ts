/**
 * Who hears about writes: insert listeners (the context routes platform events to the bus) and
 * change listeners (persistence).
 */
import type { SfRecord, SObjectDescribe } from '../model.ts';

export type InsertListener = (object: SObjectDescribe, record: SfRecord) => void;

export class StoreEvents {
  private readonly insertListeners: InsertListener[] = [];
  private readonly changeListeners: Array<() => void> = [];

  onInsert(listener: InsertListener): void {
    this.insertListeners.push(listener);
  }

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  inserted(object: SObjectDescribe, record: SfRecord): void {
    for (const listener of this.insertListeners) listener(object, record);
  }

  changed(): void {
    for (const listener of this.changeListeners) listener();
  }
}
