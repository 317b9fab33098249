// The Bulk API 2.0 ingest writer against the org emulator: 5,000 inserts with failures, typed
// results, splitting into several jobs, CSV value encoding (nulls, quotes, line breaks), updates.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSfError, type SalesforceClients } from '../../src/platform/salesforce/index.ts';
import { runAsAdministrator, useTestOrg, type TestOrg } from './salesforce-test-org.ts';

interface AccountRow {
  Id: string;
  Name: string;
  Phone: string | null;
  Description: string | null;
  NumberOfEmployees: number | null;
}

describe('Bulk API 2.0 ingest writer', () => {
  let org: TestOrg;
  let sf: SalesforceClients;

  useTestOrg((started) => {
    org = started;
    sf = org.clients();
  }, runAsAdministrator());

  test('inserts 5,000 records; failures come back typed, with their rows', async () => {
    // Every 100th record lacks the required Name; every 250th has a number that is not one.
    async function* records() {
      for (let i = 0; i < 5_000; i++) {
        yield {
          Name: i % 100 === 7 ? undefined : `Ingest ${i}`,
          AccountNumber: `IN-${i}`,
          NumberOfEmployees: i % 250 === 3 ? 'many' : i
        };
      }
    }

    const outcome = await sf.bulkIngest.ingest(records(), {
      object: 'Account',
      operation: 'insert',
      columns: ['Name', 'AccountNumber', 'NumberOfEmployees'],
      poll: { initialDelayMs: 20, maxDelayMs: 200 }
    });

    assert.equal(outcome.jobs.length, 1);
    assert.equal(outcome.jobs[0]?.state, 'JobComplete');
    assert.equal(outcome.recordsSent, 5_000);
    assert.equal(outcome.recordsProcessed, 5_000);
    assert.equal(outcome.recordsFailed, 70);
    assert.equal(outcome.successful.length, 4_930);
    assert.equal(outcome.failed.length, 70);
    assert.equal(outcome.unprocessed.length, 0);

    const missingName = outcome.failed.filter((f) => f.errorCode === 'REQUIRED_FIELD_MISSING');
    assert.equal(missingName.length, 50);
    assert.deepEqual(missingName[0]?.fields, ['Name']);
    assert.match(missingName[0]?.record.AccountNumber ?? '', /^IN-\d*7$/);
    const badNumber = outcome.failed.filter((f) => f.errorCode !== 'REQUIRED_FIELD_MISSING');
    assert.equal(badNumber.length, 20);
    assert.ok(badNumber.every((f) => f.record.NumberOfEmployees === 'many'));
    assert.ok(outcome.successful.every((s) => s.created && /^001\w{15}$/.test(s.id)));

    // What the results say is what the org holds.
    const first = outcome.successful[0];
    assert.ok(first);
    const [stored] = await sf.rest.queryByIds<AccountRow>('Account', ['Id', 'Name'], [first.id]);
    assert.equal(stored?.Name, first.record.Name);
    assert.equal(await sf.rest.queryCount('SELECT COUNT() FROM Account'), 4_930);

    // One job: create, upload, close, polls, three result reads.
    const calls = sf.meter.byOperation();
    assert.equal(calls['bulk.ingest.create'], 1);
    assert.equal(calls['bulk.ingest.upload'], 1);
    assert.equal(calls['bulk.ingest.close'], 1);
    assert.equal(calls['bulk.ingest.successfulResults'], 1);
    assert.equal(calls['bulk.ingest.failedResults'], 1);
    assert.equal(calls['bulk.ingest.unprocessedrecords'], 1);
  });

  test('input larger than maxBytesPerJob is split into several jobs', async () => {
    const records = Array.from({ length: 3_000 }, (_, i) => ({
      Name: `Split ${i}`,
      Description: 'x'.repeat(80)
    }));

    const outcome = await sf.bulkIngest.ingest(records, {
      object: 'Account',
      operation: 'insert',
      maxBytesPerJob: 100 * 1024,
      poll: { initialDelayMs: 20, maxDelayMs: 200 }
    });

    // ~100 bytes a row: 3,000 rows = ~300 KB = 3 or 4 jobs of at most 100 KB each.
    assert.ok(outcome.jobs.length >= 3, `${outcome.jobs.length} jobs`);
    assert.equal(new Set(outcome.jobs.map((j) => j.id)).size, outcome.jobs.length);
    assert.equal(outcome.successful.length, 3_000);
    assert.equal(
      outcome.jobs.reduce((sum, job) => sum + Number(job.numberRecordsProcessed), 0),
      3_000
    );
    const names = new Set(outcome.successful.map((s) => s.record.Name));
    assert.equal(names.size, 3_000);
    assert.equal(await sf.rest.queryCount('SELECT COUNT() FROM Account'), 3_000);
  });

  test('CSV encoding: quotes, commas, line breaks survive; null clears a field on update', async () => {
    const tricky = 'She said "hi", then\nleft – ünïcode';
    const inserted = await sf.bulkIngest.ingest(
      [
        { Name: tricky, Phone: '555-0100', NumberOfEmployees: 12 },
        { Name: 'Plain', Phone: '555-0101', NumberOfEmployees: 0 }
      ],
      { object: 'Account', operation: 'insert', poll: { initialDelayMs: 20 } }
    );
    assert.equal(inserted.successful.length, 2);
    const [a, b] = inserted.successful.map((s) => s.id);

    const updated = await sf.bulkIngest.ingest(
      [
        // null -> #N/A: clears the field; undefined -> empty cell: leaves it alone.
        { Id: a, Phone: null, NumberOfEmployees: undefined },
        { Id: b, Phone: undefined, NumberOfEmployees: 7 }
      ],
      { object: 'Account', operation: 'update', poll: { initialDelayMs: 20 } }
    );
    assert.equal(updated.successful.length, 2);
    assert.ok(updated.successful.every((s) => !s.created));

    const rows = await sf.rest.queryByIds<AccountRow>(
      'Account',
      ['Id', 'Name', 'Phone', 'NumberOfEmployees'],
      [a as string, b as string]
    );
    const byId = new Map(rows.map((r) => [r.Id, r]));
    assert.equal(byId.get(a as string)?.Name, tricky);
    assert.equal(byId.get(a as string)?.Phone, null);
    assert.equal(byId.get(a as string)?.NumberOfEmployees, 12);
    assert.equal(byId.get(b as string)?.Phone, '555-0101');
    assert.equal(byId.get(b as string)?.NumberOfEmployees, 7);
  });

  test('a record with a column outside the CSV header is refused before anything is sent', async () => {
    await assert.rejects(
      sf.bulkIngest.ingest([{ Name: 'a' }, { Name: 'b', Phone: '1' }], {
        object: 'Account',
        operation: 'insert'
      }),
      /column Phone, which is not among the CSV columns/
    );
    assert.equal(sf.meter.total(), 0);
  });

  test('an unknown object is Salesforce error at job creation', async () => {
    await assert.rejects(
      sf.bulkIngest.ingest([{ Name: 'a' }], { object: 'Nothing__c', operation: 'insert' }),
      { status: 400, errorCode: 'INVALIDJOB' }
    );
  });

  test('sf__Error text is parsed into code, message and fields', () => {
    assert.deepEqual(
      parseSfError('REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --'),
      {
        errorCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [Name]',
        fields: ['Name']
      }
    );
    assert.deepEqual(parseSfError('DUPLICATE_VALUE:duplicate value found: Key__c:--'), {
      errorCode: 'DUPLICATE_VALUE',
      message: 'duplicate value found: Key__c',
      fields: []
    });
    assert.deepEqual(parseSfError('FIELD_CUSTOM_VALIDATION_EXCEPTION:Bad: really:A__c,B__c --'), {
      errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
      message: 'Bad: really',
      fields: ['A__c', 'B__c']
    });
  });
});
