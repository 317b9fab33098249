/**
 * Every error the SOQL engine raises, with Salesforce's error code, HTTP status and exact
 * message (the caret layout `\n<line>\n<spaces>^\nERROR at Row:R:Column:C\n<reason>`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SalesforceApiError } from '../src/model.ts';
import { caretMessage } from '../../../toolkit/src/soql/syntax-error.ts';
import { createSoqlEngine } from '../src/soql/index.ts';
import { fakeSchema, fakeStore, fixedClock, prepareFailure } from './soql-fake-org.ts';

const schema = fakeSchema();
const engine = createSoqlEngine(schema, fakeStore(schema), fixedClock('2026-11-29T12:00:00Z'));

const WSDL = 'Please reference your WSDL or the describe call for the appropriate names.';

function failure(soql: string): SalesforceApiError {
  return prepareFailure(engine, soql);
}

function expectError(soql: string, errorCode: string, message: string): void {
  const error = failure(soql);
  assert.equal(error.httpStatus, 400);
  assert.equal(error.errorCode, errorCode);
  assert.equal(error.message, message);
  assert.deepEqual(error.toBody(), [{ message, errorCode }]);
}

describe('MALFORMED_QUERY', () => {
  it('an unexpected token, with the caret under it', () => {
    expectError(
      'SELECT Id FORM Account',
      'MALFORMED_QUERY',
      "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'"
    );
    expectError(
      'SELECT Id, FROM Account',
      'MALFORMED_QUERY',
      "\nSELECT Id, FROM Account\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'FROM'"
    );
  });

  it("the end of the statement is '<EOF>', pointed at the last character", () => {
    expectError(
      'SELECT Id FROM Account WHERE',
      'MALFORMED_QUERY',
      "\nSELECT Id FROM Account WHERE\n                           ^\nERROR at Row:1:Column:28\nunexpected token: '<EOF>'"
    );
  });

  it('clauses out of order, trailing input, a missing value', () => {
    assert.match(
      failure("SELECT Id FROM Account LIMIT 5 WHERE Name = 'x'").message,
      /unexpected token: 'WHERE'$/
    );
    assert.match(
      failure('SELECT Id FROM Account OFFSET 1 LIMIT 5').message,
      /unexpected token: 'LIMIT'$/
    );
    assert.match(failure('SELECT Id FROM Account;').message, /unexpected token: ';'$/);
    assert.match(failure('SELECT Id FROM Account WHERE Name =').message, /'<EOF>'$/);
    assert.match(
      failure('SELECT Id FROM Account WHERE Name = Acme').message,
      /unexpected token: 'Acme'$/
    );
    assert.match(failure('SELECT Id FROM Account LIMIT 1.5').message, /unexpected token: '1.5'$/);
  });

  it('field aliases only on aggregates', () => {
    expectError(
      'SELECT Id Name FROM Account',
      'MALFORMED_QUERY',
      '\nSELECT Id Name FROM Account\n          ^\nERROR at Row:1:Column:11\nonly aggregate expressions use field aliasing'
    );
  });

  it('the row and column of a multi-line query', () => {
    expectError(
      "SELECT Id\nFROM Account\nWHERE Name = 'a' OR\n  Name = 'b' AND Name = 'c'",
      'MALFORMED_QUERY',
      "\n  Name = 'b' AND Name = 'c'\n             ^\nERROR at Row:4:Column:14\nunexpected token: 'AND'"
    );
  });

  it('string literal escapes', () => {
    expectError(
      "SELECT Id FROM Account WHERE Name = 'a\\qb'",
      'MALFORMED_QUERY',
      "\nSELECT Id FROM Account WHERE Name = 'a\\qb'\n                                    ^\nERROR at Row:1:Column:37\n" +
        "Invalid string literal 'a\\qb'. Illegal character sequence '\\q' in string literal."
    );
    assert.equal(failure("SELECT Id FROM Account WHERE Name = 'open").errorCode, 'MALFORMED_QUERY');
    assert.equal(failure('SELECT Id FROM Account WHERE Name = "x"').errorCode, 'MALFORMED_QUERY');
  });

  it('LIMIT beyond a 32-bit integer', () => {
    assert.match(
      failure('SELECT Id FROM Account LIMIT 2147483648').message,
      /numeric value out of range: 2147483648$/
    );
  });

  it('an impossible date', () => {
    assert.match(
      failure('SELECT Id FROM Account WHERE Since__c = 2026-02-30').message,
      /Invalid date: 2026-02-30$/
    );
  });

  it('any malformed input is a SalesforceApiError, never a crash', () => {
    const inputs = [
      '',
      '   ',
      'SELECT',
      'SELECT Id FROM',
      "SELECT Id FROM Account WHERE (Name = 'a'",
      'SELECT Id FROM Account WHERE ((((',
      'SELECT Id FROM Account ORDER BY',
      'SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS',
      'SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:x',
      'SELECT Id FROM Account WHERE Name IN ()',
      'SELECT Id FROM Account WHERE Id IN (SELECT Id, Name FROM Contact)',
      'SELECT COUNT(), Id FROM Account',
      'SELECT NOPE(Name) FROM Account',
      'SELECT SUM() FROM Account',
      'SELECT Id, (SELECT Id FROM Contacts FROM Account',
      'SELECT TYPEOF Owner WHEN User THEN FROM Account',
      'SELECT Industry FROM Account GROUP BY ROLLUP(Industry',
      'SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T25:00:00Z',
      'SÉLECT Id FROM Account',
      "SELECT Id FROM Account WHERE Name = '\\u12'",
      '\u0000'
    ];
    for (const soql of inputs) {
      assert.throws(() => engine.prepare(soql), SalesforceApiError, JSON.stringify(soql));
    }
  });

  it('a function the engine does not serve names itself', () => {
    const error = failure('SELECT convertCurrency(AnnualRevenue) FROM Account');
    assert.equal(error.errorCode, 'MALFORMED_QUERY');
    assert.match(
      error.message,
      /Column:8\nconvertCurrency\(AnnualRevenue\) is not supported here by the Salesforce emulator's SOQL engine$/
    );
  });
});

describe('INVALID_TYPE and INVALID_FIELD', () => {
  it('an unknown object', () => {
    expectError(
      'SELECT Id FROM Acount',
      'INVALID_TYPE',
      "\nSELECT Id FROM Acount\n               ^\nERROR at Row:1:Column:16\nsObject type 'Acount' is not supported. " +
        "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. " +
        WSDL
    );
  });

  it('an object that cannot be queried (a platform event)', () => {
    expectError(
      'SELECT Id FROM Account_Changed__e',
      'INVALID_TYPE_FOR_OPERATION',
      'entity type Account_Changed__e does not support query'
    );
  });

  it('an unknown field, in SELECT, WHERE and ORDER BY', () => {
    expectError(
      'SELECT Id, Nmae FROM Account',
      'INVALID_FIELD',
      "\nSELECT Id, Nmae FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Nmae' on entity 'Account'. " +
        "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. " +
        WSDL
    );
    assert.match(
      failure("SELECT Id FROM Account WHERE Missing__c = 'x'").message,
      /Column:30\nNo such column 'Missing__c' on entity 'Account'/
    );
    assert.match(
      failure('SELECT Id FROM Account ORDER BY Nope').message,
      /Column:33\nNo such column 'Nope' on entity 'Account'/
    );
  });

  it('an unknown field on a parent names the parent entity, caret at the path', () => {
    assert.match(
      failure('SELECT Account.Nmae FROM Contact').message,
      /\n {7}\^\nERROR at Row:1:Column:8\nNo such column 'Nmae' on entity 'Account'/
    );
  });

  it('an unknown relationship', () => {
    expectError(
      'SELECT Id, Acount.Name FROM Contact',
      'INVALID_FIELD',
      "\nSELECT Id, Acount.Name FROM Contact\n           ^\nERROR at Row:1:Column:12\nDidn't understand relationship 'Acount' in field path. " +
        "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. " +
        WSDL
    );
    // A reference field's own name is not a relationship; a custom one needs its __r.
    assert.match(failure('SELECT AccountId.Name FROM Contact').message, /relationship 'AccountId'/);
    assert.match(
      failure('SELECT Parent__c.Name FROM Child__c').message,
      /relationship 'Parent__c'/
    );
  });

  it('a relationship name alone is not a column', () => {
    assert.match(
      failure('SELECT Account FROM Contact').message,
      /No such column 'Account' on entity 'Contact'/
    );
  });

  it('a field selected twice', () => {
    expectError(
      'SELECT Id, Name, id FROM Account',
      'INVALID_FIELD',
      'duplicate field selected: Id'
    );
  });

  it('a literal of the wrong type for the field', () => {
    const cases: Array<[string, string]> = [
      [
        "Since__c = '2026-11-29'",
        "field 'Since__c' must be of type date and should not be enclosed in quotes"
      ],
      [
        'CreatedDate > 2026-11-29',
        "field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"
      ],
      [
        'Since__c = 2026-11-29T00:00:00Z',
        "field 'Since__c' must be of type date and should not be enclosed in quotes"
      ],
      [
        "AnnualRevenue = '5'",
        "field 'AnnualRevenue' must be of type double and should not be enclosed in quotes"
      ],
      [
        "NumberOfEmployees IN (1, '2')",
        "field 'NumberOfEmployees' must be of type int and should not be enclosed in quotes"
      ],
      [
        "Active__c = 'true'",
        "field 'Active__c' must be of type boolean and should not be enclosed in quotes"
      ],
      ['Name = 5', "field 'Name' must be of type string and should be enclosed in quotes"],
      ['Name = TODAY', "field 'Name' must be of type string and should be enclosed in quotes"],
      ['Name LIKE 5', "field 'Name' must be of type string and should be enclosed in quotes"]
    ];
    for (const [where, reason] of cases) {
      const error = failure(`SELECT Id FROM Account WHERE ${where}`);
      assert.equal(error.errorCode, 'INVALID_FIELD', where);
      assert.ok(error.message.endsWith(`\nvalue of filter criterion for ${reason}`), error.message);
    }
    assert.equal(
      failure("SELECT Id FROM Account WHERE Since__c = '2026-11-29'").message,
      "\nSELECT Id FROM Account WHERE Since__c = '2026-11-29'\n                                        ^\nERROR at Row:1:Column:41\n" +
        "value of filter criterion for field 'Since__c' must be of type date and should not be enclosed in quotes"
    );
  });

  it('compound fields cannot be filtered', () => {
    assert.match(
      failure("SELECT Id FROM Account WHERE BillingAddress = 'x'").message,
      /field 'BillingAddress' can not be filtered in a query call$/
    );
  });
});

describe('INVALID_QUERY_FILTER_OPERATOR', () => {
  it('an id literal that is not an id', () => {
    expectError(
      "SELECT Id FROM Account WHERE Id = 'Acme'",
      'INVALID_QUERY_FILTER_OPERATOR',
      "\nSELECT Id FROM Account WHERE Id = 'Acme'\n                                  ^\nERROR at Row:1:Column:35\ninvalid ID field: Acme"
    );
    assert.equal(
      failure("SELECT Id FROM Contact WHERE AccountId IN ('001', 'x')").errorCode,
      'INVALID_QUERY_FILTER_OPERATOR'
    );
  });

  it('LIKE on an id field, INCLUDES on a plain field', () => {
    assert.match(
      failure("SELECT Id FROM Account WHERE Id LIKE '001%'").message,
      /invalid operator on id field$/
    );
    assert.equal(
      failure("SELECT Id FROM Account WHERE Name INCLUDES ('a')").errorCode,
      'INVALID_QUERY_FILTER_OPERATOR'
    );
  });
});

describe('the caret window on long lines', () => {
  it('shows about 40 characters before the error and 35 after, cut at separators', () => {
    const fields = Array.from({ length: 30 }, (_, i) => `Field_${i}__c`).join(', ');
    const query = `SELECT ${fields}, Bad__c, Name FROM Account`;
    const offset = query.indexOf('Bad__c');
    const message = caretMessage(query, offset, 'reason');
    const [, window = '', caret = '', where = ''] = message.split('\n');
    assert.equal(where, `ERROR at Row:1:Column:${offset + 1}`);
    assert.equal(window.charAt(caret.length - 1), 'B');
    assert.ok(caret.length - 1 <= 40 && caret.length - 1 >= 30, caret);
    assert.ok(window.trimStart().startsWith('Field_'), window);
    assert.ok(window.endsWith('Account'), window);
    assert.ok(query.includes(window));
  });
});
