// Schemas of POST/GET /payments (PaymentsContract.json): the requests (validated by the route
// schemas, 400 otherwise) and the answers (their serializers and the OpenAPI document).
// Messages are written for the Apex developer reading the 400, and never quote the value sent (it
// could be card data).
import { z } from 'zod';
import { SALESFORCE_ID_PATTERN } from '../../../toolkit/src/salesforce-id.ts';
import { holdsLuhnStretch } from '../platform/index.ts';
import type { PaymentAnswer } from './canonical.ts';
import { ISO_4217_CURRENCIES } from './currencies.ts';

export const IDEMPOTENCY_KEY_MESSAGE = "required: 8-100 characters, letters, digits, '-' and '_'";
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,100}$/;
const PAN_LIKE_KEY_MESSAGE =
  'must not contain a card number (13-19 digits passing the Luhn check, separators ignored)';

// What Apex sends: 'pay-' and a UUID (lower- or upper-case hex in groups of 8-4-4-4-12).
const UUID_KEY =
  /^(?:[A-Za-z]{1,10}[-_])?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Whether an idempotency key holds what looks like a card number: with '-' and '_' removed, a
 * run of 13-19 digits passing the Luhn check, letters around it or not (`pay4111111111111111`).
 * Such a key would be stored, logged and sent to the gateway: refused. Keys shaped as a UUID
 * (Apex's 'pay-' + UUID) are looked at group by group instead: their groups hold at most 12
 * digits, and joining the groups would refuse about 1 random UUID in 500 (measured).
 */
export function isPanLikeKey(key: string): boolean {
  const parts = UUID_KEY.test(key) ? key.split(/[-_]/) : [key.replace(/[-_]/g, '')];
  return parts.some(holdsLuhnStretch);
}

/**
 * OpenAPI extension on the key's schema: the rule of isPanLikeKey, which JSON Schema cannot
 * express (the document says it, and the robustness fuzzer applies it).
 */
export const CARD_NUMBER_FREE = 'x-card-number-free';

export const idempotencyKey = z
  .string({ error: IDEMPOTENCY_KEY_MESSAGE })
  .regex(IDEMPOTENCY_KEY, { error: IDEMPOTENCY_KEY_MESSAGE })
  .refine((key) => !isPanLikeKey(key), { error: PAN_LIKE_KEY_MESSAGE });
const KEY_META = { [CARD_NUMBER_FREE]: true } as const;

const salesforceId = (what: string) =>
  z
    .string({ error: `must be a 15 or 18 character Salesforce ${what} id` })
    .regex(SALESFORCE_ID_PATTERN, { error: `must be a 15 or 18 character Salesforce ${what} id` });

/**
 * An X-SF-* id header: exactly a Salesforce id of that object's key prefix, 15 or 18 letters and
 * digits. The message names the rule, never the value.
 */
const headerId = (what: string, prefix: string) => {
  const message = `must be a Salesforce ${what} id (15 or 18 letters and digits, starting ${prefix})`;
  return z
    .string({ error: message })
    .regex(new RegExp(`^${prefix}[A-Za-z0-9]{${15 - prefix.length}}(?:[A-Za-z0-9]{3})?$`), {
      error: message
    });
};

// A deliberately plain e-mail address: what Salesforce allows for a user's email, without the
// quoted local parts, comments and braces RFC 5322 permits (none of which a correlation header
// needs, and all of which could carry something else). At most 254 characters, labels of at most 63.
const EMAIL =
  /^[A-Za-z0-9._%+'-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,63}$/;
const EMAIL_MESSAGE =
  "must be a plain email address (letters, digits and . _ % + ' - before the @, a domain name after it; at most 254 characters)";

/**
 * SecurePay's card token as the browser gets it from `POST /v2/tokens` (the simulator's
 * CARD_TOKEN_PATTERN): "tokenize first" enforced here, so a raw card number sent as the token is
 * refused with 400 instead of being forwarded to the gateway. The message never quotes it.
 */
export const PAYMENT_TOKEN = /^tok_[0-9a-f]{32}$/;
const PAYMENT_TOKEN_MESSAGE =
  "must be the gateway's single-use card token (tok_ and 32 lower-case hex digits), never card data";

/**
 * The largest amount SecurePay takes (its API refuses more with 400 `invalid_amount`); the
 * simulator's MAX_AMOUNT_CENTS, which services/test/payments/trust.test.ts holds equal. Checked
 * here so that the caller gets a 400 naming the field instead of the gateway's refusal as a 502.
 */
export const GATEWAY_MAX_AMOUNT_MINOR = 10_000_000_000;

const BODY_FIELDS = 'amountMinor, currency, paymentToken, reference, recordId';
// "cents": the contract's wording (PaymentsContract.json); for a currency without cents it is
// the currency's minor unit (currencies.ts).
const AMOUNT_MESSAGE = 'must be a whole number of cents greater than 0';
/** What `amountMinor` is, in the OpenAPI document of both the request and the answer. */
export const AMOUNT_MINOR_DESCRIPTION =
  "Amount in the currency's minor unit, by its ISO 4217 exponent, already converted by the caller: cents for AUD (125.50 AUD is 12550), yen for JPY (exponent 0: 10000 JPY is 10000), fils for BHD (exponent 3: 1.234 BHD is 1234). The service applies no exponent and sends it to the gateway unchanged.";
const CURRENCY_MESSAGE = 'must be an ISO 4217 currency code in use, e.g. AUD';

/** Headers: the key, and the optional user headers of the Named Credential (ids and email). */
export const chargeHeaders = z.looseObject({
  'idempotency-key': idempotencyKey.meta({
    ...KEY_META,
    description:
      'One key per payment: a retry with the same key and body gets the same answer and never charges again. Must not hold a card number (13-19 digits passing the Luhn check, `-` and `_` ignored; UUID-shaped keys group by group).'
  }),
  'x-sf-user-id': headerId('user', '005')
    .optional()
    .meta({ description: 'The Salesforce user paying (`005`, 15 or 18 characters).' }),
  'x-sf-user-email': z
    .string({ error: EMAIL_MESSAGE })
    .max(254, { error: EMAIL_MESSAGE })
    .regex(EMAIL, { error: EMAIL_MESSAGE })
    .optional()
    .meta({ description: "That user's email (a plain address, at most 254 characters)." }),
  'x-sf-contact-id': headerId('contact', '003')
    .optional()
    .meta({ description: 'Their Contact (portal users; `003`).' }),
  'x-sf-org-id': headerId('org', '00D')
    .optional()
    .meta({ description: 'The Salesforce org id (`00D`).' })
});

/** The body: strict, so a field such as a card number is refused rather than carried along. */
export const chargeBody = z.strictObject(
  {
    amountMinor: z
      .number({ error: AMOUNT_MESSAGE })
      .int({ error: AMOUNT_MESSAGE })
      .min(1, { error: AMOUNT_MESSAGE })
      .max(GATEWAY_MAX_AMOUNT_MINOR, {
        error: `must be at most ${GATEWAY_MAX_AMOUNT_MINOR} (the gateway's limit)`
      })
      .meta({ description: AMOUNT_MINOR_DESCRIPTION }),
    currency: z.enum([...ISO_4217_CURRENCIES].sort() as [string, ...string[]], {
      error: CURRENCY_MESSAGE
    }),
    paymentToken: z
      .string({ error: PAYMENT_TOKEN_MESSAGE })
      .regex(PAYMENT_TOKEN, { error: PAYMENT_TOKEN_MESSAGE })
      .refine((token) => !isPanLikeKey(token), { error: PAYMENT_TOKEN_MESSAGE })
      .meta({
        [CARD_NUMBER_FREE]: true,
        description:
          "The gateway's single-use card token from the browser's tokenization: `tok_` and 32 lower-case hex digits, never 13 digits in a row. A card number, in any form, is refused (400) and never sent to the gateway or logged."
      }),
    reference: z
      .string({ error: 'must be a text of 1-50 characters' })
      .min(1, { error: 'must be a text of 1-50 characters' })
      .max(50, { error: 'must be a text of 1-50 characters' }),
    recordId: salesforceId('record')
  },
  {
    // Unknown fields are not named: a name is whatever the caller sent (a card number, a merge
    // field), and the caller's own log (Integration_Log__c) would keep it.
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has ${issue.keys.length} unknown field(s); only ${BODY_FIELDS} are accepted`
        : `must be a JSON object with ${BODY_FIELDS}`
  }
);

export const keyParams = z.object({
  key: idempotencyKey.meta({
    ...KEY_META,
    description: 'The Idempotency-Key of the payment request.'
  })
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
    amountMinor: z.number().int().meta({ description: AMOUNT_MINOR_DESCRIPTION }),
    currency: z.string().meta({ description: 'ISO 4217 code, e.g. AUD.' }),
    reasonCode: nullableText("The gateway's response code, or this service's (GATEWAY_TIMEOUT)."),
    reasonText: nullableText('What the code means, for humans.')
  })
  .meta({ id: 'PaymentAnswer', description: 'The outcome of a payment request.' });

// The schema and the canonical type describe the same body.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const answerMatches: Same<z.output<typeof paymentAnswer>, PaymentAnswer> = true;
void answerMatches;
