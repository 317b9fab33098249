// Progress of a migration run: a cli-progress bar (images, MB/s, images/s, ETA) when stdout is a
// terminal, a plain line every few seconds otherwise (a CI log, nohup), nothing in tests that
// pass no output.
import cliProgress from 'cli-progress';
import { eta, RateMeter, type ProgressOutput } from '../../../../toolkit/src/cli/progress.ts';

export interface MigrationProgress {
  /** Images the manifest names and how many of them were done before this run. */
  start(total: number, done: number): void;
  /** One image uploaded (or refused for good) by this run; `bytes` read for it. */
  image(bytes: number): void;
  /** A phase note (recording, retry pass) shown after the counts. */
  note(text: string): void;
  stop(): void;
}

const MB = 1_000_000;

/** Images and bytes per second over what this process did. */
class Rates {
  readonly images = new RateMeter();
  readonly bytes = new RateMeter();
  add(bytes: number): void {
    this.images.add(1);
    this.bytes.add(bytes);
  }
  imagesPerSecond(): number {
    return this.images.perSecond();
  }
  megabytesPerSecond(): number {
    return this.bytes.perSecond() / MB;
  }
}

export const silentProgress: MigrationProgress = {
  start: () => undefined,
  image: () => undefined,
  note: () => undefined,
  stop: () => undefined
};

export function createMigrationProgress(
  output: ProgressOutput,
  options: { intervalMs?: number } = {}
): MigrationProgress {
  return output.isTTY ? barProgress(output) : lineProgress(output, options.intervalMs ?? 5_000);
}

function barProgress(output: ProgressOutput): MigrationProgress {
  let bar: cliProgress.SingleBar | undefined;
  let total = 0;
  let done = 0;
  let phase = '';
  let rates = new Rates();
  const payload = () => ({
    mbps: rates.megabytesPerSecond().toFixed(1),
    ips: rates.imagesPerSecond().toFixed(1),
    left: eta((total - done) / rates.imagesPerSecond()),
    phase
  });
  return {
    start(count, already) {
      total = count;
      done = already;
      rates = new Rates();
      bar = new cliProgress.SingleBar(
        {
          format:
            'images [{bar}] {percentage}% | {value}/{total} | {mbps} MB/s | {ips} images/s | ETA {left} {phase}',
          stream: output as NodeJS.WritableStream,
          hideCursor: true
        },
        cliProgress.Presets.shades_classic
      );
      bar.start(total, done, payload());
    },
    image(bytes) {
      done = Math.min(total, done + 1);
      rates.add(bytes);
      bar?.update(done, payload());
    },
    note(text) {
      phase = text;
      bar?.update(done, payload());
    },
    stop() {
      bar?.stop();
      bar = undefined;
    }
  };
}

function lineProgress(output: ProgressOutput, intervalMs: number): MigrationProgress {
  let total = 0;
  let done = 0;
  let rates = new Rates();
  let last = 0;
  const line = (suffix = '') => {
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    output.write(
      `media migrate: ${done}/${total} images (${percent}%), ${rates.megabytesPerSecond().toFixed(1)} MB/s, ${rates.imagesPerSecond().toFixed(1)} images/s, ETA ${eta((total - done) / rates.imagesPerSecond())}${suffix}\n`
    );
    last = performance.now();
  };
  return {
    start(count, already) {
      total = count;
      done = already;
      rates = new Rates();
      line();
    },
    image(bytes) {
      done = Math.min(total, done + 1);
      rates.add(bytes);
      if (performance.now() - last >= intervalMs) line();
    },
    note(text) {
      if (text) output.write(`media migrate: ${text}\n`);
    },
    stop() {
      line();
    }
  };
}
