/**
 * The project's SOQL parser as a library: the text spans a caller needs to splice conditions
 * into a statement, and its syntax error. (Salesforce's messages and every construct it reads
 * are tested through the org emulator: simulators/salesforce/test/soql-*.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSoql } from '../src/soql/parser.ts';
import { SoqlSyntaxError } from '../src/soql/syntax-error.ts';

describe('parseSoql text spans', () => {
  it('the WHERE condition, without its keyword, whole (parentheses, OR, NOT)', () => {
    const soql = "SELECT Id FROM Account WHERE (Name = 'a' OR Name = 'b') AND NOT Type = null";
    const query = parseSoql(soql);
    assert.ok(query.whereSpan);
    assert.equal(
      soql.slice(query.whereSpan.start, query.whereSpan.end),
      "(Name = 'a' OR Name = 'b') AND NOT Type = null"
    );
    assert.equal(query.end, soql.length);
  });

  it('stops the condition before the next clause, across lines', () => {
    const soql =
      "SELECT Id\nFROM Account\nWHERE Name = 'a'\n  AND Id IN (SELECT AccountId FROM Contact)\nWITH SECURITY_ENFORCED\nORDER BY Name LIMIT 5  \n";
    const query = parseSoql(soql);
    assert.ok(query.whereSpan);
    assert.equal(
      soql.slice(query.whereSpan.start, query.whereSpan.end),
      "Name = 'a'\n  AND Id IN (SELECT AccountId FROM Contact)"
    );
    assert.equal(query.with, 'SECURITY_ENFORCED');
    assert.equal(soql.slice(query.withOffset), 'WITH SECURITY_ENFORCED\nORDER BY Name LIMIT 5  \n');
    assert.equal(soql.slice(query.orderByOffset, query.end), 'ORDER BY Name LIMIT 5');
  });

  it('without WHERE: where a WHERE clause goes (after the object, its alias, USING SCOPE)', () => {
    const cases: Array<[string, string]> = [
      ['SELECT Id FROM Account', 'SELECT Id FROM Account'],
      ['SELECT a.Id FROM Account a ORDER BY a.Name', 'SELECT a.Id FROM Account a'],
      [
        'SELECT Id FROM Account USING SCOPE mine LIMIT 1',
        'SELECT Id FROM Account USING SCOPE mine'
      ],
      ['SELECT Id FROM Group WITH USER_MODE', 'SELECT Id FROM Group'],
      ['SELECT Id FROM Account   FOR VIEW', 'SELECT Id FROM Account']
    ];
    for (const [soql, head] of cases) {
      const query = parseSoql(soql);
      assert.equal(query.whereSpan, undefined);
      assert.equal(soql.slice(0, query.whereInsertAt), head, soql);
    }
    assert.deepEqual(parseSoql('SELECT Id FROM Account FOR UPDATE').for, {
      mode: 'UPDATE',
      offset: 23
    });
  });

  it('a sub-query ends before its closing parenthesis', () => {
    const soql = 'SELECT Id, (SELECT Id FROM Contacts WHERE LastName = null) FROM Account';
    const item = parseSoql(soql).select[1];
    assert.equal(item?.kind, 'subquery');
    if (item?.kind !== 'subquery') return;
    assert.equal(
      soql.slice(item.query.start, item.query.end),
      'SELECT Id FROM Contacts WHERE LastName = null'
    );
  });
});

describe('SoqlSyntaxError', () => {
  it("carries MALFORMED_QUERY, Salesforce's caret message and the offset", () => {
    assert.throws(
      () => parseSoql('SELECT Id FORM Account'),
      (thrown: unknown) => {
        assert.ok(thrown instanceof SoqlSyntaxError);
        assert.equal(thrown.errorCode, 'MALFORMED_QUERY');
        assert.equal(thrown.offset, 10);
        assert.equal(
          thrown.message,
          "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'"
        );
        return true;
      }
    );
  });

  it('lexical errors too (an unterminated string, a stray character)', () => {
    assert.throws(() => parseSoql("SELECT Id FROM Account WHERE Name = 'open"), SoqlSyntaxError);
    assert.throws(() => parseSoql('SELECT Id FROM Account WHERE Name = #'), {
      name: 'SoqlSyntaxError',
      message: "line 1:36 no viable alternative at character '#'"
    });
  });
});
