/**
 * `npm run service:activity`: the activity service (Scenario 4) as a process of its own: the
 * ingest worker (MQTT_URL; unset outside production: an embedded aedes broker on a free port,
 * logged at start) writing readings and rollups to PostgreSQL (DATABASE_URL, else an embedded
 * server outside production), partition maintenance, and the device registry routes (bearer
 * tokens in SERVICE_API_TOKENS). SIGINT/SIGTERM stop it gracefully; a SIGKILL loses nothing
 * (unacknowledged QoS 1 messages are redelivered by the broker to the same client id).
 */
import { runService } from '../platform/index.ts';
import { activityService } from './service.ts';

await runService(activityService);
