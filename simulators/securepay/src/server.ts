/**
 * SecurePay payment gateway simulator (Card Payments API v2 shapes, amounts in cents), for
 * Scenario 2: card payments from the portal through the ESB.
 *
 * - `POST /oauth/token`: client credentials (HTTP Basic or form) -> Bearer access token (1 h).
 * - `POST /v2/tokens` (browser, CORS, `X-Merchant-Code`): card -> single-use `tok_<32 hex>`
 *   valid 15 min; Luhn, expiry and CVV checks, brand detection.
 * - `POST /v2/payments` (Bearer, `Idempotency-Key`): charges a token once; same key and body
 *   -> the same answer, another body -> 422. `GET /v2/payments/{orderId}` to reconcile.
 * - Test cards: 4111111111111111 VISA, 5555555555554444 MASTERCARD, 378282246310005 AMEX
 *   (approved `00`); 4000000000000002 `05` Do not honour; 4000000000009995 `51` Insufficient
 *   funds; 4000000000000069 `54` Expired card; 4000000000000119 paid but the answer is held
 *   for `timeoutHoldMs` (the client times out; GET finds it paid); 4000000000000127 the same,
 *   but GET finds it only after `processingWindowMs` (applied late). An injected 'timeout'
 *   failure on `/v2/payments` is never charged (GET: 404 `order_not_found`). Other Luhn-valid: approved.
 * - `/__sim/*` control API and `control`: reset, latency, failures (503, 500, 'timeout'),
 *   failures after charging (the charge is applied, the answer is a 500, 502 or 504),
 *   charges (never a card number), request counts. `/__sim/*` answers loopback clients only
 *   and, with `driverSecret`, only requests with `Authorization: Bearer <driverSecret>`.
 *
 * Card numbers and CVVs are never stored or logged: a token keeps brand, last 4 and expiry.
 *
 *   const sim = await startSecurePaySimulator({ port: 0 });
 *   // sim.url, sim.clientId, sim.clientSecret, sim.merchantCode, sim.control ...
 *   await sim.close();
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Faults } from '../../../toolkit/src/faults.ts';
import { validateDriverSecret } from '../../../toolkit/src/loopback.ts';
import { listeningUrl } from '../../../toolkit/src/listening-url.ts';
import { buildSecurePayApp } from './app.ts';
import type { SecurePayContext } from './context.ts';
import { createControl, type SecurePaySimulatorControl } from './control.ts';
import { AfterChargeFailures, GatewayStore, RequestCounter } from './store.ts';

export const DEFAULT_SECUREPAY_PORT = 8783;
export const DEFAULT_SECUREPAY_HOST = '127.0.0.1';
export const DEFAULT_SECUREPAY_CLIENT_ID = 'securepay-sim-client';
export const DEFAULT_SECUREPAY_CLIENT_SECRET = 'securepay-sim-secret';
export const DEFAULT_SECUREPAY_MERCHANT_CODE = '5AR0055';
/** How long the TIMEOUT card's answer and a 'timeout' failure are held. */
export const DEFAULT_SECUREPAY_TIMEOUT_HOLD_MS = 30_000;

export interface SecurePaySimulatorOptions {
  /** 0 picks a free port (tests); default 8783. */
  port?: number;
  host?: string;
  /** Latency added before every gateway answer (not the control API). */
  latencyMs?: number;
  timeoutHoldMs?: number;
  /**
   * How long after it arrived a TIMEOUT_LATE charge stays unknown to the lookup; the gateway's
   * processing window, after which its lookup is authoritative (default 60 s).
   */
  processingWindowMs?: number;
  clientId?: string;
  clientSecret?: string;
  merchantCode?: string;
  /**
   * Guard the HTTP control API (`/__sim/*`) with `Authorization: Bearer <driverSecret>`
   * (1-1024 visible ASCII characters). Set or not, it answers loopback clients only.
   */
  driverSecret?: string;
  /** fastify logger options; bodies are never logged, card fields always redacted. */
  logger?: FastifyServerOptions['logger'];
}

export interface RunningSecurePaySimulator {
  /** `http://127.0.0.1:8783`: SECUREPAY_BASE_URL. */
  url: string;
  clientId: string;
  clientSecret: string;
  merchantCode: string;
  /** The secret `/__sim/*` requires (`Authorization: Bearer <driverSecret>`), if any. */
  driverSecret: string | undefined;
  /** The control API in process (no secret needed). */
  control: SecurePaySimulatorControl;
  app: FastifyInstance;
  /** Releases held answers first, so it is quick. */
  close(): Promise<void>;
}

export async function startSecurePaySimulator(
  options: SecurePaySimulatorOptions = {}
): Promise<RunningSecurePaySimulator> {
  const host = options.host ?? DEFAULT_SECUREPAY_HOST;
  const driverSecret = validateDriverSecret(options.driverSecret);
  const ctx: SecurePayContext = {
    clientId: options.clientId ?? DEFAULT_SECUREPAY_CLIENT_ID,
    clientSecret: options.clientSecret ?? DEFAULT_SECUREPAY_CLIENT_SECRET,
    merchantCode: options.merchantCode ?? DEFAULT_SECUREPAY_MERCHANT_CODE,
    store: new GatewayStore(options.processingWindowMs),
    faults: new Faults(
      options.latencyMs ?? 0,
      1,
      options.timeoutHoldMs ?? DEFAULT_SECUREPAY_TIMEOUT_HOLD_MS
    ),
    requests: new RequestCounter(),
    afterCharge: new AfterChargeFailures()
  };
  const control = createControl(ctx);
  let requestStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((stop) => (requestStop = stop));
  const app = await buildSecurePayApp({
    ctx,
    control,
    logger: options.logger,
    ...(driverSecret !== undefined ? { driverSecret } : {})
  });
  await app.listen({ host, port: options.port ?? DEFAULT_SECUREPAY_PORT });
  const url = listeningUrl(app.server, host);

  // Held answers (TIMEOUT card, 'timeout' failures) and delays end first: closing never waits.
  const shutdown = (async () => {
    await stopRequested;
    ctx.faults.release();
    await app.close();
  })();
  return {
    url,
    clientId: ctx.clientId,
    clientSecret: ctx.clientSecret,
    merchantCode: ctx.merchantCode,
    driverSecret,
    control,
    app,
    close: () => {
      requestStop();
      return shutdown;
    }
  };
}
