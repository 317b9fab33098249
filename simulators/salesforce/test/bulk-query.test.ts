/**
 * Bulk API 2.0 query jobs against the emulator, through jsforce 3.10.16 (`conn.bulk2`) where a
 * client exists and raw HTTP where the assertion is about headers or bytes.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test, type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { startBulkApp, type BulkTestApp } from './helpers/bulk-app.ts';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { eventually } from '../../../toolkit/testing/wait.ts';
import { fromBase62, toBase62 } from '../../../toolkit/src/base62.ts';

interface JobInfo {
  id: string;
  state: string;
  object: string;
  operation: string;
  apiVersion: number;
  numberRecordsProcessed?: number;
  [key: string]: unknown;
}

type ApiError = Array<{ errorCode: string; message: string }>;

function insertAccounts(app: BulkTestApp, count: number, from = 0): string[] {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) {
    const record = app.ctx.store.insert(
      'Account',
      { Name: `Account ${i}`, SAP_Customer_Number__c: `SAP-${i}` },
      app.ctx.integrationUser
    );
    ids.push(record.Id);
  }
  return ids;
}

async function createJob(app: BulkTestApp, body: Record<string, unknown>): Promise<JobInfo> {
  const response = await app.request('POST', 'jobs/query', { body });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as JobInfo;
}

function waitForState(app: BulkTestApp, id: string, state: string): Promise<JobInfo> {
  return eventually(
    async () => {
      const info = (await (await app.request('GET', `jobs/query/${id}`)).json()) as JobInfo;
      return info.state === state ? info : undefined;
    },
    `job ${id} to reach ${state}`,
    { timeoutMs: 4000, intervalMs: 20 }
  );
}

/** Every set of a job's results by raw HTTP: CSV text and the two Sforce headers per set. */
async function readAllSets(
  app: BulkTestApp,
  id: string,
  maxRecords?: number
): Promise<Array<{ csv: string; locator: string; count: number }>> {
  const sets = [];
  let locator: string | undefined;
  do {
    const query = new URLSearchParams();
    if (locator) query.set('locator', locator);
    if (maxRecords) query.set('maxRecords', String(maxRecords));
    const response = await app.request('GET', `jobs/query/${id}/results?${query}`);
    assert.equal(response.status, 200);
    const next = response.headers.get('sforce-locator') ?? '';
    sets.push({
      csv: await response.text(),
      locator: next,
      count: Number(response.headers.get('sforce-numberofrecords'))
    });
    locator = next;
  } while (locator !== 'null');
  return sets;
}

describe('Bulk API 2.0 query jobs with jsforce', () => {
  let app: BulkTestApp;
  let ids: string[];

  before(async () => {
    app = await startBulkApp();
    ids = insertAccounts(app, 3000);
  });
  after(async () => app?.close());

  test('bulk2.query returns every row of a few thousand records', async () => {
    const callsBefore = app.ctx.apiCalls.byKind().bulk ?? 0;
    const stream = await app
      .connection()
      .bulk2.query('SELECT Id, Name, SAP_Customer_Number__c FROM Account');
    const records = (await stream.toArray()) as Array<Record<string, string>>;
    assert.equal(records.length, 3000);
    assert.deepEqual(
      records.map((r) => r.Id),
      ids
    );
    assert.deepEqual(records[42], {
      Id: ids[42],
      Name: 'Account 42',
      SAP_Customer_Number__c: 'SAP-42'
    });
    // create, at least one poll, one results set: each an API call of kind bulk.
    assert.ok((app.ctx.apiCalls.byKind().bulk ?? 0) - callsBefore >= 3);
  });

  test('unsupported SOQL is refused at creation with the real error body', async () => {
    const conn = app.connection();
    const cases: Array<[string, string]> = [
      [
        'SELECT COUNT() FROM Account',
        'Aggregate Relationships not supported in Bulk V2 Query with CSV content type'
      ],
      [
        'SELECT Id, BillingAddress FROM Account',
        'Selecting compound data not supported in Bulk Query'
      ],
      [
        'SELECT Id, (SELECT Id FROM Contacts) FROM Account',
        'Aggregate Relationships not supported in Bulk V2 Query with CSV content type'
      ]
    ];
    for (const [soql, message] of cases) {
      await assert.rejects(conn.bulk2.query(soql), (error: Error & { errorCode?: string }) => {
        assert.equal(error.errorCode, 'API_ERROR', soql);
        assert.equal(error.message, message, soql);
        return true;
      });
      const response = await app.request('POST', 'jobs/query', {
        body: { operation: 'query', query: soql }
      });
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), [{ errorCode: 'API_ERROR', message }]);
    }
  });

  test('SOQL errors keep their REST codes: INVALID_FIELD, INVALID_TYPE, MALFORMED_QUERY', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'SELECT Id, Nmae FROM Account',
        'INVALID_FIELD',
        /No such column 'Nmae' on entity 'Account'/
      ],
      ['SELECT Id FROM Acount', 'INVALID_TYPE', /sObject type 'Acount' is not supported/],
      ['SELECT Id FROM', 'MALFORMED_QUERY', /ERROR at Row:1:Column/]
    ];
    for (const [soql, errorCode, message] of cases) {
      const response = await app.request('POST', 'jobs/query', {
        body: { operation: 'query', query: soql }
      });
      assert.equal(response.status, 400, soql);
      const [error] = (await response.json()) as ApiError;
      assert.equal(error?.errorCode, errorCode, soql);
      assert.match(error?.message ?? '', message);
    }
  });

  test('queryAll (scanAll) also returns deleted rows, query does not', async () => {
    const doomed = app.ctx.store.insert(
      'Account',
      { Name: 'Deleted Account' },
      app.ctx.integrationUser
    );
    app.ctx.store.delete('Account', doomed.Id, app.ctx.integrationUser);
    const conn = app.connection();
    const soql = "SELECT Id, Name, IsDeleted FROM Account WHERE Name = 'Deleted Account'";
    const live = (await (await conn.bulk2.query(soql)).toArray()) as unknown[];
    assert.equal(live.length, 0);
    const all = (await (await conn.bulk2.query(soql, { scanAll: true })).toArray()) as Array<
      Record<string, string>
    >;
    assert.deepEqual(all, [{ Id: doomed.Id, Name: 'Deleted Account', IsDeleted: 'true' }]);
  });

  test('abort and delete through jsforce, and the real errors around them', async () => {
    const slow = await startBulkApp({ query: { processingDelayMs: 60_000 } });
    try {
      insertAccounts(slow, 3);
      const job = await createJob(slow, { operation: 'query', query: 'SELECT Id FROM Account' });
      const queryJob = slow.connection().bulk2.job('query', { id: job.id });

      // A running job cannot be deleted.
      const early = await slow.request('DELETE', `jobs/query/${job.id}`);
      assert.equal(early.status, 400);
      assert.deepEqual(await early.json(), [
        {
          errorCode: 'API_ERROR',
          message: 'Error encountered when deleting the job because the job is not terminated'
        }
      ]);

      const aborted = (await queryJob.abort()) as JobInfo;
      assert.equal(aborted.state, 'Aborted');
      const again = await slow.request('PATCH', `jobs/query/${job.id}`, {
        body: { state: 'Aborted' }
      });
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as ApiError)[0]?.errorCode, 'INVALIDJOBSTATE');

      const results = await slow.request('GET', `jobs/query/${job.id}/results`);
      assert.equal(results.status, 412);
      assert.deepEqual(await results.json(), [
        {
          errorCode: 'JOB_NOT_COMPLETE',
          message:
            'can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: ABORTED'
        }
      ]);

      await queryJob.delete();
      const gone = await slow.request('GET', `jobs/query/${job.id}`);
      assert.equal(gone.status, 404);
      assert.deepEqual(await gone.json(), [
        { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }
      ]);
    } finally {
      await slow.close();
    }
  });
});

describe('Bulk API 2.0 query results over HTTP', () => {
  let app: BulkTestApp;
  let ids: string[];

  before(async () => {
    app = await startBulkApp({ query: { defaultMaxRecords: 1000 } });
    ids = insertAccounts(app, 2500);
  });
  after(async () => app?.close());

  test('job info has the documented shape and moves to JobComplete', async () => {
    const created = await createJob(app, { operation: 'query', query: 'SELECT Id FROM Account' });
    assert.match(created.id, /^750[A-Za-z0-9]{15}$/);
    assert.equal(created.state, 'UploadComplete');
    assert.deepEqual(Object.keys(created), [
      'id',
      'operation',
      'object',
      'createdById',
      'createdDate',
      'systemModstamp',
      'state',
      'concurrencyMode',
      'contentType',
      'apiVersion',
      'lineEnding',
      'columnDelimiter'
    ]);
    assert.equal(created.createdById, app.ctx.adminUser.userId);
    assert.match(String(created.createdDate), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    const info = await waitForState(app, created.id, 'JobComplete');
    assert.equal(info.numberRecordsProcessed, 2500);
    assert.equal(info.jobType, 'V2Query');
    assert.equal(info.retries, 0);
    assert.equal(typeof info.totalProcessingTime, 'number');
    // apiVersion is written as 65.0, as Salesforce does.
    const raw = await (await app.request('GET', `jobs/query/${created.id}`)).text();
    assert.match(raw, /"apiVersion":65\.0,/);
  });

  test('sets follow locators, each with its own header row', async () => {
    const job = await createJob(app, { operation: 'query', query: 'SELECT Id, Name FROM Account' });
    await waitForState(app, job.id, 'JobComplete');
    const sets = await readAllSets(app, job.id, 1000);
    assert.deepEqual(
      sets.map((s) => [s.count, s.locator]),
      [
        [1000, 'MTAwMA'], // base64 of 1000, the offset of the next set
        [1000, 'MjAwMA'],
        [500, 'null']
      ]
    );
    const rows: string[] = [];
    for (const set of sets) {
      assert.ok(set.csv.startsWith('"Id","Name"\n'), 'every set starts with the header row');
      const records = parse(set.csv, { columns: true }) as Array<{ Id: string }>;
      assert.equal(records.length, set.count);
      rows.push(...records.map((r) => r.Id));
    }
    assert.deepEqual(rows, ids);

    // A locator can be read again (here out of order), as documented.
    const again = await app.request(
      'GET',
      `jobs/query/${job.id}/results?locator=MTAwMA&maxRecords=2`
    );
    const twoRows = parse(await again.text(), { columns: true }) as Array<{ Id: string }>;
    assert.deepEqual(
      twoRows.map((r) => r.Id),
      ids.slice(1000, 1002)
    );
    assert.equal(again.headers.get('sforce-locator'), 'MTAwMg');
  });

  test('without maxRecords the server picks the set size', async () => {
    const job = await createJob(app, { operation: 'query', query: 'SELECT Id FROM Account' });
    await waitForState(app, job.id, 'JobComplete');
    const sets = await readAllSets(app, job.id);
    assert.deepEqual(
      sets.map((s) => s.count),
      [1000, 1000, 500]
    );
  });

  test('jsforce quirk: the header row of a later set comes back as a record', async () => {
    // The server sends a header row on every set, as Salesforce does (the sf CLI strips it
    // from every set after the first). jsforce 3.10.16 pipes every set into one CSV parser,
    // so a later set's header becomes a record whose values are the column names. (With sets
    // over ~64 KB the sets also interleave and the parse fails; with tiny sets the first set
    // ends the shared stream and the next write throws: see the bulk report.)
    const small = await startBulkApp({ query: { defaultMaxRecords: 700 } });
    try {
      const expected = insertAccounts(small, 1400);
      const stream = await small.connection().bulk2.query('SELECT Id, Name FROM Account');
      const records = (await stream.toArray()) as Array<Record<string, string>>;
      assert.equal(records.length, 1400 + 1);
      assert.deepEqual(records[700], { Id: 'Id', Name: 'Name' });
      assert.deepEqual(
        records.filter((r) => r.Id !== 'Id').map((r) => r.Id),
        expected
      );
    } finally {
      await small.close();
    }
  });

  test('results are gzip-compressed when the client accepts gzip', async () => {
    const job = await createJob(app, { operation: 'query', query: 'SELECT Id, Name FROM Account' });
    await waitForState(app, job.id, 'JobComplete');
    const raw = (acceptEncoding?: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const request = http.get(
          `${app.instanceUrl}/services/data/v65.0/jobs/query/${job.id}/results?maxRecords=10`,
          {
            headers: {
              authorization: `Bearer ${app.accessToken}`,
              ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {})
            }
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({ headers: response.headers, body: Buffer.concat(chunks) })
            );
            response.on('error', reject);
          }
        );
        request.on('error', reject);
      });
    const plain = await raw();
    assert.equal(plain.headers['content-encoding'], undefined);
    const zipped = await raw('gzip, deflate');
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers['sforce-numberofrecords'], '10');
    assert.equal(gunzipSync(zipped.body).toString('utf8'), plain.body.toString('utf8'));
    assert.ok(plain.body.toString('utf8').startsWith('"Id","Name"\n'));
  });

  test('a bad locator, maxRecords or API version is refused', async () => {
    const job = await createJob(app, { operation: 'query', query: 'SELECT Id FROM Account' });
    await waitForState(app, job.id, 'JobComplete');
    const badLocator = await app.request('GET', `jobs/query/${job.id}/results?locator=bogus!`);
    assert.equal(badLocator.status, 400);
    assert.equal(((await badLocator.json()) as ApiError)[0]?.errorCode, 'INVALID_QUERY_LOCATOR');
    // A well-formed locator past the end of the results.
    const past = await app.request('GET', `jobs/query/${job.id}/results?locator=OTk5OQ`);
    assert.equal(past.status, 400);
    const badMax = await app.request('GET', `jobs/query/${job.id}/results?maxRecords=0`);
    assert.equal(badMax.status, 400);
    assert.equal(((await badMax.json()) as ApiError)[0]?.errorCode, 'API_ERROR');
    const otherVersion = await app.request(
      'GET',
      `/services/data/v64.0/jobs/query/${job.id}/results`
    );
    assert.equal(otherVersion.status, 409);
    const tooOld = await app.request('GET', `/services/data/v46.0/jobs/query/${job.id}`);
    assert.equal(tooOld.status, 404);
  });

  test('the job is checked at creation', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ query: 'SELECT Id FROM Account' }, 'API_ERROR', "Invalid value: 'null' supplied for property: 'operation'"],
      [{ operation: 'insert', query: 'SELECT Id FROM Account' }, 'API_ERROR', "Invalid value: 'insert' supplied for property: 'operation'"],
      [{ operation: 'query' }, 'API_ERROR', "Invalid value: 'null' supplied for property: 'query'"],
      [{ operation: 'query', query: 'SELECT Id FROM Account', columnDelimiter: 'COLON' }, 'API_ERROR', "Invalid value: 'COLON' supplied for property: 'columnDelimiter'"],
      [{ operation: 'query', query: 'SELECT Id FROM Account', contentType: 'JSON' }, 'API_ERROR', "Invalid value: 'JSON' supplied for property: 'contentType'"]
    ]; // prettier-ignore
    for (const [body, errorCode, message] of cases) {
      const response = await app.request('POST', 'jobs/query', { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.deepEqual(await response.json(), [{ errorCode, message }]);
    }
    const anonymous = await fetch(`${app.instanceUrl}/services/data/v65.0/jobs/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: JSON.stringify({ operation: 'query', query: 'SELECT Id FROM Account' })
    });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), [
      { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }
    ]);
    const unknown = await app.request('GET', 'jobs/query/750Em0000000999IAA');
    assert.equal(unknown.status, 404);
  });

  test('lists its jobs', async () => {
    const job = await createJob(app, { operation: 'queryAll', query: 'SELECT Id FROM Account' });
    const response = await app.request('GET', 'jobs/query');
    const list = (await response.json()) as {
      done: boolean;
      records: JobInfo[];
      nextRecordsUrl: null;
    };
    assert.equal(list.done, true);
    assert.equal(list.nextRecordsUrl, null);
    const listed = list.records.find((r) => r.id === job.id);
    assert.equal(listed?.operation, 'queryAll');
    assert.equal(listed?.jobType, 'V2Query');
    const classic = (await (await app.request('GET', 'jobs/query?jobType=Classic')).json()) as {
      records: unknown[];
    };
    assert.deepEqual(classic.records, []);
  });

  test('a query matching nothing answers one empty set', async () => {
    const job = await createJob(app, {
      operation: 'query',
      query: "SELECT Id, Name FROM Account WHERE Name = 'No such account'"
    });
    await waitForState(app, job.id, 'JobComplete');
    const response = await app.request('GET', `jobs/query/${job.id}/results`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('sforce-locator'), 'null');
    assert.equal(response.headers.get('sforce-numberofrecords'), '0');
    assert.equal(await response.text(), '"Id","Name"\n');
  });

  test('CSV values as Salesforce writes them, in the job delimiter and line ending', async () => {
    const record = app.ctx.store.insert(
      'Account',
      {
        Name: 'Quote "Co", Ltd|x',
        Is_Key_Account__c: true,
        Last_Synced__c: '2026-03-04T05:06:07.000+0000',
        NumberOfEmployees: 12
      },
      app.ctx.integrationUser
    );
    const job = await createJob(app, {
      operation: 'query',
      query: `SELECT Id, Name, Is_Key_Account__c, Last_Synced__c, NumberOfEmployees, Description, Owner.Name FROM Account WHERE Id = '${record.Id}'`,
      columnDelimiter: 'PIPE',
      lineEnding: 'CRLF'
    });
    await waitForState(app, job.id, 'JobComplete');
    const csv = await (await app.request('GET', `jobs/query/${job.id}/results`)).text();
    assert.equal(
      csv,
      '"Id"|"Name"|"Is_Key_Account__c"|"Last_Synced__c"|"NumberOfEmployees"|"Description"|"Owner.Name"\r\n' +
        `"${record.Id}"|"Quote ""Co"", Ltd|x"|"true"|"2026-03-04T05:06:07.000Z"|"12"||"Integration User"\r\n`
    );
  });
});

describe('Bulk API 2.0 query result set size', () => {
  test('sets are cut to the size limit by the average row width', async () => {
    const app = await startBulkApp({ query: { maxSetBytes: 10_000 } });
    try {
      const ids = insertAccounts(app, 1000);
      const job = await createJob(app, {
        operation: 'query',
        query: 'SELECT Id, Name FROM Account'
      });
      await waitForState(app, job.id, 'JobComplete');
      // maxRecords larger than the size limit allows is cut too.
      const sets = await readAllSets(app, job.id, 5000);
      assert.ok(sets.length >= 3, `expected several sets, got ${sets.length}`);
      const seen: string[] = [];
      for (const set of sets) {
        // "About": the width is the mean of the first rows, later ones may be a little wider.
        assert.ok(set.csv.length <= 11_000, `set of ${set.csv.length} bytes`);
        const rows = parse(set.csv, { columns: true }) as Array<{ Id: string }>;
        assert.equal(rows.length, set.count);
        seen.push(...rows.map((r) => r.Id));
      }
      assert.deepEqual(seen, ids);
    } finally {
      await app.close();
    }
  });
});

describe('Bulk API 2.0 query job state machine', () => {
  let app: BulkTestApp;

  before(async () => {
    app = await startBulkApp({ query: { processingDelayMs: 400 } });
    insertAccounts(app, 10);
  });
  after(async () => app?.close());

  test('UploadComplete -> InProgress -> JobComplete over the processing delay', async () => {
    const job = await createJob(app, { operation: 'query', query: 'SELECT Id FROM Account' });
    assert.equal(job.state, 'UploadComplete');
    const early = await app.request('GET', `jobs/query/${job.id}/results`);
    assert.equal(early.status, 412);
    assert.match(
      ((await early.json()) as ApiError)[0]?.message ?? '',
      /Current status: IN_PROGRESS$/
    );
    const polled = (await (await app.request('GET', `jobs/query/${job.id}`)).json()) as JobInfo;
    assert.equal(polled.state, 'InProgress');
    assert.equal(polled.numberRecordsProcessed, 0);
    const done = await waitForState(app, job.id, 'JobComplete');
    assert.equal(done.numberRecordsProcessed, 10);
    assert.ok((done.totalProcessingTime as number) >= 0);
  });

  test('jsforce polls until the job completes', async () => {
    const conn = app.connection();
    conn.bulk2.pollInterval = 100;
    const records = (await (
      await conn.bulk2.query('SELECT Id FROM Account')
    ).toArray()) as unknown[];
    assert.equal(records.length, 10);
  });
});

describe('Bulk API 2.0 query jobs in the whole emulator', () => {
  let emulator: TestEmulator;

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(async () => emulator?.close());

  test('the bulk routes are served, authenticated and counted', async () => {
    const before = emulator.ctx.apiCalls.byKind().bulk ?? 0;
    const created = await emulator.rest('POST', 'jobs/query', {
      operation: 'query',
      query: 'SELECT Id, Username FROM User'
    });
    assert.equal(created.status, 200);
    const id = (created.body as JobInfo).id;
    const info = await emulator.rest('GET', `jobs/query/${id}`);
    assert.equal((info.body as JobInfo).state, 'JobComplete');
    const results = await emulator.rest('GET', `jobs/query/${id}/results`);
    assert.match(String(results.body), /^"Id","Username"\n".{18}","integration@emulator.local"\n/);
    assert.equal(results.headers.get('sforce-locator'), 'null');
    assert.equal((emulator.ctx.apiCalls.byKind().bulk ?? 0) - before, 3);
    // The driver's reset forgets bulk jobs.
    await emulator.driver('POST', 'reset');
    assert.equal((await emulator.rest('GET', `jobs/query/${id}`)).status, 404);
  });
});

/** A query job run to its end through the whole emulator: final info and every row read. */
async function exportJob(
  emulator: TestEmulator,
  query: string,
  operation: 'query' | 'queryAll' = 'query',
  maxRecords = 3000
): Promise<{ info: JobInfo; rows: Array<Record<string, string>> }> {
  const created = await emulator.rest('POST', 'jobs/query', { operation, query });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const { id } = created.body as JobInfo;
  const info = await eventually(
    async () => {
      const polled = (await emulator.rest('GET', `jobs/query/${id}`)).body as JobInfo;
      return ['JobComplete', 'Failed', 'Aborted'].includes(polled.state) ? polled : undefined;
    },
    `job ${id} to end`,
    { timeoutMs: 4000, intervalMs: 10 }
  );
  const rows: Array<Record<string, string>> = [];
  if (info.state !== 'JobComplete') return { info, rows };
  let locator = '';
  do {
    const query = new URLSearchParams({ maxRecords: String(maxRecords) });
    if (locator) query.set('locator', locator);
    const set = await emulator.rest('GET', `jobs/query/${id}/results?${query}`);
    assert.equal(set.status, 200);
    rows.push(...(parse(String(set.body), { columns: true }) as Array<Record<string, string>>));
    locator = set.headers.get('sforce-locator') ?? 'null';
  } while (locator !== 'null');
  return { info, rows };
}

async function restQuery<T>(
  emulator: TestEmulator,
  soql: string
): Promise<{ totalSize: number; records: T[] }> {
  const response = await emulator.rest('GET', `query?q=${encodeURIComponent(soql)}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as { totalSize: number; records: T[] };
}

describe('Bulk API 2.0 exports: Id-range chunks, watermarks, failures', () => {
  const ROWS = 20_000;
  let emulator: TestEmulator;
  let now: Date;

  before(async () => {
    emulator = await startTestEmulator();
    now = emulator.ctx.clock.now();
    // A few stored records first (their ids sort before every generated row), then the rows.
    for (let i = 0; i < 5; i++) {
      emulator.ctx.store.insert('Account', { Name: `Stored ${i}` }, emulator.ctx.integrationUser);
    }
    await emulator.driver('POST', 'datasets/Account', {
      count: ROWS,
      template: { Name: 'Generated {i}', AccountNumber: 'G-{i}' },
      modstamps: { lastDays: 10 }
    });
  });
  after(async () => emulator?.close());

  test('ids sort as Salesforce orders them, and Id-range chunks partition the table', async () => {
    const all = await exportJob(emulator, 'SELECT Id FROM Account');
    const ids = all.rows.map((row) => row.Id as string);
    assert.equal(ids.length, ROWS + 5);
    // Scan order is already Id order (ASCII order of the 15 base-62 characters).
    assert.deepEqual(ids, [...ids].sort());
    const first = await restQuery<{ Id: string }>(
      emulator,
      'SELECT Id FROM Account ORDER BY Id ASC LIMIT 1'
    );
    const last = await restQuery<{ Id: string }>(
      emulator,
      'SELECT Id FROM Account ORDER BY Id DESC LIMIT 1'
    );
    assert.equal(first.records[0]?.Id, ids[0]);
    assert.equal(last.records[0]?.Id, ids[ids.length - 1]);

    // Boundaries as 15-character literals, the way a chunk planner writes them.
    const bounds = [1, 4001, 9999, 15000].map((at) => (ids[at] as string).slice(0, 15));
    const ranges = [
      `Id < '${bounds[0]}'`,
      ...bounds.slice(1).map((high, i) => `Id >= '${bounds[i]}' AND Id < '${high}'`),
      `Id >= '${bounds[bounds.length - 1]}' AND Id <= '${ids[ids.length - 1]}'`
    ];
    const chunks = await Promise.all(
      ranges.map((range) => exportJob(emulator, `SELECT Id FROM Account WHERE ${range}`))
    );
    const sizes = chunks.map((chunk) => chunk.rows.length);
    assert.deepEqual(sizes, [1, 4000, 5998, 5001, ids.length - 15000]);
    assert.deepEqual(
      chunks.flatMap((chunk) => chunk.rows.map((row) => row.Id)),
      ids
    );
    const counted = await restQuery(emulator, `SELECT COUNT() FROM Account WHERE ${ranges[2]}`);
    assert.equal(counted.totalSize, 5998);
  });

  test('a SystemModstamp watermark selects the rows stamped after it; updates and deletes move', async () => {
    const watermark = new Date(now.getTime() - 2 * 86_400_000)
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    const filter = `SystemModstamp > ${watermark}`;
    const before = await restQuery(emulator, `SELECT COUNT() FROM Account WHERE ${filter}`);
    // The last fifth of the generated rows (10 days spread, 2 days after the watermark) and the
    // stored records, stamped at creation (now).
    assert.ok(Math.abs(before.totalSize - (ROWS / 5 + 5)) <= 2, String(before.totalSize));
    const exported = await exportJob(
      emulator,
      `SELECT Id, SystemModstamp FROM Account WHERE ${filter}`
    );
    assert.equal(exported.rows.length, before.totalSize);
    assert.ok(exported.rows.every((row) => (row.SystemModstamp as string) > watermark));

    // An old generated row updated through the API moves to the emulator clock's now.
    const [old] = (
      await restQuery<{ Id: string; SystemModstamp: string }>(
        emulator,
        "SELECT Id, SystemModstamp FROM Account WHERE AccountNumber = 'G-10'"
      )
    ).records;
    assert.ok(old && old.SystemModstamp < watermark);
    await emulator.driver('POST', 'clock/advance', { ms: 60_000 });
    // The stamp is the emulator clock's second at the update: read around it, since a second
    // may turn while the update runs.
    const second = () =>
      emulator.ctx.clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, '.000Z');
    const updateFrom = second();
    const patched = await emulator.rest('PATCH', `sobjects/Account/${old.Id}`, { Phone: '555' });
    const updateTo = second();
    assert.equal(patched.status, 204);
    const after = await exportJob(
      emulator,
      `SELECT Id, SystemModstamp FROM Account WHERE ${filter}`
    );
    const moved = after.rows.find((row) => row.Id === old.Id);
    assert.ok(
      [updateFrom, updateTo].includes(moved?.SystemModstamp as string),
      `${String(moved?.SystemModstamp)} is the clock at the update (${updateFrom}..${updateTo})`
    );
    assert.equal(after.rows.length, before.totalSize + 1);

    // A deleted generated row: gone from query, in queryAll with IsDeleted true.
    const doomed = exported.rows[exported.rows.length - 1]?.Id as string;
    assert.equal((await emulator.rest('DELETE', `sobjects/Account/${doomed}`)).status, 204);
    const byId = `SELECT Id, IsDeleted FROM Account WHERE Id = '${doomed}'`;
    assert.deepEqual((await exportJob(emulator, byId)).rows, []);
    assert.deepEqual((await exportJob(emulator, byId, 'queryAll')).rows, [
      { Id: doomed, IsDeleted: 'true' }
    ]);
    const all = await exportJob(emulator, `SELECT Id FROM Account WHERE ${filter}`, 'queryAll');
    assert.equal(all.rows.length, after.rows.length);
    assert.equal(
      (await exportJob(emulator, `SELECT Id FROM Account WHERE ${filter}`)).rows.length,
      after.rows.length - 1
    );
  });

  test('an upsert by external id updates a generated row (no duplicate) and moves its stamp', async () => {
    await emulator.driver('POST', 'datasets/Account', {
      count: 100_000,
      template: { Name: 'Keyed {i}', SAP_Customer_Number__c: 'SAP-{i}' },
      modstamps: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }
    });
    const before = await restQuery<{ Id: string; SystemModstamp: string }>(
      emulator,
      "SELECT Id, SystemModstamp FROM Account WHERE SAP_Customer_Number__c = 'SAP-77777'"
    );
    assert.equal(before.totalSize, 1);
    const started = performance.now();
    const upserted = await emulator.rest(
      'PATCH',
      'sobjects/Account/SAP_Customer_Number__c/sap-77777',
      { Phone: '777' }
    );
    assert.ok(performance.now() - started < 1000, 'found from the template, not by a scan');
    assert.equal(upserted.status, 200, JSON.stringify(upserted.body));
    assert.deepEqual(upserted.body, {
      id: before.records[0]?.Id,
      success: true,
      errors: [],
      created: false
    });
    const after = await restQuery<{ Id: string; Phone: string; SystemModstamp: string }>(
      emulator,
      "SELECT Id, Phone, SystemModstamp FROM Account WHERE SAP_Customer_Number__c = 'SAP-77777'"
    );
    assert.equal(after.totalSize, 1);
    assert.equal(after.records[0]?.Phone, '777');
    assert.ok((after.records[0]?.SystemModstamp ?? '') > (before.records[0]?.SystemModstamp ?? ''));
    // Updated once, found again by its key (now from the override).
    const again = await emulator.rest(
      'PATCH',
      'sobjects/Account/SAP_Customer_Number__c/SAP-77777',
      {
        Phone: '778'
      }
    );
    assert.equal((again.body as { created: boolean }).created, false);
  });

  test('the driver fails or aborts the next query jobs with an errorMessage', async () => {
    await emulator.driver('POST', 'faults/bulk-query', { object: 'Account' });
    await emulator.driver('POST', 'faults/bulk-query', {
      object: 'Contact',
      state: 'Aborted',
      message: 'Aborted by an administrator'
    });
    const contact = await exportJob(emulator, 'SELECT Id FROM Contact');
    assert.equal(contact.info.state, 'Aborted');
    assert.equal(contact.info.errorMessage, 'Aborted by an administrator');
    const failed = await exportJob(emulator, 'SELECT Id FROM Account');
    assert.equal(failed.info.state, 'Failed');
    assert.equal(failed.info.errorMessage, 'Retried more than fifteen times');
    assert.equal(failed.info.numberRecordsProcessed, 0);
    const results = await emulator.rest('GET', `jobs/query/${failed.info.id}/results`);
    assert.equal(results.status, 412);
    assert.match((results.body as ApiError)[0]?.message ?? '', /Current status: FAILED$/);
    // Spent: the next job completes, without errorMessage.
    const next = await exportJob(emulator, 'SELECT Id FROM Account LIMIT 1');
    assert.equal(next.info.state, 'JobComplete');
    assert.equal(next.info.errorMessage, undefined);

    await emulator.driver('POST', 'faults/bulk-query', {
      count: 2,
      message: 'Failed to process query'
    });
    assert.equal(
      (await emulator.driver<{ bulkQuery: unknown[] }>('GET', 'faults')).bulkQuery.length,
      1
    );
    await emulator.driver('DELETE', 'faults');
    assert.equal(
      (await exportJob(emulator, 'SELECT Id FROM Account LIMIT 1')).info.state,
      'JobComplete'
    );
  });

  test('a results request can answer 5xx or be cut short once; the same locator then serves', async () => {
    const created = await emulator.rest('POST', 'jobs/query', {
      operation: 'query',
      query: 'SELECT Id, Name FROM Account'
    });
    const { id } = created.body as JobInfo;
    await eventually(
      async () =>
        ((await emulator.rest('GET', `jobs/query/${id}`)).body as JobInfo).state ===
          'JobComplete' || undefined,
      'job to complete'
    );
    const path = `jobs/query/${id}/results?maxRecords=5000`;
    const whole = await emulator.rest('GET', path);
    const locator = whole.headers.get('sforce-locator');

    await emulator.driver('POST', 'faults/bulk-results', { status: 503 });
    const unavailable = await emulator.rest('GET', path);
    assert.equal(unavailable.status, 503);
    assert.equal((unavailable.body as ApiError)[0]?.errorCode, 'SERVER_UNAVAILABLE');

    await emulator.driver('POST', 'faults/bulk-results', { dropAfterBytes: 1000 });
    const response = await fetch(`${emulator.instanceUrl}/services/data/v65.0/${path}`, {
      headers: { authorization: `Bearer ${emulator.accessToken}` }
    });
    assert.equal(response.status, 200);
    await assert.rejects(response.text());

    const again = await emulator.rest('GET', path);
    assert.equal(again.body, whole.body);
    assert.equal(again.headers.get('sforce-locator'), locator);
  });

  test('CSV results read back exactly: quotes, newlines, commas, unicode, spaces, null', async () => {
    const values = [
      'He said "hi", then left',
      'line one\nline two\r\nline three\rend',
      'a,b,,c',
      'emoji 🚀👩‍💻 and astral 𝄞',
      'combining e\u0301 vs \u00e9, ñ and n\u0303',
      '  leading and trailing spaces  ',
      '"',
      '""',
      ','
    ];
    const ids: string[] = [];
    for (const [i, description] of values.entries()) {
      const created = await emulator.rest('POST', 'sobjects/Account', {
        Name: `CSV ${i} ${description}`.slice(0, 255),
        Description: description
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      ids.push((created.body as { id: string }).id);
    }
    // An empty string is no value: Salesforce stores no empty text, so it reads back as null.
    const empty = await emulator.rest('POST', 'sobjects/Account', {
      Name: 'CSV empty',
      Description: ''
    });
    ids.push((empty.body as { id: string }).id);
    const rest = await restQuery<{ Id: string; Name: string; Description: string | null }>(
      emulator,
      `SELECT Id, Name, Description FROM Account WHERE Id IN ('${ids.join("','")}') ORDER BY Id`
    );
    assert.deepEqual(
      rest.records.map((r) => r.Description),
      [...values, null]
    );
    const { rows } = await exportJob(
      emulator,
      `SELECT Id, Name, Description, Phone FROM Account WHERE Id IN ('${ids.join("','")}')`
    );
    assert.deepEqual(
      rows.map((row) => [row.Id, row.Name, row.Description, row.Phone]),
      rest.records.map((r) => [r.Id, r.Name, r.Description ?? '', ''])
    );
    // Null is an empty unquoted field; every value is quoted (so "" is never written for one).
    const created = await emulator.rest('POST', 'jobs/query', {
      operation: 'query',
      query: `SELECT Description, Phone FROM Account WHERE Id = '${ids[ids.length - 1]}'`
    });
    const { id } = created.body as JobInfo;
    await eventually(
      async () =>
        ((await emulator.rest('GET', `jobs/query/${id}`)).body as JobInfo).state ===
          'JobComplete' || undefined,
      'job to complete'
    );
    assert.equal(
      (await emulator.rest('GET', `jobs/query/${id}/results`)).body,
      '"Description","Phone"\n,\n'
    );
  });

  test('every REST and Bulk request counts one API call; driver requests none', async () => {
    const start = emulator.ctx.apiCalls.total();
    await restQuery(emulator, 'SELECT Id FROM Account ORDER BY Id ASC LIMIT 1');
    await restQuery(emulator, 'SELECT Id FROM Account ORDER BY Id DESC LIMIT 1');
    await restQuery(emulator, 'SELECT COUNT() FROM Account');
    await emulator.driver('GET', 'state');
    const created = await emulator.rest('POST', 'jobs/query', {
      operation: 'query',
      query: 'SELECT Id FROM Account'
    });
    const { id } = created.body as JobInfo;
    await emulator.rest('GET', `jobs/query/${id}`);
    await emulator.rest('GET', `jobs/query/${id}/results?maxRecords=10000`);
    await emulator.rest('GET', `jobs/query/${id}/results?maxRecords=10000&locator=MTAwMDA`);
    assert.equal(emulator.ctx.apiCalls.total() - start, 7);
  });
});

describe('Bulk API 2.0 export planning on 5,000,000 generated rows', () => {
  const ROWS = 5_000_000;
  let emulator: TestEmulator;
  let watermark: string;

  before(async () => {
    emulator = await startTestEmulator();
    await emulator.driver('POST', 'datasets/Account', {
      count: ROWS,
      template: { Name: 'Generated {i}', AccountNumber: 'G-{i}' },
      modstamps: { lastDays: 10 }
    });
    const now = emulator.ctx.clock.now().getTime();
    watermark = new Date(now - 2 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  });
  after(async () => emulator?.close());

  /** Runs a request, reports its time, and fails it beyond `limitMs` (shared 2-core hosts). */
  async function timed<T>(
    label: string,
    run: () => Promise<T>,
    t: TestContext,
    limitMs = 500
  ): Promise<T> {
    const started = performance.now();
    const result = await run();
    const ms = performance.now() - started;
    t.diagnostic(`${label}: ${ms.toFixed(1)} ms`);
    assert.ok(ms < limitMs, `${label} took ${ms.toFixed(0)} ms`);
    return result;
  }

  test('chunk planning queries answer at once, and a chunk job reads only its range', async (t) => {
    const filter = `SystemModstamp > ${watermark}`;
    const count = await timed(
      'COUNT() with watermark',
      () => restQuery(emulator, `SELECT COUNT() FROM Account WHERE ${filter}`),
      t
    );
    assert.ok(Math.abs(count.totalSize - ROWS / 5) <= 10, String(count.totalSize));
    const first = await timed(
      'ORDER BY Id ASC LIMIT 1 with watermark',
      () =>
        restQuery<{ Id: string }>(
          emulator,
          `SELECT Id FROM Account WHERE ${filter} ORDER BY Id ASC LIMIT 1`
        ),
      t
    );
    const last = await timed(
      'ORDER BY Id DESC LIMIT 1 with watermark',
      () =>
        restQuery<{ Id: string }>(
          emulator,
          `SELECT Id FROM Account WHERE ${filter} ORDER BY Id DESC LIMIT 1`
        ),
      t
    );
    const low = (first.records[0]?.Id ?? '').slice(0, 15);
    const high = (last.records[0]?.Id ?? '').slice(0, 15);
    const range = `${filter} AND Id >= '${low}' AND Id <= '${high}'`;
    const inRange = await timed(
      'COUNT() with watermark and Id range',
      () => restQuery(emulator, `SELECT COUNT() FROM Account WHERE ${range}`),
      t
    );
    assert.equal(inRange.totalSize, count.totalSize);
    // A chunk of 20,000 rows, its upper bound interpolated in base 62 as a planner does, with
    // a filter the ranges do not cover, read through one job.
    const chunkHigh = low.slice(0, 8) + toBase62((fromBase62(low.slice(8)) ?? 0) + 20_000, 7);
    const chunk = await timed(
      'a 20,000-row chunk job, created to last row read',
      () =>
        exportJob(
          emulator,
          `SELECT Id, Name FROM Account WHERE ${filter} AND Id >= '${low}' AND Id < '${chunkHigh}' AND Name LIKE 'Generated 40%'`,
          'query',
          50_000
        ),
      t,
      3000
    );
    const chunkCount = await restQuery(
      emulator,
      `SELECT COUNT() FROM Account WHERE Id >= '${low}' AND Id < '${chunkHigh}'`
    );
    assert.equal(chunkCount.totalSize, 20_000);
    assert.ok(
      chunk.rows.length > 0 && chunk.rows.every((row) => row.Name?.startsWith('Generated 40'))
    );
  });
});
