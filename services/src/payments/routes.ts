// POST /payments and GET /payments/:key (PaymentsContract.json), as a fastify plugin. Both are
// authenticated by the platform's bearer auth (SERVICE_API_TOKENS: the token the Payments_ESB
// External Credential sends); only ids of the X-SF-* user headers and the token's last 4 are
// logged, never a token in full, never card data.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { HttpError, RequestValidationError, jsonResponse, sendError } from '../platform/index.ts';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import type { PaymentReply } from './canonical.ts';
import { tokenLast4 } from './idempotency.ts';
import type { PaymentRequests } from './idempotency.ts';
import { chargeBody, chargeHeaders, keyParams, paymentAnswer } from './schemas.ts';

/** Largest accepted body: a charge request is ~200 bytes. */
export const PAYMENTS_BODY_LIMIT = 16 * 1024;

export interface PaymentRoutesOptions extends Record<string, unknown> {
  payments: PaymentRequests;
}

function send(reply: FastifyReply, payment: PaymentReply): FastifyReply {
  return reply.code(payment.httpStatus).type('application/json; charset=utf-8').send(payment.body);
}

/** The answers of both operations: a PaymentAnswer, with the status its `status` goes with. */
const ANSWERS = {
  200: jsonResponse(
    paymentAnswer,
    "`Authorised` or `Declined`: the gateway's answer. The same key again answers the same bytes."
  ),
  202: jsonResponse(
    paymentAnswer,
    '`Unknown`: the gateway did not answer in time, answered with a failure after the charge may have been applied, or gave no final status; the payment may have gone through. It is being reconciled: ask GET /payments/{key} later, never pay again.'
  ),
  502: jsonResponse(
    paymentAnswer,
    '`Error`: the charge never reached the gateway (unreachable) or the gateway refused it. No payment was taken.'
  )
};

export async function paymentRoutes(
  app: FastifyInstance,
  options: PaymentRoutesOptions
): Promise<void> {
  const { payments } = options;
  const routes = app.withTypeProvider<ZodTypeProvider>();

  // This plugin's own JSON parser (encapsulated: other services keep fastify's): an unparsable
  // body is a 400 validation_failed like any other bad body, and its message never quotes the
  // body (JSON.parse's message does, and the body may hold whatever the caller pasted).
  parseJsonBodies(
    app,
    () =>
      new RequestValidationError([
        { location: 'body', path: '', code: 'invalid_json', message: 'is not valid JSON' }
      ]),
    { bodyLimit: PAYMENTS_BODY_LIMIT }
  );

  routes.post(
    '/payments',
    {
      bodyLimit: PAYMENTS_BODY_LIMIT,
      config: {
        errorResponses: {
          409: '`payment_in_progress`: the first request with this key is still with the gateway. Ask GET /payments/{key} in a moment; do not pay again.',
          422: '`idempotency_key_reused`: the key was used for a different payment request.'
        }
      },
      schema: {
        operationId: 'chargePayment',
        summary: 'Charge a single-use payment token',
        description:
          'Charges the token once per Idempotency-Key: duplicates, concurrent or later, get the first answer and never reach the gateway again.',
        tags: ['payments'],
        headers: chargeHeaders,
        body: chargeBody,
        response: ANSWERS
      }
    },
    async (request, reply) => {
      const { headers, body } = request;
      const key = headers['idempotency-key'];
      const log = request.log.child({
        idempotencyKey: key,
        sfUserId: headers['x-sf-user-id'],
        sfContactId: headers['x-sf-contact-id'],
        sfOrgId: headers['x-sf-org-id']
      });
      log.info(
        {
          amountMinor: body.amountMinor,
          currency: body.currency,
          reference: body.reference,
          recordId: body.recordId,
          tokenLast4: tokenLast4(body.paymentToken)
        },
        'payment requested'
      );
      const result = await payments.charge(key, body);
      if (result.kind === 'conflict') {
        log.warn('idempotency key reused for a different request');
        throw new HttpError(
          422,
          'idempotency_key_reused',
          // Nothing of the request is echoed (the caller knows its key; callers log bodies).
          'This Idempotency-Key was already used for a different payment request.'
        );
      }
      if (result.kind === 'in_progress') {
        throw new HttpError(
          409,
          'payment_in_progress',
          'The payment with this Idempotency-Key is still being processed. Ask GET /payments/{key} in a moment; do not pay again.'
        );
      }
      if (result.replayed) {
        log.info(
          { status: result.reply.body.status },
          'payment answered from the idempotency store'
        );
      }
      return send(reply, result.reply);
    }
  );

  routes.get(
    '/payments/:key',
    {
      config: { errorResponses: { 404: '`not_found`: no payment request with this key.' } },
      schema: {
        operationId: 'getPayment',
        summary: 'The outcome of a payment, reconciled with the gateway when it was Unknown',
        tags: ['payments'],
        params: keyParams,
        response: ANSWERS
      }
    },
    async (request, reply) => {
      const { key } = request.params;
      const stored = await payments.get(key);
      if (!stored) {
        // The key is not echoed: nothing of the request comes back in an error body.
        return sendError(reply, 404, 'not_found', 'No payment with this Idempotency-Key.');
      }
      return send(reply, stored);
    }
  );
}
