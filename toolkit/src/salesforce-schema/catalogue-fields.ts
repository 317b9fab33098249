/**
 * The vocabulary of the standard-object catalogue: the spec of one object and compact builders
 * for its fields (text of a length, picklists written `'A|B|C'`, references with their
 * relationship names and delete rules, compound addresses), so each catalogue entry reads as
 * data a generator could emit.
 */
import type { FieldDescribe } from './model.ts';
import type { FieldOptions } from './field-factory.ts';
import { makeField, picklistValues } from './field-factory.ts';

export interface StandardObjectSpec {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  /** Has an OwnerId (added with this referenceTo). */
  ownerTo?: string[];
  /** `modstamp`: only SystemModstamp, no Created/LastModified fields (ContentDocumentLink). */
  audit?: 'full' | 'modstamp';
  createable?: boolean;
  updateable?: boolean;
  deletable?: boolean;
  fields: FieldDescribe[];
}

export const REQUIRED: FieldOptions = { nillable: false };
export const READ_ONLY: FieldOptions = { createable: false, updateable: false };
export const CREATE_ONLY: FieldOptions = { updateable: false };

export const text = (name: string, length: number, options: FieldOptions = {}): FieldDescribe =>
  makeField(name, 'string', { length, ...options });

export const textArea = (name: string, length = 255, options: FieldOptions = {}): FieldDescribe =>
  makeField(name, 'textarea', { length, ...options });

export const picklist = (
  name: string,
  values: readonly string[],
  options: FieldOptions & { preselected?: string } = {}
): FieldDescribe => {
  const { preselected, ...rest } = options;
  return makeField(name, 'picklist', {
    picklistValues: picklistValues(values, preselected),
    defaultValue: preselected ?? null,
    ...rest
  });
};

/**
 * A lookup: `relationshipName` is the parent side SOQL walks (`Account`), `options.
 * childRelationshipName` the name on the parent (`Contacts`), `options.deleteConstraint` what
 * the parent's delete does to this record (SetNull when not said).
 */
export const reference = (
  name: string,
  referenceTo: string | string[],
  relationshipName: string,
  options: FieldOptions = {}
): FieldDescribe =>
  makeField(name, 'reference', {
    referenceTo: Array.isArray(referenceTo) ? referenceTo : [referenceTo],
    relationshipName,
    ...options
  });

export const typed = (
  name: string,
  type: FieldDescribe['type'],
  options: FieldOptions = {}
): FieldDescribe => makeField(name, type, options);

/** Picklist values written compactly: `'A|B|C'`. */
export const values = (list: string): string[] => list.split('|');

/** The accuracy a geocode of an address has (the `GeocodeAccuracy` picklist of each address). */
const GEOCODE_ACCURACY = values(
  'Address|NearAddress|Block|Street|ExtendedZip|Zip|Neighborhood|City|County|State|Unknown'
);

/**
 * A compound address as the Object Reference lists it: `<prefix>Street`, City, State,
 * PostalCode, Country, Latitude, Longitude, GeocodeAccuracy, and the read-only compound
 * `<prefix>Address` (`Address` alone on Lead and User) that the API returns assembled.
 */
export function address(prefix: string, label: string): FieldDescribe[] {
  const compound = `${prefix}Address`;
  const part = { compoundFieldName: compound };
  const labelled = (suffix: string): string => (label === '' ? suffix : `${label} ${suffix}`);
  const coordinate = (suffix: string): FieldDescribe =>
    typed(`${prefix}${suffix}`, 'double', {
      ...part,
      label: labelled(suffix),
      precision: 18,
      scale: 15
    });
  return [
    textArea(`${prefix}Street`, 255, { ...part, label: labelled('Street') }),
    text(`${prefix}City`, 40, { ...part, label: labelled('City') }),
    text(`${prefix}State`, 80, { ...part, label: labelled('State/Province') }),
    text(`${prefix}PostalCode`, 20, { ...part, label: labelled('Zip/Postal Code') }),
    text(`${prefix}Country`, 80, { ...part, label: labelled('Country') }),
    coordinate('Latitude'),
    coordinate('Longitude'),
    picklist(`${prefix}GeocodeAccuracy`, GEOCODE_ACCURACY, {
      ...part,
      label: labelled('Geocode Accuracy'),
      restrictedPicklist: true
    }),
    typed(compound, 'address', { ...READ_ONLY, label: labelled('Address') })
  ];
}

/** Name computed from FirstName + LastName, as on Contact, Lead and User. */
export const fullName = (length: number): FieldDescribe =>
  text('Name', length, { ...READ_ONLY, label: 'Full Name', nillable: false });

export const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];

export const INDUSTRIES = values(
  'Agriculture|Apparel|Banking|Biotechnology|Chemicals|Communications|Construction|Consulting|' +
    'Education|Electronics|Energy|Engineering|Entertainment|Environmental|Finance|' +
    'Food & Beverage|Government|Healthcare|Hospitality|Insurance|Machinery|Manufacturing|Media|' +
    'Not For Profit|Recreation|Retail|Shipping|Technology|Telecommunications|Transportation|' +
    'Utilities|Other'
);
