// Schemas of POST/GET /payments (PaymentsContract.json): the requests (validated by the route
// schemas, 400 otherwise) and the answers (their serializers and the OpenAPI document).
// Messages are written for the Apex developer reading the 400, and never quote the value sent (it
// could be card data).
import { z } from 'zod';
import { SALESFORCE_ID_PATTERN } from '../../../toolkit/src/salesforce-id.ts';
import { scrubText } from '../platform/index.ts';
import type { PaymentAnswer } from './canonical.ts';

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
  'idempotency-key': idempotencyKey.meta({
    description:
      'One key per payment: a retry with the same key and body gets the same answer and never charges again.'
  }),
  'x-sf-user-id': salesforceId('user')
    .optional()
    .meta({ description: 'The Salesforce user paying (Named Credential formula).' }),
  'x-sf-user-email': z
    .email({ error: 'must be an email address' })
    .max(254)
    .optional()
    .meta({ description: "That user's email." }),
  'x-sf-contact-id': salesforceId('contact')
    .optional()
    .meta({ description: 'Their Contact (portal users).' }),
  'x-sf-org-id': salesforceId('org').optional().meta({ description: 'The Salesforce org id.' })
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
        ? `has unknown field(s) ${issue.keys.map((k) => JSON.stringify(scrubText(k).slice(0, 40))).join(', ')}; only ${BODY_FIELDS} are accepted`
        : `must be a JSON object with ${BODY_FIELDS}`
  }
);

export const keyParams = z.object({
  key: idempotencyKey.meta({ description: 'The Idempotency-Key of the payment request.' })
});

export type ChargeBody = z.output<typeof chargeBody>;
export type ChargeHeaders = z.output<typeof chargeHeaders>;

const nullableText = (description: string) => z.string().nullable().meta({ description });

/**
 * The canonical answer (canonical.ts), in the contract's key order: the serializer writes the
 * keys in this order, so a replayed answer has the bytes of the first.
 */
export const paymentAnswer = z
  .object({
    idempotencyKey: z.string(),
    status: z.enum(['Authorised', 'Declined', 'Error', 'Unknown']).meta({
      description:
        'Authorised / Declined: the gateway answered (200). Unknown: no answer in time, being reconciled (202). Error: no payment taken (502).'
    }),
    transactionId: nullableText("The gateway's transaction id; null unless it answered."),
    cardBrand: nullableText('e.g. VISA; null unless the gateway answered.'),
    cardLast4: nullableText('Last four digits of the card; null unless the gateway answered.'),
    amountMinor: z.number().int().meta({ description: 'Amount in minor units (cents).' }),
    currency: z.string().meta({ description: 'ISO 4217 code, e.g. AUD.' }),
    reasonCode: nullableText("The gateway's response code, or this service's (GATEWAY_TIMEOUT)."),
    reasonText: nullableText('What the code means, for humans.')
  })
  .meta({ id: 'PaymentAnswer', description: 'The outcome of a payment request.' });

// The schema and the canonical type describe the same body.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const answerMatches: Same<z.output<typeof paymentAnswer>, PaymentAnswer> = true;
void answerMatches;
