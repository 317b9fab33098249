import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FieldDescribe, Schema, SObjectDescribe } from '../src/model.ts';
import {
  loadCustomMetadataRecords,
  loadSchema
} from '../../../toolkit/src/salesforce-schema/index.ts';
import { REPO_ROOT } from './helpers/emulator.ts';
import { createTempSfdxProject, type TempProject } from './helpers/temp-sfdx-project.ts';

function objectOf(schema: Schema, name: string): SObjectDescribe {
  const object = schema.getObject(name);
  assert.ok(object, `${name} is in the schema`);
  return object;
}

function fieldOf(schema: Schema, objectName: string, fieldName: string): FieldDescribe {
  const field = schema.getField(objectOf(schema, objectName), fieldName);
  assert.ok(field, `${objectName}.${fieldName} is in the schema`);
  return field;
}

describe('schema from this project', () => {
  let schema: Schema;
  before(async () => {
    schema = await loadSchema(REPO_ROOT);
  });

  it('has the standard objects with their real key prefixes', () => {
    const expected: Record<string, string> = {
      Account: '001',
      Case: '500',
      Contact: '003',
      ContentDocument: '069',
      ContentDocumentLink: '06A',
      ContentVersion: '068',
      Lead: '00Q',
      Opportunity: '006',
      Organization: '00D',
      User: '005'
    };
    for (const [name, prefix] of Object.entries(expected)) {
      assert.equal(objectOf(schema, name).keyPrefix, prefix, name);
      assert.equal(objectOf(schema, name).kind, 'standard', name);
    }
    assert.equal(schema.objectForKeyPrefix('001')?.name, 'Account');
  });

  it('describes Integration_Log__c from its metadata', () => {
    const log = objectOf(schema, 'Integration_Log__c');
    assert.equal(log.kind, 'custom');
    // a02: custom objects get prefixes in name order; Billing_Account__c and
    // Daily_Activity_Summary__c sort first.
    assert.equal(log.keyPrefix, 'a02');
    assert.equal(log.label, 'Integration Log');
    assert.equal(log.labelPlural, 'Integration Logs');
    assert.deepEqual(
      log.fields.slice(0, 9).map((f) => f.name),
      [
        'Id',
        'OwnerId',
        'IsDeleted',
        'Name',
        'CreatedDate',
        'CreatedById',
        'LastModifiedDate',
        'LastModifiedById',
        'SystemModstamp'
      ]
    );
    const name = fieldOf(schema, 'Integration_Log__c', 'Name');
    assert.equal(name.label, 'Log Number');
    assert.equal(name.autoNumber, true);
    assert.equal(name.displayFormat, 'LOG-{0000000}');
    assert.equal(name.createable, false);

    const severity = fieldOf(schema, 'Integration_Log__c', 'Severity__c');
    assert.equal(severity.type, 'picklist');
    assert.equal(severity.restrictedPicklist, true);
    assert.deepEqual(
      severity.picklistValues.map((v) => v.value),
      ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']
    );
    assert.equal(severity.defaultValue, 'INFO');

    const reference = fieldOf(schema, 'Integration_Log__c', 'Reference__c');
    assert.deepEqual(
      [
        reference.type,
        reference.length,
        reference.unique,
        reference.externalId,
        reference.idLookup
      ],
      ['string', 36, false, true, true]
    );
    assert.equal(reference.caseSensitive, false);
    const correlation = fieldOf(schema, 'Integration_Log__c', 'Correlation_Id__c');
    assert.deepEqual([correlation.unique, correlation.externalId], [false, true]);

    const source = fieldOf(schema, 'Integration_Log__c', 'Source__c');
    assert.deepEqual([source.required, source.nillable, source.length], [true, false, 80]);
    const message = fieldOf(schema, 'Integration_Log__c', 'Message__c');
    assert.deepEqual([message.type, message.length], ['textarea', 32768]);
    assert.equal(fieldOf(schema, 'Integration_Log__c', 'Logged_At__c').type, 'datetime');

    const runningUser = fieldOf(schema, 'Integration_Log__c', 'Running_User__c');
    assert.equal(runningUser.type, 'reference');
    assert.deepEqual(runningUser.referenceTo, ['User']);
    assert.equal(runningUser.relationshipName, 'Running_User__r');
    assert.equal(
      schema.getRelationship(log, 'running_user__r')?.name,
      'Running_User__c',
      'relationship look-up is case-insensitive'
    );
  });

  it('describes the platform event with its system fields and publish behaviour', () => {
    const event = objectOf(schema, 'Integration_Log_Event__e');
    assert.equal(event.kind, 'platformEvent');
    // e02: platform events get prefixes in name order; Account_Sync__e and
    // Activity_Goal_Reached__e sort first.
    assert.equal(event.keyPrefix, 'e02');
    assert.equal(event.publishBehavior, 'PublishImmediately');
    assert.deepEqual(
      [event.createable, event.updateable, event.deletable, event.queryable],
      [true, false, false, false]
    );
    assert.deepEqual(
      event.fields.slice(0, 4).map((f) => f.name),
      ['ReplayId', 'CreatedDate', 'CreatedById', 'EventUuid']
    );
    assert.equal(fieldOf(schema, 'Integration_Log_Event__e', 'Severity__c').type, 'string');
    assert.deepEqual(
      schema.platformEvents().map((e) => e.name),
      ['Account_Sync__e', 'Activity_Goal_Reached__e', 'Integration_Log_Event__e']
    );
    const accountSync = objectOf(schema, 'Account_Sync__e');
    assert.deepEqual(
      [accountSync.keyPrefix, accountSync.publishBehavior],
      ['e00', 'PublishAfterCommit']
    );
  });

  it('describes the custom metadata type', () => {
    const setting = objectOf(schema, 'Integration_Setting__mdt');
    assert.equal(setting.kind, 'customMetadata');
    assert.equal(setting.keyPrefix, 'm00');
    assert.equal(setting.createable, false);
    for (const name of ['DeveloperName', 'MasterLabel', 'QualifiedApiName']) {
      fieldOf(schema, 'Integration_Setting__mdt', name);
    }
    const timeout = fieldOf(schema, 'Integration_Setting__mdt', 'Timeout_Ms__c');
    assert.deepEqual([timeout.type, timeout.precision, timeout.scale], ['double', 6, 0]);
    const enabled = fieldOf(schema, 'Integration_Setting__mdt', 'Enabled__c');
    assert.deepEqual(
      [enabled.type, enabled.defaultValue, enabled.nillable],
      ['boolean', true, false]
    );
  });

  it('reads the deployed custom metadata records', async () => {
    const records = await loadCustomMetadataRecords(REPO_ROOT);
    const defaults = records.find((r) => r.fields.DeveloperName === 'Default');
    assert.equal(defaults?.objectName, 'Integration_Setting__mdt');
    assert.equal(defaults?.fields.Log_Level__c, 'INFO');
    assert.equal(defaults?.fields.Log_Retention_Days__c, '30.0');
  });

  it('resolves names case-insensitively', () => {
    assert.equal(schema.getObject('ACCOUNT')?.name, 'Account');
    assert.equal(schema.getField(objectOf(schema, 'account'), 'NAME')?.name, 'Name');
    assert.equal(schema.getRelationship(objectOf(schema, 'Contact'), 'account')?.name, 'AccountId');
    assert.equal(schema.getRelationship(objectOf(schema, 'Account'), 'owner')?.name, 'OwnerId');
    assert.equal(schema.getObject('Nope__c'), undefined);
  });

  it('catalogues the standard fields integrations use', () => {
    const accountName = fieldOf(schema, 'Account', 'Name');
    assert.deepEqual([accountName.required, accountName.length], [true, 255]);
    const industry = fieldOf(schema, 'Account', 'Industry');
    assert.deepEqual([industry.type, industry.restrictedPicklist], ['picklist', false]);
    assert.equal(fieldOf(schema, 'Account', 'NumberOfEmployees').type, 'int');
    assert.equal(fieldOf(schema, 'Account', 'AnnualRevenue').type, 'currency');
    assert.equal(fieldOf(schema, 'Account', 'ParentId').relationshipName, 'Parent');
    const owner = fieldOf(schema, 'Account', 'OwnerId');
    assert.deepEqual(
      [owner.required, owner.createable, owner.referenceTo],
      [false, true, ['User']]
    );
    assert.equal(fieldOf(schema, 'Contact', 'LastName').required, true);
    assert.equal(fieldOf(schema, 'Contact', 'Name').createable, false);
    const username = fieldOf(schema, 'User', 'Username');
    assert.deepEqual([username.unique, username.idLookup], [true, true]);
    assert.equal(fieldOf(schema, 'ContentVersion', 'VersionData').type, 'base64');
    for (const name of ['Name', 'StageName', 'CloseDate']) {
      assert.equal(fieldOf(schema, 'Opportunity', name).required, true, `Opportunity.${name}`);
    }
    const created = fieldOf(schema, 'Account', 'CreatedDate');
    assert.deepEqual(
      [created.type, created.createable, created.updateable],
      ['datetime', false, false]
    );
    const linked = fieldOf(schema, 'ContentDocumentLink', 'LinkedEntityId');
    assert.ok(
      linked.referenceTo.includes('Account') && linked.referenceTo.includes('Integration_Log__c')
    );
  });

  it("names child relationships: the standard names, and a custom lookup's metadata name + __r", () => {
    const named = (objectName: string): Record<string, string> =>
      Object.fromEntries(
        schema
          .childRelationships(objectOf(schema, objectName))
          .filter((relationship) => relationship.relationshipName !== null)
          .map((relationship) => [
            relationship.relationshipName,
            `${relationship.childObject.name}.${relationship.field.name}`
          ])
      );
    const account = named('Account');
    assert.equal(account.Contacts, 'Contact.AccountId');
    assert.equal(account.Opportunities, 'Opportunity.AccountId');
    assert.equal(account.ChildAccounts, 'Account.ParentId');
    assert.equal(account.Invoices__r, 'Invoice__c.Account__c');
    assert.equal(account.ContentDocumentLinks, 'ContentDocumentLink.LinkedEntityId');
    assert.equal(named('Invoice__c').Payments__r, 'Payment__c.Invoice__c');
    assert.equal(named('User').Integration_Logs__r, 'Integration_Log__c.Running_User__c');
    const createdBy = schema
      .childRelationships(objectOf(schema, 'User'))
      .find((relationship) => relationship.field.name === 'CreatedById');
    assert.equal(createdBy?.relationshipName, null);
  });
});

describe('schema from a project written for the test', () => {
  let project: TempProject;
  let schema: Schema;
  before(async () => {
    project = await createTempSfdxProject();
    schema = await loadSchema(project.dir);
  });
  after(() => project.remove());

  it('assigns key prefixes in name order per kind', () => {
    assert.equal(objectOf(schema, 'Inspection__c').keyPrefix, 'a00');
    assert.equal(objectOf(schema, 'Property__c').keyPrefix, 'a01');
    assert.equal(objectOf(schema, 'Property_Sold__e').keyPrefix, 'e00');
    assert.equal(objectOf(schema, 'Limits_Setting__mdt').keyPrefix, 'm00');
  });

  it('adds custom fields found in another slice to a standard object', () => {
    const sap = fieldOf(schema, 'Account', 'SAP_Customer_Number__c');
    assert.deepEqual(
      [sap.type, sap.length, sap.custom, sap.unique, sap.externalId, sap.idLookup],
      ['string', 10, true, true, true, true]
    );
    fieldOf(schema, 'Account', 'Name');
  });

  it('maps metadata field types to describe types', () => {
    const types = Object.fromEntries(
      objectOf(schema, 'Property__c').fields.map((f) => [
        f.name,
        [f.type, f.length, f.precision, f.scale]
      ])
    );
    assert.deepEqual(types.City__c, ['string', 40, 0, 0]);
    assert.deepEqual(types.Price__c, ['currency', 0, 10, 2]);
    assert.deepEqual(types.Rooms__c, ['double', 0, 3, 0]);
    assert.deepEqual(types.Listed_On__c, ['date', 0, 0, 0]);
    assert.deepEqual(types.Inspected_At__c, ['datetime', 0, 0, 0]);
    assert.deepEqual(types.Furnished__c, ['boolean', 0, 0, 0]);
    assert.deepEqual(types.Features__c, ['multipicklist', 4099, 0, 0]);
    assert.deepEqual(types.Description__c, ['textarea', 5000, 0, 0]);
    assert.deepEqual(types.Contact_Email__c, ['email', 80, 0, 0]);
    assert.deepEqual(types.Listing_Number__c, ['string', 30, 0, 0]);
    assert.deepEqual(types.Display_Name__c, ['string', 1300, 0, 0]);
  });

  it('reads required, defaults, picklists, auto-numbers, formulas and relationships', () => {
    assert.equal(fieldOf(schema, 'Property__c', 'Name').required, true, 'Text name field');
    assert.equal(fieldOf(schema, 'Property__c', 'City__c').required, true);
    assert.equal(fieldOf(schema, 'Property__c', 'Furnished__c').defaultValue, true);
    const status = fieldOf(schema, 'Property__c', 'Status__c');
    assert.equal(status.restrictedPicklist, true);
    assert.equal(status.defaultValue, 'Draft');
    assert.deepEqual(status.picklistValues[2], {
      value: 'Sold, Closed',
      label: 'Sold, Closed',
      active: true,
      defaultValue: false
    });
    const kind = fieldOf(schema, 'Property__c', 'Kind__c');
    assert.equal(kind.restrictedPicklist, true, 'global value sets are restricted');
    assert.deepEqual(
      kind.picklistValues.map((v) => v.value),
      ['House', 'Flat']
    );
    const listing = fieldOf(schema, 'Property__c', 'Listing_Number__c');
    assert.deepEqual(
      [listing.autoNumber, listing.displayFormat, listing.createable, listing.updateable],
      [true, 'PR-{YYYY}-{0000}', false, false]
    );
    const formula = fieldOf(schema, 'Property__c', 'Display_Name__c');
    assert.deepEqual([formula.calculated, formula.createable], [true, false]);
    const account = fieldOf(schema, 'Property__c', 'Account__c');
    assert.deepEqual([account.referenceTo, account.relationshipName], [['Account'], 'Account__r']);
    assert.equal(fieldOf(schema, 'Property__c', 'Legacy_Code__c').caseSensitive, true);
  });

  it('gives a master-detail child no owner, and a required, non-reparentable master', () => {
    const inspection = objectOf(schema, 'Inspection__c');
    assert.ok(!inspection.fields.some((f) => f.name === 'OwnerId'));
    assert.ok(objectOf(schema, 'Property__c').fields.some((f) => f.name === 'OwnerId'));
    const master = fieldOf(schema, 'Inspection__c', 'Property__c');
    assert.deepEqual([master.required, master.updateable], [true, false]);
    assert.equal(fieldOf(schema, 'Inspection__c', 'Name').displayFormat, 'INS-{00000}');
  });

  it('defaults a platform event without publishBehavior to PublishAfterCommit', () => {
    assert.equal(objectOf(schema, 'Property_Sold__e').publishBehavior, 'PublishAfterCommit');
    assert.equal(fieldOf(schema, 'Property_Sold__e', 'Property_Id__c').required, true);
  });

  it('fails clearly without a readable sfdx-project.json', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'sf-emulator-empty-'));
    try {
      await assert.rejects(loadSchema(empty), /Cannot read the SFDX project file/);
      await writeFile(path.join(empty, 'sfdx-project.json'), '{"packageDirectories": []}');
      await assert.rejects(loadSchema(empty), /lists no packageDirectories/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
