/**
 * The embedded MQTT broker of the activity benchmark, in a process of its own (as a broker runs
 * beside, not inside, the workers): per-device authentication on, the ingest user from the
 * environment. Prints `{"url": ...}` once it listens; stops on SIGTERM.
 */
import { startEmbeddedBroker } from '../../services/src/activity/broker.ts';

const broker = await startEmbeddedBroker({
  port: 0,
  deviceKey: process.env.BENCH_DEVICE_KEY,
  ingest: {
    username: process.env.BENCH_INGEST_USERNAME ?? 'activity-ingest',
    password: process.env.BENCH_INGEST_PASSWORD ?? ''
  }
});
process.stdout.write(`${JSON.stringify({ url: broker.url })}\n`);
process.on('SIGTERM', () => {
  void broker.stop().then(() => process.exit(0));
});
