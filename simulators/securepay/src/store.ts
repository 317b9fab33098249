/**
 * The gateway's memory: issued access tokens, card tokens and payments. Card tokens keep the
 * brand, last 4, expiry and the test-card behaviour, never the number or the CVV.
 *
 * A payment is decided in one synchronous step (`pay`): the idempotency lookup, the token
 * checks, the charge and its records happen without an `await` between them, so concurrent
 * requests with one Idempotency-Key cannot both charge.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { CardBehaviour, CardBrand } from './cards.ts';
import { badRequest, item, SecurePayError } from './errors.ts';

export const TOKEN_LIFETIME_MS = 15 * 60_000;
/**
 * The gateway's processing window: a charge it received shows in `GET /v2/payments/{orderId}`
 * at the latest this long after it arrived, and from then on the lookup is authoritative (404:
 * never charged). A timed-out charge may or may not have been applied: the 'timeout' failure
 * drops the request before it is processed (never charged, 404 for ever), the TIMEOUT card is
 * charged and visible at once, the TIMEOUT_LATE card is charged and visible only when the window
 * has passed. The payments ESB's grace period (PAYMENTS_NOT_CHARGED_AFTER_MS) must exceed it.
 */
export const DEFAULT_PROCESSING_WINDOW_MS = 60_000;

/**
 * Card tokens: `tok_` and 32 lower-case hex digits, never 13 digits in a row, so that no token
 * holds what looks like a card number (the payments ESB refuses such a token).
 */
export const CARD_TOKEN_PATTERN = /^tok_[0-9a-f]{32}$/;

function newCardToken(): string {
  for (;;) {
    const hex = randomBytes(16).toString('hex');
    if (!/\d{13}/.test(hex)) return `tok_${hex}`;
  }
}
export const ACCESS_TOKEN_LIFETIME_S = 3600;

export interface CardToken {
  token: string;
  brand: CardBrand;
  last4: string;
  expiryMonth: number;
  expiryYear: number;
  expiresAt: number;
  behaviour: CardBehaviour;
  usedBy?: string;
}

export interface PaymentRequest {
  merchantCode: string;
  token: string;
  amount: number;
  currency: string;
  orderId: string;
  ip: string;
}

/** The 201 body of `POST /v2/payments`, SecurePay's shape. */
export interface SecurePayPayment {
  createdAt: string;
  merchantCode: string;
  customerCode: 'anonymous';
  token: string;
  ip: string;
  amount: number;
  currency: string;
  status: 'paid' | 'failed';
  orderId: string;
  bankTransactionId: string;
  gatewayResponseCode: string;
  gatewayResponseMessage: string;
  errorCode: string | null;
  fraudResult: null;
  cardBrand: CardBrand;
  last4: string;
}

export interface StoredPayment {
  idempotencyKey: string;
  fingerprint: string;
  answer: SecurePayPayment;
  /** The TIMEOUT test card: the first answer is held. */
  holdAnswer: boolean;
  /** When the lookup by order id starts to show it (epoch ms; TIMEOUT_LATE: the window later). */
  visibleAt: number;
}

/** One row of `GET /__sim/charges`: no card number, only last 4. */
export interface ChargeSummary {
  orderId: string;
  idempotencyKey: string;
  amount: number;
  currency: string;
  status: 'paid' | 'failed';
  bankTransactionId: string;
  gatewayResponseCode: string;
  cardBrand: CardBrand;
  last4: string;
  createdAt: string;
}

export interface PaymentOutcome {
  payment: StoredPayment;
  /** true when the key was seen before with the same body (no new charge). */
  replay: boolean;
}

function fingerprint(request: PaymentRequest): string {
  const canonical = JSON.stringify([
    request.merchantCode,
    request.token,
    request.amount,
    request.currency,
    request.orderId,
    request.ip
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class GatewayStore {
  private accessTokens = new Map<string, number>();
  private cardTokens = new Map<string, CardToken>();
  private byKey = new Map<string, StoredPayment>();
  private byOrder = new Map<string, StoredPayment>();
  private charged: StoredPayment[] = [];

  /** @param processingWindowMs see DEFAULT_PROCESSING_WINDOW_MS */
  constructor(readonly processingWindowMs = DEFAULT_PROCESSING_WINDOW_MS) {}

  issueAccessToken(now = Date.now()): string {
    const token = randomBytes(32).toString('base64url');
    this.accessTokens.set(token, now + ACCESS_TOKEN_LIFETIME_S * 1000);
    return token;
  }

  accessTokenValid(token: string, now = Date.now()): boolean {
    const expiresAt = this.accessTokens.get(token);
    return expiresAt !== undefined && expiresAt > now;
  }

  addCardToken(card: Omit<CardToken, 'token' | 'expiresAt'>, now = Date.now()): CardToken {
    const stored: CardToken = {
      ...card,
      token: newCardToken(),
      expiresAt: now + TOKEN_LIFETIME_MS
    };
    this.cardTokens.set(stored.token, stored);
    return stored;
  }

  /** Charges once per Idempotency-Key; synchronous on purpose (see the header). */
  pay(key: string, request: PaymentRequest, now = new Date()): PaymentOutcome {
    const print = fingerprint(request);
    const seen = this.byKey.get(key);
    if (seen) {
      if (seen.fingerprint !== print) {
        throw new SecurePayError(
          422,
          item(
            'idempotency_conflict',
            'This Idempotency-Key was used with a different request body; use a new key for a new payment'
          )
        );
      }
      return { payment: seen, replay: true };
    }
    const card = this.cardTokens.get(request.token);
    if (!card || card.expiresAt <= now.getTime()) {
      throw badRequest('invalid_token', 'The card token is unknown or has expired', 'token');
    }
    if (card.usedBy !== undefined) {
      throw badRequest(
        'token_already_used',
        'The card token was already used by another payment; tokenize the card again',
        'token'
      );
    }
    card.usedBy = key;
    const { holdAnswer, appliedLate, ...outcome } = card.behaviour;
    const payment: StoredPayment = {
      idempotencyKey: key,
      fingerprint: print,
      holdAnswer,
      visibleAt: now.getTime() + (appliedLate ? this.processingWindowMs : 0),
      answer: {
        createdAt: now.toISOString(),
        merchantCode: request.merchantCode,
        customerCode: 'anonymous',
        token: request.token,
        ip: request.ip,
        amount: request.amount,
        currency: request.currency,
        status: outcome.status,
        orderId: request.orderId,
        bankTransactionId: String(randomInt(100_000_000, 1_000_000_000)),
        gatewayResponseCode: outcome.gatewayResponseCode,
        gatewayResponseMessage: outcome.gatewayResponseMessage,
        errorCode: outcome.errorCode,
        fraudResult: null,
        cardBrand: card.brand,
        last4: card.last4
      }
    };
    this.byKey.set(key, payment);
    this.byOrder.set(request.orderId, payment);
    this.charged.push(payment);
    return { payment, replay: false };
  }

  /**
   * The latest payment for an order (a retry after a decline replaces the earlier one), once it
   * is visible (see DEFAULT_PROCESSING_WINDOW_MS).
   */
  paymentForOrder(orderId: string, now = Date.now()): SecurePayPayment | undefined {
    const payment = this.byOrder.get(orderId);
    return payment && payment.visibleAt <= now ? payment.answer : undefined;
  }

  charges(): ChargeSummary[] {
    return this.charged.map(({ idempotencyKey, answer }) => ({
      orderId: answer.orderId,
      idempotencyKey,
      amount: answer.amount,
      currency: answer.currency,
      status: answer.status,
      bankTransactionId: answer.bankTransactionId,
      gatewayResponseCode: answer.gatewayResponseCode,
      cardBrand: answer.cardBrand,
      last4: answer.last4,
      createdAt: answer.createdAt
    }));
  }

  /** Forgets card tokens and payments; issued access tokens stay valid (clients cache them). */
  reset(): void {
    this.cardTokens.clear();
    this.byKey.clear();
    this.byOrder.clear();
    this.charged = [];
  }
}

export interface RequestCounts {
  total: number;
  byRoute: Record<string, number>;
  injectedFailures: number;
}

/** The statuses a charge can fail with after it was applied (see AfterChargeFailures). */
export type AfterChargeStatus = 500 | 502 | 504;

/**
 * Charges that fail after the gateway applied them: the payment is stored (paid or failed, and
 * the lookup finds it) but the answer is an HTTP 5xx, as when the gateway fails after its commit
 * or a proxy in front of it gives up. Replays of the same key answer the stored payment.
 */
export class AfterChargeFailures {
  private remaining = 0;
  private answer: AfterChargeStatus = 500;

  set(count: number, status: AfterChargeStatus): void {
    this.remaining = count;
    this.answer = status;
  }

  /** The status to fail the charge just applied with, or undefined to answer it normally. */
  take(): AfterChargeStatus | undefined {
    if (this.remaining <= 0) return undefined;
    this.remaining--;
    return this.answer;
  }

  pending(): number {
    return this.remaining;
  }

  reset(): void {
    this.remaining = 0;
  }
}

/** Counts of gateway requests by method and route pattern (`POST /v2/payments`), and injected failures. */
export class RequestCounter {
  private routes = new Map<string, number>();
  private injectedFailures = 0;

  count(route: string): void {
    this.routes.set(route, (this.routes.get(route) ?? 0) + 1);
  }

  injected(): void {
    this.injectedFailures++;
  }

  snapshot(): RequestCounts {
    const byRoute = Object.fromEntries(this.routes);
    const total = [...this.routes.values()].reduce((sum, n) => sum + n, 0);
    return { total, byRoute, injectedFailures: this.injectedFailures };
  }

  reset(): void {
    this.routes.clear();
    this.injectedFailures = 0;
  }
}
