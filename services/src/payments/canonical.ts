// The one canonical answer of POST/GET /payments (PaymentsContract.json): SecurePay's answers and
// failures mapped to { idempotencyKey, status, transactionId, cardBrand, cardLast4, amountMinor,
// currency, reasonCode, reasonText } and the HTTP status that goes with the status.
import {
  GatewayOutcomeUnknownError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
  orderIdFor
} from './securepay-client.ts';
import type { SecurePayPayment } from './securepay-client.ts';

export type PaymentStatus = 'Authorised' | 'Declined' | 'Error' | 'Unknown';

/**
 * The ESB's canonical answer to a charge, the body of POST/GET /payments. Apex reads the same
 * body as `PaymentGatewayClient.PaymentAnswer` (one name on both sides of the contract).
 */
export interface PaymentAnswer {
  idempotencyKey: string;
  status: PaymentStatus;
  transactionId: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  amountMinor: number;
  currency: string;
  reasonCode: string | null;
  reasonText: string | null;
}

/** A PaymentAnswer with the HTTP status it is sent with. */
export interface PaymentReply {
  httpStatus: number;
  body: PaymentAnswer;
}

/** 200 for a final gateway answer, 202 for Unknown (reconcile), 502 for Error (no charge). */
export const HTTP_STATUS: Record<PaymentStatus, number> = {
  Authorised: 200,
  Declined: 200,
  Unknown: 202,
  Error: 502
};

export const GATEWAY_TIMEOUT_TEXT =
  'The payment gateway did not answer in time. The payment may have gone through: it is being reconciled, do not pay again.';

export const IN_PROGRESS_TEXT =
  'The payment is still being processed by the gateway. Ask again in a moment, do not pay again.';

export interface PaymentRequestFacts {
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
}

/** The body with the contract's key order (jsonb does not keep it): identical bytes on replay. */
export function ordered(body: PaymentAnswer): PaymentAnswer {
  return {
    idempotencyKey: body.idempotencyKey,
    status: body.status,
    transactionId: body.transactionId,
    cardBrand: body.cardBrand,
    cardLast4: body.cardLast4,
    amountMinor: body.amountMinor,
    currency: body.currency,
    reasonCode: body.reasonCode,
    reasonText: body.reasonText
  };
}

function replyOf(body: PaymentAnswer): PaymentReply {
  return { httpStatus: HTTP_STATUS[body.status], body };
}

const orNull = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** SecurePay's payment statuses that are final without a charge: the bank or gateway refused. */
const DECLINED_STATUSES = new Set(['failed', 'declined']);

/** Reason code of a gateway answer that was not trusted (see paymentMismatch): stays Unknown. */
export const UNVERIFIED_ANSWER_CODE = 'GATEWAY_ANSWER_UNVERIFIED';
/** Reason code of a payment whose status is neither paid nor a known refusal: stays Unknown. */
export const UNKNOWN_STATUS_CODE = 'GATEWAY_STATUS_UNKNOWN';
/** Reason code of a charge the gateway (or a proxy) answered with a 5xx: may have charged. */
export const OUTCOME_UNKNOWN_CODE = 'GATEWAY_OUTCOME_UNKNOWN';

/**
 * Why a payment the gateway answered is not the one asked for, or undefined when it is: not an
 * object, another orderId (a mixed-up answer, a proxy's cache), another amount or currency. Such
 * an answer says nothing about this payment, so it is never turned into a final status.
 */
export function paymentMismatch(
  request: PaymentRequestFacts,
  payment: SecurePayPayment | undefined
): string | undefined {
  if (!payment || typeof payment !== 'object') return 'no payment object';
  if (payment.orderId !== orderIdFor(request.idempotencyKey)) return 'orderId';
  if (payment.amount !== request.amountMinor) return 'amount';
  if (payment.currency !== undefined && payment.currency !== request.currency) return 'currency';
  return undefined;
}

/**
 * A payment SecurePay answered (charge or lookup): `paid` -> Authorised, a known refusal
 * (`failed`, `declined`) -> Declined. Anything else (a pending or unknown status, none, or an
 * answer for another order or amount: paymentMismatch) -> Unknown, to be settled by the lookup:
 * calling it Declined would reopen the invoice of a payment that may be charged.
 */
export function fromSecurePayPayment(
  request: PaymentRequestFacts,
  payment: SecurePayPayment
): PaymentReply {
  if (paymentMismatch(request, payment) !== undefined) {
    return noCard(
      request,
      'Unknown',
      UNVERIFIED_ANSWER_CODE,
      'The payment gateway answered for another payment. The payment may have gone through: it is being reconciled, do not pay again.'
    );
  }
  const paid = payment.status === 'paid';
  if (!paid && !DECLINED_STATUSES.has(payment.status)) {
    return noCard(
      request,
      'Unknown',
      UNKNOWN_STATUS_CODE,
      'The payment gateway has not given a final status yet. The payment may have gone through: it is being reconciled, do not pay again.'
    );
  }
  return replyOf({
    idempotencyKey: request.idempotencyKey,
    status: paid ? 'Authorised' : 'Declined',
    transactionId: orNull(payment.bankTransactionId),
    cardBrand: orNull(payment.cardBrand),
    cardLast4: orNull(payment.last4),
    amountMinor: typeof payment.amount === 'number' ? payment.amount : request.amountMinor,
    currency: orNull(payment.currency) ?? request.currency,
    reasonCode: orNull(payment.gatewayResponseCode) ?? orNull(payment.errorCode),
    reasonText: orNull(payment.gatewayResponseMessage)
  });
}

function noCard(
  request: PaymentRequestFacts,
  status: PaymentStatus,
  reasonCode: string,
  reasonText: string
): PaymentReply {
  return replyOf({
    idempotencyKey: request.idempotencyKey,
    status,
    transactionId: null,
    cardBrand: null,
    cardLast4: null,
    amountMinor: request.amountMinor,
    currency: request.currency,
    reasonCode,
    reasonText
  });
}

export function unknownReply(request: PaymentRequestFacts): PaymentReply {
  return noCard(request, 'Unknown', 'GATEWAY_TIMEOUT', GATEWAY_TIMEOUT_TEXT);
}

/** Reason code of an Unknown payment the gateway still did not know after the grace period. */
export const NOT_CHARGED_CODE = 'GATEWAY_NOT_CHARGED';

/**
 * An Unknown payment settled as Error: the gateway's lookup, authoritative once its processing
 * window has passed, still does not know the order after the grace period, so it never charged.
 */
export function notChargedReply(request: PaymentRequestFacts): PaymentReply {
  return noCard(
    request,
    'Error',
    NOT_CHARGED_CODE,
    'The payment gateway never received this payment (no record after the grace period). No payment was taken.'
  );
}

export function inProgressReply(request: PaymentRequestFacts): PaymentReply {
  return noCard(request, 'Unknown', 'PAYMENT_IN_PROGRESS', IN_PROGRESS_TEXT);
}

/**
 * A failed gateway call. Error (no charge) only when the charge provably never reached the
 * gateway (no connection, no access token) or the gateway refused it (4xx); a timeout, a
 * connection lost once established, or any HTTP 5xx answer to the charge -> Unknown.
 */
export function fromGatewayError(request: PaymentRequestFacts, error: unknown): PaymentReply {
  if (error instanceof GatewayOutcomeUnknownError) {
    return noCard(
      request,
      'Unknown',
      OUTCOME_UNKNOWN_CODE,
      `The payment gateway failed while processing the payment (HTTP ${error.status}). The payment may have gone through: it is being reconciled, do not pay again.`
    );
  }
  if (error instanceof GatewayUnavailableError) {
    const why = error.status === undefined ? 'connection failed' : `HTTP ${error.status}`;
    return noCard(
      request,
      'Error',
      'GATEWAY_UNAVAILABLE',
      `The payment gateway is unavailable (${why}). No payment was taken.`
    );
  }
  if (error instanceof GatewayRejectedError) {
    return noCard(
      request,
      'Error',
      error.code.toUpperCase(),
      `The payment gateway refused the payment (HTTP ${error.status} ${error.code}). No payment was taken.`
    );
  }
  if (error instanceof GatewayTimeoutError) return unknownReply(request);
  // Anything unexpected happened after the request may have left: never claim "no charge".
  return unknownReply(request);
}
