/**
 * `npm run service:finance`: the Finance export's nightly schedule (Scenario 5) as a process of
 * its own, against the org in SF_INSTANCE_URL and the database in DATABASE_URL (an embedded
 * PostgreSQL outside production). `npm run finance:export` runs one export on demand.
 */
import { runService } from '../platform/index.ts';
import { financeService } from './service.ts';

await runService(financeService);
