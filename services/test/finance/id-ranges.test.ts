import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE62 } from '../../../toolkit/src/base62.ts';
import { idToNumber, numberToId, planIdRanges, type IdRange } from '../../src/finance/id-ranges.ts';

/** Ids of `count` rows on one pod: key prefix + pod + reserved + a 9-character sequence. */
function podIds(prefix: string, count: number, step = 1n, start = 1n): string[] {
  return Array.from({ length: count }, (_, i) => {
    const sequence = numberToId(start + BigInt(i) * step).slice(-9);
    return `${prefix}${sequence}`;
  });
}

/** The planner's view of a table: COUNT() over sorted ids, counting the calls. */
function table(ids: string[]) {
  const sorted = [...ids].sort();
  let calls = 0;
  return {
    sorted,
    get calls() {
      return calls;
    },
    async count(from: string, to: string) {
      calls += 1;
      return sorted.filter((id) => id >= from && id < to).length;
    },
    async edge(from: string, to: string, which: 'first' | 'last') {
      calls += 1;
      const held = sorted.filter((id) => id >= from && id < to);
      const id = which === 'first' ? held[0] : held.at(-1);
      if (id === undefined) throw new Error('edge() of an empty range');
      return id;
    }
  };
}

function inRange(id: string, range: IdRange): boolean {
  return (
    (range.from === undefined || id >= range.from) && (range.to === undefined || id < range.to)
  );
}

function assertPartition(ids: string[], ranges: IdRange[], chunkSize: number): void {
  for (const id of ids) {
    assert.equal(ranges.filter((range) => inRange(id, range)).length, 1, `${id} in one range`);
  }
  for (const range of ranges) {
    const held = ids.filter((id) => inRange(id, range)).length;
    assert.equal(held, range.expected, 'expected rows are the rows the range holds');
    assert.ok(held <= chunkSize, `${held} rows > chunk size ${chunkSize}`);
  }
  assert.equal(ranges[0]?.from, undefined, 'first range open below');
  assert.equal(ranges.at(-1)?.to, undefined, 'last range open above');
}

describe('id ranges', () => {
  it('numbers and ids convert both ways in Salesforce order', () => {
    const ids = ['001000000000001', '001000000000002', '00100000000000Z', '00100000000000a'];
    const numbers = ids.map(idToNumber);
    assert.deepEqual(
      [...numbers].sort((a, b) => (a < b ? -1 : 1)),
      numbers
    );
    for (const id of ids) assert.equal(numberToId(idToNumber(id)), id);
    assert.equal(idToNumber('001000000000001AAA'), idToNumber('001000000000001'), '18 -> 15');
    assert.equal(BASE62, [...BASE62].sort().join(''), 'base-62 digits are in ASCII order');
    assert.throws(() => idToNumber('001-00000000001'), /Not a Salesforce id/);
  });

  it('one range without bounds when everything fits one chunk', async () => {
    const org = table(podIds('a01Em0', 100));
    const ranges = await planIdRanges({
      total: 100,
      minId: org.sorted[0]!,
      maxId: org.sorted.at(-1)!,
      chunkSize: 100,
      count: org.count,
      edge: org.edge
    });
    assert.deepEqual(ranges, [{ expected: 100 }]);
    assert.equal(org.calls, 0);
  });

  it('splits evenly spread ids into chunks of at most the chunk size', async () => {
    const ids = podIds('a01Em0', 1000, 7n);
    const org = table(ids);
    const ranges = await planIdRanges({
      total: ids.length,
      minId: org.sorted[0]!,
      maxId: org.sorted.at(-1)!,
      chunkSize: 250,
      count: org.count,
      edge: org.edge
    });
    assertPartition(ids, ranges, 250);
    assert.ok(ranges.length >= 4 && ranges.length <= 8, `${ranges.length} ranges`);
    assert.ok(org.calls <= 16, `${org.calls} COUNT() calls`);
  });

  it('finds clusters far apart (two pods) without putting every row in one range', async () => {
    const ids = [...podIds('a01Em0', 300), ...podIds('a01Gn0', 900, 3n)];
    const org = table(ids);
    const ranges = await planIdRanges({
      total: ids.length,
      minId: org.sorted[0]!,
      maxId: org.sorted.at(-1)!,
      chunkSize: 200,
      count: org.count,
      edge: org.edge
    });
    assertPartition(ids, ranges, 200);
    assert.ok(ranges.length <= 12, `${ranges.length} ranges for 1,200 rows of 200`);
    assert.ok(org.calls <= 30, `${org.calls} COUNT() calls`);
  });

  it('a range one Id wide is not split further', async () => {
    const ids = ['a01Em0000000001', 'a01Em0000000002'];
    const org = table(ids);
    const ranges = await planIdRanges({
      total: 2,
      minId: ids[0]!,
      maxId: ids[1]!,
      chunkSize: 1,
      count: org.count,
      edge: org.edge
    });
    assertPartition(ids, ranges, 1);
  });

  it('refuses a chunk size that is not a positive whole number', async () => {
    await assert.rejects(
      planIdRanges({
        total: 1,
        minId: 'a',
        maxId: 'b',
        chunkSize: 0,
        count: async () => 0,
        edge: async () => 'a'
      }),
      /chunkSize/
    );
  });
});
