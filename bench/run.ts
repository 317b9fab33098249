/**
 * `npm run bench -- <scenario> [more...]` runs benchmarks from bench/<scenario>.ts. Each prints
 * one JSON object per line on stdout (`{"bench","metric","value","unit","detail"}`); figures
 * compared with a baseline report both and their ratio, measured in the same run, because these
 * machines are shared and noisy: baseline and subject interleaved over several rounds, the median
 * reported with the spread in `detail.spread` (bench/rounds.ts). Progress goes to stderr.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../toolkit/src/project.ts';

const benchDir = path.join(projectRoot(), 'bench');
// Helpers shared by the benchmarks, not benchmarks themselves.
const HELPERS = ['run.ts', 'report.ts', 'rounds.ts'];
const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !HELPERS.includes(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (requested.length === 0 || requested.includes('help')) {
  console.error(
    `Usage: npm run bench -- <name> [...]\nAvailable: ${available.join(', ') || '(none yet)'}`
  );
  process.exit(requested.length === 0 ? 2 : 0);
}
const unknown = requested.filter((r) => !available.includes(r));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${available.join(', ')}`);
  process.exit(2);
}
for (const name of requested) {
  const module = (await import(pathToFileURL(path.join(benchDir, `${name}.ts`)).href)) as {
    run: () => Promise<void>;
  };
  await module.run();
}
