/**
 * `npm run service:background-check`: the background-check service (Scenario 3) as a process of
 * its own: `POST /background-checks` for Salesforce's Background_Check_ESB Named Credential
 * (bearer tokens in SERVICE_API_TOKENS) and `POST /backcheck/callbacks` for BackCheck
 * (BACKCHECK_*; `npm run sim:backcheck` prints the values of the simulator), writing results to
 * Salesforce as the integration user (SF_*). PostgreSQL from DATABASE_URL, else an embedded
 * server outside production. SIGINT/SIGTERM stop it gracefully; a SIGKILL loses nothing (the
 * log table and the job queue are in PostgreSQL).
 */
import { runService } from '../platform/index.ts';
import { backgroundCheckService } from './service.ts';

await runService(backgroundCheckService);
