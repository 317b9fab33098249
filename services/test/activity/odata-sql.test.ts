// $filter / $orderby / $select / $skiptoken -> SQL, without a database: the statement text holds
// only the model's expressions and placeholders, never a byte of a request value; the values are
// parameters with the model's casts. (odata.test.ts runs the same against PostgreSQL.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterSql } from '../../src/activity/odata/filter.ts';
import { ODataError } from '../../src/activity/odata/errors.ts';
import { parseQueryOptions } from '../../src/activity/odata/query-options.ts';
import { SqlParams } from '../../src/activity/odata/sql-params.ts';
import {
  decodeSkipToken,
  encodeSkipToken,
  queryBinding
} from '../../src/activity/odata/skip-token.ts';

function sql(query: string): { text: string; values: unknown[] } {
  const options = parseQueryOptions(query);
  assert.ok(options.filter, 'a $filter');
  const params = new SqlParams();
  return { text: filterSql(options.filter, params), values: params.values };
}

function refused(query: string): number {
  try {
    sql(query);
  } catch (error) {
    assert.ok(error instanceof ODataError, String(error));
    return error.statusCode;
  }
  return 200;
}

describe('OData $filter to SQL', () => {
  test("Salesforce's indirect lookup filter: one parameter on the key column", () => {
    assert.deepEqual(sql('$filter=UserId%20eq%20%27fit-000042%27'), {
      text: 'd.user_id = $1::text',
      values: ['fit-000042']
    });
  });

  test('and/or/parentheses keep their precedence; dates, numbers and instants are typed', () => {
    assert.deepEqual(
      sql(
        "$filter=UserId eq 'a' and (ActivityDate ge 2026-12-01 or Steps lt 10.5) and UpdatedAt gt 2026-12-07T15:42:05%2B01:00"
      ),
      {
        text: '(d.user_id = $1::text AND ((d.day >= $2::date OR d.steps < $3::numeric) AND d.updated_at > $4::timestamptz))',
        values: ['a', '2026-12-01', '10.5', '2026-12-07T14:42:05.000Z']
      }
    );
  });

  test('Id compares on the key parts; null is IS NULL', () => {
    assert.deepEqual(sql("$filter=Id eq 'fit-1~2026-12-07'"), {
      text: '(d.user_id = $1::text AND d.day = $2::date)',
      values: ['fit-1', '2026-12-07']
    });
    assert.deepEqual(sql("$filter=Id eq 'not a key'"), { text: 'FALSE', values: [] });
    assert.match(sql('$filter=HeartRateMin eq null').text, /^d\.heart_rate_min::integer IS NULL$/);
  });

  test('a string literal is a parameter, whatever it holds', () => {
    for (const hostile of [
      "x' OR '1'='1",
      "'; DROP TABLE activity_days; --",
      '$1) OR (1=1',
      "a\\' OR 1=1 --",
      '%27 OR 1=1'
    ]) {
      const literal = `'${hostile.replace(/'/g, "''")}'`;
      const { text, values } = sql(`$filter=UserId eq ${encodeURIComponent(literal)}`);
      assert.equal(text, 'd.user_id = $1::text', hostile);
      assert.deepEqual(values, [hostile], hostile);
    }
  });

  test('what the service does not implement is 501, what is wrong is 400', () => {
    assert.equal(refused("$filter=contains(UserId,'a')"), 501);
    assert.equal(refused('$filter=Steps mul 2 gt 10'), 501);
    assert.equal(refused('$filter=Steps eq Readings'), 501);
    assert.equal(refused("$filter=Password eq 'x'"), 400);
    assert.equal(refused('$filter=Steps eq 1;SELECT 1'), 400);
    assert.equal(refused("$filter=UserId eq 'unterminated"), 400);
    assert.equal(refused('$filter=Steps eq INF'), 400);
    assert.equal(refused('$filter=ActivityDate eq 2026-13-01'), 400);
  });
});

describe('OData options', () => {
  test('$orderby and $select resolve to model properties only', () => {
    const options = parseQueryOptions(
      '$orderby=ActivityDate%20desc,Steps&$select=Id,Steps,Id&$top=26&$skip=5&$count=true'
    );
    assert.deepEqual(
      options.orderBy.map((o) => [o.property.name, o.descending]),
      [
        ['ActivityDate', true],
        ['Steps', false]
      ]
    );
    assert.deepEqual(
      options.select?.map((p) => p.name),
      ['Id', 'Steps']
    );
    assert.equal(options.top, 26);
    assert.equal(options.skip, 5);
    assert.equal(options.count, true);
    assert.equal(parseQueryOptions('$select=*').select, undefined);
  });

  test('skip tokens: round trip, bound to their query, positions checked', () => {
    const binding = queryBinding([['$filter', 'Steps%20gt%201']]);
    const token = encodeSkipToken(50, binding);
    assert.equal(decodeSkipToken(token, binding), 50);
    const other = queryBinding([['$filter', 'Steps%20gt%202']]);
    assert.throws(() => decodeSkipToken(token, other), ODataError);
    for (const n of [0, -1, 1.5, 2 ** 40, '7']) {
      const forged = Buffer.from(JSON.stringify({ v: 1, n, q: binding })).toString('base64url');
      assert.throws(() => decodeSkipToken(forged, binding), ODataError, String(n));
    }
    assert.throws(() => decodeSkipToken('!!', binding), ODataError);
  });
});
