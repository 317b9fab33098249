// Buffers for originals, reused from one image to the next. Allocating a fresh 3 MB buffer per
// image made V8 collect garbage for its external memory every few images and the kernel fault
// in fresh pages each time: in the transfer's profile, garbage collection took more CPU than the
// hashing. A run holds one buffer per upload slot, grown to the largest original seen (at most
// the multipart threshold, above which originals stream and need none).

export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  /** A buffer of at least `size` bytes (its contents are stale: fill it before use). */
  take(size: number): Buffer {
    const index = this.free.findIndex((buffer) => buffer.length >= size);
    if (index >= 0) return this.free.splice(index, 1)[0]!;
    // Too small ones are dropped for a larger one, so the pool converges on the largest size.
    this.free.pop();
    return Buffer.allocUnsafeSlow(size);
  }

  /**
   * Gives a buffer back once nothing reads it any more (its PUT answered). A buffer whose request
   * was aborted is not given back: a socket may still be writing from it.
   */
  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}
