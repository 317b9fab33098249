/**
 * The schema comes from whatever SFDX project the emulator is pointed at: a temporary project
 * adds an external id to Account (which this repository does not have yet), and jsforce upserts
 * on it; a field the metadata lacks is INVALID_FIELD, as in an org without the deploy.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import jsforce from 'jsforce';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

let project: string;
let emulator: TestEmulator;

const FIELD = `<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>SAP_Customer_Number__c</fullName>
    <externalId>true</externalId>
    <label>SAP Customer Number</label>
    <length>10</length>
    <required>false</required>
    <type>Text</type>
    <unique>true</unique>
</CustomField>
`;

before(async () => {
  project = await mkdtemp(join(tmpdir(), 'sf-emulator-project-'));
  await writeFile(
    join(project, 'sfdx-project.json'),
    JSON.stringify({
      packageDirectories: [{ path: 'force-app', default: true }],
      sourceApiVersion: '65.0'
    })
  );
  const fields = join(project, 'force-app', 'main', 'default', 'objects', 'Account', 'fields');
  await mkdir(fields, { recursive: true });
  await writeFile(join(fields, 'SAP_Customer_Number__c.field-meta.xml'), FIELD);
  emulator = await startTestEmulator({ projectDir: project });
});

after(async () => {
  await emulator?.close();
  await rm(project, { recursive: true, force: true });
});

test('upserts Accounts on an external id the project metadata declares', async () => {
  const conn = new jsforce.Connection({
    instanceUrl: emulator.instanceUrl,
    accessToken: emulator.accessToken,
    version: '65.0'
  });
  const describeResult = await conn.sobject('Account').describe();
  const field = describeResult.fields.find((f) => f.name === 'SAP_Customer_Number__c');
  assert.equal(field?.externalId, true);
  assert.equal(field?.custom, true);

  const created = (await conn
    .sobject('Account')
    .upsert({ Name: 'Acme', SAP_Customer_Number__c: '0000042' }, 'SAP_Customer_Number__c')) as {
    id: string;
    created: boolean;
  };
  assert.equal(created.created, true);
  const updated = (await conn
    .sobject('Account')
    .upsert({ Name: 'Acme AG', SAP_Customer_Number__c: '0000042' }, 'SAP_Customer_Number__c')) as {
    id: string;
    created: boolean;
  };
  assert.deepEqual([updated.created, updated.id], [false, created.id]);

  const tooLong = await emulator.rest('POST', 'sobjects/Account', {
    Name: 'x',
    SAP_Customer_Number__c: '12345678901'
  });
  assert.equal(tooLong.status, 400);
  assert.equal((tooLong.body as Array<{ errorCode: string }>)[0]?.errorCode, 'STRING_TOO_LONG');
  await assert.rejects(
    conn.sobject('Integration_Log__c').create({ Source__c: 'x' }),
    { errorCode: 'NOT_FOUND' },
    'objects of another project do not exist here'
  );
});
