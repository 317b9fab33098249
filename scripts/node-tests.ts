/**
 * Runs every node:test suite of the repository (toolkit, gate, scripts, services, simulators,
 * lab) in one `node --test` process tree, so there is one summary. Node 20's test runner cannot
 * expand `**` globs itself. Extra arguments select suites by path fragment:
 * `npm run test:node -- simulators` runs only the simulators' tests,
 * `npm run test:node -- services/test/payments/contract` one file.
 *
 * Test files run in parallel (one process each): every test makes its own database, picks free
 * ports and temporary folders, so files share nothing but the machine. Most of their time is
 * spent waiting on sockets and PostgreSQL, so one more file than there are cores keeps both busy.
 * TEST_CONCURRENCY overrides it (1 = one file at a time, e.g. to read interleaved output).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../toolkit/src/project.ts';

const root = projectRoot();
const SUITE_DIRS = [
  'toolkit/test',
  'gate/test',
  'scripts/test',
  'services/test',
  'simulators',
  'lab/test'
];

function findTests(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = SUITE_DIRS.flatMap((d) => findTests(path.join(root, d)))
  .map((f) => path.relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((fragment) => f.includes(fragment)))
  .sort();
if (files.length === 0) {
  console.error(`No test files match ${filters.join(', ') || 'the suite folders'}`);
  process.exit(1);
}
const concurrency = Number(process.env.TEST_CONCURRENCY) || os.availableParallelism() + 1;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: 'inherit' }
);
process.exit(result.status ?? 1);
