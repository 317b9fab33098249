/**
 * The org schema's contracts: objects and fields as the REST describe reports them. One model
 * serves the org emulator (simulators/salesforce) and the verification gate's cross-reference
 * checks (gate/), so it lives in the bottom layer both may import.
 */

/** Field types as the REST describe reports them (`/sobjects/X/describe` -> fields[].type). */
export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'multipicklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'time'
  | 'reference'
  | 'encryptedstring'
  | 'base64'
  | 'address'
  | 'location';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

export interface FieldDescribe {
  /** API name, e.g. `SAP_Customer_Number__c`. */
  name: string;
  label: string;
  type: FieldType;
  /** Characters for text types (Salesforce's `length`). 0 for non-text. */
  length: number;
  precision: number;
  scale: number;
  custom: boolean;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  /** Required on create: not nillable, createable, no default (e.g. a required custom field, Account.Name). */
  required: boolean;
  unique: boolean;
  caseSensitive: boolean;
  externalId: boolean;
  /** Usable as an upsert key: Id, external ids, and standard idLookup fields. */
  idLookup: boolean;
  autoNumber: boolean;
  /** Formula or roll-up: never writable. */
  calculated: boolean;
  defaultValue: unknown;
  /** Auto-number display format such as `LOG-{0000000}`. */
  displayFormat?: string;
  picklistValues: PicklistValue[];
  restrictedPicklist: boolean;
  /** For references: target objects and the relationship name used in SOQL (`Account`, `Parent__r`). */
  referenceTo: string[];
  relationshipName: string | null;
  /**
   * For references: the relationship's name on the parent side (`Invoices__r` on Account for
   * `Invoice__c.Account__c`, `Contacts` for `Contact.AccountId`); absent when it has none.
   */
  childRelationshipName?: string;
  /**
   * For references: what deleting the parent does to this record (the metadata's
   * `deleteConstraint`; master-detail children cascade). Absent means SetNull, the default of a
   * lookup.
   */
  deleteConstraint?: DeleteConstraint;
  /**
   * For a master-detail field: its sharing setting is Read Only (metadata
   * `writeRequiresMasterRead`), so Read on the master is enough to create, edit or delete the
   * detail; otherwise (Read/Write, the default) editing a detail needs Edit on its master.
   */
  writeRequiresMasterRead?: boolean;
  /**
   * For an indirect lookup (an external object's reference to a standard or custom object): the
   * parent's external id field its value is matched against, e.g. `Fitness_User_Id__c`.
   */
  referenceTargetField?: string;
  /** A component of a compound field: `BillingAddress` for BillingCity. */
  compoundFieldName?: string;
  /** The record's name in describe (`nameField`): Name, or Case's CaseNumber, a Task's Subject. */
  nameField?: boolean;
}

/** What a parent's delete does to the records that look it up (metadata `deleteConstraint`). */
export type DeleteConstraint = 'SetNull' | 'Restrict' | 'Cascade';

/**
 * `external`: an external object (`__x`, Salesforce Connect): its rows live in an external
 * system and are read through its External Data Source; it has no owner, no sharing and no
 * audit fields, and an org stores none of its records.
 */
export type SObjectKind = 'standard' | 'custom' | 'platformEvent' | 'customMetadata' | 'external';

export interface SObjectDescribe {
  name: string;
  label: string;
  labelPlural: string;
  /** 3-character id prefix: 001 Account, a0X custom objects, e0X platform events... */
  keyPrefix: string;
  kind: SObjectKind;
  custom: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  queryable: boolean;
  fields: FieldDescribe[];
  /** For platform events: PublishImmediately or PublishAfterCommit (informational here). */
  publishBehavior?: string;
}

/** A reference field of `childObject` seen from the object it points at. */
export interface ChildRelationship {
  childObject: SObjectDescribe;
  field: FieldDescribe;
  /** `Contacts`, `Invoices__r`; null for a reference nobody named (CreatedById...). */
  relationshipName: string | null;
  /** What deleting the parent does to the child records. */
  deleteConstraint: DeleteConstraint;
}

export interface Schema {
  /** Case-insensitive lookup, as the API is. */
  getObject(name: string): SObjectDescribe | undefined;
  getField(object: SObjectDescribe, fieldName: string): FieldDescribe | undefined;
  /** Relationship name (case-insensitive) -> reference field, e.g. Account on Contact -> AccountId. */
  getRelationship(object: SObjectDescribe, relationshipName: string): FieldDescribe | undefined;
  /** Every reference to `object` from any object, as its describe's `childRelationships`. */
  childRelationships(object: SObjectDescribe): ChildRelationship[];
  objectForKeyPrefix(prefix: string): SObjectDescribe | undefined;
  objects(): SObjectDescribe[];
  platformEvents(): SObjectDescribe[];
}
