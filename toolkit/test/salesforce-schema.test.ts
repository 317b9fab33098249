/**
 * The schema model as buildSchema derives it from metadata (the emulator's describe and the
 * gate's `references` check both read it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema } from '../src/salesforce-schema/index.ts';
import type { ProjectMetadata } from '../src/salesforce-schema/metadata-loader.ts';

function projectWith(
  objectName: string,
  fields: Record<string, Record<string, string>>
): ProjectMetadata {
  return {
    objects: new Map([
      [
        objectName,
        { name: objectName, fields: new Map(Object.entries(fields)), recordTypes: new Map() }
      ]
    ]),
    globalValueSets: new Map(),
    customMetadataRecords: []
  };
}

describe('salesforce-schema: buildSchema', () => {
  it('gives Task and Event the custom fields defined on Activity, as their describe lists them', () => {
    const schema = buildSchema(
      projectWith('Activity', {
        Integration_Ref__c: {
          fullName: 'Integration_Ref__c',
          label: 'Integration Ref',
          type: 'Text',
          length: '40'
        }
      })
    );
    for (const name of ['Task', 'Event']) {
      const object = schema.getObject(name);
      assert.ok(object, `${name} is in the schema`);
      const field = schema.getField(object, 'Integration_Ref__c');
      assert.deepEqual([field?.type, field?.length, field?.custom], ['string', 40, true], name);
    }
  });

  it('adds nothing to Task and Event without an Activity folder', () => {
    const schema = buildSchema(projectWith('Account', {}));
    const task = schema.getObject('Task');
    assert.ok(task);
    assert.equal(schema.getField(task, 'Integration_Ref__c'), undefined);
  });

  it('describes an external object: read only, Salesforce Connect fields, an indirect lookup by external id', () => {
    const project: ProjectMetadata = {
      objects: new Map([
        [
          'Contact',
          {
            name: 'Contact',
            fields: new Map([
              [
                'Fitness_User_Id__c',
                {
                  fullName: 'Fitness_User_Id__c',
                  type: 'Text',
                  length: '64',
                  externalId: 'true',
                  unique: 'true'
                }
              ]
            ]),
            recordTypes: new Map()
          }
        ],
        [
          'Daily_Activity__x',
          {
            name: 'Daily_Activity__x',
            object: { label: 'Daily Activity', pluralLabel: 'Daily Activities' },
            fields: new Map([
              ['Steps__c', { fullName: 'Steps__c', type: 'Number', precision: '18', scale: '0' }],
              [
                'Contact__c',
                {
                  fullName: 'Contact__c',
                  type: 'IndirectLookup',
                  length: '64',
                  referenceTo: 'Contact',
                  referenceTargetField: 'Fitness_User_Id__c',
                  relationshipName: 'Daily_Activities'
                }
              ]
            ]),
            recordTypes: new Map()
          }
        ]
      ]),
      globalValueSets: new Map(),
      customMetadataRecords: []
    };
    const schema = buildSchema(project);
    const activity = schema.getObject('daily_activity__x');
    assert.ok(activity, 'the external object is in the schema');
    assert.equal(activity.kind, 'external');
    assert.equal(activity.keyPrefix, 'x00');
    assert.deepEqual(
      [activity.queryable, activity.createable, activity.updateable, activity.deletable],
      [true, false, false, false]
    );
    assert.deepEqual(
      activity.fields.map((f) => f.name),
      ['Id', 'ExternalId', 'DisplayUrl', 'Contact__c', 'Steps__c'],
      'no OwnerId, no audit fields: the rows live in the external system'
    );
    const lookup = schema.getField(activity, 'Contact__c');
    assert.equal(lookup?.type, 'reference');
    assert.deepEqual(lookup?.referenceTo, ['Contact']);
    assert.equal(lookup?.referenceTargetField, 'Fitness_User_Id__c');
    assert.equal(lookup?.relationshipName, 'Contact__r');
    assert.equal(lookup?.createable, false);
    assert.equal(schema.getField(activity, 'Steps__c')?.updateable, false);
    const contact = schema.getObject('Contact');
    assert.ok(contact);
    const related = schema.childRelationships(contact).find((c) => c.childObject === activity);
    assert.equal(related?.relationshipName, 'Daily_Activities__r');
  });
});
