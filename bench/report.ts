/** One benchmark figure, printed as a JSON line on stdout (the format ARCHITECTURE.md fixes). */
export interface Figure {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  detail?: Record<string, unknown>;
}

export function report(figure: Figure): void {
  const value = Number.isInteger(figure.value) ? figure.value : Number(figure.value.toPrecision(4));
  process.stdout.write(`${JSON.stringify({ ...figure, value })}\n`);
}

/** Progress for humans, on stderr so stdout stays machine-readable. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Samples this process's resident set size until stopped; returns the peak in MB. */
export function trackPeakRss(intervalMs = 50): { stop: () => number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak / (1024 * 1024);
    }
  };
}
