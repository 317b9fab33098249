// Pieces every command's progress display shares (the Finance export, the image migration): where
// it writes, how an ETA reads, and a rate over what this process did (a resumed run's earlier work
// excluded, so the rate and the ETA describe this run).

/** stdout, or a test's collector: a bar on a terminal (isTTY), plain lines otherwise. */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** `42 s`, `3 min 5 s`, `2 h 10 min`; `?` while unknown. */
export function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes} min ${Math.ceil(seconds % 60)} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Units per second since it was made. */
export class RateMeter {
  private readonly startedAt = performance.now();
  private counted = 0;

  add(units: number): void {
    this.counted += units;
  }

  perSecond(): number {
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? this.counted / seconds : 0;
  }
}
