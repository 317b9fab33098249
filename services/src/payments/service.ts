// The payments service on the platform. Fastify cannot add routes once it listens, and the
// platform's pool exists only inside startPlatform, so registration has two steps:
//
//   const payments = createPaymentsService(config);
//   const platform = await startPlatform(platformConfig, { routes: payments.routes });
//   payments.attach(platform);   // pool, logger, readiness probe, shutdown step
//
// Requests arriving between the two (the server just started) answer 503.
import type { FastifyInstance } from 'fastify';
import { HttpError, SHUTDOWN_ORDER } from '../platform/index.ts';
import type { Platform } from '../platform/index.ts';
import { describePaymentsConfig } from './config.ts';
import type { PaymentsConfig } from './config.ts';
import { PaymentRequests } from './idempotency.ts';
import { paymentRoutes } from './routes.ts';
import { SecurePayClient } from './securepay-client.ts';

export interface PaymentsService {
  /** Give to startPlatform({ routes }) (or call with the app before it listens). */
  routes(app: FastifyInstance): Promise<void>;
  /** Connects the routes to the platform's database and logger; registers probes and shutdown. */
  attach(platform: Platform): void;
  readonly gateway: SecurePayClient;
  /** Set once attached. */
  readonly requests: PaymentRequests | undefined;
}

export function createPaymentsService(config: PaymentsConfig): PaymentsService {
  const gateway = new SecurePayClient({ ...config.securePay, timeoutMs: config.gatewayTimeoutMs });
  let requests: PaymentRequests | undefined;

  // Delegates to the PaymentRequests created by attach().
  const lazy = {
    charge: (...args: Parameters<PaymentRequests['charge']>) => ready().charge(...args),
    get: (...args: Parameters<PaymentRequests['get']>) => ready().get(...args)
  } as unknown as PaymentRequests;
  const ready = (): PaymentRequests => {
    if (!requests)
      throw new HttpError(503, 'service_unavailable', 'The payments service is starting.');
    return requests;
  };

  return {
    gateway,
    get requests() {
      return requests;
    },
    async routes(app) {
      await app.register(paymentRoutes, { payments: lazy });
    },
    attach(platform) {
      const logger = platform.logger.child({ component: 'payments' });
      requests = new PaymentRequests({
        pool: platform.database.pool,
        gateway,
        logger,
        gatewayTimeoutMs: config.gatewayTimeoutMs,
        inProgressWaitMs: config.inProgressWaitMs
      });
      platform.http?.readiness.add('securepay', () => gateway.ping());
      const stored = requests;
      platform.shutdown.add(
        'store pending payment outcomes, close SecurePay connections',
        async () => {
          await stored.drain();
          gateway.close();
        },
        { order: SHUTDOWN_ORDER.services }
      );
      logger.info({ config: describePaymentsConfig(config) }, 'payments attached');
    }
  };
}
