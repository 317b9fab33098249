/**
 * The SOQL engine over the emulator's real schema loader and record store: this repository's
 * own metadata (Integration_Log__c, its platform event) and a temporary SFDX project with a
 * custom object looking up Account, plus a million generated rows streamed in flat memory
 * through the store's addGeneratedDataset.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import type { Principal, Schema } from '../src/model.ts';
import { SalesforceApiError } from '../src/model.ts';
import { newId } from '../src/ids.ts';
import { loadSchema } from '../../../toolkit/src/salesforce-schema/index.ts';
import { createRecordStore } from '../src/store/index.ts';
import { bulkQueryRestriction, createSoqlEngine } from '../src/soql/index.ts';
import { fixedClock } from './soql-fake-org.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NOW = '2026-11-29T12:00:00Z';

const ADMIN: Principal = {
  userId: newId('005', 1),
  username: 'integration@emulator.local',
  organizationId: '00D000000000001AAA'
};

function fieldXml(name: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>${name}</fullName>
  <label>${name}</label>
${body}
</CustomField>
`;
}

/** A throwaway SFDX project: Shipment__c with a lookup to Account and typed fields. */
async function writeProject(dir: string): Promise<void> {
  await writeFile(
    path.join(dir, 'sfdx-project.json'),
    JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }] })
  );
  const objectDir = path.join(dir, 'force-app/main/default/objects/Shipment__c');
  await mkdir(path.join(objectDir, 'fields'), { recursive: true });
  await writeFile(
    path.join(objectDir, 'Shipment__c.object-meta.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">
  <label>Shipment</label>
  <pluralLabel>Shipments</pluralLabel>
  <nameField><label>Shipment Name</label><type>Text</type></nameField>
  <deploymentStatus>Deployed</deploymentStatus>
  <sharingModel>ReadWrite</sharingModel>
</CustomObject>
`
  );
  const fields: Record<string, string> = {
    Account__c:
      '  <type>Lookup</type>\n  <referenceTo>Account</referenceTo>\n  <relationshipName>Shipments</relationshipName>\n  <deleteConstraint>SetNull</deleteConstraint>',
    Shipped_On__c: '  <type>Date</type>',
    Weight__c: '  <type>Number</type>\n  <precision>18</precision>\n  <scale>2</scale>',
    Tracking__c:
      '  <type>Text</type>\n  <length>40</length>\n  <externalId>true</externalId>\n  <unique>true</unique>',
    Dest__c:
      '  <type>Location</type>\n  <displayLocationInDecimal>true</displayLocationInDecimal>\n  <scale>5</scale>'
  };
  for (const [name, body] of Object.entries(fields)) {
    await writeFile(path.join(objectDir, 'fields', `${name}.field-meta.xml`), fieldXml(name, body));
  }
}

describe('SOQL over the real schema and store', () => {
  let dir: string;
  let schema: Schema;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'soql-project-'));
    await writeProject(dir);
    schema = await loadSchema(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function org() {
    const clock = fixedClock(NOW);
    const store = createRecordStore(schema, clock, { systemUserId: ADMIN.userId });
    return { store, clock, engine: createSoqlEngine(schema, store, clock) };
  }

  it('queries a custom lookup (__r), dates, numbers and a geolocation field', () => {
    const { store, engine } = org();
    const acme = store.insert('Account', { Name: 'Acme', Industry: 'Technology' }, ADMIN);
    store.insert(
      'Shipment__c',
      {
        Name: 'S-1',
        Account__c: acme.Id,
        Shipped_On__c: '2026-11-28',
        Weight__c: 12.5,
        Tracking__c: 'T-1',
        Dest__Latitude__s: 52.52,
        Dest__Longitude__s: 13.405
      },
      ADMIN
    );
    store.insert('Shipment__c', { Name: 'S-2', Shipped_On__c: '2026-11-29', Weight__c: 3 }, ADMIN);

    const query = engine.prepare(
      'SELECT Name, account__r.name, Weight__c, Dest__c FROM shipment__c WHERE Shipped_On__c = YESTERDAY'
    );
    assert.deepEqual(query.columns, ['Name', 'Account__r.Name', 'Weight__c', 'Dest__c']);
    const [row] = [...query.run()];
    assert.equal(row?.Name, 'S-1');
    assert.equal((row?.Account__r as Record<string, unknown>).Name, 'Acme');
    assert.deepEqual(row?.Dest__c, { latitude: 52.52, longitude: 13.405 });
    assert.deepEqual(
      [...engine.prepare('SELECT Name, Account__r.Name FROM Shipment__c ORDER BY Name').runFlat()],
      [
        { Name: 'S-1', 'Account__r.Name': 'Acme' },
        { Name: 'S-2', 'Account__r.Name': null }
      ]
    );
    assert.equal(engine.prepare('SELECT COUNT() FROM Shipment__c WHERE Weight__c > 5').count(), 1);
    assert.equal(
      bulkQueryRestriction('SELECT Name, Dest__c FROM Shipment__c', schema)?.errorCode,
      'API_ERROR'
    );
  });

  it("a custom lookup's children by its metadata relationship name, and GROUP BY over them", () => {
    const { store, engine } = org();
    const acme = store.insert('Account', { Name: 'Acme' }, ADMIN);
    store.insert('Account', { Name: 'Empty' }, ADMIN);
    for (const [name, day, weight] of [
      ['S-1', '2026-11-28', 12.5],
      ['S-2', '2026-11-28', 3],
      ['S-3', '2026-10-01', 1]
    ] as const) {
      store.insert(
        'Shipment__c',
        { Name: name, Account__c: acme.Id, Shipped_On__c: day, Weight__c: weight },
        ADMIN
      );
    }
    const rows = [
      ...engine
        .prepare(
          'SELECT Name, (SELECT Name FROM Shipments__r WHERE Weight__c > 2 ORDER BY Name) FROM Account ORDER BY Name'
        )
        .run()
    ];
    const shipments = rows[0]?.Shipments__r as {
      totalSize: number;
      records: Array<{ Name: string }>;
    };
    assert.deepEqual(
      [shipments.totalSize, shipments.records.map((record) => record.Name)],
      [2, ['S-1', 'S-2']]
    );
    assert.equal(rows[1]?.Shipments__r, null);
    assert.deepEqual(
      [
        ...engine
          .prepare(
            'SELECT Account__r.Name, CALENDAR_MONTH(Shipped_On__c) month, SUM(Weight__c) FROM Shipment__c GROUP BY Account__r.Name, CALENDAR_MONTH(Shipped_On__c)'
          )
          .runFlat()
      ],
      [
        { Name: 'Acme', month: 11, expr0: 15.5 },
        { Name: 'Acme', month: 10, expr0: 1 }
      ]
    );
  });

  it('system fields the store sets (CreatedDate, Owner) are queryable', () => {
    const { store, engine } = org();
    store.insert('Account', { Name: 'Acme' }, ADMIN);
    const rows = [
      ...engine
        .prepare('SELECT Name, CreatedDate, OwnerId FROM Account WHERE CreatedDate = TODAY')
        .runFlat()
    ];
    assert.equal(rows.length, 1);
    assert.match(String(rows[0]?.CreatedDate), /^2026-11-29T12:00:00\.000\+0000$/);
    assert.equal(rows[0]?.OwnerId, ADMIN.userId);
  });

  it("the custom field naming errors of a real org's schema", () => {
    const { engine } = org();
    const error = (soql: string): SalesforceApiError => {
      try {
        engine.prepare(soql);
      } catch (caught) {
        if (caught instanceof SalesforceApiError) return caught;
        throw caught;
      }
      assert.fail(`expected ${soql} to fail`);
    };
    // The lookup's metadata <relationshipName> is the child side; SOQL's parent side is __r.
    assert.match(
      error('SELECT Shipments.Name FROM Shipment__c').message,
      /relationship 'Shipments'/
    );
    assert.match(
      error('SELECT Weight FROM Shipment__c').message,
      /No such column 'Weight' on entity 'Shipment__c'/
    );
    assert.equal(error('SELECT Id FROM Shipment').errorCode, 'INVALID_TYPE');
  });

  it("this repository's metadata: Integration_Log__c is queryable, its platform event is not", async () => {
    const repoSchema = await loadSchema(REPO_ROOT);
    const clock = fixedClock(NOW);
    const store = createRecordStore(repoSchema, clock, { systemUserId: ADMIN.userId });
    const engine = createSoqlEngine(repoSchema, store, clock);
    store.insert(
      'Integration_Log__c',
      { Severity__c: 'ERROR', Source__c: 'AccountSync', Logged_At__c: '2026-11-29T08:00:00.000Z' },
      ADMIN
    );
    store.insert(
      'Integration_Log__c',
      { Severity__c: 'INFO', Source__c: 'AccountSync', Logged_At__c: '2026-11-01T08:00:00.000Z' },
      ADMIN
    );
    const rows = [
      ...engine
        .prepare(
          "SELECT Name, Severity__c FROM Integration_Log__c WHERE Logged_At__c = LAST_N_DAYS:7 AND Severity__c IN ('ERROR', 'FATAL')"
        )
        .runFlat()
    ];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.Severity__c, 'ERROR');
    assert.match(String(rows[0]?.Name), /^LOG-\d{7}$/);
    assert.throws(() => engine.prepare('SELECT Id FROM Integration_Log_Event__e'), {
      errorCode: 'INVALID_TYPE_FOR_OPERATION'
    });
  });

  it('1,000,000 generated rows stream through the real store with a flat heap', () => {
    const { store, engine } = org();
    store.addGeneratedDataset('Shipment__c', 1_000_000, (index) => ({
      Name: `S-${index}`,
      Weight__c: index % 100
    }));
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = 0;
    const query = engine.prepare(
      'SELECT Id, Name, Weight__c FROM Shipment__c WHERE Weight__c >= 0'
    );
    for (const row of query.run()) {
      if (row.Weight__c === undefined) throw new Error('missing field');
      if (++count % 200_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    assert.equal(count, 1_000_000);
    assert.ok(peak < 50 * 1024 * 1024, `heap grew ${peak} bytes`);
    assert.equal(engine.prepare('SELECT COUNT() FROM Shipment__c').count(), 1_000_000);
  });
});
