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
});
