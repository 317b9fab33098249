/**
 * The Activity API of the activity benchmark, in a process of its own: the platform's HTTP server
 * (bearer auth, validation, error shape, request logging at LOG_LEVEL into BENCH_LOG_FILE) with
 * the REST and OData plugins the activity service registers, on DATABASE_URL. Prints
 * `{"url": ...}` once it listens; stops on SIGTERM.
 */
import pg from 'pg';
import pino from 'pino';
import { activityApiRoutes } from '../../services/src/activity/api-routes.ts';
import { odataRoutes } from '../../services/src/activity/odata/routes.ts';
import { createHttpServer, createLogger } from '../../services/src/platform/index.ts';

const token = process.env.BENCH_API_TOKEN ?? '';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const server = await createHttpServer({
  config: { host: '127.0.0.1', port: 0, apiTokens: [token] },
  logger: createLogger({
    level: (process.env.LOG_LEVEL ?? 'info') as 'info',
    // Into a file, as in production (a pipe read by the busy bench process would stall it).
    destination: pino.destination({ dest: process.env.BENCH_LOG_FILE ?? '/dev/null', sync: false })
  }),
  collectDefaultMetrics: false
});
await server.app.register(activityApiRoutes, { pool, tokens: [token] });
await server.app.register(odataRoutes, { pool, tokens: [token] });
const url = await server.listen();
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.on('SIGTERM', () => {
  void server
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
