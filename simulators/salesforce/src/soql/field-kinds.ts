/**
 * How SOQL compares a field, by its describe type: the kind decides which literals a filter
 * accepts and how stored values are compared and sorted.
 */
import type { FieldDescribe, FieldType } from '../model.ts';

export type ValueKind =
  | 'string'
  | 'id'
  | 'number'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'time'
  | 'multipicklist'
  /** Address, geolocation and binary fields: selectable (not in Bulk), never filterable. */
  | 'compound';

export function kindOf(type: FieldType): ValueKind {
  switch (type) {
    case 'id':
    case 'reference':
      return 'id';
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'time':
      return 'time';
    case 'multipicklist':
      return 'multipicklist';
    case 'address':
    case 'location':
    case 'base64':
      return 'compound';
    default:
      return 'string';
  }
}

/**
 * The type name Salesforce's "value of filter criterion ... must be of type X" message uses
 * (the field's SOAP type: `double` for every decimal number, `dateTime` with a capital T).
 */
export function filterTypeName(field: FieldDescribe): string {
  switch (field.type) {
    case 'int':
      return 'int';
    case 'double':
    case 'currency':
    case 'percent':
      return 'double';
    case 'datetime':
      return 'dateTime';
    case 'id':
    case 'reference':
      return 'id';
    default:
      return field.type;
  }
}

/** Component fields of a compound address (`BillingAddress` -> `BillingStreet`...). */
export const ADDRESS_COMPONENTS: ReadonlyArray<[key: string, suffix: string]> = [
  ['city', 'City'],
  ['country', 'Country'],
  ['geocodeAccuracy', 'GeocodeAccuracy'],
  ['latitude', 'Latitude'],
  ['longitude', 'Longitude'],
  ['postalCode', 'PostalCode'],
  ['state', 'State'],
  ['street', 'Street']
];

/*
 * What SOQL lets a query do with a field, as describe reports it (`filterable`, `groupable`,
 * `sortable`, `aggregatable`) and as the query engine enforces it.
 */

/** Long and rich text areas (over 255 characters) cannot be filtered, grouped or sorted. */
function isLongText(field: FieldDescribe): boolean {
  return field.type === 'textarea' && field.length > 255;
}

export function filterable(field: FieldDescribe): boolean {
  if (isLongText(field)) return false;
  return !['base64', 'address', 'location', 'encryptedstring'].includes(field.type);
}

export function groupable(field: FieldDescribe): boolean {
  if (!filterable(field)) return false;
  return !['double', 'currency', 'percent', 'datetime', 'time', 'multipicklist'].includes(
    field.type
  );
}

export function sortable(field: FieldDescribe): boolean {
  return filterable(field) && field.type !== 'multipicklist';
}

export function aggregatable(field: FieldDescribe): boolean {
  return filterable(field) && field.type !== 'boolean' && field.type !== 'multipicklist';
}
