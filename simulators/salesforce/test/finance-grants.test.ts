/**
 * The Finance export's grants (Scenario 5), from the shipped metadata and as the org emulator
 * enforces them through Bulk API 2.0:
 * - Finance_Export_Integration is the only shipped permission set naming Billing_Account__c,
 *   and it grants Read and View All, nothing that writes, plus read on every field the export's
 *   mapping (FinanceExportMapping.json) selects that takes a field permission;
 * - under a Private Account default, the Finance export user's (finance@emulator.local) queryAll
 *   job returns every billing
 *   account, those of accounts it does not own and those deleted, multi-line unicode notes
 *   intact, and the user can change none; an account with a billing account cannot be deleted
 *   (Account__c is a Restrict lookup);
 * - every mapped field has the mapped type in the describe (as FinanceExportContractTest in an
 *   org);
 * - the rows come from View All on Billing_Account__c (Private, not Controlled by Parent):
 *   without it the same job returns nothing whatever the Account grant, with it alone every row;
 *   the account names (Account__r.Name) need View All on Account under a Private Account default.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { eventually } from '../../../toolkit/testing/wait.ts';
import { REPO_ROOT, startTestEmulator, type TestEmulator } from './helpers/emulator.ts';
import { tokenFor } from './helpers/jsforce.ts';

type Row = Record<string, unknown>;

interface Mapping {
  object: string;
  soql: string;
  includeDeleted: boolean;
  columns: Record<string, { column: string; type: string }>;
}

const FINANCE = path.join(REPO_ROOT, 'force-app', 'main', 'finance');
const OBJECT_DIR = path.join(FINANCE, 'objects', 'Billing_Account__c');
const SERVICE_SET =
  'force-app/main/finance/permissionsets/Finance_Export_Integration.permissionset-meta.xml';
const FINANCE_USER = 'finance@emulator.local';
const NOTES = 'Zeile eins\r\nZeile zwei: "Müller & Söhne", 請求書\nline three, with a comma';

async function mapping(): Promise<Mapping> {
  return JSON.parse(
    await readFile(path.join(FINANCE, 'staticresources', 'FinanceExportMapping.json'), 'utf8')
  ) as Mapping;
}

/** Every permission set file shipped in the project's package directories. */
async function permissionSets(): Promise<Array<{ name: string; xml: string }>> {
  const sets = [];
  for (const root of ['force-app', 'force-app-connect']) {
    const entries = await readdir(path.join(REPO_ROOT, root), { recursive: true });
    for (const entry of entries) {
      if (!entry.endsWith('.permissionset-meta.xml')) continue;
      sets.push({
        name: path.basename(entry).replace('.permissionset-meta.xml', ''),
        xml: await readFile(path.join(REPO_ROOT, root, entry), 'utf8')
      });
    }
  }
  return sets;
}

/** The `<tag>` blocks of a permission set, comments removed. */
function blocks(xml: string, tag: string): string[] {
  const active = xml.replace(/<!--[\s\S]*?-->/g, '');
  return [...active.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

function value(block: string, element: string): string | undefined {
  return new RegExp(`<${element}>([^<]*)</${element}>`).exec(block)?.[1]?.trim();
}

/** Fields Salesforce gives with Read on the object (no field permission possible). */
async function alwaysReadable(field: string): Promise<boolean> {
  if (!field.endsWith('__c')) return true; // Id, Name, system fields
  const xml = await readFile(path.join(OBJECT_DIR, 'fields', `${field}.field-meta.xml`), 'utf8');
  return value(xml, 'type') === 'MasterDetail' || value(xml, 'required') === 'true';
}

describe('Finance export grants in the shipped metadata', () => {
  test('only Finance_Export_Integration names Billing_Account__c, with Read and View All only', async () => {
    const naming = (await permissionSets()).filter(({ xml }) =>
      /Billing_Account__c/.test(xml.replace(/<!--[\s\S]*?-->/g, ''))
    );
    assert.deepEqual(
      naming.map((s) => s.name),
      ['Finance_Export_Integration']
    );
    const grant = blocks(naming[0]!.xml, 'objectPermissions').find(
      (b) => value(b, 'object') === 'Billing_Account__c'
    );
    assert.ok(grant, 'an object permission on Billing_Account__c');
    assert.deepEqual(
      Object.fromEntries(
        [
          'allowRead',
          'viewAllRecords',
          'allowCreate',
          'allowEdit',
          'allowDelete',
          'modifyAllRecords'
        ].map((k) => [k, value(grant, k)])
      ),
      {
        allowRead: 'true',
        viewAllRecords: 'true',
        allowCreate: 'false',
        allowEdit: 'false',
        allowDelete: 'false',
        modifyAllRecords: 'false'
      }
    );
  });

  test('the Finance export user reads every mapped field and edits none', async () => {
    const xml = await readFile(path.join(REPO_ROOT, SERVICE_SET), 'utf8');
    const granted = new Map(
      blocks(xml, 'fieldPermissions')
        .filter((b) => value(b, 'field')?.startsWith('Billing_Account__c.'))
        .map((b) => [value(b, 'field')!.slice('Billing_Account__c.'.length), b])
    );
    for (const block of granted.values()) {
      assert.equal(value(block, 'editable'), 'false', block);
    }
    const { columns, soql, object, includeDeleted } = await mapping();
    assert.equal(object, 'Billing_Account__c');
    assert.equal(includeDeleted, true, 'deletions reach Finance through queryAll');
    assert.equal(
      soql,
      `SELECT ${Object.keys(columns).join(', ')} FROM Billing_Account__c`,
      'the SOQL selects exactly the mapped fields'
    );
    for (const field of Object.keys(columns)) {
      if (field.includes('.')) continue; // Account__r.Name: Account read and its Name, below
      if (await alwaysReadable(field)) {
        assert.ok(!granted.has(field), `${field} takes no field permission (a deploy refuses it)`);
        continue;
      }
      assert.equal(value(granted.get(field) ?? '', 'readable'), 'true', `${field} readable`);
    }
    const account = blocks(xml, 'objectPermissions').find((b) => value(b, 'object') === 'Account');
    assert.equal(value(account ?? '', 'allowRead'), 'true', 'Account__r.Name: Read on Account');
  });
});

describe('Finance export grants in the org emulator (Bulk API 2.0)', () => {
  let emulator: TestEmulator;
  let integration: string;
  let soql: string;
  const ids: string[] = [];

  /** A REST call as the user of `token` (the emulator helper's, with another bearer). */
  const call = (token: string, method: string, route: string, body?: unknown) =>
    emulator.rest(method, route, body, { authorization: `Bearer ${token}` });

  before(async () => {
    // Private Account, as in an org that keeps customers apart: the admin's accounts are not
    // shared with the integration user.
    emulator = await startTestEmulator({ config: { sharingModels: { Account: 'Private' } } });
    integration = await tokenFor(emulator, FINANCE_USER);
    soql = (await mapping()).soql;
    await seed(emulator, ids);
  });

  after(async () => {
    await emulator.close();
  });

  test('a queryAll job returns every billing account, deleted ones flagged, notes intact', async () => {
    const rows = await bulkQueryAll(emulator, integration, soql);
    assert.equal(rows.length, 4, 'every billing account, the deleted ones too');
    const byNumber = new Map(rows.map((r) => [r.Billing_Account_Number__c, r]));
    assert.equal(byNumber.get('BA-T-1')?.IsDeleted, 'false');
    assert.equal(byNumber.get('BA-T-1')?.['Account__r.Name'], 'Nordlicht Energie AG');
    assert.equal(byNumber.get('BA-T-1')?.Finance_Notes__c, NOTES);
    assert.equal(byNumber.get('BA-T-1')?.Currency_Code__c, 'EUR');
    assert.equal(byNumber.get('BA-T-2')?.IsDeleted, 'true', 'deleted on its own');
    assert.equal(byNumber.get('BA-T-3')?.IsDeleted, 'true', 'deleted before its account');
    assert.equal(byNumber.get('BA-T-0')?.IsDeleted, 'false');
  });

  test('every mapped field has the mapped type in the describe the Finance export user gets', async () => {
    // The same check as FinanceExportContractTest in an org, against the emulator's describe.
    const soapTypes: Record<string, string[]> = {
      id: ['id', 'reference'],
      text: ['string', 'picklist', 'email', 'textarea', 'phone', 'url'],
      number: ['double', 'int', 'long', 'percent'],
      currency: ['currency'],
      date: ['date'],
      datetime: ['datetime'],
      boolean: ['boolean']
    };
    const describe = async (object: string) => {
      const answer = await call(integration, 'GET', `sobjects/${object}/describe`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body as {
        fields: Array<{
          name: string;
          type: string;
          relationshipName: string | null;
          referenceTo: string[];
        }>;
      };
    };
    const billing = await describe('Billing_Account__c');
    for (const [field, { type }] of Object.entries((await mapping()).columns)) {
      let fields = billing.fields;
      const parts = field.split('.');
      for (const relationship of parts.slice(0, -1)) {
        const reference = fields.find((f) => f.relationshipName === relationship);
        assert.ok(reference, `${field}: relationship ${relationship}`);
        fields = (await describe(reference.referenceTo[0]!)).fields;
      }
      const described = fields.find((f) => f.name === parts.at(-1));
      assert.ok(described, `${field} is visible to the integration user`);
      assert.ok(
        soapTypes[type]?.includes(described.type),
        `${field} is ${described.type}, mapped as ${type}`
      );
    }
  });

  test('the Finance export user creates, edits and deletes no billing account', async () => {
    const id = ids[0]!;
    const edit = await call(integration, 'PATCH', `sobjects/Billing_Account__c/${id}`, {
      Balance__c: 1
    });
    assert.ok(edit.status >= 400, `no edit: ${edit.status} ${JSON.stringify(edit.body)}`);
    const remove = await call(integration, 'DELETE', `sobjects/Billing_Account__c/${id}`);
    assert.ok(remove.status >= 400, `no delete: ${remove.status} ${JSON.stringify(remove.body)}`);
    const create = await call(integration, 'POST', 'sobjects/Billing_Account__c', {
      Name: 'Forged',
      Account__c: ids[4],
      Billing_Account_Number__c: 'BA-FORGED'
    });
    assert.ok(create.status >= 400, `no create: ${create.status} ${JSON.stringify(create.body)}`);
  });
});

describe('where the Finance export user’s rows come from (grants removed in a copy)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'finance-grants-'));
    await cp(path.join(REPO_ROOT, 'sfdx-project.json'), path.join(dir, 'sfdx-project.json'));
    await cp(path.join(REPO_ROOT, 'force-app'), path.join(dir, 'force-app'), { recursive: true });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The shipped set with View All / Modify All turned off on the named objects. */
  async function withoutViewAll(objects: string[]): Promise<void> {
    const file = path.join(REPO_ROOT, SERVICE_SET);
    let xml = await readFile(file, 'utf8');
    for (const object of objects) {
      const pattern = new RegExp(
        `(<objectPermissions>(?:(?!</objectPermissions>)[\\s\\S])*<object>${object}</object>(?:(?!</objectPermissions>)[\\s\\S])*</objectPermissions>)`
      );
      const block = pattern.exec(xml)?.[1];
      assert.ok(block, `${object} is granted in the shipped set`);
      xml = xml.replace(
        block,
        block
          .replace('<viewAllRecords>true<', '<viewAllRecords>false<')
          .replace('<modifyAllRecords>true<', '<modifyAllRecords>false<')
          .replace('<allowDelete>true<', '<allowDelete>false<')
      );
    }
    await writeFile(path.join(dir, SERVICE_SET), xml);
  }

  async function visibleRows(): Promise<Array<Record<string, string>>> {
    const emulator = await startTestEmulator({
      projectDir: dir,
      config: { sharingModels: { Account: 'Private' } }
    });
    try {
      await seed(emulator, []);
      const token = await tokenFor(emulator, FINANCE_USER);
      const rows = await bulkQueryAll(
        emulator,
        token,
        'SELECT Id, IsDeleted, Billing_Account_Number__c, Account__r.Name FROM Billing_Account__c'
      );
      return rows;
    } finally {
      await emulator.close();
    }
  }

  test('without View All on Billing_Account__c the job returns nothing (Private, whatever the Account grant)', async () => {
    await withoutViewAll(['Billing_Account__c']);
    assert.equal((await visibleRows()).length, 0);
  });

  test('View All on Billing_Account__c alone returns every row, but not the account names', async () => {
    await withoutViewAll(['Account']);
    const rows = await visibleRows();
    assert.equal(rows.length, 4);
    // A parent not shared with the user comes back empty: hence View All (read) on Account.
    assert.deepEqual(
      rows.map((row) => row['Account__r.Name']),
      ['', '', '', '']
    );
  });
});

/**
 * As the administrator: two accounts, four billing accounts; BA-T-2 deleted on its own; the
 * second account's delete refused while BA-T-3 looks it up (Restrict), then BA-T-3 and the
 * account deleted. Pushes the live ids onto `ids` (billing
 * accounts 0 and 1, then the live account at index 4).
 */
async function seed(emulator: TestEmulator, ids: string[]): Promise<void> {
  const created = async (route: string, body: Row) => {
    const answer = await emulator.rest('POST', route, body);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return String((answer.body as Row).id);
  };
  const account = await created('sobjects/Account', { Name: 'Nordlicht Energie AG' });
  const closing = await created('sobjects/Account', { Name: 'Closing Down Ltd' });
  const billing: string[] = [];
  for (const [n, parent, extra] of [
    [0, account, {}],
    [1, account, { Finance_Notes__c: NOTES, Currency_Code__c: 'EUR', Balance__c: 1234.5 }],
    [2, account, {}],
    [3, closing, {}]
  ] as const) {
    billing.push(
      await created('sobjects/Billing_Account__c', {
        Name: `Billing ${n}`,
        Account__c: parent,
        Billing_Account_Number__c: `BA-T-${n}`,
        ...extra
      })
    );
  }
  assert.equal(
    (await emulator.rest('DELETE', `sobjects/Billing_Account__c/${billing[2]}`)).status,
    204
  );
  // Restrict: the account cannot go while it has a billing account; deleting that first, then
  // the account, is the only way a customer leaves (Finance learns of it through queryAll).
  const refused = await emulator.rest('DELETE', `sobjects/Account/${closing}`);
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.match(JSON.stringify(refused.body), /DELETE_FAILED/);
  assert.equal(
    (await emulator.rest('DELETE', `sobjects/Billing_Account__c/${billing[3]}`)).status,
    204
  );
  assert.equal((await emulator.rest('DELETE', `sobjects/Account/${closing}`)).status, 204);
  ids.push(billing[0]!, billing[1]!, billing[2]!, billing[3]!, account);
}

/** Runs a queryAll job as `token` and returns every row of its CSV results. */
async function bulkQueryAll(
  emulator: TestEmulator,
  token: string,
  query: string
): Promise<Array<Record<string, string>>> {
  const request = (method: string, route: string, body?: unknown) =>
    fetch(`${emulator.instanceUrl}/services/data/v65.0/${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
      },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  const created = await request('POST', 'jobs/query', { operation: 'queryAll', query });
  assert.equal(created.status, 200, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  await eventually(
    async () => {
      const info = (await (await request('GET', `jobs/query/${id}`)).json()) as Row;
      assert.notEqual(info.state, 'Failed', JSON.stringify(info));
      return info.state === 'JobComplete' ? info : undefined;
    },
    `job ${id} to complete`,
    { timeoutMs: 5000, intervalMs: 20 }
  );
  const rows: Array<Record<string, string>> = [];
  let locator = '';
  do {
    const results = await request(
      'GET',
      `jobs/query/${id}/results${locator ? `?locator=${locator}` : ''}`
    );
    assert.equal(results.status, 200);
    rows.push(...(parse(await results.text(), { columns: true }) as Array<Record<string, string>>));
    locator = results.headers.get('sforce-locator') ?? 'null';
  } while (locator !== 'null');
  return rows;
}
