import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dueSlot,
  isTimeZone,
  latestSlot,
  nextSlot,
  parseDailyTime
} from '../../src/finance/schedule.ts';

const at = (iso: string) => new Date(iso);

describe('nightly schedule', () => {
  it('reads HH:MM and refuses anything else', () => {
    assert.deepEqual(parseDailyTime('02:00'), { hour: 2, minute: 0 });
    assert.deepEqual(parseDailyTime('23:59'), { hour: 23, minute: 59 });
    for (const bad of ['24:00', '2:00', '02:60', 'two', '']) {
      assert.throws(() => parseDailyTime(bad), /time of day HH:MM/);
    }
  });

  it('places the slot in the time zone, not in UTC', () => {
    const two = parseDailyTime('02:00');
    // New York is UTC-5 in December: 02:00 there is 07:00 UTC.
    assert.equal(
      latestSlot(at('2026-12-07T08:00:00Z'), two, 'America/New_York').toISOString(),
      '2026-12-07T07:00:00.000Z'
    );
    assert.equal(
      latestSlot(at('2026-12-07T06:59:59Z'), two, 'America/New_York').toISOString(),
      '2026-12-06T07:00:00.000Z'
    );
    assert.equal(
      nextSlot(at('2026-12-07T06:59:59Z'), two, 'America/New_York').toISOString(),
      '2026-12-07T07:00:00.000Z'
    );
    // Tokyo (UTC+9, no DST): 02:00 is 17:00 UTC the day before.
    assert.equal(
      latestSlot(at('2026-12-07T00:00:00Z'), two, 'Asia/Tokyo').toISOString(),
      '2026-12-06T17:00:00.000Z'
    );
  });

  it('daylight saving: a missing slot runs as much later as the clocks jumped; a doubled one once, first', () => {
    const half = parseDailyTime('01:30');
    // London springs forward 2026-03-29 at 01:00 UTC (01:00 GMT -> 02:00 BST): 01:30 does not exist.
    assert.equal(
      nextSlot(at('2026-03-28T12:00:00Z'), half, 'Europe/London').toISOString(),
      '2026-03-29T01:30:00.000Z'
    );
    // It falls back 2026-10-25 at 01:00 UTC (02:00 BST -> 01:00 GMT): 01:30 happens twice.
    assert.equal(
      nextSlot(at('2026-10-24T12:00:00Z'), half, 'Europe/London').toISOString(),
      '2026-10-25T00:30:00.000Z'
    );
    assert.equal(
      nextSlot(at('2026-10-25T00:30:00Z'), half, 'Europe/London').toISOString(),
      '2026-10-26T01:30:00.000Z',
      'the second 01:30 is not another slot'
    );
  });

  it('a missed night is run once when the service is back, and counted', () => {
    const two = parseDailyTime('02:00');
    const lastDone = at('2026-12-04T02:00:00Z');
    const due = dueSlot(at('2026-12-07T09:15:00Z'), lastDone, two, 'UTC');
    assert.deepEqual(due, { slot: at('2026-12-07T02:00:00Z'), missed: 2 });
    assert.equal(dueSlot(at('2026-12-07T09:15:00Z'), due?.slot, two, 'UTC'), undefined);
    assert.equal(
      dueSlot(at('2026-12-07T01:59:00Z'), at('2026-12-06T02:00:00Z'), two, 'UTC'),
      undefined
    );
  });

  it('a schedule that never ran waits for its next slot', () => {
    assert.equal(
      dueSlot(at('2026-12-07T09:15:00Z'), undefined, parseDailyTime('02:00'), 'UTC'),
      undefined
    );
  });

  it('knows IANA zones', () => {
    assert.ok(isTimeZone('Europe/London'));
    assert.ok(!isTimeZone('Mars/Olympus_Mons'));
  });
});
