/**
 * `npm run service:payments`: the payments service (Scenario 2) as a process of its own, the way
 * it runs in the ESB: `POST /payments` and `GET /payments/{key}` for Salesforce's Payments_ESB
 * Named Credential (bearer tokens in SERVICE_API_TOKENS), calling the SecurePay gateway
 * (SECUREPAY_*; `npm run sim:securepay` prints the values of the simulator). PostgreSQL from
 * DATABASE_URL, else an embedded server. Any number of instances may share one database: the
 * idempotency table makes sure one key charges once. SIGINT/SIGTERM stop it gracefully.
 */
import { loadOrExit } from '../platform/env-config.ts';
import { loadConfigOrExit, startPlatform } from '../platform/index.ts';
import { loadPaymentsConfig } from './config.ts';
import { createPaymentsService } from './service.ts';

const platformConfig = loadConfigOrExit(process.env);
const config = loadOrExit(() => loadPaymentsConfig(process.env));
try {
  const payments = createPaymentsService(config);
  const platform = await startPlatform(platformConfig, {
    service: 'payments',
    queue: false,
    routes: payments.routes,
    handleSignals: true
  });
  payments.attach(platform);
  platform.logger.info({ securePay: config.securePay.baseUrl }, 'payments running');
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`payments could not start: ${message}\n`);
  process.exit(1);
}
