/**
 * Whether a write may touch an object at all. Every insert, update and delete asks here first;
 * system writes (seeds, fixtures, the platform's own behaviours) may write any object.
 */
import type { SObjectDescribe } from '../model.ts';
import { writeErrors } from './errors.ts';

export type WriteOperation = 'inserted' | 'updated' | 'deleted';

const DESCRIBE_FLAG = {
  inserted: 'createable',
  updated: 'updateable',
  deleted: 'deletable'
} as const;

export function checkObjectAccess(
  object: SObjectDescribe,
  operation: WriteOperation,
  system: boolean
): void {
  if (!system && !object[DESCRIBE_FLAG[operation]]) {
    throw writeErrors.objectNotWritable(object, operation);
  }
}
