// An ingest worker in a process of its own, for the kill test: it prints `writing` when its
// first batch reaches the statement and then hangs there, so the parent can SIGKILL it before
// anything commits. Configuration from the environment (CHILD_*).
import pg from 'pg';
import { IngestWorker } from '../../../src/activity/ingest-worker.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const pool = new pg.Pool({ connectionString: env('CHILD_DATABASE_URL'), max: 2 });
const worker = new IngestWorker({
  url: env('CHILD_MQTT_URL'),
  username: env('CHILD_MQTT_USERNAME'),
  password: env('CHILD_MQTT_PASSWORD'),
  clientId: env('CHILD_CLIENT_ID'),
  subscription: { mode: 'partitioned', index: 0, count: 1 },
  pool,
  limits: { maxBytes: 1024, lateWindowMs: 48 * 3_600_000 },
  batchSize: 1000,
  batchWaitMs: 300,
  beforeWrite: async () => {
    process.stdout.write('writing\n');
    await new Promise(() => undefined);
  }
});
await worker.start();
process.stdout.write('subscribed\n');
