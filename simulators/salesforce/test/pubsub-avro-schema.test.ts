import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildEventSchema,
  parseAvroSchema,
  createEventSchemaRegistry,
  decodeEventPayload,
  encodeEventPayload
} from '../src/pubsub/avro-schema.ts';
import type { Schema } from '../src/model.ts';
import { loadSchema } from '../../../toolkit/src/salesforce-schema/index.ts';
import { EVENT_NAME, writeEventProject } from './pubsub-test-org.ts';

describe('platform event Avro schemas', () => {
  let dir: string;
  let schema: Schema;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pubsub-avro-'));
    await writeEventProject(dir);
    schema = await loadSchema(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('has the shape an org serves: record in com.sforce.eventbus, system fields, nullable custom fields', () => {
    const event = buildEventSchema(schema.getObject(EVENT_NAME)!);
    const json = JSON.parse(event.schemaJson) as {
      name: string;
      namespace: string;
      type: string;
      fields: Array<{ name: string; type: unknown; doc: string; default?: unknown }>;
      uuid: string;
    };
    assert.equal(json.name, EVENT_NAME);
    assert.equal(json.namespace, 'com.sforce.eventbus');
    assert.equal(json.type, 'record');
    assert.equal(json.uuid, event.schemaId);
    const byName = new Map(json.fields.map((f) => [f.name, f]));
    assert.deepEqual(json.fields.slice(0, 2), [
      { name: 'CreatedDate', type: 'long', doc: 'CreatedDate:DateTime' },
      { name: 'CreatedById', type: 'string', doc: 'CreatedBy:EntityId' }
    ]);
    const expected: Record<string, [string, string]> = {
      Account_Id__c: ['string', 'Data:Text'],
      Account_Name__c: ['string', 'Data:Text'],
      Annual_Revenue__c: ['double', 'Data:Double'],
      Is_Active__c: ['boolean', 'Data:Boolean'],
      Synced_At__c: ['long', 'Data:DateTime'],
      Effective_Date__c: ['long', 'Data:DateOnly']
    };
    for (const [name, [type, doc]] of Object.entries(expected)) {
      const field = byName.get(name);
      assert.ok(field, name);
      assert.deepEqual(field.type, ['null', type], name);
      assert.match(field.doc, new RegExp(`^${doc}:00N[0-9A-Za-z]{12}$`), name);
      assert.equal(field.default, null, name);
    }
    for (const system of ['ReplayId', 'EventUuid']) assert.equal(byName.has(system), false, system);
    // The official client parses it with avro-js.
    parseAvroSchema(event.schemaJson);
  });

  it('identifies a schema by the base64url MD5 fingerprint of its canonical form, stable across builds', () => {
    const first = buildEventSchema(schema.getObject(EVENT_NAME)!);
    const second = buildEventSchema(schema.getObject(EVENT_NAME)!);
    assert.equal(first.schemaId, second.schemaId);
    assert.match(first.schemaId, /^[A-Za-z0-9_-]{22}$/);
    const canonical = parseAvroSchema(JSON.parse(first.schemaJson)).getSchema();
    assert.equal(
      first.schemaId,
      parseAvroSchema(canonical).getFingerprint('md5').toString('base64url')
    );
  });

  it('round-trips REST values through Avro (datetimes as epoch ms, dates as midnight UTC)', () => {
    const event = buildEventSchema(schema.getObject(EVENT_NAME)!);
    const payload = {
      CreatedDate: '2026-11-29T03:00:00.000+0000',
      CreatedById: '005Em0000000001IAA',
      Account_Id__c: '001Em0000000001AAA',
      Account_Name__c: 'Müller & Söhne',
      Annual_Revenue__c: 1234.5,
      Is_Active__c: true,
      Synced_At__c: '2026-01-02T03:04:05.678+0000',
      Effective_Date__c: '2026-01-02'
    };
    const bytes = encodeEventPayload(event, payload);
    const raw = event.type.fromBuffer(bytes) as Record<string, unknown>;
    assert.equal(raw['CreatedDate'], Date.UTC(2026, 10, 29, 3));
    assert.deepEqual(
      { ...(raw['Synced_At__c'] as object) },
      { long: Date.UTC(2026, 0, 2, 3, 4, 5, 678) }
    );
    assert.deepEqual({ ...(raw['Effective_Date__c'] as object) }, { long: Date.UTC(2026, 0, 2) });
    assert.deepEqual(decodeEventPayload(event, bytes), payload);
    const empty = decodeEventPayload(event, encodeEventPayload(event, { CreatedById: 'x' }));
    assert.equal(empty['Account_Name__c'], null);
    assert.equal(empty['Is_Active__c'], null);
  });

  it('throws on bytes that are not a record of the schema', () => {
    const event = buildEventSchema(schema.getObject(EVENT_NAME)!);
    assert.throws(() => decodeEventPayload(event, Buffer.from([1, 2, 3])));
  });

  it('resolves topics and schema ids of platform events only', () => {
    const registry = createEventSchemaRegistry(schema);
    const event = registry.forTopic(`/event/${EVENT_NAME}`);
    assert.equal(event?.objectName, EVENT_NAME);
    assert.equal(registry.forId(event!.schemaId), event);
    assert.equal(registry.forTopic('/event/Account'), undefined);
    assert.equal(registry.forTopic('/event/Nope__e'), undefined);
    assert.equal(registry.forTopic('/data/AccountChangeEvent'), undefined);
    assert.equal(registry.forId('unknown-schema-id-000'), undefined);
    // A fresh registry finds a schema by id without having seen its topic.
    assert.equal(createEventSchemaRegistry(schema).forId(event!.schemaId)?.objectName, EVENT_NAME);
  });
});
