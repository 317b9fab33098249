/**
 * Publishing platform events through the record API with jsforce, answered as a real org does
 * (Platform Events Developer Guide, "Publish Event Messages with Salesforce APIs"): 201,
 * `success: true`, and in `errors` an OPERATION_ENQUEUED status whose message is the event's
 * EventUuid, for a single create, each record of an sObject Collection and a composite
 * subrequest. Invalid values are refused as for any record, and nothing is published.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type jsforce from 'jsforce';
import type { TestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

const EVENT = 'Account_Sync__e';

type SaveResult = {
  id: string;
  success: boolean;
  errors: Array<{ statusCode: string; message: string; fields: string[] }>;
};

let emulator: TestEmulator;
let conn: jsforce.Connection;

useJsforceEmulator((started, connection) => {
  emulator = started;
  conn = connection;
});

/** EventUuids of the events subscribers got, in publish order. */
function publishedUuids(): string[] {
  return emulator.ctx.bus.retained(EVENT).map((event) => event.eventUuid);
}

function assertEnqueued(result: SaveResult | undefined, eventUuid: string | undefined): void {
  assert.ok(result?.success);
  assert.match(result.id, /^e00[A-Za-z0-9]{15}$/);
  assert.deepEqual(result.errors, [
    { statusCode: 'OPERATION_ENQUEUED', message: eventUuid, fields: [] }
  ]);
}

test('a create answers 201 with OPERATION_ENQUEUED and the EventUuid', async () => {
  const response = await emulator.rest('POST', `sobjects/${EVENT}`, {
    Account_Id__c: '001000000000001AAA',
    Operation__c: 'update'
  });
  assert.equal(response.status, 201);
  const [eventUuid] = publishedUuids();
  assert.match(String(eventUuid), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assertEnqueued(response.body as SaveResult, eventUuid);

  const viaJsforce = (await conn.sobject(EVENT).create({ Operation__c: 'delete' })) as SaveResult;
  assertEnqueued(viaJsforce, publishedUuids()[1]);
});

test('each event of an sObject Collection answers OPERATION_ENQUEUED', async () => {
  const results = (await conn
    .sobject(EVENT)
    .create([{ Operation__c: 'create' }, { Operation__c: 'update' }], {
      allOrNone: false
    })) as SaveResult[];
  const uuids = publishedUuids();
  assert.equal(uuids.length, 2);
  results.forEach((result, index) => assertEnqueued(result, uuids[index]));
});

test('a composite subrequest answers the same body', async () => {
  const response = await conn.requestPost<{
    compositeResponse: Array<{ body: SaveResult; httpStatusCode: number }>;
  }>('/services/data/v65.0/composite', {
    allOrNone: true,
    compositeRequest: [
      {
        method: 'POST',
        url: `/services/data/v65.0/sobjects/${EVENT}`,
        referenceId: 'event',
        body: { Operation__c: 'create' }
      }
    ]
  });
  const [sub] = response.compositeResponse;
  assert.equal(sub?.httpStatusCode, 201);
  assertEnqueued(sub?.body, publishedUuids()[0]);
});

test('an invalid value fails as for any record, and nothing is published', async () => {
  const response = await emulator.rest('POST', `sobjects/${EVENT}`, {
    Operation__c: 'much too long for ten characters'
  });
  assert.equal(response.status, 400);
  assert.equal((response.body as Array<{ errorCode: string }>)[0]?.errorCode, 'STRING_TOO_LONG');
  assert.deepEqual(publishedUuids(), []);
});
