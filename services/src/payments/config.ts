// Configuration of the payments service (Scenario 2): the SecurePay gateway connection and its
// timeout. Environment variables, validated by one zod schema; invalid input lists every bad
// variable in one error, and the client secret is never echoed.
import { z } from 'zod';
import { parseServiceEnv } from '../platform/env-config.ts';

/** Apex callout timeout of PaymentGatewayClient (Payment_Gateway_Setting__mdt.Timeout_Ms__c). */
export const APEX_CALLOUT_TIMEOUT_MS = 20_000;

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
const empty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const required = z.string({ error: 'is required' }).min(1, { error: 'is required' });

const schema = z.object({
  SECUREPAY_BASE_URL: z.preprocess(
    empty,
    z.url({ protocol: /^https?$/, error: 'is required: the http(s) URL of the SecurePay API' })
  ),
  SECUREPAY_CLIENT_ID: z.preprocess(empty, required),
  SECUREPAY_CLIENT_SECRET: z.preprocess(empty, required),
  SECUREPAY_MERCHANT_CODE: z.preprocess(
    empty,
    z
      .string({ error: 'is required' })
      .regex(/^[A-Za-z0-9]{1,20}$/, { error: 'must be 1-20 letters or digits, e.g. 5AR0055' })
  ),
  // Must answer before Apex gives up on the callout, or Salesforce never learns the outcome.
  PAYMENTS_GATEWAY_TIMEOUT_MS: z.preprocess(
    empty,
    int(100, APEX_CALLOUT_TIMEOUT_MS - 2_000).default(10_000)
  ),
  // How long a duplicate request waits for the first one of its key before answering 409.
  PAYMENTS_IN_PROGRESS_WAIT_MS: z.preprocess(
    empty,
    int(0, APEX_CALLOUT_TIMEOUT_MS - 1_000).optional()
  )
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
}

export function loadPaymentsConfig(
  env: Record<string, string | undefined> = process.env
): PaymentsConfig {
  const v = parseServiceEnv('payments', schema, env);
  const gatewayTimeoutMs = v.PAYMENTS_GATEWAY_TIMEOUT_MS;
  return {
    securePay: {
      baseUrl: v.SECUREPAY_BASE_URL.replace(/\/+$/, ''),
      clientId: v.SECUREPAY_CLIENT_ID,
      clientSecret: v.SECUREPAY_CLIENT_SECRET,
      merchantCode: v.SECUREPAY_MERCHANT_CODE
    },
    gatewayTimeoutMs,
    inProgressWaitMs:
      v.PAYMENTS_IN_PROGRESS_WAIT_MS ??
      Math.min(gatewayTimeoutMs + 2_000, APEX_CALLOUT_TIMEOUT_MS - 1_000)
  };
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
    inProgressWaitMs: config.inProgressWaitMs
  };
}
