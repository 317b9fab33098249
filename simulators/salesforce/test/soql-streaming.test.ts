/**
 * A million-row generated dataset streams through the engine in flat memory: rows are built
 * one at a time from the store's lazy scan, COUNT() counts without keeping anything, ORDER BY
 * with a small LIMIT keeps only a bounded window, a parent-to-child sub-query keeps only the
 * children, and GROUP BY one accumulator set per group. The retained heap is measured after
 * forced garbage collections at checkpoints during the scan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { generatedId } from '../src/ids.ts';
import { stringifyJavaJson } from '../src/java-json.ts';
import { createSoqlEngine } from '../src/soql/index.ts';
import { fakeSchema, fakeStore, fixedClock, TEST_USER } from './soql-fake-org.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const ROWS = 1_000_000;
const MAX_GROWTH_BYTES = 50 * 1024 * 1024;
const START = Date.UTC(2026, 0, 1);

/** `HH:MM:SS` of every second of a day, so the generator builds timestamps cheaply. */
const TIMES = Array.from({ length: 86_400 }, (_, second) =>
  new Date(second * 1000).toISOString().slice(11, 19)
);
const DAYS = Array.from({ length: Math.ceil(ROWS / 86_400) }, (_, day) =>
  new Date(START + day * 86_400_000).toISOString().slice(0, 10)
);

/** One reading a second from 2026-01-01T00:00:00Z. */
function takenAt(index: number): string {
  return `${DAYS[Math.floor(index / 86_400)]}T${TIMES[index % 86_400]}.000+0000`;
}

function setup() {
  const schema = fakeSchema();
  const store = fakeStore(schema);
  store.addGeneratedDataset('Device_Reading__c', ROWS, (index) => ({
    Name: `R-${index}`,
    Steps__c: index % 10_000,
    Taken__c: takenAt(index)
  }));
  // A million parents, three of them with children (the second dataset: number 1).
  store.addGeneratedDataset('Parent__c', ROWS, (index) => ({ Name: `P-${index}` }));
  for (const [index, name] of [
    [7, 'K-a'],
    [7, 'K-b'],
    [999_999, 'K-c']
  ] as const) {
    const parent = generatedId('a00', 1, index);
    store.insert('Child__c', { Name: name, Parent__c: parent }, TEST_USER);
  }
  return createSoqlEngine(schema, store, fixedClock('2026-11-29T12:00:00Z'));
}

function retainedHeap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** Iterates `rows`, checking the retained heap every 100k rows; returns count and peak growth. */
function drain(
  rows: Iterable<Record<string, unknown>>,
  check: (row: Record<string, unknown>) => void
) {
  const baseline = retainedHeap();
  let count = 0;
  let peakGrowth = 0;
  for (const row of rows) {
    check(row);
    if (++count % 100_000 === 0) peakGrowth = Math.max(peakGrowth, retainedHeap() - baseline);
  }
  return { count, peakGrowth };
}

describe('streaming a 1,000,000-row dataset', () => {
  const engine = setup();

  it('REST rows stream with a flat heap', () => {
    const query = engine.prepare(
      'SELECT Id, Name, Steps__c, Taken__c FROM Device_Reading__c WHERE Steps__c >= 0'
    );
    let expected = 0;
    const { count, peakGrowth } = drain(query.run(), (row) => {
      assert.equal(row.Name, `R-${expected++}`);
    });
    assert.equal(count, ROWS);
    assert.ok(peakGrowth < MAX_GROWTH_BYTES, `heap grew ${peakGrowth} bytes`);
  });

  it('flat rows stream with a flat heap, WHERE on a datetime', () => {
    const query = engine.prepare(
      'SELECT Name, Steps__c FROM Device_Reading__c WHERE Taken__c >= 2026-01-06T00:00:00Z'
    );
    const { count, peakGrowth } = drain(query.runFlat(), (row) => {
      assert.equal(typeof row.Steps__c, 'number');
    });
    assert.equal(count, ROWS - 5 * 86_400);
    assert.ok(peakGrowth < MAX_GROWTH_BYTES, `heap grew ${peakGrowth} bytes`);
  });

  it('COUNT() counts without materialising', () => {
    const baseline = retainedHeap();
    assert.equal(engine.prepare('SELECT COUNT() FROM Device_Reading__c').count(), ROWS);
    const filtered = engine.prepare('SELECT COUNT() FROM Device_Reading__c WHERE Steps__c < 10');
    assert.equal(filtered.count(), 1000);
    assert.ok(retainedHeap() - baseline < MAX_GROWTH_BYTES);
  });

  it('parents with a sub-query stream with a flat heap', () => {
    const query = engine.prepare('SELECT Name, (SELECT Name FROM Children__r) FROM Parent__c');
    const children: unknown[] = [];
    const { count, peakGrowth } = drain(query.run(), (row) => {
      const nested = row.Children__r as { records: Array<{ Name: string }> } | null;
      if (nested) children.push([row.Name, nested.records.map((child) => child.Name)]);
    });
    assert.equal(count, ROWS);
    assert.ok(peakGrowth < MAX_GROWTH_BYTES, `heap grew ${peakGrowth} bytes`);
    assert.deepEqual(children, [
      ['P-7', ['K-a', 'K-b']],
      ['P-999999', ['K-c']]
    ]);
  });

  it('GROUP BY keeps one set of accumulators per group', () => {
    const baseline = retainedHeap();
    const rows = [
      ...engine
        .prepare(
          'SELECT HOUR_IN_DAY(Taken__c) hour, COUNT(Id) n, MAX(Steps__c) FROM Device_Reading__c GROUP BY HOUR_IN_DAY(Taken__c) ORDER BY HOUR_IN_DAY(Taken__c)'
        )
        .run()
    ];
    assert.ok(retainedHeap() - baseline < MAX_GROWTH_BYTES);
    assert.equal(rows.length, 24);
    assert.equal(
      rows.reduce((sum, row) => sum + Number(row.n), 0),
      ROWS
    );
    // As a client reads it (Steps__c is a number field: MAX is written as a double).
    assert.deepEqual(JSON.parse(stringifyJavaJson(rows[0])), {
      attributes: { type: 'AggregateResult' },
      hour: 0,
      n: 12 * 3600,
      expr0: 9999
    });
  });

  it('ORDER BY with a small LIMIT keeps a bounded window', () => {
    const query = engine.prepare(
      'SELECT Name FROM Device_Reading__c ORDER BY Steps__c DESC, Name LIMIT 3 OFFSET 1'
    );
    const names: unknown[] = [];
    const { count, peakGrowth } = drain(query.runFlat(), (row) => names.push(row.Name));
    assert.equal(count, 3);
    assert.ok(peakGrowth < MAX_GROWTH_BYTES);
    // Steps__c 9999 is on rows 9999, 19999, ... 999999; their names sort as text, and
    // OFFSET 1 skips the first ('R-109999').
    assert.deepEqual(names, ['R-119999', 'R-129999', 'R-139999']);
  });
});
