/**
 * Bulk API 2.0 ingest jobs against the emulator, through jsforce 3.10.16
 * (`conn.bulk2.loadAndWaitForResults`, `createJob`) and raw HTTP for the error paths.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBulkApp, type BulkTestApp } from './helpers/bulk-app.ts';
import { eventually } from '../../../toolkit/testing/wait.ts';

type ApiError = Array<{ errorCode: string; message: string }>;

/** jsforce's parsed result CSV, row by row. */
function rows(results: unknown): Array<Record<string, string>> {
  return results as Array<Record<string, string>>;
}

interface IngestInfo {
  id: string;
  state: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  errorMessage?: string;
  [key: string]: unknown;
}

async function openJob(app: BulkTestApp, body: Record<string, unknown>): Promise<IngestInfo> {
  const response = await app.request('POST', 'jobs/ingest', { body });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as IngestInfo;
}

function waitForEnd(app: BulkTestApp, id: string): Promise<IngestInfo> {
  return eventually(
    async () => {
      const info = (await (await app.request('GET', `jobs/ingest/${id}`)).json()) as IngestInfo;
      return ['JobComplete', 'Failed', 'Aborted'].includes(info.state) ? info : undefined;
    },
    `job ${id} to finish`,
    { timeoutMs: 4000, intervalMs: 20 }
  );
}

/** Create, upload, close and wait, by raw HTTP. */
async function runJob(
  app: BulkTestApp,
  job: Record<string, unknown>,
  csv: string
): Promise<IngestInfo> {
  const { id } = await openJob(app, job);
  assert.equal((await app.request('PUT', `jobs/ingest/${id}/batches`, { body: csv })).status, 201);
  const closed = await app.request('PATCH', `jobs/ingest/${id}`, {
    body: { state: 'UploadComplete' }
  });
  assert.equal(closed.status, 200);
  return waitForEnd(app, id);
}

describe('Bulk API 2.0 ingest jobs with jsforce', () => {
  let app: BulkTestApp;

  before(async () => {
    app = await startBulkApp();
  });
  after(async () => app?.close());

  test('insert: successful and failed results as Salesforce writes them', async () => {
    const conn = app.connection();
    conn.bulk2.pollInterval = 50;
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'insert',
      input: [
        'Name,SAP_Customer_Number__c,Is_Key_Account__c,NumberOfEmployees,Last_Synced__c',
        'Acme,SAP-1,true,120,2026-05-01T10:00:00.000Z',
        ',SAP-2,false,5,',
        'Globex,SAP-3,maybe,7,',
        'Initech,SAP-1,false,9,',
        '"Umbrella, Inc.",SAP-4,,,2026-05-01T12:00:00+02:00'
      ].join('\n')
    });
    const successes = rows(results.successfulResults);
    const failures = rows(results.failedResults);
    assert.deepEqual(
      successes.map((r) => [r.Name, r.sf__Created]),
      [
        ['Acme', 'true'],
        ['Umbrella, Inc.', 'true']
      ]
    );
    const acme = app.ctx.store.get('Account', successes[0]?.sf__Id ?? '');
    assert.equal(acme?.Name, 'Acme');
    assert.equal(acme?.Is_Key_Account__c, true);
    assert.equal(acme?.NumberOfEmployees, 120);
    assert.equal(acme?.Last_Synced__c, '2026-05-01T10:00:00.000+0000');
    const umbrella = app.ctx.store.get('Account', successes[1]?.sf__Id ?? '');
    assert.equal(umbrella?.Last_Synced__c, '2026-05-01T10:00:00.000+0000');

    assert.deepEqual(
      failures.map((r) => [r.sf__Id, r.SAP_Customer_Number__c, r.sf__Error]),
      [
        ['', 'SAP-2', 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --'],
        [
          '',
          'SAP-3',
          "INVALID_FIELD:Failed to deserialize field at col 3. Due to, 'maybe' is not a valid value for the type xsd:boolean:--"
        ],
        [
          '',
          'SAP-1',
          `DUPLICATE_VALUE:duplicate value found: SAP_Customer_Number__c duplicates value on record with id: ${(successes[0]?.sf__Id ?? '').slice(0, 15)}:--`
        ]
      ]
    );
    assert.deepEqual(results.unprocessedRecords, []);
  });

  test('upsert on an external id: created and updated rows, relationship columns', async () => {
    const conn = app.connection();
    conn.bulk2.pollInterval = 50;
    const existing = app.ctx.store.insert(
      'Account',
      { Name: 'Old Name', SAP_Customer_Number__c: 'UP-1', Description: 'keep me' },
      app.ctx.integrationUser
    );
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'SAP_Customer_Number__c',
      input:
        'SAP_Customer_Number__c,Name,Phone\nUP-1,New Name,#N/A\nUP-2,Brand New,555\n,No Key,1\n'
    });
    const successes = rows(results.successfulResults);
    assert.deepEqual(
      successes.map((r) => [r.sf__Id === existing.Id, r.sf__Created, r.Name]),
      [
        [true, 'false', 'New Name'],
        [false, 'true', 'Brand New']
      ]
    );
    const updated = app.ctx.store.get('Account', existing.Id);
    assert.equal(updated?.Name, 'New Name');
    assert.equal(updated?.Description, 'keep me', 'an absent column leaves the field alone');
    assert.equal(updated?.Phone ?? null, null);
    const failures = rows(results.failedResults);
    assert.deepEqual(
      failures.map((r) => r.sf__Error),
      ['MISSING_ARGUMENT:SAP_Customer_Number__c not specified:--']
    );

    // Contacts linked to their account through the account's external id.
    const contacts = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'insert',
      input: 'LastName,Account.SAP_Customer_Number__c\nSmith,UP-2\nJones,NOPE\n'
    });
    const [smith] = rows(contacts.successfulResults);
    const account = app.ctx.store.get('Contact', smith?.sf__Id ?? '')?.AccountId;
    assert.equal(account, (successes[1] as Record<string, string>).sf__Id);
    assert.deepEqual(
      rows(contacts.failedResults).map((r) => r.sf__Error),
      [
        'INVALID_FIELD:Foreign key external ID: NOPE not found for field SAP_Customer_Number__c in entity Account:--'
      ]
    );
  });

  test('update and delete by Id', async () => {
    const conn = app.connection();
    conn.bulk2.pollInterval = 50;
    const a = app.ctx.store.insert('Account', { Name: 'A', Phone: '1' }, app.ctx.integrationUser);
    const b = app.ctx.store.insert('Account', { Name: 'B' }, app.ctx.integrationUser);
    const updated = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'update',
      input: `Id,Name,Phone\n${a.Id},A2,#N/A\n,Nobody,\n`
    });
    assert.equal((updated.successfulResults as unknown[]).length, 1);
    assert.equal(app.ctx.store.get('Account', a.Id)?.Name, 'A2');
    assert.equal(app.ctx.store.get('Account', a.Id)?.Phone ?? null, null);
    assert.deepEqual(
      rows(updated.failedResults).map((r) => r.sf__Error),
      ['MISSING_ARGUMENT:Id not specified in an update call:--']
    );

    const deleted = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'delete',
      input: `Id\n${b.Id}\n${b.Id}\n`
    });
    assert.deepEqual(
      rows(deleted.successfulResults).map((r) => [r.sf__Id, r.sf__Created]),
      [[b.Id, 'false']]
    );
    assert.equal((deleted.failedResults as unknown[]).length, 1);
    assert.equal(app.ctx.store.get('Account', b.Id), undefined);
  });

  test('an unknown column fails the job with the real message', async () => {
    const conn = app.connection();
    conn.bulk2.pollInterval = 50;
    await assert.rejects(
      conn.bulk2.loadAndWaitForResults({
        object: 'Account',
        operation: 'insert',
        input: 'Nmae,Phone\nAcme,1\nGlobex,2\n'
      }),
      /Ingest job failed to complete due to: InvalidBatch : Field name not found : Nmae/
    );
    // jsforce quirk: after any failure but a poll timeout it DELETEs the job, so its
    // failed/unprocessed results are gone; the job info is read here by raw HTTP instead.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const listed = (await (await app.request('GET', 'jobs/ingest')).json()) as {
      records: IngestInfo[];
    };
    assert.deepEqual(
      listed.records.filter((r) => r.state === 'Failed'),
      []
    );
    const info = await runJob(
      app,
      { object: 'Account', operation: 'insert' },
      'Nmae,Phone\nAcme,1\n'
    );
    assert.equal(info.state, 'Failed');
    assert.equal(info.errorMessage, 'InvalidBatch : Field name not found : Nmae');
    assert.equal(info.numberRecordsProcessed, 0);
  });
});

describe('Bulk API 2.0 ingest jobs over HTTP', () => {
  let app: BulkTestApp;

  before(async () => {
    app = await startBulkApp();
  });
  after(async () => app?.close());

  test('job info shapes: create, close, complete', async () => {
    const created = await openJob(app, {
      object: 'account',
      operation: 'upsert',
      externalIdFieldName: 'sap_customer_number__c',
      lineEnding: 'LF'
    });
    assert.equal(created.state, 'Open');
    assert.equal(created.object, 'Account');
    assert.equal(created.externalIdFieldName, 'SAP_Customer_Number__c');
    assert.equal(created.contentUrl, `services/data/v65.0/jobs/ingest/${created.id}/batches`);
    assert.equal(created.columnDelimiter, 'COMMA');
    const put = await app.request('PUT', `jobs/ingest/${created.id}/batches`, {
      body: 'SAP_Customer_Number__c,Name\nSH-1,Shape\n'
    });
    assert.equal(put.status, 201);
    assert.equal(await put.text(), '');
    const closed = (await (
      await app.request('PATCH', `jobs/ingest/${created.id}`, { body: { state: 'UploadComplete' } })
    ).json()) as IngestInfo;
    assert.equal(closed.state, 'UploadComplete');
    const done = await waitForEnd(app, created.id);
    assert.equal(done.state, 'JobComplete');
    assert.equal(done.jobType, 'V2Ingest');
    assert.equal(done.numberRecordsProcessed, 1);
    assert.equal(done.numberRecordsFailed, 0);
    assert.equal(done.contentUrl, undefined, 'contentUrl only while Open');
    for (const key of [
      'retries',
      'totalProcessingTime',
      'apiActiveProcessingTime',
      'apexProcessingTime'
    ]) {
      assert.equal(typeof done[key], 'number', key);
    }
    const csv = await (
      await app.request('GET', `jobs/ingest/${created.id}/successfulResults/`)
    ).text();
    assert.match(
      csv,
      /^"sf__Id","sf__Created",SAP_Customer_Number__c,Name\n"001\w{15}","true","SH-1","Shape"\n$/
    );
    const none = await (await app.request('GET', `jobs/ingest/${created.id}/failedResults`)).text();
    assert.equal(none, '"sf__Id","sf__Error",SAP_Customer_Number__c,Name\n');
  });

  test('the job is checked at creation', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ object: 'Acount', operation: 'insert' }, 'INVALIDJOB', 'InvalidJob : Unable to find object: Acount'],
      [{ object: 'Account', operation: 'merge' }, 'API_ERROR', "Invalid value: 'merge' supplied for property: 'operation'"],
      [{ object: 'Account' }, 'API_ERROR', "Invalid value: 'null' supplied for property: 'operation'"],
      [{ object: 'Account', operation: 'upsert', externalIdFieldName: 'Name' }, 'INVALIDJOB', 'InvalidJob : Field name provided, Name does not match an External ID for Account'],
      [{ object: 'Account', operation: 'upsert' }, 'INVALIDJOB', 'InvalidJob : Field name provided,  does not match an External ID for Account'],
      [{ object: 'Account', operation: 'insert', lineEnding: 'CR' }, 'API_ERROR', "Invalid value: 'CR' supplied for property: 'lineEnding'"]
    ]; // prettier-ignore
    for (const [body, errorCode, message] of cases) {
      const response = await app.request('POST', 'jobs/ingest', { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.deepEqual(await response.json(), [{ errorCode, message }]);
    }
  });

  test('more than one upload: closing fails as in a real org', async () => {
    const { id } = await openJob(app, { object: 'Account', operation: 'insert' });
    await app.request('PUT', `jobs/ingest/${id}/batches`, { body: 'Name\nOne\n' });
    await app.request('PUT', `jobs/ingest/${id}/batches`, { body: 'Name\nTwo\n' });
    const closed = await app.request('PATCH', `jobs/ingest/${id}`, {
      body: { state: 'UploadComplete' }
    });
    assert.equal(closed.status, 400);
    assert.deepEqual(await closed.json(), [
      {
        errorCode: 'INVALIDJOB',
        message: `Found multipe contents for job: <${id.slice(0, 15)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`
      }
    ]);
  });

  test("a line ending other than the job's fails the job", async () => {
    const info = await runJob(
      app,
      { object: 'Account', operation: 'insert' },
      'Name\r\nCRLF Co\r\n'
    );
    assert.equal(info.state, 'Failed');
    assert.equal(
      info.errorMessage,
      'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF'
    );
    const crlf = await runJob(
      app,
      { object: 'Account', operation: 'insert', lineEnding: 'CRLF', columnDelimiter: 'SEMICOLON' },
      'Name;Phone\r\nCRLF Co;1\r\n'
    );
    assert.equal(crlf.state, 'JobComplete');
    const csv = await (await app.request('GET', `jobs/ingest/${crlf.id}/successfulResults`)).text();
    assert.match(
      csv,
      /^"sf__Id";"sf__Created";Name;Phone\r\n"001\w{15}";"true";"CRLF Co";"1"\r\n$/
    );
  });

  test('unparsable CSV fails the job; its rows are unprocessed', async () => {
    const info = await runJob(
      app,
      { object: 'Account', operation: 'insert' },
      'Name\n"Open quote\n'
    );
    assert.equal(info.state, 'Failed');
    assert.match(info.errorMessage ?? '', /^InvalidBatch : Failed to parse CSV\./);
    const unknown = await runJob(app, { object: 'Account', operation: 'insert' }, 'Nmae\nA\nB\n');
    const unprocessed = await (
      await app.request('GET', `jobs/ingest/${unknown.id}/unprocessedrecords/`)
    ).text();
    assert.equal(unprocessed, 'Nmae\n"A"\n"B"\n');
  });

  test('abort, delete, and the state errors around them', async () => {
    const { id } = await openJob(app, { object: 'Account', operation: 'insert' });
    await app.request('PUT', `jobs/ingest/${id}/batches`, { body: 'Name\nNever\n' });
    const early = await app.request('DELETE', `jobs/ingest/${id}`);
    assert.equal(early.status, 400);
    assert.equal(((await early.json()) as ApiError)[0]?.errorCode, 'API_ERROR');
    const aborted = (await (
      await app.request('PATCH', `jobs/ingest/${id}`, { body: { state: 'Aborted' } })
    ).json()) as IngestInfo;
    assert.equal(aborted.state, 'Aborted');
    const unprocessed = await app.request('GET', `jobs/ingest/${id}/unprocessedrecords`);
    assert.equal(await unprocessed.text(), 'Name\n"Never"\n');
    const upload = await app.request('PUT', `jobs/ingest/${id}/batches`, { body: 'Name\nLate\n' });
    assert.equal(upload.status, 400);
    assert.equal(((await upload.json()) as ApiError)[0]?.errorCode, 'INVALIDJOBSTATE');
    const close = await app.request('PATCH', `jobs/ingest/${id}`, {
      body: { state: 'UploadComplete' }
    });
    assert.equal(close.status, 400);
    const bogus = await app.request('PATCH', `jobs/ingest/${id}`, { body: { state: 'Closed' } });
    assert.equal(((await bogus.json()) as ApiError)[0]?.errorCode, 'INVALIDJOBSTATE');
    assert.equal((await app.request('DELETE', `jobs/ingest/${id}`)).status, 204);
    const gone = await app.request('GET', `jobs/ingest/${id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), [
      { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }
    ]);
  });

  test('job data must be CSV', async () => {
    const { id } = await openJob(app, { object: 'Account', operation: 'insert' });
    const json = await app.request('PUT', `jobs/ingest/${id}/batches`, { body: { Name: 'x' } });
    assert.equal(json.status, 415);
  });

  test('result paths answer in any case (unprocessedRecords, failedresults...)', async () => {
    const conn = app.connection();
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    await job.open();
    await job.uploadData('Name\nCased\n""\n');
    await job.close();
    await job.poll(50, 4000);
    const base = `/services/data/v65.0/jobs/ingest/${job.id}`;
    // jsforce parses the CSV answers into rows.
    const rowsAt = async (path: string) =>
      (await conn.request(`${base}/${path}`)) as Array<Record<string, string>>;
    assert.deepEqual(await rowsAt('unprocessedRecords'), await rowsAt('unprocessedrecords'));
    assert.match(String((await rowsAt('failedresults'))[0]?.sf__Error), /REQUIRED_FIELD_MISSING/);
    assert.equal((await rowsAt('SuccessfulResults'))[0]?.Name, 'Cased');
    assert.equal((await app.request('GET', `jobs/ingest/${job.id}/otherResults`)).status, 404);
  });

  test('jsforce abort and delete of an ingest job', async () => {
    const conn = app.connection();
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    await job.open();
    await job.abort();
    assert.equal((await job.check()).state, 'Aborted');
    await job.delete();
    assert.equal((await app.request('GET', `jobs/ingest/${job.id}`)).status, 404);
  });
});

describe('Bulk API 2.0 ingest upload limit', () => {
  test('an upload over the limit is refused and the job stays open', async () => {
    // The real limit is 150 MB of base64 (~110 MB of CSV); a small one keeps the test quick.
    const app = await startBulkApp({ ingest: { maxUploadBytes: 1000 } });
    try {
      const { id } = await openJob(app, { object: 'Account', operation: 'insert' });
      const big = `Name\n${'x'.repeat(20)}\n`.repeat(60);
      const refused = await app.request('PUT', `jobs/ingest/${id}/batches`, { body: big });
      assert.equal(refused.status, 413);
      const [error] = (await refused.json()) as ApiError;
      assert.equal(error?.errorCode, 'REQUEST_ENTITY_TOO_LARGE');
      assert.match(error?.message ?? '', /150 MB of base64/);
      const small = await app.request('PUT', `jobs/ingest/${id}/batches`, { body: 'Name\nOk\n' });
      assert.equal(small.status, 201);
    } finally {
      await app.close();
    }
  });
});

describe('Bulk API 2.0 ingest job state machine', () => {
  test('UploadComplete -> InProgress -> JobComplete over the processing delay', async () => {
    const app = await startBulkApp({ ingest: { processingDelayMs: 300 } });
    try {
      const { id } = await openJob(app, { object: 'Account', operation: 'insert' });
      await app.request('PUT', `jobs/ingest/${id}/batches`, { body: 'Name\nSlow\n' });
      const closed = await app.request('PATCH', `jobs/ingest/${id}`, {
        body: { state: 'UploadComplete' }
      });
      assert.equal(((await closed.json()) as IngestInfo).state, 'UploadComplete');
      const polled = (await (await app.request('GET', `jobs/ingest/${id}`)).json()) as IngestInfo;
      assert.equal(polled.state, 'InProgress');
      const done = await waitForEnd(app, id);
      assert.equal(done.state, 'JobComplete');
      assert.equal(done.numberRecordsProcessed, 1);
    } finally {
      await app.close();
    }
  });
});
