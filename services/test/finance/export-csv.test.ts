// Values that make CSV hard go from Salesforce to Finance exactly: quotes, delimiters, line breaks
// of both kinds, non-ASCII text, spaces at the ends, backslashes and COPY's own end marker, and
// null. (Salesforce stores no empty strings: an empty text field is null, in the API and here.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFinanceLab, type FinanceLab } from './harness.ts';

const NOTES = [
  'He said "hello", then left',
  'line one\nline two\n\nline four',
  'windows\r\nline endings\r\n',
  'comma, semicolon; tab\tpipe|caret^backquote`',
  'emoji 😀 astral 𝄞 and combining e\u0301 vs é',
  '  leading and trailing spaces  ',
  '\\.',
  'a backslash \\ and \\N and \\n as text',
  '"',
  '""',
  ',',
  '中文 العربية עברית'
];

describe('Finance export CSV fidelity', () => {
  let lab: FinanceLab;

  before(async () => {
    lab = await startFinanceLab();
  });
  after(async () => {
    await lab?.close();
  });

  test('every edge value round-trips exactly, and null stays null', async () => {
    const [account] = await lab.accounts(1);
    const records = NOTES.map((note, i) => ({
      Name: `Edge ${i} ${note.slice(0, 20)}`,
      Account__c: account,
      Billing_Account_Number__c: `EDGE-${i}`,
      Finance_Notes__c: note,
      Cost_Center__c: i % 2 === 0 ? 'CC-1' : null,
      Tax_Id__c: i % 3 === 0 ? '' : `TAX-${i}`
    }));
    await lab.org.fixtures('Billing_Account__c', records);

    // Pages of 3 rows: multi-line values meet page boundaries too.
    const summary = await lab.export({ settings: { pageSize: 3, gzip: true } });
    assert.equal(summary.records, NOTES.length);

    const rows = await lab.financeRows();
    const byNumber = new Map(rows.map((r) => [r.account_number as string, r]));
    for (const [i, note] of NOTES.entries()) {
      const row = byNumber.get(`EDGE-${i}`);
      assert.ok(row, `EDGE-${i} exported`);
      assert.equal(row.finance_notes, note, `notes of EDGE-${i}`);
      assert.equal(row.name, records[i]?.Name);
      assert.equal(row.cost_center, i % 2 === 0 ? 'CC-1' : null);
      assert.equal(row.tax_id, i % 3 === 0 ? null : `TAX-${i}`, 'an empty text field is null');
      assert.equal(row.balance, null);
      assert.equal(row.last_invoice_date, null);
    }
  });
});
