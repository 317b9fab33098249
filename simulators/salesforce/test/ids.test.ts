import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checksum,
  DEFAULT_ORGANIZATION_ID,
  generatedId,
  isValidId,
  newId,
  normalizeId,
  parseId,
  to15,
  to18
} from '../src/ids.ts';

/** 15-character ids and their 18-character forms as printed in Salesforce's API documentation. */
const DOCUMENTED_IDS: Array<[string, string]> = [
  ['001D000000IqhSL', '001D000000IqhSLIAZ'], // REST API "Create a Record" response
  ['001D000000INjVe', '001D000000INjVeIAL'], // REST API query response
  ['005D0000001KyEI', '005D0000001KyEIIA0'], // REST API User password resource
  ['a00D0000008oWP8', 'a00D0000008oWP8IAM'], // REST API custom object (Merchandise__c) record
  ['a03D0000003DUhc', 'a03D0000003DUhcIAG']
];

describe('Salesforce ids', () => {
  it('computes the checksum suffix of documented ids', () => {
    for (const [id15, id18] of DOCUMENTED_IDS) {
      assert.equal(checksum(id15), id18.slice(15), id15);
      assert.equal(to18(id15), id18);
      assert.equal(to15(id18), id15);
    }
  });

  it('flags the upper-case letters of each 5-character chunk, bit i for character i', () => {
    assert.equal(checksum('000000000000000'), 'AAA');
    assert.equal(checksum('A0000000000000B'), 'BAQ'); // bit 0 of chunk 1; bit 4 of chunk 3
    assert.equal(checksum('ZZZZZZZZZZZZZZZ'), '555'); // all 5 bits: 31 -> '5'
    assert.equal(checksum('zzzzzzzzzzzzzzz'), 'AAA'); // lower case sets nothing
  });

  it('accepts 15-character ids and 18-character ids with a matching checksum', () => {
    for (const [id15, id18] of DOCUMENTED_IDS) {
      assert.ok(isValidId(id15));
      assert.ok(isValidId(id18));
      assert.ok(isValidId(id18.slice(0, 15) + id18.slice(15).toLowerCase()), 'suffix case');
    }
    assert.ok(!isValidId('001D000000IqhSLAAA'), 'wrong checksum');
    assert.ok(!isValidId('001900K0001pPuOAAU'), 'wrong checksum');
    assert.ok(!isValidId('001D000000IqhS'), '14 characters');
    assert.ok(!isValidId('001D000000IqhSLIA'), '17 characters');
    assert.ok(!isValidId('001D000000IqhS-'), 'bad character');
    assert.ok(!isValidId(12345));
    assert.ok(!isValidId(null));
  });

  it('normalizes to the 18-character form and repairs case-folded 18-character ids', () => {
    assert.equal(normalizeId('001D000000IqhSL'), '001D000000IqhSLIAZ');
    assert.equal(normalizeId('001D000000IqhSLiaz'), '001D000000IqhSLIAZ');
    assert.equal(normalizeId('001d000000iqhsliaz'), '001D000000IqhSLIAZ');
    assert.equal(normalizeId('001D000000IQHSLIAZ'), '001D000000IqhSLIAZ');
    assert.equal(normalizeId('001D000000IqhSLAAA'), undefined);
    assert.equal(normalizeId('not an id'), undefined);
    assert.throws(() => to18('bad'), /Not a Salesforce id/);
  });

  it('mints valid, distinct ids that encode their key prefix and sequence', () => {
    const first = newId('001', 1);
    const second = newId('001', 2);
    assert.equal(first.length, 18);
    assert.ok(isValidId(first) && isValidId(second));
    assert.notEqual(first, second);
    assert.ok(first.startsWith('001'));
    assert.deepEqual(parseId(newId('a00', 123_456_789)), {
      kind: 'stored',
      keyPrefix: 'a00',
      sequence: 123_456_789
    });
    assert.throws(() => newId('01', 1), /key prefix/);
    assert.throws(() => newId('001', -1), /sequence/);
  });

  it('mints deterministic ids for generated rows that decode to dataset and index', () => {
    const id = generatedId('001', 3, 999_999);
    assert.equal(id, generatedId('001', 3, 999_999));
    assert.ok(isValidId(id));
    assert.deepEqual(parseId(id), {
      kind: 'generated',
      keyPrefix: '001',
      dataset: 3,
      index: 999_999
    });
    assert.notEqual(generatedId('001', 3, 0), generatedId('001', 4, 0));
    assert.deepEqual(parseId('001D000000IqhSLIAZ'), { kind: 'foreign', keyPrefix: '001' });
  });

  it('mints ids that increase in Salesforce order (ASCII order of the 15 characters)', () => {
    // Around every base-62 digit boundary: 9 -> A, Z -> a, z -> 10, and a 5,000,000-row dataset.
    const points = [0, 9, 10, 35, 36, 61, 62, 3843, 3844, 238_327, 238_328, 4_999_999];
    const ascending = (ids: string[]): void => {
      for (let i = 1; i < ids.length; i++) {
        const [a, b] = [ids[i - 1] as string, ids[i] as string];
        assert.ok(to15(a) < to15(b) && a < b, `${a} < ${b}`);
      }
    };
    ascending(points.map((index) => generatedId('001', 3, index)));
    ascending(points.map((sequence) => newId('001', sequence + 1)));
    // Later datasets after earlier ones; stored records before generated rows.
    ascending([newId('001', 10 ** 12), generatedId('001', 0, 5), generatedId('001', 1, 0)]);
  });

  it('has a valid default organization id', () => {
    assert.equal(DEFAULT_ORGANIZATION_ID, '00D000000000001EAA');
    assert.ok(isValidId(DEFAULT_ORGANIZATION_ID));
  });
});
