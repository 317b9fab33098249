// `npm run media:migrate -- <manifest>`: see media-migrate.ts. Ctrl+C (or SIGTERM) stops the
// run between images; its progress is kept and the next invocation resumes it.
import { runMain } from '../../toolkit/src/cli/main.ts';
import { mediaMigrateCommand } from './media-migrate.ts';

const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => interrupt.abort(new Error(`${signal} received`)));
}
await runMain((argv) => mediaMigrateCommand(argv, { signal: interrupt.signal }));
