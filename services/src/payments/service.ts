// The payments service (Scenario 2) on the platform: POST /payments and GET /payments/{key} for
// Salesforce's Payments_ESB Named Credential, calling the SecurePay gateway. Its one worker
// stores the outcomes of requests still settling at shutdown, then closes the gateway's sockets.
import { defineService } from '../platform/index.ts';
import { describePaymentsConfig, paymentsConfig } from './config.ts';
import { PaymentRequests } from './idempotency.ts';
import { paymentRoutes } from './routes.ts';
import { SecurePayClient } from './securepay-client.ts';

export const paymentsService = defineService({
  name: 'payments',
  config: paymentsConfig,
  start({ config, pool, logger, readiness }) {
    const gateway = new SecurePayClient({
      ...config.securePay,
      timeoutMs: config.gatewayTimeoutMs
    });
    const requests = new PaymentRequests({
      pool,
      gateway,
      logger,
      gatewayTimeoutMs: config.gatewayTimeoutMs,
      inProgressWaitMs: config.inProgressWaitMs,
      notChargedAfterMs: config.notChargedAfterMs
    });
    readiness.add('securepay', () => gateway.ping());
    logger.info({ config: describePaymentsConfig(config) }, 'payments configured');
    return {
      routes: async (app) => app.register(paymentRoutes, { payments: requests }),
      workers: [
        {
          name: 'pending payment outcomes',
          async stop() {
            await requests.drain();
            gateway.close();
          }
        }
      ]
    };
  }
});
