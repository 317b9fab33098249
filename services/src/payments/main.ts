/**
 * `npm run service:payments`: the payments service (Scenario 2) as a process of its own, the way
 * it runs in the ESB: `POST /payments` and `GET /payments/{key}` for Salesforce's Payments_ESB
 * Named Credential (bearer tokens in SERVICE_API_TOKENS), calling the SecurePay gateway
 * (SECUREPAY_*; `npm run sim:securepay` prints the values of the simulator). PostgreSQL from
 * DATABASE_URL, else an embedded server outside production. Any number of instances may share
 * one database: the idempotency table makes sure one key charges once. SIGINT/SIGTERM stop it
 * gracefully.
 */
import { runService } from '../platform/index.ts';
import { paymentsService } from './service.ts';

await runService(paymentsService);
