/**
 * Standard fields several objects have in common, with the objects that have them, as the
 * Object Reference for the Salesforce Platform (API v65.0: the Account, Contact, Lead,
 * Opportunity, Case and User field tables) lists them. A table rather than code so that a
 * generated catalogue can replace it.
 */
import type { FieldDescribe } from './model.ts';
import { READ_ONLY, picklist, reference, text, typed, values } from './catalogue-fields.ts';

interface SharedField {
  /** Objects whose describe lists the field. */
  objects: readonly string[];
  /** The field on one of them (MasterRecordId points at the object itself). */
  make(objectName: string): FieldDescribe;
}

/** Stand for every custom object, and those with activities enabled, in the lists below. */
export const CUSTOM_OBJECTS = '<custom objects>';
export const CUSTOM_OBJECTS_WITH_ACTIVITIES = '<custom objects with activities>';

/** Objects whose records can be merged and keep the survivor in MasterRecordId. */
const MERGEABLE = ['Account', 'Contact', 'Lead', 'Case'];
/** Objects with Data.com (Jigsaw) clean fields. */
const CLEANABLE = ['Account', 'Contact', 'Lead'];
/** Objects with activities, whose LastActivityDate the platform maintains. */
const WITH_ACTIVITIES = [
  'Account',
  'Contact',
  'Lead',
  'Opportunity',
  CUSTOM_OBJECTS_WITH_ACTIVITIES
];
/** Objects tracked in the recently viewed lists. */
const RECENTLY_VIEWED = [
  'Account',
  'Contact',
  'Lead',
  'Opportunity',
  'Case',
  'User',
  CUSTOM_OBJECTS
];

const SHARED_FIELDS: SharedField[] = [
  {
    objects: MERGEABLE,
    make: (objectName) =>
      reference('MasterRecordId', objectName, 'MasterRecord', {
        ...READ_ONLY,
        label: 'Master Record ID'
      })
  },
  {
    objects: WITH_ACTIVITIES,
    make: () => typed('LastActivityDate', 'date', { ...READ_ONLY, label: 'Last Activity' })
  },
  {
    objects: RECENTLY_VIEWED,
    make: () => typed('LastViewedDate', 'datetime', { ...READ_ONLY, label: 'Last Viewed Date' })
  },
  {
    objects: RECENTLY_VIEWED,
    make: () =>
      typed('LastReferencedDate', 'datetime', { ...READ_ONLY, label: 'Last Referenced Date' })
  },
  {
    objects: CLEANABLE,
    make: () => text('Jigsaw', 20, { label: 'Data.com Key' })
  },
  {
    objects: CLEANABLE,
    make: () =>
      picklist(
        'CleanStatus',
        values('Matched|Different|Acknowledged|NotFound|Inactive|Pending|SelectMatch|Skipped'),
        { label: 'Clean Status', restrictedPicklist: true }
      )
  },
  {
    objects: CLEANABLE,
    make: () => typed('PhotoUrl', 'url', { ...READ_ONLY, label: 'Photo URL' })
  }
];

/**
 * The shared fields of an object, in table order: `names` are its name, or for a custom object
 * the markers above that apply to it.
 */
export function sharedFields(...names: string[]): FieldDescribe[] {
  return SHARED_FIELDS.filter((shared) => names.some((name) => shared.objects.includes(name))).map(
    (shared) => shared.make(names[0] ?? '')
  );
}
