/**
 * Bulk API 2.0 query reading: the platform's streaming reader against jsforce 3.10.16's
 * `bulk2.query`, both reading the org emulator in their own process (reader and emulator
 * together, as the acceptance asks). jsforce is measured at 100,000 rows, where it still
 * works (one result page); at a million rows it buffers every page and stalls, so the million
 * is measured for the reader alone, against the 200 MB goal.
 *
 * Every worker runs with a 128 MB old-space cap: the reader's memory is bounded by design,
 * and without a cap V8 lets garbage accumulate before collecting, which RSS would show as
 * use. The figure with V8's default heap sizing is reported too.
 *
 * The two ratios against jsforce come from BENCH_BULK_ROUNDS (default 3) rounds in ABBA order
 * (bench/rounds.ts): each round measures both, the figure is the median of the rounds' ratios
 * and `detail.spread` their spread. The million-row figures are one run each (no baseline).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../toolkit/src/project.ts';
import { progress, report } from './report.ts';
import { alternateRounds, envInt, machineLoad, median, reportMedian, sig } from './rounds.ts';

const ROUNDS = envInt('BENCH_BULK_ROUNDS', 3);

interface WorkerResult {
  mode: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  baselineRssMb: number;
  peakRssMb: number;
}

const HEAP_FLAG = '--max-old-space-size=128';

function measure(mode: 'reader' | 'jsforce', rows: number, flags: string[]): WorkerResult {
  progress(`salesforce-bulk: ${mode} reading ${rows.toLocaleString()} rows ${flags.join(' ')}`);
  const root = projectRoot();
  const run = spawnSync(
    process.execPath,
    [
      ...flags,
      '--import',
      'tsx',
      path.join(root, 'bench/workers/bulk-query.ts'),
      mode,
      String(rows)
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 }
  );
  if (run.status !== 0) throw new Error(`${mode} worker failed:\n${run.stderr}`);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as WorkerResult;
}

export async function run(): Promise<void> {
  const machine = machineLoad();
  const rounds = await alternateRounds({
    rounds: ROUNDS,
    baseline: async () => measure('jsforce', 100_000, [HEAP_FLAG]),
    subject: async () => measure('reader', 100_000, [HEAP_FLAG]),
    onRound: (r) =>
      progress(
        `  round ${r.round + 1}/${ROUNDS}: reader ${r.subject.rowsPerSecond.toFixed(0)} rows/s ` +
          `${r.subject.peakRssMb.toFixed(0)} MB, jsforce ${r.baseline.rowsPerSecond.toFixed(0)} ` +
          `rows/s ${r.baseline.peakRssMb.toFixed(0)} MB`
      )
  });
  const reader1m = measure('reader', 1_000_000, [HEAP_FLAG]);
  const reader1mDefaultHeap = measure('reader', 1_000_000, []);

  const readers = rounds.map((r) => r.subject);
  const baselines = rounds.map((r) => r.baseline);
  const medianOf = (values: number[]) => sig(median(values));
  reportMedian(
    { bench: 'salesforce-bulk', metric: 'throughput_ratio_vs_jsforce', unit: 'x' },
    rounds.map((r) => r.subject.rowsPerSecond / r.baseline.rowsPerSecond),
    {
      rows: 100_000,
      readerRowsPerSecond: medianOf(readers.map((r) => r.rowsPerSecond)),
      jsforceRowsPerSecond: medianOf(baselines.map((r) => r.rowsPerSecond)),
      machine: machine()
    }
  );
  reportMedian(
    { bench: 'salesforce-bulk', metric: 'peak_rss_ratio_vs_jsforce', unit: 'x' },
    rounds.map((r) => r.subject.peakRssMb / r.baseline.peakRssMb),
    {
      rows: 100_000,
      readerMb: medianOf(readers.map((r) => r.peakRssMb)),
      jsforceMb: medianOf(baselines.map((r) => r.peakRssMb))
    }
  );
  report({
    bench: 'salesforce-bulk',
    metric: 'million_rows_peak_rss_mb',
    value: reader1m.peakRssMb,
    unit: 'MB',
    detail: {
      goal: '< 200 MB for reader and emulator together',
      heapFlag: HEAP_FLAG,
      withDefaultHeapMb: reader1mDefaultHeap.peakRssMb,
      baselineRssMb: reader1m.baselineRssMb
    }
  });
  report({
    bench: 'salesforce-bulk',
    metric: 'million_rows_per_s',
    value: reader1m.rowsPerSecond,
    unit: 'rows/s',
    detail: { rows: reader1m.rows, seconds: reader1m.seconds }
  });
}
