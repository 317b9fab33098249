/**
 * The sequence behind the ids of stored records. A minted id is only taken once the record is
 * written (note()), so an insert that fails its checks does not use up a number.
 */
import { newId, parseId } from '../ids.ts';

export class IdSequence {
  private last = 0;

  /** The id an insert of `keyPrefix` gets unless it was given one. */
  next(keyPrefix: string): string {
    return newId(keyPrefix, this.last + 1);
  }

  /** Keeps newly minted ids clear of ids that were given (seeds, restored records). */
  note(id: string): void {
    const parsed = parseId(id);
    if (parsed?.kind === 'stored' && parsed.sequence > this.last) this.last = parsed.sequence;
  }

  reset(): void {
    this.last = 0;
  }
}
