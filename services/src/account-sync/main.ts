/**
 * `npm run service:account-sync`: the account-sync service (Scenario 1) as a process of its own,
 * the way it runs next to the ESB. Configuration comes from the environment only (see
 * docs/account-sync.md): Salesforce (SF_*), PostgreSQL (DATABASE_URL, else an embedded server
 * outside production) and SAP (SAP_*). Run as many instances as you like: leases keep one
 * subscriber and one batch processor active, the others stand by. SIGINT/SIGTERM stop it
 * gracefully; SIGKILL loses nothing either (inbox, replay id and retry queue are in PostgreSQL).
 */
import { runService } from '../platform/index.ts';
import { accountSyncService } from './service.ts';

await runService(accountSyncService);
