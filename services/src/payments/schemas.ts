// Request schemas of POST/GET /payments (PaymentsContract.json). Messages are written for the
// Apex developer reading the 400, and never quote the value sent (it could be card data).
import { z } from 'zod';
import { SALESFORCE_ID_PATTERN } from '../../../toolkit/src/salesforce-id.ts';

export const IDEMPOTENCY_KEY_MESSAGE = "required: 8-100 characters, letters, digits, '-' and '_'";
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,100}$/;

export const idempotencyKey = z
  .string({ error: IDEMPOTENCY_KEY_MESSAGE })
  .regex(IDEMPOTENCY_KEY, { error: IDEMPOTENCY_KEY_MESSAGE });

const salesforceId = (what: string) =>
  z
    .string({ error: `must be a 15 or 18 character Salesforce ${what} id` })
    .regex(SALESFORCE_ID_PATTERN, { error: `must be a 15 or 18 character Salesforce ${what} id` });

const BODY_FIELDS = 'amountMinor, currency, paymentToken, reference, recordId';
const AMOUNT_MESSAGE = 'must be a whole number of cents greater than 0';

/** Headers: the key, and the optional user headers of the Named Credential (ids and email). */
export const chargeHeaders = z.looseObject({
  'idempotency-key': idempotencyKey,
  'x-sf-user-id': salesforceId('user').optional(),
  'x-sf-user-email': z.email({ error: 'must be an email address' }).max(254).optional(),
  'x-sf-contact-id': salesforceId('contact').optional(),
  'x-sf-org-id': salesforceId('org').optional()
});

/** The body: strict, so a field such as a card number is refused rather than carried along. */
export const chargeBody = z.strictObject(
  {
    amountMinor: z
      .number({ error: AMOUNT_MESSAGE })
      .int({ error: AMOUNT_MESSAGE })
      .min(1, { error: AMOUNT_MESSAGE })
      .max(99_999_999_999, { error: 'must be at most 99999999999 cents' }),
    currency: z
      .string({ error: 'must be an ISO 4217 code of 3 upper-case letters, e.g. AUD' })
      .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code of 3 upper-case letters, e.g. AUD' }),
    paymentToken: z
      .string({
        error: "must be the gateway's single-use token (8-128 letters, digits, '_' or '-')"
      })
      .regex(/^[A-Za-z0-9_-]{8,128}$/, {
        error: "must be the gateway's single-use token (8-128 letters, digits, '_' or '-')"
      }),
    reference: z
      .string({ error: 'must be a text of 1-50 characters' })
      .min(1, { error: 'must be a text of 1-50 characters' })
      .max(50, { error: 'must be a text of 1-50 characters' }),
    recordId: salesforceId('record')
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has unknown field(s) ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; only ${BODY_FIELDS} are accepted`
        : `must be a JSON object with ${BODY_FIELDS}`
  }
);

export const keyParams = z.object({ key: idempotencyKey });

export type ChargeBody = z.output<typeof chargeBody>;
export type ChargeHeaders = z.output<typeof chargeHeaders>;
