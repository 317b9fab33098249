// Progress of an export: a cli-progress bar (rows, rate, ETA) when stdout is a terminal, a plain
// line every few seconds otherwise (a cron mail, a container log), nothing for the scheduled runs
// of the service (its log has the run's summary).
import cliProgress from 'cli-progress';
import { eta, RateMeter, type ProgressOutput } from '../../../toolkit/src/cli/progress.ts';

export interface ExportProgress {
  /** Rows the run expects (the plan's counts, then the jobs' own) and rows already loaded. */
  start(state: { runId: number; expected: number; loaded: number }): void;
  /** A job counted `delta` rows more (or fewer) than planned. */
  expect(delta: number): void;
  advance(rows: number): void;
  stop(): void;
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');

/** The bar on a terminal, log lines elsewhere. */
export function createExportProgress(
  output: ProgressOutput = process.stdout,
  options: { intervalMs?: number } = {}
): ExportProgress {
  return output.isTTY ? barProgress(output) : lineProgress(output, options.intervalMs ?? 5_000);
}

function barProgress(output: ProgressOutput): ExportProgress {
  let bar: cliProgress.SingleBar | undefined;
  let total = 0;
  let loaded = 0;
  let rate = new RateMeter();
  const payload = () => ({
    rows: number(loaded),
    totalRows: number(total),
    rate: number(rate.perSecond()),
    left: eta((total - loaded) / rate.perSecond())
  });
  return {
    start(state) {
      total = Math.max(state.expected, state.loaded);
      loaded = state.loaded;
      rate = new RateMeter();
      bar = new cliProgress.SingleBar(
        {
          format: `run ${state.runId} [{bar}] {percentage}% | {rows}/{totalRows} rows | {rate} rows/s | ETA {left}`,
          stream: output as NodeJS.WritableStream,
          hideCursor: true,
          etaBuffer: 50
        },
        cliProgress.Presets.shades_classic
      );
      bar.start(total, loaded, payload());
    },
    expect(delta) {
      total = Math.max(loaded, total + delta);
      bar?.setTotal(total);
      bar?.update(loaded, payload());
    },
    advance(rows) {
      loaded += rows;
      rate.add(rows);
      if (loaded > total) {
        total = loaded;
        bar?.setTotal(total);
      }
      bar?.update(loaded, payload());
    },
    stop() {
      bar?.stop();
      bar = undefined;
    }
  };
}

function lineProgress(output: ProgressOutput, intervalMs: number): ExportProgress {
  let total = 0;
  let loaded = 0;
  let runId = 0;
  let rate = new RateMeter();
  let lastLine = 0;
  const line = () => {
    const perSecond = rate.perSecond();
    const percent = total > 0 ? Math.floor((loaded / total) * 100) : 100;
    output.write(
      `finance export run ${runId}: ${number(loaded)}/${number(total)} rows (${percent}%), ${number(perSecond)} rows/s, ETA ${eta((total - loaded) / perSecond)}\n`
    );
    lastLine = performance.now();
  };
  return {
    start(state) {
      runId = state.runId;
      total = Math.max(state.expected, state.loaded);
      loaded = state.loaded;
      rate = new RateMeter();
      line();
    },
    expect(delta) {
      total = Math.max(loaded, total + delta);
    },
    advance(rows) {
      loaded += rows;
      rate.add(rows);
      total = Math.max(total, loaded);
      if (performance.now() - lastLine >= intervalMs) line();
    },
    stop() {
      line();
    }
  };
}
