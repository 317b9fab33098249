// POST /payments and GET /payments/:key (PaymentsContract.json), as a fastify plugin. Both are
// authenticated by the platform's bearer auth (SERVICE_API_TOKENS: the token the Payments_ESB
// External Credential sends); only ids of the X-SF-* user headers and the token's last 4 are
// logged, never a token in full, never card data.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  HttpError,
  RequestValidationError,
  sendError,
  validateRequest
} from '../platform/index.ts';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import type { PaymentReply } from './canonical.ts';
import { tokenLast4 } from './idempotency.ts';
import type { PaymentRequests } from './idempotency.ts';
import { chargeBody, chargeHeaders, keyParams } from './schemas.ts';
import type { ChargeBody, ChargeHeaders } from './schemas.ts';

/** Largest accepted body: a charge request is ~200 bytes. */
export const PAYMENTS_BODY_LIMIT = 16 * 1024;

export interface PaymentRoutesOptions extends Record<string, unknown> {
  payments: PaymentRequests;
}

function send(reply: FastifyReply, payment: PaymentReply): FastifyReply {
  return reply.code(payment.httpStatus).type('application/json; charset=utf-8').send(payment.body);
}

export async function paymentRoutes(
  app: FastifyInstance,
  options: PaymentRoutesOptions
): Promise<void> {
  const { payments } = options;

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

  app.post(
    '/payments',
    {
      bodyLimit: PAYMENTS_BODY_LIMIT,
      preValidation: validateRequest({ headers: chargeHeaders, body: chargeBody })
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const headers = request.headers as unknown as ChargeHeaders;
      const body = request.body as ChargeBody;
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
          `Idempotency-Key ${key} was already used for a different payment request.`
        );
      }
      if (result.kind === 'in_progress') {
        throw new HttpError(
          409,
          'payment_in_progress',
          `The payment with Idempotency-Key ${key} is still being processed. Ask GET /payments/${key} in a moment; do not pay again.`
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

  app.get(
    '/payments/:key',
    { preValidation: validateRequest({ params: keyParams }) },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { key } = request.params as { key: string };
      const stored = await payments.get(key);
      if (!stored) {
        return sendError(reply, 404, 'not_found', `No payment with Idempotency-Key ${key}.`);
      }
      return send(reply, stored);
    }
  );
}
