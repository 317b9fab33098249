/**
 * `POST /v2/payments` and `GET /v2/payments/{orderId}` (Bearer access token). A payment needs
 * an `Idempotency-Key`: the same key with the same body answers the first result again
 * without a second charge, with another body 422 `idempotency_conflict`. A token charges
 * once (`token_already_used`); unknown or expired tokens are `invalid_token`. The TIMEOUT
 * test card is charged (paid) but its first answer is held for timeoutHoldMs. An unknown order
 * answers 404 `order_not_found` (an unknown route: 404 `not_found`).
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteOptions } from '../context.ts';
import { badRequest, fromZod, item, SecurePayError } from '../errors.ts';
import { holdAnswer, requireBearer } from './gateway.ts';

const ORDER_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The largest amount the gateway takes, in minor units (an ESB must refuse more itself). */
export const MAX_AMOUNT_CENTS = 10_000_000_000;

const paymentBody = z.object({
  merchantCode: z.string('must be a string').min(1).max(32),
  token: z.string('must be a string').min(1).max(64),
  amount: z
    .number('must be a whole number of cents')
    .int('must be a whole number of cents')
    .min(1, 'must be at least 1 cent')
    .max(MAX_AMOUNT_CENTS, 'is too large'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as AUD')
    .default('AUD'),
  orderId: z.string('must be a string').regex(ORDER_ID, 'must be 1 to 64 of A-Z a-z 0-9 . _ : -'),
  ip: z
    .string()
    .refine((value) => isIP(value) !== 0, 'must be an IPv4 or IPv6 address')
    .optional()
});

const FIELD_CODES = {
  merchantCode: 'invalid_merchant_code',
  token: 'invalid_token',
  amount: 'invalid_amount',
  currency: 'invalid_currency',
  orderId: 'invalid_order_id',
  ip: 'invalid_ip'
};

const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters');

export async function paymentRoutes(app: FastifyInstance, { ctx }: RouteOptions): Promise<void> {
  app.post('/v2/payments', async (request, reply) => {
    requireBearer(ctx, request);
    const keyHeader = request.headers['idempotency-key'];
    if (keyHeader === undefined) {
      throw badRequest('idempotency_key_required', 'Send an Idempotency-Key header');
    }
    const key = idempotencyKey.safeParse(keyHeader);
    if (!key.success) {
      throw badRequest(
        'invalid_idempotency_key',
        `Idempotency-Key ${key.error.issues[0]?.message}`
      );
    }
    const parsed = paymentBody.safeParse(request.body);
    if (!parsed.success) throw fromZod(parsed.error, FIELD_CODES);
    if (parsed.data.merchantCode !== ctx.merchantCode) {
      throw badRequest('invalid_merchant_code', 'Unknown merchant code', 'merchantCode');
    }
    // Synchronous from here to the charge: concurrent duplicates cannot both charge.
    const { payment, replay } = ctx.store.pay(key.data, {
      ...parsed.data,
      ip: parsed.data.ip ?? request.ip
    });
    const failAfter = replay ? undefined : ctx.afterCharge.take();
    if (failAfter !== undefined) {
      ctx.requests.injected();
      throw new SecurePayError(
        failAfter,
        item('internal_error', 'The payment gateway failed after processing (simulated failure)')
      );
    }
    if (!replay && payment.holdAnswer && !(await holdAnswer(ctx, reply))) return reply;
    return reply.code(201).header('idempotent-replayed', String(replay)).send(payment.answer);
  });

  app.get<{ Params: { orderId: string } }>('/v2/payments/:orderId', async (request) => {
    requireBearer(ctx, request);
    const { orderId } = request.params;
    const answer = ORDER_ID.test(orderId) ? ctx.store.paymentForOrder(orderId) : undefined;
    if (!answer) {
      // The gateway's own "no such order" code, distinct from an unknown route's `not_found`:
      // only this answer tells a client that the order is unknown (see the ESB's lookup).
      throw new SecurePayError(404, item('order_not_found', 'No payment for that order id'));
    }
    return answer;
  });
}
