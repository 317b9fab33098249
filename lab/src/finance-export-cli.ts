// `npm run finance:export`: see finance-export.ts. Ctrl+C (or SIGTERM) stops the run between
// pages; it keeps its checkpoints and the next invocation resumes it.
import { runMain } from '../../toolkit/src/cli/main.ts';
import { financeExportCommand } from './finance-export.ts';

const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => interrupt.abort(new Error(`${signal} received`)));
}
await runMain((argv) => financeExportCommand(argv, { signal: interrupt.signal }));
