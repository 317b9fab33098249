// `npm run finance:export`: the command's outcomes and exit codes. A mapping whose query Bulk API
// 2.0 (or the export) cannot run is refused before any call reaches the org; without an org
// configured, a stand-in org with demo data is exported into a real PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../../toolkit/src/cli/args.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import { DEFAULT_MAPPING_FILE } from '../../services/src/finance/config.ts';
import { createTestDatabase, type TestDatabase } from '../../services/test/helpers/database.ts';
import { startTestOrg, type TestOrg } from '../../services/test/platform/salesforce-test-org.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  FINANCE_CLIENT_ID,
  FINANCE_CLIENT_SECRET
} from '../../simulators/salesforce/src/emulator.ts';
import { EXIT, financeExportCommand } from '../src/finance-export.ts';

function collector(isTTY = false) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      }
    }),
    { isTTY }
  );
  return { stream, text: () => text };
}

/** Restricted forms, each with what the refusal must say. */
const REFUSED: Array<[string, string, RegExp]> = [
  ['ORDER BY', 'SELECT Id, SystemModstamp FROM Billing_Account__c ORDER BY Name', /ORDER BY/],
  ['LIMIT', 'SELECT Id, SystemModstamp FROM Billing_Account__c LIMIT 10', /LIMIT/],
  ['COUNT()', 'SELECT COUNT() FROM Billing_Account__c', /COUNT/],
  [
    'date function in GROUP BY',
    'SELECT CALENDAR_YEAR(Last_Invoice_Date__c), SUM(Balance__c) FROM Billing_Account__c GROUP BY CALENDAR_YEAR(Last_Invoice_Date__c)',
    /GROUP BY/
  ],
  [
    'compound address',
    'SELECT Id, SystemModstamp, Account__r.BillingAddress FROM Billing_Account__c',
    /BillingStreet/
  ],
  [
    'parent-to-child subquery',
    'SELECT Id, SystemModstamp, (SELECT Id FROM Contacts) FROM Account',
    /child/i
  ]
];

describe('npm run finance:export', () => {
  let org: TestOrg;
  let db: TestDatabase;
  let dir: string;

  before(async () => {
    org = await startTestOrg();
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'finance-export-'));
  });
  after(async () => {
    await org?.close();
    await db?.drop();
  });

  // As the lab configures it: the platform's credentials are the shared integration user's, the
  // export logs in with the Finance connected app (finance@emulator.local, exactly
  // Finance_Export_Integration).
  const orgEnv = (extra: Record<string, string> = {}) => ({
    SF_INSTANCE_URL: org.emulator.instanceUrl,
    SF_CLIENT_ID: DEFAULT_CLIENT_ID,
    SF_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
    FINANCE_SF_CLIENT_ID: FINANCE_CLIENT_ID,
    FINANCE_SF_CLIENT_SECRET: FINANCE_CLIENT_SECRET,
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    ...extra
  });

  test('--check reads the shipped mapping and makes no call', async () => {
    const out = collector();
    const code = await financeExportCommand(['--check'], {
      env: { LOG_LEVEL: 'silent', DATABASE_URL: db.url },
      stdout: out.stream
    });
    assert.equal(code, EXIT.ok);
    assert.match(out.text(), /Billing_Account__c -> finance\.billing_account/);
    assert.match(out.text(), /19 columns, queryAll/);
  });

  for (const [form, soql, says] of REFUSED) {
    test(`a mapping with ${form} is refused before any API call`, async () => {
      const shipped = JSON.parse(
        await readFile(path.join(projectRoot(), DEFAULT_MAPPING_FILE), 'utf8')
      ) as Record<string, unknown>;
      const file = path.join(dir, `${form.replace(/\W+/g, '-')}.json`);
      await writeFile(file, JSON.stringify({ ...shipped, soql }));
      const callsBefore = await org.orgApiCalls();
      const err = collector();
      const code = await financeExportCommand([], {
        env: orgEnv({ FINANCE_MAPPING_FILE: file }),
        stdout: collector().stream,
        stderr: err.stream
      });
      assert.equal(code, EXIT.refused, err.text());
      assert.match(err.text(), /refused before any API call/);
      assert.match(err.text(), says);
      assert.equal(await org.orgApiCalls(), callsBefore, 'the org saw no call');
    });
  }

  test("a field the export user cannot read: Salesforce's refusal ends the run, exit 1", async () => {
    const shipped = JSON.parse(
      await readFile(path.join(projectRoot(), DEFAULT_MAPPING_FILE), 'utf8')
    ) as { soql: string; columns: Record<string, unknown> };
    const file = path.join(dir, 'unreadable-field.json');
    const { Cost_Center__c: costCenter, ...columns } = shipped.columns;
    await writeFile(
      file,
      JSON.stringify({
        ...shipped,
        soql: shipped.soql.replace('Cost_Center__c', 'Account__r.SAP_Customer_Number__c'),
        columns: { ...columns, 'Account__r.SAP_Customer_Number__c': costCenter }
      })
    );
    const err = collector();
    const code = await financeExportCommand([], {
      env: orgEnv({ FINANCE_MAPPING_FILE: file }),
      stdout: collector().stream,
      stderr: err.stream
    });
    assert.equal(code, EXIT.failed, err.text());
    assert.match(err.text(), /run \d+ failed: INVALID_FIELD[\s\S]*SAP_Customer_Number__c/);
    const { rows } = await db.pool.query<{ state: string }>(
      'SELECT state FROM finance.export_runs ORDER BY id DESC LIMIT 1'
    );
    assert.equal(rows[0]?.state, 'failed', 'not left running to fail again every night');
  });

  test('without an org configured, demo billing accounts are exported, with progress lines', async () => {
    const out = collector(false);
    const code = await financeExportCommand([], {
      env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', FINANCE_DEMO_ROWS: '3000' },
      stdout: out.stream
    });
    assert.equal(code, EXIT.ok, out.text());
    assert.match(out.text(), /No SF_INSTANCE_URL: exporting from an org emulator/);
    assert.match(out.text(), /finance export run \d+: 3,000\/3,000 rows \(100%\)/);
    assert.match(out.text(), /3,000 rows in \d+ pages of 1 Bulk API 2\.0 job\(s\)/);
    const { rows } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM finance.billing_account'
    );
    assert.equal(rows[0]?.n, 3000);
  });

  test('against an org, the export runs as the Finance user, never as the shared integration user', async () => {
    await org
      .fixtures('Account', [{ Name: 'Nordlicht Energie AG' }])
      .then(([account]) =>
        org.fixtures('Billing_Account__c', [
          { Name: 'Nordlicht EUR', Account__c: account, Billing_Account_Number__c: 'BA-LAB-1' }
        ])
      );
    const out = collector();
    const err = collector();
    const code = await financeExportCommand(['--full'], {
      env: orgEnv({ FINANCE_WINDOW_LAG_SECONDS: '0' }),
      stdout: out.stream,
      stderr: err.stream
    });
    assert.equal(code, EXIT.ok, err.text());
    const { rows } = await db.pool.query<{ account_name: string }>(
      "SELECT account_name FROM finance.billing_account WHERE account_number = 'BA-LAB-1'"
    );
    assert.equal(rows[0]?.account_name, 'Nordlicht Energie AG');
    // The run's log entry was written by the Finance user (the API sets CreatedById).
    const logged = await org.emulator.rest(
      'GET',
      `query?q=${encodeURIComponent("SELECT CreatedBy.Username FROM Integration_Log__c WHERE Reference__c LIKE 'finance-run-%'")}`
    );
    assert.equal(logged.status, 200, JSON.stringify(logged.body));
    const records = (logged.body as { records: Array<{ CreatedBy: { Username: string } }> })
      .records;
    assert.ok(records.length > 0, 'the run logged its summary');
    for (const record of records) assert.equal(record.CreatedBy.Username, 'finance@emulator.local');

    // The platform's own credentials (the integration user) reach no billing account at all:
    // the object does not exist for that user.
    const refused = collector();
    const sharedUser = await financeExportCommand(['--full'], {
      env: orgEnv({
        FINANCE_SF_CLIENT_ID: '',
        FINANCE_SF_CLIENT_SECRET: '',
        FINANCE_WINDOW_LAG_SECONDS: '0'
      }),
      stdout: collector().stream,
      stderr: refused.stream
    });
    assert.equal(sharedUser, EXIT.failed);
    assert.match(refused.text(), /^Salesforce: .*INVALID_TYPE[\s\S]*Billing_Account__c/m);
  });

  test('FINANCE_SF_CLIENT_ID needs its secret', async () => {
    const err = collector();
    const code = await financeExportCommand([], {
      env: { ...orgEnv(), FINANCE_SF_CLIENT_SECRET: '' },
      stdout: collector().stream,
      stderr: err.stream
    });
    assert.equal(code, EXIT.refused);
    assert.match(err.text(), /FINANCE_SF_CLIENT_SECRET/);
  });

  test('alternatives cannot be combined', async () => {
    await assert.rejects(financeExportCommand(['--full', '--check'], { env: {} }), UsageError);
  });
});
