/**
 * `POST /v2/tokens` (and its CORS preflight): card tokenization, called by the browser with the
 * public `X-Merchant-Code` header, so the card number never reaches the merchant's servers.
 * Checks the number (digits, Luhn), the expiry (not past) and the CVV (3 digits, 4 for AMEX);
 * answers 201 with a single-use token valid 15 minutes. Only brand, last 4, expiry and the
 * test-card behaviour are kept.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { behaviourOf, cvvLength, detectBrand, expired, luhnValid } from '../cards.ts';
import type { RouteOptions } from '../context.ts';
import { badRequest, fromZod, unauthorized } from '../errors.ts';
import { TOKENS_PATH } from './gateway.ts';

/** A whole number given as a number or as a string of digits ("05"). */
const wholeNumber = (digits: number) =>
  z.union([
    z.number(),
    z
      .string()
      .regex(new RegExp(`^\\d{1,${digits}}$`), `must be a number`)
      .transform(Number)
  ]);

const tokenizeBody = z.object({
  cardNumber: z
    .string('must be a string of digits')
    .transform((value) => value.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{12,19}$/, 'must be 12 to 19 digits')),
  expiryMonth: wholeNumber(2).pipe(
    z.number().int().min(1, 'must be 1 to 12').max(12, 'must be 1 to 12')
  ),
  expiryYear: wholeNumber(4).pipe(
    z.number().int().min(2000, 'must be 4 digits').max(2099, 'must be 4 digits')
  ),
  cvv: z.string('must be a string of digits').regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
  cardholderName: z.string().max(100).optional()
});

const FIELD_CODES = {
  cardNumber: 'invalid_card_number',
  expiryMonth: 'invalid_expiry',
  expiryYear: 'invalid_expiry',
  cvv: 'invalid_cvv',
  cardholderName: 'invalid_cardholder_name'
};

export async function tokenRoutes(app: FastifyInstance, { ctx }: RouteOptions): Promise<void> {
  // Preflight: the CORS headers come from the gateway hook.
  app.options(TOKENS_PATH, async (_request, reply) => reply.code(204).send());

  app.post(TOKENS_PATH, async (request, reply) => {
    if (request.headers['x-merchant-code'] !== ctx.merchantCode) {
      throw unauthorized('Send your merchant code in the X-Merchant-Code header', 'MerchantCode');
    }
    const parsed = tokenizeBody.safeParse(request.body);
    if (!parsed.success) throw fromZod(parsed.error, FIELD_CODES);
    const { cardNumber, expiryMonth, expiryYear, cvv } = parsed.data;
    if (!luhnValid(cardNumber)) {
      throw badRequest('invalid_card_number', 'The card number is not valid', 'cardNumber');
    }
    const brand = detectBrand(cardNumber);
    if (cvv.length !== cvvLength(brand)) {
      throw badRequest(
        'invalid_cvv',
        `The CVV of a ${brand} card has ${cvvLength(brand)} digits`,
        'cvv'
      );
    }
    if (expired(expiryMonth, expiryYear, new Date())) {
      throw badRequest('card_expired', 'The card has expired', 'expiryYear');
    }
    const card = ctx.store.addCardToken({
      brand,
      last4: cardNumber.slice(-4),
      expiryMonth,
      expiryYear,
      behaviour: behaviourOf(cardNumber)
    });
    return reply.code(201).send({
      token: card.token,
      brand: card.brand,
      last4: card.last4,
      expiryMonth: card.expiryMonth,
      expiryYear: card.expiryYear,
      expiresAt: new Date(card.expiresAt).toISOString()
    });
  });
}
