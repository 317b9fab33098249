/**
 * ETags as API_BUSINESS_PARTNER writes them: a weak tag over the entity's change timestamp,
 * `W/"datetimeoffset'2026-11-29T05%3A01%3A02.1234567Z'"` (the timestamp percent-encoded, 100 ns
 * precision). The clock is strictly increasing, so every change gets a new tag even within the
 * same millisecond.
 */
import { SapODataError } from './errors.ts';

export interface Stamp {
  at: Date;
  etag: string;
}

export class ChangeClock {
  /** Last stamp in 100 ns ticks since the epoch. */
  private last = 0n;

  next(now = Date.now()): Stamp {
    let ticks = BigInt(now) * 10_000n;
    if (ticks <= this.last) ticks = this.last + 1n;
    this.last = ticks;
    const ms = Number(ticks / 10_000n);
    const fraction = String(ticks % 10_000_000n).padStart(7, '0');
    const iso = `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
    return { at: new Date(ms), etag: `W/"datetimeoffset'${encodeURIComponent(iso)}'"` };
  }
}

/**
 * Optimistic locking for PATCH: no If-Match is 428 Precondition Required (as S/4HANA answers
 * a PATCH without it), a tag other than the current one (or `*`) is 412. With `required`
 * false (addresses) a missing If-Match is accepted, a given one is still checked.
 */
export function checkIfMatch(header: string | undefined, current: string, required = true): void {
  if (header === undefined || header.trim() === '') {
    if (!required) return;
    throw new SapODataError(
      428,
      '/IWBEP/CM_MGW_RT/191',
      'The request must be conditional: send If-Match with the ETag of the entity'
    );
  }
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*') || tags.includes(current)) return;
  throw new SapODataError(
    412,
    '/IWBEP/CM_MGW_RT/190',
    'State of the resource (entity) was already changed (If-Match)'
  );
}
