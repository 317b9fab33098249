// At most `limit` tasks at once; the rest wait their turn in arrival order. For work bounded by
// CPU or memory rather than by requests (the media service's image verification: each decodes an
// image), where a queue in front is fairer than refusing.
/** Thrown by run() when `maxWaiting` tasks already wait: the caller answers "busy". */
export class SemaphoreFull extends Error {
  constructor() {
    super('Too many tasks are waiting.');
  }
}

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param limit tasks at once
   * @param maxWaiting tasks that may wait beyond them (default: no bound); one more is refused
   *   with SemaphoreFull, so a burst cannot queue work its callers will have given up on
   */
  constructor(
    private readonly limit: number,
    private readonly maxWaiting = Number.POSITIVE_INFINITY
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('limit must be a positive integer');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxWaiting) throw new SemaphoreFull();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }

  /** Tasks running and waiting. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
