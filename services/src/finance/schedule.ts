// The nightly schedule: a local time of day in an IANA time zone (02:00 Europe/London), one run
// per slot, missed slots caught up.
//
// Slots are computed, not timers: every check asks "which was the latest slot at or before now?"
// and runs when it is later than the last slot done (finance.export_schedule). So a service that
// was down at 02:00 runs when it starts again, a slot is never run twice (even by two instances:
// the export's lease admits one, and the slot is recorded after its run), and several missed
// nights are caught up by ONE run: an incremental export from the watermark covers every change
// since the last night that merged. A failed or switched-off night is not recorded, so the next
// check tries again (every FINANCE_RETRY_MINUTES, not every tick).
//
// Daylight saving, as java.time and Temporal's 'compatible' rule: a slot time that does not
// exist on a night (01:30 when London's clocks jump from 01:00 to 02:00) runs as much later as
// the clocks jumped (02:30); one that occurs twice (01:30 when they fall back) runs at its first
// occurrence.
import type pg from 'pg';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface DailyTime {
  hour: number;
  minute: number;
}

export function parseDailyTime(text: string): DailyTime {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!match) throw new RangeError(`'${text}' is not a time of day HH:MM (00:00 to 23:59)`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock parts of `instant` in `timeZone`. */
function wallClock(instant: number, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return parts as {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
  };
}

/** Milliseconds `timeZone` is ahead of UTC at `instant`. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant of `time` on the local calendar day (y, m, d) in `timeZone` (see DST above). */
function slotOn(
  year: number,
  month: number,
  day: number,
  time: DailyTime,
  timeZone: string
): number {
  const wall = Date.UTC(year, month - 1, day, time.hour, time.minute);
  // Two candidates: the offset before and after a possible transition around the wall time.
  const candidates = [
    wall - offsetAt(wall - DAY_MS / 2, timeZone),
    wall - offsetAt(wall + DAY_MS / 2, timeZone)
  ]
    .filter((instant) => {
      const w = wallClock(instant, timeZone);
      return w.hour === time.hour && w.minute === time.minute && w.day === day;
    })
    .sort((a, b) => a - b);
  if (candidates[0] !== undefined) return candidates[0];
  // The wall time does not exist that night: read with the offset before the jump, it lands as
  // far after the jump as the wall time was.
  return wall - offsetAt(wall - DAY_MS / 2, timeZone);
}

/**
 * The first slot, over the local days from today in `step` direction (-1 back, 1 ahead), that
 * `accept`s. Three days always hold one: a daily time occurs at least once every local day.
 */
function findSlot(
  now: Date,
  time: DailyTime,
  timeZone: string,
  step: -1 | 1,
  accept: (slot: number) => boolean
): Date {
  const today = wallClock(now.getTime(), timeZone);
  for (let days = 0; days < 3; days++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + step * days));
    const slot = slotOn(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      time,
      timeZone
    );
    if (accept(slot)) return new Date(slot);
  }
  throw new RangeError('No slot within three days (cannot happen for a daily time)');
}

/** The latest slot at or before `now`. Throws RangeError on an unknown time zone. */
export function latestSlot(now: Date, time: DailyTime, timeZone: string): Date {
  return findSlot(now, time, timeZone, -1, (slot) => slot <= now.getTime());
}

/** The first slot after `now`. */
export function nextSlot(now: Date, time: DailyTime, timeZone: string): Date {
  return findSlot(now, time, timeZone, 1, (slot) => slot > now.getTime());
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export async function readLastSlot(pool: pg.Pool, target: string): Promise<Date | undefined> {
  const { rows } = await pool.query<{ last_slot: Date }>(
    'SELECT last_slot FROM finance.export_schedule WHERE target = $1',
    [target]
  );
  return rows[0]?.last_slot;
}

/** Records `slot` as done (never moving back); on a pool, or a client inside a transaction. */
export async function recordSlot(
  db: Pick<pg.Pool | pg.PoolClient, 'query'>,
  target: string,
  slot: Date
): Promise<void> {
  await db.query(
    `INSERT INTO finance.export_schedule (target, last_slot) VALUES ($1, $2)
     ON CONFLICT (target) DO UPDATE
       SET last_slot = GREATEST(finance.export_schedule.last_slot, EXCLUDED.last_slot), updated_at = now()`,
    [target, slot]
  );
}

export interface DueSlot {
  slot: Date;
  /** Slots missed before it (caught up by this one run). */
  missed: number;
}

/**
 * The slot to run now, or undefined. A schedule that never ran starts with the next slot (a new
 * installation does not export at once; `npm run finance:export` does that on demand).
 */
export function dueSlot(
  now: Date,
  lastSlot: Date | undefined,
  time: DailyTime,
  timeZone: string
): DueSlot | undefined {
  const latest = latestSlot(now, time, timeZone);
  if (lastSlot === undefined || latest.getTime() <= lastSlot.getTime()) return undefined;
  let missed = 0;
  for (
    let slot = latestSlot(new Date(latest.getTime() - 1), time, timeZone);
    slot.getTime() > lastSlot.getTime() && missed < 366;
    slot = latestSlot(new Date(slot.getTime() - 1), time, timeZone)
  )
    missed += 1;
  return { slot: latest, missed };
}
