// Pure logic of the Salesforce clients: chunking, IN-list budgets, SOQL escaping, backoff, and
// the transient/permanent classification of errors. (Everything that talks HTTP is tested
// against the emulator in the other salesforce-*.test.ts files.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  backoffDelay,
  cellText,
  chunk,
  DEFAULT_MAX_IN_VALUES,
  DEFAULT_QUERY_PARAM_BYTES,
  encodedParamLength,
  errorFromResponse,
  inClauseQueries,
  isSalesforceId,
  isTransientError,
  isTransientRecordError,
  jitteredDelay,
  networkError,
  SalesforceAuthError,
  SalesforceError,
  soqlString
} from '../../src/platform/salesforce/index.ts';

const fakeId = (i: number) => `001Em${String(i).padStart(10, '0')}AAA`;

describe('batching', () => {
  test('chunk slices in order and refuses nonsense sizes', () => {
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(chunk([], 200), []);
    assert.equal(chunk(Array.from({ length: 450 }), 200).length, 3);
    assert.throws(() => chunk([1], 0), RangeError);
  });

  test('soqlString escapes what could end the literal', () => {
    assert.equal(soqlString("O'Brien"), "'O\\'Brien'");
    assert.equal(soqlString('back\\slash "q"\nnl'), '\'back\\\\slash \\"q\\"\\nnl\'');
  });

  test('IN lists stay within the byte budget and cover every value exactly once', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => fakeId(i));
    const prefix = 'SELECT Id, Name FROM Account WHERE Id IN (';
    const queries = inClauseQueries(ids, { prefix, suffix: ')' });

    for (const q of queries) assert.ok(encodedParamLength(q) <= DEFAULT_QUERY_PARAM_BYTES);
    // An encoded id costs 27 bytes with its comma: ~368 per query, so 3 queries.
    assert.equal(queries.length, 3);
    const listed = queries.flatMap((q) => q.slice(prefix.length, -1).split(','));
    assert.deepEqual(
      listed,
      ids.map((id) => `'${id}'`)
    );
    // The budget binds tighter when it is smaller; the value cap when values are tiny.
    assert.ok(inClauseQueries(ids, { prefix, suffix: ')', maxParamBytes: 2_000 }).length > 10);
    const numbers = Array.from({ length: 2_000 }, (_, i) => i);
    const byCount = inClauseQueries(numbers, {
      prefix: 'SELECT Id FROM X__c WHERE N__c IN (',
      suffix: ')'
    });
    assert.equal(byCount.length, Math.ceil(2_000 / DEFAULT_MAX_IN_VALUES));
  });

  test('a value that cannot fit alone is refused instead of sent', () => {
    assert.throws(
      () =>
        inClauseQueries(['x'.repeat(20_000)], {
          prefix: 'SELECT Id FROM A WHERE B IN (',
          suffix: ')'
        }),
      RangeError
    );
  });

  test('id shape check', () => {
    assert.ok(isSalesforceId('001Em0000000001'));
    assert.ok(isSalesforceId('001Em0000000001IAA'));
    assert.ok(!isSalesforceId("001' OR Id != '"));
    assert.ok(!isSalesforceId(undefined));
  });

  test('CSV cells for ingest', () => {
    assert.equal(cellText(undefined, 'A'), '');
    assert.equal(cellText(null, 'A'), '#N/A');
    assert.equal(cellText(true, 'A'), 'true');
    assert.equal(cellText(1.5, 'A'), '1.5');
    assert.equal(cellText(new Date('2026-01-02T03:04:05Z'), 'A'), '2026-01-02T03:04:05.000Z');
    assert.throws(() => cellText({ nested: 1 }, 'A'), /Column A/);
    assert.throws(() => cellText(Number.NaN, 'A'), /Column A/);
  });
});

describe('backoff', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2 };

  test('grows exponentially up to the cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, options)),
      [100, 200, 400, 800, 1_000, 1_000]
    );
  });

  test('full jitter stays within [0, delay]', () => {
    assert.equal(
      jitteredDelay(3, options, () => 0),
      0
    );
    assert.equal(
      jitteredDelay(3, options, () => 0.5),
      400
    );
    assert.equal(
      jitteredDelay(3, options, () => 0.999999),
      800
    );
  });
});

describe('error classification', () => {
  test('REST error arrays become SalesforceError with code, fields and every item', () => {
    const error = errorFromResponse(
      400,
      JSON.stringify([
        {
          message: 'bad value',
          errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          fields: ['Severity__c']
        },
        { message: 'second', errorCode: 'OTHER' }
      ]),
      'rest.create'
    );
    assert.ok(error instanceof SalesforceError);
    assert.equal(error.status, 400);
    assert.equal(error.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.deepEqual(error.fields, ['Severity__c']);
    assert.equal(error.errors.length, 2);
    assert.equal(error.message, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: bad value');
    assert.equal(isTransientError(error), false);
  });

  test('OAuth bodies become SalesforceAuthError', () => {
    const error = errorFromResponse(
      400,
      '{"error":"invalid_grant","error_description":"expired authorization code"}',
      'oauth.token'
    );
    assert.ok(error instanceof SalesforceAuthError);
    assert.equal(error.errorCode, 'invalid_grant');
    assert.equal(error.message, 'expired authorization code');
  });

  test('transient: 5xx, lock contention, limits, timeouts, network', () => {
    const cases: Array<[number, string]> = [
      [503, '[{"message":"down","errorCode":"SERVER_UNAVAILABLE"}]'],
      [500, '<html>oops</html>'],
      [403, '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]'],
      [400, '[{"message":"unable to obtain exclusive access","errorCode":"UNABLE_TO_LOCK_ROW"}]']
    ];
    for (const [status, body] of cases) {
      assert.equal(isTransientError(errorFromResponse(status, body, 'op')), true, body);
    }
    const timeout = new DOMException('timed out', 'TimeoutError');
    assert.equal(isTransientError(timeout), true);
    assert.equal(networkError('op', timeout).errorCode, 'TIMEOUT');
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' })
    });
    assert.equal(isTransientError(reset), true);
    assert.equal(isTransientError(networkError('op', reset)), true);
    assert.equal(isTransientRecordError('UNABLE_TO_LOCK_ROW'), true);
  });

  test('permanent: bad requests, bad credentials, programming errors', () => {
    assert.equal(
      isTransientError(
        errorFromResponse(400, '[{"message":"x","errorCode":"INVALID_FIELD"}]', 'op')
      ),
      false
    );
    assert.equal(
      isTransientError(
        errorFromResponse(401, '[{"message":"x","errorCode":"INVALID_SESSION_ID"}]', 'op')
      ),
      false
    );
    assert.equal(
      isTransientError(errorFromResponse(400, '{"error":"invalid_client"}', 'op')),
      false
    );
    assert.equal(isTransientError(new TypeError('undefined is not a function')), false);
    assert.equal(isTransientRecordError('REQUIRED_FIELD_MISSING'), false);
  });
});
