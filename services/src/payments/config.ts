// Configuration of the payments service (Scenario 2): the SecurePay gateway connection and its
// timeout, in the toolkit's configuration style (docs/payments.md shows this table; a test keeps
// them equal). The client secret is never echoed.
import {
  defineConfig,
  httpUrl,
  integer,
  optional,
  required,
  text,
  withDefault
} from '../../../toolkit/src/env.ts';

/** Apex callout timeout of PaymentGatewayClient (Integration_Setting.Payments Timeout_Ms__c). */
export const APEX_CALLOUT_TIMEOUT_MS = 20_000;

/**
 * The shortest grace period accepted when NODE_ENV=production: five times SecurePay's 60 s
 * processing window (the simulator's default; confirm the real one with SecurePay). A grace
 * period inside that window would settle a charge the gateway applied late as "not charged":
 * the invoice reopens and the payer pays twice. Labs and tests may go lower (to the gateway
 * timeout + 5 s) to run the grace period in seconds.
 */
export const PRODUCTION_MIN_NOT_CHARGED_AFTER_MS = 5 * 60_000;

export const paymentsConfig = defineConfig({
  name: 'payments',
  subject: 'payments',
  docs: 'docs/payments.md',
  variables: {
    SECUREPAY_BASE_URL: required(
      httpUrl({ https: 'production', example: 'https://payments.auspost.net.au' }),
      { description: 'SecurePay API base URL.' }
    ),
    SECUREPAY_CLIENT_ID: required(text(), {
      description: 'OAuth 2.0 client id of the merchant.'
    }),
    SECUREPAY_CLIENT_SECRET: required(text(), {
      secret: true,
      description: 'Its client secret.'
    }),
    SECUREPAY_MERCHANT_CODE: required(
      text({
        pattern: /^[A-Za-z0-9]{1,20}$/,
        patternMessage: 'must be 1-20 letters or digits, e.g. 5AR0055',
        label: 'merchant code'
      }),
      { description: 'Merchant code, e.g. `5AR0055`.' }
    ),
    // Must answer before Apex gives up on the callout, or Salesforce never learns the outcome.
    PAYMENTS_GATEWAY_TIMEOUT_MS: withDefault(
      integer(100, APEX_CALLOUT_TIMEOUT_MS - 2_000),
      '10000',
      {
        description: `Gateway timeout; stays below the Apex callout timeout (${APEX_CALLOUT_TIMEOUT_MS / 1000} s) so Salesforce always gets an answer.`
      }
    ),
    // SecurePay's lookup is authoritative once its processing window has passed; this must be
    // longer, or a charge the gateway applied late would be settled "not charged".
    PAYMENTS_NOT_CHARGED_AFTER_MS: withDefault(integer(1_000, 7 * 24 * 3_600_000), '900000', {
      description:
        "Grace period of an Unknown payment: once this old, a payment SecurePay's lookup still does not know is final `Error` `GATEWAY_NOT_CHARGED` (no money taken). Must exceed SecurePay's processing window (60 s): at least 300000 (5 min) when `NODE_ENV=production`, else refused at startup; outside production never less than the gateway timeout + 5 s."
    }),
    PAYMENTS_IN_PROGRESS_WAIT_MS: optional(integer(0, APEX_CALLOUT_TIMEOUT_MS - 1_000), {
      shownDefault: 'gateway timeout + 2000',
      description:
        'How long a duplicate request waits for the first request of its key before answering 409.'
    })
  },
  rules(v, context) {
    const grace = v.PAYMENTS_NOT_CHARGED_AFTER_MS;
    if (!context.production || grace === undefined) return [];
    if (grace >= PRODUCTION_MIN_NOT_CHARGED_AFTER_MS) return [];
    return [
      {
        variable: 'PAYMENTS_NOT_CHARGED_AFTER_MS',
        message: `must be at least ${PRODUCTION_MIN_NOT_CHARGED_AFTER_MS} (5 min) when NODE_ENV=production (got ${grace}): SecurePay's lookup is authoritative only after its processing window (60 s), and a shorter grace period would record a charge the gateway applied late as not charged`
      }
    ];
  },
  build: (v): PaymentsConfig => ({
    securePay: {
      baseUrl: v.SECUREPAY_BASE_URL,
      clientId: v.SECUREPAY_CLIENT_ID,
      clientSecret: v.SECUREPAY_CLIENT_SECRET,
      merchantCode: v.SECUREPAY_MERCHANT_CODE
    },
    gatewayTimeoutMs: v.PAYMENTS_GATEWAY_TIMEOUT_MS,
    // A Pending row counts as stale only after the gateway timeout + 5 s (idempotency.ts): the
    // grace period never ends before a charge in flight could have answered.
    notChargedAfterMs: Math.max(
      v.PAYMENTS_NOT_CHARGED_AFTER_MS,
      v.PAYMENTS_GATEWAY_TIMEOUT_MS + 5_000
    ),
    inProgressWaitMs:
      v.PAYMENTS_IN_PROGRESS_WAIT_MS ??
      Math.min(v.PAYMENTS_GATEWAY_TIMEOUT_MS + 2_000, APEX_CALLOUT_TIMEOUT_MS - 1_000)
  })
});

export interface PaymentsConfig {
  securePay: {
    baseUrl: string;
    clientId: string;
    clientSecret: string;
    merchantCode: string;
  };
  /** Time box of one gateway call; below the Apex callout timeout. */
  gatewayTimeoutMs: number;
  /** A duplicate of a request still in progress waits this long, then gets 409. */
  inProgressWaitMs: number;
  /** An Unknown payment the gateway does not know is final Error once this old. */
  notChargedAfterMs: number;
}

export function loadPaymentsConfig(
  env: Record<string, string | undefined> = process.env
): PaymentsConfig {
  return paymentsConfig.load(env);
}

/** The configuration without the secret, safe to log. */
export function describePaymentsConfig(config: PaymentsConfig): Record<string, unknown> {
  return {
    securePay: {
      baseUrl: config.securePay.baseUrl,
      clientId: config.securePay.clientId,
      merchantCode: config.securePay.merchantCode
    },
    gatewayTimeoutMs: config.gatewayTimeoutMs,
    inProgressWaitMs: config.inProgressWaitMs,
    notChargedAfterMs: config.notChargedAfterMs
  };
}
