import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createClock } from '../src/clock.ts';
import { isValidId, newId, to15 } from '../src/ids.ts';
import type { Clock, Principal, ScanOptions, Schema, SfRecord } from '../src/model.ts';
import { SalesforceApiError } from '../src/model.ts';
import { loadSchema } from '../../../toolkit/src/salesforce-schema/index.ts';
import {
  createRecordStore,
  FieldValueError,
  type MemoryRecordStore,
  MultipleMatchesError
} from '../src/store/index.ts';
import { createTempSfdxProject, type TempProject } from './helpers/temp-sfdx-project.ts';

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/;

/** The error `fn` throws, which must be a SalesforceApiError. */
function apiError(fn: () => unknown): SalesforceApiError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SalesforceApiError, `not an API error: ${String(error)}`);
    return error;
  }
  assert.fail('expected a SalesforceApiError');
}

function assertFails(
  fn: () => unknown,
  httpStatus: number,
  body: Array<{ message: string; errorCode: string; fields?: string[] }>
): SalesforceApiError {
  const error = apiError(fn);
  assert.deepEqual(error.toBody(), body);
  assert.equal(error.httpStatus, httpStatus);
  return error;
}

describe('record store', () => {
  let project: TempProject;
  let schema: Schema;
  let clock: Clock;
  let store: MemoryRecordStore;
  const admin: Principal = {
    userId: newId('005', 1),
    username: 'admin@test.local',
    organizationId: '00D000000000001EAA'
  };

  before(async () => {
    project = await createTempSfdxProject();
    schema = await loadSchema(project.dir);
  });
  after(() => project.remove());

  beforeEach(() => {
    clock = createClock(new Date('2026-11-29T03:00:00.000Z'));
    store = createRecordStore(schema, clock, { systemUserId: admin.userId });
    store.seed(
      'User',
      { Username: admin.username, LastName: 'Admin', Email: admin.username, Alias: 'admin' },
      admin,
      admin.userId
    );
  });

  describe('insert', () => {
    it('assigns an 18-character id, system fields, owner, defaults and auto-numbers', () => {
      const record = store.insert('Property__c', { Name: 'Villa', City__c: 'Porto' }, admin);
      assert.equal(record.Id.length, 18);
      assert.ok(isValidId(record.Id));
      assert.ok(record.Id.startsWith(schema.getObject('Property__c')?.keyPrefix ?? '?'));
      assert.match(String(record.CreatedDate), DATETIME);
      assert.equal(record.CreatedDate, record.LastModifiedDate);
      assert.equal(record.SystemModstamp, record.CreatedDate);
      assert.equal(record.CreatedById, admin.userId);
      assert.equal(record.LastModifiedById, admin.userId);
      assert.equal(record.OwnerId, admin.userId);
      assert.equal(record.IsDeleted, false);
      assert.equal(record.Furnished__c, true, 'checkbox default');
      assert.equal(record.Status__c, 'Draft', 'picklist default');
      assert.equal(record.Listing_Number__c, `PR-${clock.now().getUTCFullYear()}-0001`);
      const second = store.insert('Property__c', { Name: 'Flat', City__c: 'Lyon' }, admin);
      assert.equal(second.Listing_Number__c, `PR-${clock.now().getUTCFullYear()}-0002`);
      assert.notEqual(second.Id, record.Id);
      assert.deepEqual(store.get('Property__c', record.Id), record);
      assert.deepEqual(store.getById(record.Id.slice(0, 15))?.record, record);
      assert.ok(Object.isFrozen(record), 'stored records are immutable');
    });

    it('stores values in API form', () => {
      const record = store.insert(
        'Property__c',
        {
          name: 'Case-insensitive field names',
          City__c: 'Oslo',
          Price__c: '1234.567',
          Rooms__c: 4,
          Listed_On__c: '2026-02-28',
          Inspected_At__c: '2026-11-29T04:00:00+01:00',
          Furnished__c: 'false',
          Features__c: 'Pool;Garden;Pool',
          Description__c: '',
          Kind__c: 'Flat'
        },
        admin
      );
      assert.equal(record.Name, 'Case-insensitive field names');
      assert.equal(record.Price__c, 1234.57);
      assert.equal(record.Rooms__c, 4);
      assert.equal(record.Listed_On__c, '2026-02-28');
      assert.equal(record.Inspected_At__c, '2026-11-29T03:00:00.000+0000');
      assert.equal(record.Furnished__c, false);
      assert.equal(record.Features__c, 'Pool;Garden');
      assert.equal('Description__c' in record, false, 'empty text is no value');
      const contact = store.insert('Contact', { FirstName: 'Ada', LastName: 'Lovelace' }, admin);
      assert.equal(contact.Name, 'Ada Lovelace', 'compound name');
    });

    it('rejects an unknown field: INVALID_FIELD', () => {
      assertFails(() => store.insert('Account', { Name: 'A', Foo__c: 1 }, admin), 400, [
        {
          message: "No such column 'Foo__c' on sobject of type Account",
          errorCode: 'INVALID_FIELD'
        }
      ]);
    });

    it('rejects an Id in the body', () => {
      assertFails(
        () => store.insert('Account', { Id: '001D000000IqhSLIAZ', Name: 'A' }, admin),
        400,
        [
          {
            message: 'The Id field should not be specified in the sobject data.',
            errorCode: 'INVALID_FIELD'
          }
        ]
      );
    });

    it('rejects fields that are not createable: INVALID_FIELD_FOR_INSERT_UPDATE', () => {
      assertFails(
        () =>
          store.insert(
            'Property__c',
            { Name: 'A', City__c: 'B', CreatedDate: '2020-01-01T00:00:00Z', Display_Name__c: 'x' },
            admin
          ),
        400,
        [
          {
            message:
              'Unable to create/update fields: CreatedDate, Display_Name__c. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            fields: ['CreatedDate', 'Display_Name__c']
          }
        ]
      );
    });

    it('lets fixtures back-date audit fields when asked', () => {
      const record = store.insert(
        'Account',
        {
          Name: 'Old',
          CreatedDate: '2020-01-01T00:00:00Z',
          LastModifiedDate: '2021-06-30T12:00:00Z'
        },
        admin,
        { allowAuditFields: true }
      );
      assert.equal(record.CreatedDate, '2020-01-01T00:00:00.000+0000');
      assert.equal(record.LastModifiedDate, '2021-06-30T12:00:00.000+0000');
      assert.equal(record.SystemModstamp, '2021-06-30T12:00:00.000+0000');
    });

    it('rejects a bad value for a restricted picklist: INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', () => {
      assertFails(
        () => store.insert('Property__c', { Name: 'A', City__c: 'B', Status__c: 'Gone' }, admin),
        400,
        [
          {
            message: 'Status: bad value for restricted picklist field: Gone',
            errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            fields: ['Status__c']
          }
        ]
      );
      assertFails(
        () =>
          store.insert(
            'Property__c',
            { Name: 'A', City__c: 'B', Features__c: 'Pool;Sauna' },
            admin
          ),
        400,
        [
          {
            message: 'Features: bad value for restricted picklist field: Sauna',
            errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            fields: ['Features__c']
          }
        ]
      );
      // Unrestricted picklists take any value.
      assert.equal(
        store.insert('Account', { Name: 'A', Industry: 'Space' }, admin).Industry,
        'Space'
      );
    });

    it('reports every missing required field: REQUIRED_FIELD_MISSING', () => {
      assertFails(() => store.insert('Property__c', {}, admin), 400, [
        {
          message: 'Required fields are missing: [Name, City__c]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['Name', 'City__c']
        }
      ]);
      assertFails(() => store.insert('Account', { Name: null }, admin), 400, [
        {
          message: 'Required fields are missing: [Name]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['Name']
        }
      ]);
    });

    it('rejects duplicates of unique fields, case-insensitively unless case-sensitive: DUPLICATE_VALUE', () => {
      const first = store.insert('Account', { Name: 'A', SAP_Customer_Number__c: 'K-100' }, admin);
      assertFails(
        () => store.insert('Account', { Name: 'B', SAP_Customer_Number__c: 'k-100' }, admin),
        400,
        [
          {
            message: `duplicate value found: SAP_Customer_Number__c duplicates value on record with id: ${to15(first.Id)}`,
            errorCode: 'DUPLICATE_VALUE',
            fields: []
          }
        ]
      );
      store.insert('Property__c', { Name: 'A', City__c: 'B', Legacy_Code__c: 'abc' }, admin);
      store.insert('Property__c', { Name: 'B', City__c: 'B', Legacy_Code__c: 'ABC' }, admin);
      assert.equal(
        apiError(() =>
          store.insert('Property__c', { Name: 'C', City__c: 'B', Legacy_Code__c: 'abc' }, admin)
        ).errorCode,
        'DUPLICATE_VALUE'
      );
      assertFails(
        () =>
          store.insert(
            'User',
            { Username: 'ADMIN@test.local', LastName: 'X', Email: 'x@y.z', Alias: 'x' },
            admin
          ),
        400,
        [
          {
            message: `duplicate value found: Username duplicates value on record with id: ${to15(admin.userId)}`,
            errorCode: 'DUPLICATE_VALUE',
            fields: []
          }
        ]
      );
    });

    it('rejects text longer than the field: STRING_TOO_LONG', () => {
      assertFails(
        () => store.insert('Property__c', { Name: 'A', City__c: 'x'.repeat(41) }, admin),
        400,
        [
          {
            message: `City: data value too large: ${'x'.repeat(41)} (max length=40)`,
            errorCode: 'STRING_TOO_LONG',
            fields: ['City__c']
          }
        ]
      );
      // Characters, not UTF-16 units, count.
      store.insert('Property__c', { Name: 'A', City__c: '😀'.repeat(40) }, admin);
    });

    it('rejects values of the wrong type as the JSON deserializer does: JSON_PARSER_ERROR', () => {
      const base = { Name: 'A', City__c: 'B' };
      const error = assertFails(
        () => store.insert('Property__c', { ...base, Rooms__c: 'abc' }, admin),
        400,
        [
          {
            message:
              'Cannot deserialize instance of double from VALUE_STRING value abc or request may be missing a required field',
            errorCode: 'JSON_PARSER_ERROR'
          }
        ]
      );
      assert.ok(error instanceof FieldValueError);
      assert.equal(error.field, 'Rooms__c');
      assertFails(
        () => store.insert('Property__c', { ...base, Listed_On__c: '2026-02-30' }, admin),
        400,
        [
          {
            message:
              'Cannot deserialize instance of date from VALUE_STRING value 2026-02-30 or request may be missing a required field',
            errorCode: 'JSON_PARSER_ERROR'
          }
        ]
      );
      assertFails(
        () =>
          store.insert('Property__c', { ...base, Inspected_At__c: '2017-10-17 00:00:00' }, admin),
        400,
        [
          {
            message:
              'Cannot deserialize instance of datetime from VALUE_STRING value 2017-10-17 00:00:00 or request may be missing a required field',
            errorCode: 'JSON_PARSER_ERROR'
          }
        ]
      );
      assertFails(() => store.insert('Property__c', { ...base, Furnished__c: 1 }, admin), 400, [
        {
          message:
            'Cannot deserialize instance of boolean from VALUE_NUMBER_INT value 1 or request may be missing a required field',
          errorCode: 'JSON_PARSER_ERROR'
        }
      ]);
      assertFails(() => store.insert('Account', { Name: { first: 'A' } }, admin), 400, [
        {
          message:
            'Cannot deserialize instance of string from START_OBJECT value { or request may be missing a required field',
          errorCode: 'JSON_PARSER_ERROR'
        }
      ]);
    });

    it('rejects numbers beyond the field precision and invalid emails', () => {
      assertFails(
        () => store.insert('Property__c', { Name: 'A', City__c: 'B', Rooms__c: 1000 }, admin),
        400,
        [
          {
            message: 'Rooms: value outside of valid range on numeric field: 1000',
            errorCode: 'NUMBER_OUTSIDE_VALID_RANGE',
            fields: ['Rooms__c']
          }
        ]
      );
      assertFails(
        () =>
          store.insert(
            'Property__c',
            { Name: 'A', City__c: 'B', Contact_Email__c: 'nobody' },
            admin
          ),
        400,
        [
          {
            message: 'Contact Email: invalid email address: nobody',
            errorCode: 'INVALID_EMAIL_ADDRESS',
            fields: ['Contact_Email__c']
          }
        ]
      );
    });

    it('checks references: MALFORMED_ID, FIELD_INTEGRITY_EXCEPTION, INVALID_CROSS_REFERENCE_KEY', () => {
      assertFails(
        () => store.insert('Contact', { LastName: 'X', AccountId: '12345' }, admin),
        400,
        [
          {
            message: 'Account ID: id value of incorrect type: 12345',
            errorCode: 'MALFORMED_ID',
            fields: ['AccountId']
          }
        ]
      );
      assertFails(
        () => store.insert('Contact', { LastName: 'X', AccountId: admin.userId }, admin),
        400,
        [
          {
            message: `Account ID: id value of incorrect type: ${admin.userId}`,
            errorCode: 'FIELD_INTEGRITY_EXCEPTION',
            fields: ['AccountId']
          }
        ]
      );
      assertFails(
        () => store.insert('Contact', { LastName: 'X', AccountId: '001D000000IqhSLIAZ' }, admin),
        400,
        [
          {
            message: 'invalid cross reference id',
            errorCode: 'INVALID_CROSS_REFERENCE_KEY',
            fields: []
          }
        ]
      );
      const account = store.insert('Account', { Name: 'A' }, admin);
      const contact = store.insert(
        'Contact',
        { LastName: 'X', AccountId: to15(account.Id) },
        admin
      );
      assert.equal(contact.AccountId, account.Id, 'stored as the 18-character id');
      store.delete('Account', account.Id, admin);
      assertFails(
        () => store.insert('Contact', { LastName: 'Y', AccountId: account.Id }, admin),
        400,
        [{ message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }]
      );
      // Objects the emulator does not model (Profile) are accepted by format.
      store.insert(
        'User',
        {
          Username: 'u@x.y',
          LastName: 'U',
          Email: 'u@x.y',
          Alias: 'u',
          ProfileId: '00e000000000001AAA'
        },
        admin
      );
    });

    it('refuses writes the object does not allow through the API, unless as the system', () => {
      assertFails(() => store.insert('Limits_Setting__mdt', { DeveloperName: 'X' }, admin), 400, [
        {
          message: 'entity type cannot be inserted: Limits Setting',
          errorCode: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
          fields: []
        }
      ]);
      const setting = store.insert(
        'Limits_Setting__mdt',
        { DeveloperName: 'Bulk', MasterLabel: 'Bulk loads', Batch_Size__c: '200.0' },
        admin,
        { asSystem: true }
      );
      assert.equal(setting.Batch_Size__c, 200);
      assert.equal(setting.QualifiedApiName, 'Bulk');
      assert.equal(setting.Label, 'Bulk loads');
      assertFails(
        () => store.update('Limits_Setting__mdt', setting.Id, { Batch_Size__c: 1 }, admin),
        400,
        [
          {
            message: 'entity type cannot be updated: Limits Setting',
            errorCode: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
            fields: []
          }
        ]
      );
      assertFails(() => store.delete('Limits_Setting__mdt', setting.Id, admin), 400, [
        {
          message: 'entity type cannot be deleted: Limits Setting',
          errorCode: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
          fields: []
        }
      ]);
    });

    it('resolves a relationship written by external id', () => {
      const account = store.insert('Account', { Name: 'A', SAP_Customer_Number__c: 'K-1' }, admin);
      const property = store.insert(
        'Property__c',
        { Name: 'P', City__c: 'C', Account__r: { SAP_Customer_Number__c: 'k-1' } },
        admin
      );
      assert.equal(property.Account__c, account.Id);
      assertFails(
        () =>
          store.insert(
            'Property__c',
            { Name: 'P', City__c: 'C', Account__r: { SAP_Customer_Number__c: 'nope' } },
            admin
          ),
        400,
        [
          {
            message:
              'Foreign key external ID: nope not found for field SAP_Customer_Number__c in entity Account',
            errorCode: 'INVALID_FIELD'
          }
        ]
      );
    });

    it('tells listeners, and does not store platform events', () => {
      const seen: Array<[string, SfRecord]> = [];
      store.onInsert((object, record) => seen.push([object.name, record]));
      const account = store.insert('Account', { Name: 'A' }, admin);
      const event = store.insert('Property_Sold__e', { Property_Id__c: account.Id }, admin);
      assert.deepEqual(
        seen.map(([name]) => name),
        ['Account', 'Property_Sold__e']
      );
      assert.equal(event.CreatedById, admin.userId);
      assert.equal(store.count('Property_Sold__e'), 0);
      assert.equal(store.getById(event.Id), undefined);
      assertFails(() => store.insert('Property_Sold__e', {}, admin), 400, [
        {
          message: 'Required fields are missing: [Property_Id__c]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['Property_Id__c']
        }
      ]);
    });

    it('creates the ContentDocument and its links for a new ContentVersion', () => {
      const account = store.insert('Account', { Name: 'A' }, admin);
      const version = store.insert(
        'ContentVersion',
        {
          PathOnClient: 'photos/front.JPG',
          VersionData: Buffer.from('hello').toString('base64'),
          FirstPublishLocationId: account.Id
        },
        admin
      );
      const stored = store.get('ContentVersion', version.Id);
      assert.equal(stored?.Title, 'front');
      assert.equal(stored?.FileExtension, 'jpg');
      assert.equal(stored?.ContentSize, 5);
      assert.equal(stored?.Checksum, '5d41402abc4b2a76b9719d911017c592');
      const documentId = String(stored?.ContentDocumentId);
      assert.equal(store.get('ContentDocument', documentId)?.LatestPublishedVersionId, version.Id);
      const links = [...store.scan('ContentDocumentLink')].map((l) => [
        l.LinkedEntityId,
        l.ShareType
      ]);
      assert.deepEqual(links, [
        [admin.userId, 'I'],
        [account.Id, 'V']
      ]);
      store.delete('ContentDocument', documentId, admin);
      assert.equal(store.count('ContentVersion'), 0);
      assert.equal(store.count('ContentDocumentLink'), 0);
    });
  });

  describe('update, delete, upsert', () => {
    it('updates values, LastModifiedDate and SystemModstamp but not CreatedDate', () => {
      const record = store.insert('Property__c', { Name: 'A', City__c: 'B', Rooms__c: 2 }, admin);
      clock.advance(60_000);
      const updated = store.update(
        'Property__c',
        record.Id,
        { Rooms__c: 3, Price__c: null },
        admin
      );
      assert.equal(updated.Rooms__c, 3);
      assert.equal(updated.CreatedDate, record.CreatedDate);
      assert.notEqual(updated.LastModifiedDate, record.LastModifiedDate);
      assert.equal(updated.SystemModstamp, updated.LastModifiedDate);
      assert.equal(updated.Listing_Number__c, record.Listing_Number__c);
      assert.deepEqual(store.get('Property__c', record.Id), updated);
      const cleared = store.update('Property__c', record.Id, { Rooms__c: null }, admin);
      assert.equal('Rooms__c' in cleared, false);
    });

    it('answers NOT_FOUND, ENTITY_IS_DELETED and MALFORMED_ID as the API does', () => {
      assertFails(() => store.update('Account', '001D000000IqhSLIAZ', { Name: 'x' }, admin), 404, [
        { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }
      ]);
      const account = store.insert('Account', { Name: 'A' }, admin);
      store.delete('Account', account.Id, admin);
      assertFails(() => store.update('Account', account.Id, { Name: 'x' }, admin), 404, [
        { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }
      ]);
      assertFails(() => store.delete('Account', account.Id, admin), 404, [
        { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }
      ]);
      assertFails(() => store.delete('Account', admin.userId, admin), 400, [
        {
          message: `Account ID: id value of incorrect type: ${admin.userId}`,
          errorCode: 'MALFORMED_ID',
          fields: ['Id']
        }
      ]);
    });

    it('refuses read-only fields and clearing required ones', () => {
      const record = store.insert('Property__c', { Name: 'A', City__c: 'B' }, admin);
      assertFails(
        () => store.update('Property__c', record.Id, { Listing_Number__c: 'X' }, admin),
        400,
        [
          {
            message:
              'Unable to create/update fields: Listing_Number__c. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            fields: ['Listing_Number__c']
          }
        ]
      );
      assertFails(() => store.update('Property__c', record.Id, { City__c: '' }, admin), 400, [
        {
          message: 'Required fields are missing: [City__c]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['City__c']
        }
      ]);
      const other = store.insert(
        'Property__c',
        { Name: 'B', City__c: 'B', External_Key__c: 'E1' },
        admin
      );
      assert.equal(
        apiError(() => store.update('Property__c', record.Id, { External_Key__c: 'e1' }, admin))
          .errorCode,
        'DUPLICATE_VALUE'
      );
      store.update('Property__c', other.Id, { External_Key__c: 'E1' }, admin); // itself is no duplicate
    });

    it('moves deleted records to the recycle bin, visible to queryAll', () => {
      const keep = store.insert('Account', { Name: 'Keep' }, admin);
      const gone = store.insert('Account', { Name: 'Gone', SAP_Customer_Number__c: 'K9' }, admin);
      clock.advance(5_000);
      store.delete('Account', gone.Id, admin);
      assert.equal(store.get('Account', gone.Id), undefined);
      assert.deepEqual(
        [...store.scan('Account')].map((r) => r.Name),
        ['Keep']
      );
      const all = [...store.scan('Account', { includeDeleted: true })];
      assert.deepEqual(
        all.map((r) => [r.Name, r.IsDeleted]),
        [
          ['Keep', false],
          ['Gone', true]
        ]
      );
      assert.notEqual(all[1]?.SystemModstamp, gone.SystemModstamp);
      assert.equal(store.count('Account'), 1);
      assert.equal(store.count('Account', { includeDeleted: true }), 2);
      // A deleted record's unique value is free again.
      store.insert('Account', { Name: 'Again', SAP_Customer_Number__c: 'K9' }, admin);
      assert.ok(keep);
    });

    it('upserts by external id: creates, then updates case-insensitively', () => {
      const created = store.upsert(
        'Account',
        'SAP_Customer_Number__c',
        'K-7',
        { Name: 'Seven' },
        admin
      );
      assert.equal(created.created, true);
      assert.equal(store.get('Account', created.id)?.SAP_Customer_Number__c, 'K-7');
      const updated = store.upsert(
        'Account',
        'sap_customer_number__c',
        'k-7',
        { Name: 'Seven bis' },
        admin
      );
      assert.deepEqual(updated, { id: created.id, created: false });
      assert.equal(store.get('Account', created.id)?.Name, 'Seven bis');
      assert.equal(store.count('Account'), 1);
      const byId = store.upsert('Account', 'Id', created.id, { Name: 'By id' }, admin);
      assert.deepEqual(byId, { id: created.id, created: false });
    });

    it('answers 300 MULTIPLE_CHOICES when a non-unique external id matches several records', () => {
      const a = store.insert('Property__c', { Name: 'A', City__c: 'C', Region__c: 'North' }, admin);
      const b = store.insert('Property__c', { Name: 'B', City__c: 'C', Region__c: 'NORTH' }, admin);
      const error = apiError(() =>
        store.upsert('Property__c', 'Region__c', 'north', { Name: 'X' }, admin)
      );
      assert.ok(error instanceof MultipleMatchesError);
      assert.equal(error.httpStatus, 300);
      assert.equal(error.errorCode, 'MULTIPLE_CHOICES');
      assert.deepEqual(error.matchingIds, [a.Id, b.Id]);
    });

    it('refuses an upsert key that is not an external id', () => {
      assertFails(() => store.upsert('Account', 'Name', 'x', {}, admin), 404, [
        {
          message: 'Provided external ID field does not exist or is not accessible: Name',
          errorCode: 'NOT_FOUND'
        }
      ]);
    });
  });

  describe('savepoints', () => {
    it('rolls inserts, updates and deletes back, nested or not', () => {
      const kept = store.insert('Account', { Name: 'Kept', SAP_Customer_Number__c: 'S1' }, admin);
      const before = store.snapshot();
      const point = store.savepoint();
      store.insert('Account', { Name: 'New', SAP_Customer_Number__c: 'S2' }, admin);
      store.update('Account', kept.Id, { Name: 'Changed' }, admin);
      const inner = store.savepoint();
      store.delete('Account', kept.Id, admin);
      inner.rollback();
      assert.equal(store.get('Account', kept.Id)?.Name, 'Changed', 'inner rollback only');
      point.rollback();
      assert.deepEqual(store.snapshot(), before);
      assert.deepEqual(
        [...store.scan('Account')].map((r) => r.Name),
        ['Kept']
      );
      // Indexes were rolled back too.
      store.insert('Account', { Name: 'Reuse', SAP_Customer_Number__c: 'S2' }, admin);
      assert.equal(
        apiError(() =>
          store.insert('Account', { Name: 'Dup', SAP_Customer_Number__c: 'S1' }, admin)
        ).errorCode,
        'DUPLICATE_VALUE'
      );
    });

    it('keeps changes after release', () => {
      const point = store.savepoint();
      store.insert('Account', { Name: 'Stays' }, admin);
      point.release();
      point.rollback();
      assert.equal(store.count('Account'), 1);
    });
  });

  describe('scans and generated datasets', () => {
    it('scans lazily from an index across stored then generated rows', () => {
      for (const name of ['s0', 's1', 's2']) store.insert('Account', { Name: name }, admin);
      store.addGeneratedDataset('Account', 5, (i) => ({ Name: `g${i}` }));
      const names = (fromIndex: number): unknown[] =>
        [...store.scan('Account', { fromIndex })].map((r) => r.Name);
      assert.deepEqual(names(0), ['s0', 's1', 's2', 'g0', 'g1', 'g2', 'g3', 'g4']);
      assert.deepEqual(names(2), ['s2', 'g0', 'g1', 'g2', 'g3', 'g4']);
      assert.deepEqual(names(6), ['g3', 'g4']);
      assert.deepEqual(names(8), []);
      assert.equal(store.count('Account'), 8);
      const iterator = store.scan('Account')[Symbol.iterator]();
      assert.equal(iterator.next().value?.Name, 's0', 'a scan yields one row at a time');
    });

    it('gives generated rows deterministic ids, system fields and look-up by id', () => {
      store.addGeneratedDataset('Account', 3, (i) => ({ Name: `Gen ${i}`, NumberOfEmployees: i }));
      const rows = [...store.scan('Account')];
      const again = [...store.scan('Account')];
      assert.deepEqual(
        rows.map((r) => r.Id),
        again.map((r) => r.Id)
      );
      const [first] = rows;
      assert.ok(first && isValidId(first.Id) && first.Id.startsWith('001'));
      assert.equal(first.OwnerId, admin.userId);
      assert.equal(first.IsDeleted, false);
      assert.match(String(first.CreatedDate), DATETIME);
      assert.deepEqual(store.getById(rows[2]?.Id ?? '')?.record, rows[2]);
      assert.equal(store.getById(rows[2]?.Id ?? '')?.object.name, 'Account');
      // Rows can be updated and deleted like stored ones.
      store.update('Account', rows[1]?.Id ?? '', { Name: 'Renamed' }, admin);
      store.delete('Account', rows[0]?.Id ?? '', admin);
      assert.deepEqual(
        [...store.scan('Account')].map((r) => r.Name),
        ['Renamed', 'Gen 2']
      );
      assert.deepEqual(
        [...store.scan('Account', { fromIndex: 1 })].map((r) => r.Name),
        ['Gen 2']
      );
      assert.equal(store.count('Account'), 2);
      assert.equal(store.count('Account', { includeDeleted: true }), 3);
      // References to generated rows are valid.
      store.insert('Contact', { LastName: 'C', AccountId: rows[2]?.Id }, admin);
    });

    it('serves a 1,000,000-row dataset with flat memory', () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      const baseline = process.memoryUsage().heapUsed;
      store.addGeneratedDataset('Account', 1_000_000, (i) => ({
        Name: `Account ${i}`,
        AccountNumber: String(i).padStart(8, '0'),
        AnnualRevenue: i * 10
      }));
      gc();
      assert.ok(
        process.memoryUsage().heapUsed - baseline < 5 * 1024 * 1024,
        'registering costs ~nothing'
      );
      assert.equal(store.count('Account'), 1_000_000);
      let rows = 0;
      let peak = 0;
      let last = '';
      for (const record of store.scan('Account')) {
        rows += 1;
        last = String(record.AccountNumber);
        if (rows % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
      assert.equal(rows, 1_000_000);
      assert.equal(last, '00999999');
      assert.ok(peak < 50 * 1024 * 1024, `heap grew ${Math.round(peak / 1024 / 1024)} MB`);
    });
  });

  describe('range scans (Id-range chunks and SystemModstamp watermarks)', () => {
    const DAY = 86_400_000;
    type Bound<T> = { value: T; inclusive: boolean };
    const epoch = (record: SfRecord): number => Date.parse(String(record.SystemModstamp));

    /** What a range scan must yield: a plain scan filtered and sorted the slow way. */
    function expected(options: ScanOptions): string[] {
      const inside = <T>(value: T, low?: Bound<T>, high?: Bound<T>): boolean =>
        (!low || (low.inclusive ? value >= low.value : value > low.value)) &&
        (!high || (high.inclusive ? value <= high.value : value < high.value));
      const ids = [...store.scan('Account', { includeDeleted: options.includeDeleted ?? false })]
        .filter((r) => inside(r.Id, options.idRange?.low, options.idRange?.high))
        .filter(
          (r) =>
            !options.modstampRange ||
            inside(epoch(r), options.modstampRange.low, options.modstampRange.high)
        )
        .map((r) => r.Id);
      if (options.order === 'idAsc') ids.sort();
      if (options.order === 'idDesc') ids.sort().reverse();
      return ids;
    }

    it('ids of stored and generated rows increase in Salesforce order', () => {
      const stored = [0, 1, 2].map((i) => store.insert('Account', { Name: `s${i}` }, admin).Id);
      store.addGeneratedDataset('Account', 4000, (i) => ({ Name: `g${i}` }));
      store.addGeneratedDataset('Account', 10, (i) => ({ Name: `h${i}` }));
      const ids = [...store.scan('Account')].map((r) => r.Id);
      assert.deepEqual(ids.slice(0, 3), stored);
      // Plain string order is the ASCII order of base-62 digits (0-9 < A-Z < a-z), row index
      // 61 -> 62 included ('z' -> '10').
      assert.deepEqual([...ids].sort(), ids);
      assert.equal(new Set(ids.map(to15)).size, ids.length);
    });

    it('yields exactly the rows inside Id and stamp ranges, in either Id order', () => {
      const now = clock.now().getTime();
      store.insert('Account', { Name: 'stored' }, admin);
      store.addGeneratedDataset('Account', 1000, (i) => ({ Name: `g${i}` }), {
        modstamps: { from: new Date(now - 10 * DAY), to: new Date(now - DAY) }
      });
      // Rows whose stamps are read one by one (no spread): make sets them.
      store.addGeneratedDataset('Account', 300, (i) => ({
        Name: `m${i}`,
        SystemModstamp: new Date(now - (i % 20) * DAY).toISOString().replace('Z', '+0000')
      }));
      const all = [...store.scan('Account')].map((r) => r.Id);
      // An old row updated (stamp moves to now), another deleted (to the bin).
      clock.advance(1000);
      store.update('Account', all[5] as string, { Phone: '1' }, admin);
      store.delete('Account', all[700] as string, admin);
      const at = (i: number, inclusive = true): Bound<string> => ({
        value: (all[i] as string).slice(0, 15),
        inclusive
      });
      const stamp = (days: number, inclusive = false): Bound<number> => ({
        value: Math.floor((now - days * DAY) / 1000) * 1000,
        inclusive
      });
      const cases: ScanOptions[] = [
        { idRange: { low: at(100), high: at(600, false) } },
        { idRange: { low: at(0, false), high: at(1200) } },
        { modstampRange: { low: stamp(3) } },
        { modstampRange: { low: stamp(8), high: stamp(2, true) } },
        { idRange: { low: at(3), high: at(900, false) }, modstampRange: { low: stamp(5) } },
        { idRange: { low: at(650), high: at(750) }, includeDeleted: true },
        { modstampRange: { low: stamp(0.5) }, includeDeleted: true }
      ];
      for (const options of cases) {
        for (const order of [undefined, 'idAsc', 'idDesc'] as const) {
          const scan = { ...options, ...(order ? { order } : {}) };
          const ids = [...store.scan('Account', scan)].map((r) => r.Id);
          const want = expected(scan);
          if (order) assert.deepEqual(ids, want, JSON.stringify(scan));
          else assert.deepEqual([...ids].sort(), [...want].sort(), JSON.stringify(scan));
          assert.equal(store.count('Account', scan), want.length, JSON.stringify(scan));
        }
      }
      const updated = [...store.scan('Account', { modstampRange: { low: stamp(0.5) } })];
      assert.ok(
        updated.some((r) => r.Id === all[5]),
        'the updated row left its old place'
      );
    });

    it('upserts find generated rows by external id, with or without rowOfKey', () => {
      store.addGeneratedDataset('Account', 50, (i) => ({
        Name: `g${i}`,
        SAP_Customer_Number__c: `G-${i}`
      }));
      store.addGeneratedDataset(
        'Account',
        50,
        (i) => ({ Name: `h${i}`, SAP_Customer_Number__c: `H-${i}` }),
        {
          rowOfKey: (field, value) =>
            field === 'SAP_Customer_Number__c' ? Number(value.slice(2)) : undefined
        }
      );
      const scanned = store.upsert(
        'Account',
        'SAP_Customer_Number__c',
        'g-7',
        { Phone: '1' },
        admin
      );
      const inverted = store.upsert(
        'Account',
        'SAP_Customer_Number__c',
        'H-7',
        { Phone: '2' },
        admin
      );
      assert.equal(scanned.created, false);
      assert.equal(inverted.created, false);
      assert.equal(store.count('Account'), 100);
      assert.equal(store.get('Account', inverted.id)?.Name, 'h7');
      // A rowOfKey candidate that does not hold the value is no match.
      assert.equal(
        store.upsert('Account', 'SAP_Customer_Number__c', 'H-x', { Name: 'new' }, admin).created,
        true
      );
      assert.deepEqual(
        store.findByField('Account', 'SAP_Customer_Number__c', 'G-7').map((r) => r.Phone),
        ['1']
      );
    });

    it('spreads stamps non-decreasing over the rows, in whole seconds', () => {
      const from = new Date('2026-01-01T00:00:00.000Z');
      const to = new Date('2026-01-03T00:00:00.000Z');
      store.addGeneratedDataset('Account', 7, (i) => ({ Name: `g${i}` }), {
        modstamps: { from, to }
      });
      const rows = [...store.scan('Account')];
      assert.equal(rows[0]?.SystemModstamp, '2026-01-01T00:00:00.000+0000');
      assert.equal(rows[6]?.SystemModstamp, '2026-01-03T00:00:00.000+0000');
      assert.equal(rows[3]?.SystemModstamp, '2026-01-02T00:00:00.000+0000');
      assert.equal(rows[3]?.CreatedDate, rows[3]?.LastModifiedDate);
      const stamps = rows.map(epoch);
      assert.deepEqual(
        [...stamps].sort((a, b) => a - b),
        stamps
      );
    });
  });

  describe('reset, snapshot and restore', () => {
    it('reset empties the org but keeps seeded records with their ids', () => {
      store.insert('Account', { Name: 'A' }, admin);
      store.addGeneratedDataset('Account', 10, (i) => ({ Name: `g${i}` }));
      store.reset();
      assert.equal(store.count('Account'), 0);
      assert.equal(store.get('User', admin.userId)?.Username, admin.username);
    });

    it('round-trips records, recycle bin, id sequence and auto-number counters', () => {
      const property = store.insert(
        'Property__c',
        { Name: 'A', City__c: 'B', External_Key__c: 'X1' },
        admin
      );
      const deleted = store.insert('Account', { Name: 'Deleted' }, admin);
      store.delete('Account', deleted.Id, admin);
      store.addGeneratedDataset('Account', 100, (i) => ({ Name: `g${i}` }));
      const data = JSON.parse(JSON.stringify(store.snapshot())) as Record<string, SfRecord[]>;
      assert.equal(data.Account?.length, 1, 'generated rows are not persisted');

      const restored = createRecordStore(schema, clock, { systemUserId: admin.userId });
      restored.restore(data);
      assert.deepEqual(restored.get('Property__c', property.Id), property);
      assert.equal(restored.count('Account', { includeDeleted: true }), 1);
      assert.equal(restored.get('User', admin.userId)?.Username, admin.username);
      const next = restored.insert('Property__c', { Name: 'C', City__c: 'D' }, admin);
      assert.ok(![property.Id, deleted.Id, admin.userId].includes(next.Id), 'ids are not reused');
      assert.equal(next.Listing_Number__c, `PR-${clock.now().getUTCFullYear()}-0002`);
      assert.equal(
        apiError(() =>
          restored.insert('Property__c', { Name: 'E', City__c: 'F', External_Key__c: 'x1' }, admin)
        ).errorCode,
        'DUPLICATE_VALUE',
        'indexes are rebuilt'
      );
    });
  });
});
