// Idempotent payments: one charge per Idempotency-Key, whatever the number of duplicates, across
// every instance of the service.
//
//  1. In-process: concurrent requests with the same key share one promise (one DB round trip,
//     one gateway call); each caller then compares its own request hash with the stored one.
//  2. Across instances: `INSERT ... ON CONFLICT DO NOTHING` on payment_requests decides the single
//     caller that charges; the others read the row and poll it until it is completed (bounded by
//     inProgressWaitMs, then 409 payment_in_progress: the caller asks again, never pays again).
//  3. Same key, different request (hash of amount, currency, token, reference, record id) -> 422.
//  4. A gateway timeout is stored as Unknown. GET /payments/:key and any new POST with that key
//     reconcile it by asking the gateway for the order (GET /v2/payments/{orderId}); the gateway is
//     never charged blindly again. A Pending row older than the gateway timeout (its instance died
//     mid-call) is reconciled the same way.
//  5. A timed-out charge may or may not have been applied. While the gateway does not know the
//     order it stays Unknown, until the grace period (notChargedAfterMs, counted from the row's
//     creation, before the charge was sent) has passed: then it is final Error
//     GATEWAY_NOT_CHARGED. Sound only because SecurePay's lookup is authoritative once its
//     processing window has passed (a charge it received shows by then); the grace period is
//     longer than that window (docs/payments.md, "Settling Unknown payments").
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../platform/index.ts';
import { equalJitteredDelay, type BackoffOptions } from '../../../toolkit/src/backoff.ts';
import {
  fromGatewayError,
  fromSecurePayPayment,
  HTTP_STATUS,
  inProgressReply,
  notChargedReply,
  ordered,
  paymentMismatch,
  unknownReply
} from './canonical.ts';
import type { PaymentAnswer, PaymentReply, PaymentRequestFacts } from './canonical.ts';
import { orderIdFor } from './securepay-client.ts';
import type { SecurePayClient, SecurePayPayment } from './securepay-client.ts';

export interface PaymentRequest {
  amountMinor: number;
  currency: string;
  paymentToken: string;
  reference: string;
  recordId: string;
}

/** SHA-256 of the canonical request (fixed field order), what "the same body" means. */
export function requestHash(request: PaymentRequest): string {
  const canonical = JSON.stringify([
    request.amountMinor,
    request.currency,
    request.paymentToken,
    request.reference,
    request.recordId
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The last 4 characters of a payment token: all that is ever logged or stored of it. */
export function tokenLast4(token: string): string {
  return token.slice(-4);
}

/** What a charge by idempotency key came to: a reply (new or replayed), or why there is none. */
export type ChargeAttempt =
  | { kind: 'reply'; reply: PaymentReply; replayed: boolean }
  | { kind: 'conflict' }
  | { kind: 'in_progress' };

interface Row {
  idempotency_key: string;
  request_hash: string;
  order_id: string;
  amount_minor: string;
  currency: string;
  status: 'Pending' | PaymentAnswer['status'];
  http_status: number | null;
  response: PaymentAnswer | null;
  age_ms: number;
}

/** What the shared in-process promise of one key resolves to. */
interface Settled {
  requestHash: string;
  outcome: PaymentReply | undefined;
  /** true for the one caller of this process whose request charged. */
  charged: boolean;
  /** Resolves once the outcome is stored (the charging caller only). */
  persisted?: Promise<void>;
}

export interface PaymentRequestsOptions {
  pool: pg.Pool;
  gateway: SecurePayClient;
  logger: Logger;
  gatewayTimeoutMs: number;
  inProgressWaitMs: number;
  /**
   * Age after which an Unknown payment the gateway does not know is final Error (not charged):
   * longer than the gateway's processing window (see the header, 5).
   */
  notChargedAfterMs: number;
  /** Poll interval while waiting for another instance (default 25 ms). */
  pollMs?: number;
}

// Outcomes are stored off the critical path, by one UPDATE at a time: those that complete while
// it runs are stored together by the next one. Under load (or while the database is slow) the
// charges' INSERTs then do not queue for pool connections behind one UPDATE per charge, which is
// what stretched the tail latency into seconds on a busy machine; alone, an outcome is written at
// once, as before.
const MAX_OUTCOMES_PER_UPDATE = 500;
const STORE_OUTCOMES = `
  UPDATE payment_requests AS p
     SET status = o.status, http_status = o.http_status, response = o.response::jsonb,
         completed_at = now()
    FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])
         AS o(idempotency_key, status, http_status, response)
   WHERE p.idempotency_key = o.idempotency_key AND p.status = 'Pending'`;

interface PendingOutcome {
  key: string;
  outcome: PaymentReply;
  stored: () => void;
}

const SELECT_ROW = `
  SELECT idempotency_key, request_hash, order_id, amount_minor, currency, status, http_status,
         response, (EXTRACT(EPOCH FROM (now() - created_at)) * 1000)::float8 AS age_ms
    FROM payment_requests WHERE idempotency_key = $1`;

/**
 * Gateway lookups of an Unknown payment that did not settle it: the next one after 1 s, 2 s, 4 s
 * ... at most 60 s (equal jitter: between half and all of it). A client polling GET in a loop,
 * or many clients during a gateway outage, then cost the gateway one lookup per key per backoff.
 */
export const LOOKUP_BACKOFF: BackoffOptions = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  factor: 2
};
const LOOKUP_BACKOFF_KEYS = 10_000;

export class PaymentRequests {
  private readonly inflight = new Map<string, Promise<Settled>>();
  private readonly reconciling = new Map<string, Promise<PaymentReply>>();
  /**
   * Keys whose last gateway lookup did not settle them (gateway failing, order not known yet):
   * the next lookup waits for the backoff (LOOKUP_BACKOFF); requests meanwhile get the stored
   * Unknown answer without a gateway call. Bounded (LOOKUP_BACKOFF_KEYS, oldest dropped first).
   */
  private readonly lookupBackoff = new Map<string, { attempts: number; notBefore: number }>();
  private readonly persisting = new Set<Promise<void>>();
  private readonly outcomes: PendingOutcome[] = [];
  private storing = false;
  private readonly pollMs: number;

  constructor(private readonly options: PaymentRequestsOptions) {
    this.pollMs = options.pollMs ?? 25;
  }

  /** POST /payments: the first result of this key, charging only if nobody did before. */
  async charge(idempotencyKey: string, request: PaymentRequest): Promise<ChargeAttempt> {
    const hash = requestHash(request);
    let shared = this.inflight.get(idempotencyKey);
    const first = !shared;
    if (!shared) {
      const forget = () => {
        this.inflight.delete(idempotencyKey);
      };
      shared = this.settle(idempotencyKey, hash, request).then(
        (settled) => {
          // Kept for duplicates until the outcome is in the table.
          if (settled.persisted) {
            this.persisting.add(settled.persisted);
            void settled.persisted.finally(() => {
              forget();
              if (settled.persisted) this.persisting.delete(settled.persisted);
            });
          } else forget();
          return settled;
        },
        (error: unknown) => {
          forget();
          throw error;
        }
      );
      this.inflight.set(idempotencyKey, shared);
    }
    const settled = await shared;
    if (settled.requestHash !== hash) return { kind: 'conflict' };
    if (!settled.outcome) return { kind: 'in_progress' };
    return { kind: 'reply', reply: settled.outcome, replayed: !(first && settled.charged) };
  }

  /** Waits for outcomes still being stored (shutdown: before the pool closes). */
  async drain(): Promise<void> {
    await Promise.all([...this.persisting]);
  }

  /** GET /payments/:key: the stored answer, reconciled with the gateway when Unknown. */
  async get(idempotencyKey: string): Promise<PaymentReply | undefined> {
    // Answered by this process a moment ago and still being stored: that answer.
    const shared = this.inflight.get(idempotencyKey);
    const settled = shared ? await shared.catch(() => undefined) : undefined;
    if (settled?.outcome && settled.outcome.body.status !== 'Unknown') return settled.outcome;
    if (settled?.persisted) await settled.persisted;
    const row = await this.read(idempotencyKey);
    if (!row) return undefined;
    return this.resolveStored(row);
  }

  private async settle(key: string, hash: string, request: PaymentRequest): Promise<Settled> {
    const facts: PaymentRequestFacts = {
      idempotencyKey: key,
      amountMinor: request.amountMinor,
      currency: request.currency
    };
    const inserted = await this.options.pool.query(
      `INSERT INTO payment_requests
         (idempotency_key, request_hash, order_id, amount_minor, currency, token_last4)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        key,
        hash,
        orderIdFor(key),
        request.amountMinor,
        request.currency,
        tokenLast4(request.paymentToken)
      ]
    );
    if (inserted.rowCount === 1) {
      const outcome = await this.callGateway(facts, request);
      // Stored off the critical path (latency): this process keeps answering duplicates from
      // the in-process promise until the row is written, other instances poll the row, and a
      // row left Pending by a crash is reconciled with the gateway once stale.
      const persisted = this.store(key, outcome);
      return { requestHash: hash, outcome, charged: true, persisted };
    }

    // Another request (of this or another instance, now or earlier) owns the key.
    const deadline = Date.now() + this.options.inProgressWaitMs;
    for (;;) {
      const row = await this.read(key);
      if (!row) throw new Error(`payment_requests row ${key} vanished`);
      // The stored hash decides: callers sharing this promise with another body get 422.
      const settled = { requestHash: row.request_hash, charged: false };
      if (row.status !== 'Pending' || this.stale(row)) {
        return { ...settled, outcome: await this.resolveStored(row) };
      }
      if (Date.now() >= deadline) return { ...settled, outcome: undefined };
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  /** Queues an outcome for storing; resolves once it is stored (or its failure logged). */
  private store(key: string, outcome: PaymentReply): Promise<void> {
    return new Promise<void>((stored) => {
      this.outcomes.push({ key, outcome, stored });
      if (!this.storing) void this.storeOutcomes();
    });
  }

  private async storeOutcomes(): Promise<void> {
    this.storing = true;
    try {
      while (this.outcomes.length > 0) {
        const batch = this.outcomes.splice(0, MAX_OUTCOMES_PER_UPDATE);
        try {
          await this.options.pool.query(STORE_OUTCOMES, [
            batch.map((o) => o.key),
            batch.map((o) => o.outcome.body.status),
            batch.map((o) => o.outcome.httpStatus),
            batch.map((o) => JSON.stringify(o.outcome.body))
          ]);
        } catch (error) {
          for (const { key } of batch) {
            this.options.logger.error(
              { idempotencyKey: key, err: error },
              'could not store the payment outcome; it will be reconciled with the gateway'
            );
          }
        }
        for (const { stored } of batch) stored();
      }
    } finally {
      this.storing = false;
    }
  }

  private async callGateway(
    facts: PaymentRequestFacts,
    request: PaymentRequest
  ): Promise<PaymentReply> {
    const log = this.options.logger;
    const started = performance.now();
    try {
      const payment = await this.options.gateway.charge({
        idempotencyKey: facts.idempotencyKey,
        amountMinor: request.amountMinor,
        currency: request.currency,
        paymentToken: request.paymentToken
      });
      this.reportMismatch(facts, payment, 'charge');
      const outcome = fromSecurePayPayment(facts, payment);
      log.info(
        {
          idempotencyKey: facts.idempotencyKey,
          status: outcome.body.status,
          transactionId: outcome.body.transactionId,
          reasonCode: outcome.body.reasonCode,
          gatewayMs: Math.round((performance.now() - started) * 10) / 10
        },
        'gateway answered'
      );
      return outcome;
    } catch (error) {
      const outcome = fromGatewayError(facts, error);
      // The error's name and code only: a gateway's message could quote the request.
      log.warn(
        {
          idempotencyKey: facts.idempotencyKey,
          status: outcome.body.status,
          reasonCode: outcome.body.reasonCode,
          failure: (error as Error).name,
          gatewayMs: Math.round((performance.now() - started) * 10) / 10
        },
        outcome.body.status === 'Unknown'
          ? 'gateway outcome unknown; to be reconciled'
          : 'gateway call failed; no payment taken'
      );
      return outcome;
    }
  }

  /**
   * Logs (as an error: a misrouted answer or a gateway fault, someone must look) a payment the
   * gateway answered that is not the one asked for; fromSecurePayPayment keeps it Unknown.
   */
  private reportMismatch(
    facts: PaymentRequestFacts,
    payment: SecurePayPayment,
    call: 'charge' | 'lookup'
  ): void {
    const mismatch = paymentMismatch(facts, payment);
    if (mismatch === undefined) return;
    this.options.logger.error(
      { idempotencyKey: facts.idempotencyKey, call, mismatch },
      'the gateway answered for another payment; payment stays Unknown'
    );
  }

  /** A Pending row whose instance should long have finished (crashed mid-call). */
  private stale(row: Row): boolean {
    return row.status === 'Pending' && row.age_ms > this.options.gatewayTimeoutMs + 5_000;
  }

  private async read(key: string): Promise<Row | undefined> {
    const { rows } = await this.options.pool.query<Row>(SELECT_ROW, [key]);
    return rows[0];
  }

  private factsOf(row: Row): PaymentRequestFacts {
    return {
      idempotencyKey: row.idempotency_key,
      amountMinor: Number(row.amount_minor),
      currency: row.currency
    };
  }

  private async resolveStored(row: Row): Promise<PaymentReply> {
    if (row.status === 'Unknown' || this.stale(row)) return this.reconcile(row);
    if (row.status === 'Pending') return inProgressReply(this.factsOf(row));
    const body = ordered(row.response as PaymentAnswer);
    return { httpStatus: row.http_status ?? HTTP_STATUS[body.status], body };
  }

  /**
   * Asks the gateway what became of an Unknown payment; one lookup per key at a time, and after
   * a lookup that did not settle it, none before the key's backoff is over.
   */
  private reconcile(row: Row): Promise<PaymentReply> {
    const key = row.idempotency_key;
    let running = this.reconciling.get(key);
    if (running) return running;
    const backoff = this.lookupBackoff.get(key);
    if (backoff && Date.now() < backoff.notBefore) return Promise.resolve(this.unknownOf(row));
    running = this.lookup(row)
      .then((reply) => {
        this.noteLookup(key, reply.body.status === 'Unknown');
        return reply;
      })
      .finally(() => this.reconciling.delete(key));
    this.reconciling.set(key, running);
    return running;
  }

  private noteLookup(key: string, unsettled: boolean): void {
    const previous = this.lookupBackoff.get(key);
    this.lookupBackoff.delete(key);
    if (!unsettled) return;
    const attempts = (previous?.attempts ?? 0) + 1;
    if (this.lookupBackoff.size >= LOOKUP_BACKOFF_KEYS) {
      const oldest = this.lookupBackoff.keys().next().value;
      if (oldest !== undefined) this.lookupBackoff.delete(oldest);
    }
    // Re-inserted: the map's order is the order of the last lookups.
    this.lookupBackoff.set(key, {
      attempts,
      notBefore: Date.now() + equalJitteredDelay(attempts - 1, LOOKUP_BACKOFF)
    });
  }

  private unknownOf(row: Row): PaymentReply {
    return row.response
      ? { httpStatus: 202, body: ordered(row.response) }
      : unknownReply(this.factsOf(row));
  }

  private async lookup(row: Row): Promise<PaymentReply> {
    const facts = this.factsOf(row);
    const unknown = this.unknownOf(row);
    let payment;
    try {
      payment = await this.options.gateway.getPayment(row.order_id);
    } catch (error) {
      this.options.logger.warn(
        { idempotencyKey: facts.idempotencyKey, failure: (error as Error).name },
        'reconciliation failed; payment stays Unknown'
      );
      return unknown;
    }
    if (!payment && row.age_ms < this.options.notChargedAfterMs) {
      // Not (yet) known to the gateway: it may still be processing. Stays Unknown.
      this.options.logger.info(
        { idempotencyKey: facts.idempotencyKey },
        'reconciliation: gateway does not know the order yet; payment stays Unknown'
      );
      return unknown;
    }
    if (payment) this.reportMismatch(facts, payment, 'lookup');
    // Known to the gateway, or still unknown to it after the grace period: never charged.
    const outcome = payment ? fromSecurePayPayment(facts, payment) : notChargedReply(facts);
    if (outcome.body.status === 'Unknown') {
      // Answered, but not with a final status of this payment (pending, an unknown status, an
      // answer for another order or amount): stays Unknown, asked again after the backoff.
      this.options.logger.info(
        { idempotencyKey: facts.idempotencyKey, reasonCode: outcome.body.reasonCode },
        'reconciliation: no final status from the gateway; payment stays Unknown'
      );
      return unknown;
    }
    const { rows } = await this.options.pool.query<{
      response: PaymentAnswer;
      http_status: number;
    }>(
      `UPDATE payment_requests
          SET status = $2, http_status = $3, response = $4, completed_at = now(),
              reconciled_at = now()
        WHERE idempotency_key = $1 AND status IN ('Unknown', 'Pending')
        RETURNING response, http_status`,
      [facts.idempotencyKey, outcome.body.status, outcome.httpStatus, JSON.stringify(outcome.body)]
    );
    if (rows.length === 0) {
      // Someone else completed it meanwhile: theirs is the stored answer.
      const current = await this.read(facts.idempotencyKey);
      if (current?.response && current.status !== 'Unknown' && current.status !== 'Pending') {
        return { httpStatus: current.http_status ?? 200, body: ordered(current.response) };
      }
    }
    this.options.logger.info(
      {
        idempotencyKey: facts.idempotencyKey,
        status: outcome.body.status,
        transactionId: outcome.body.transactionId
      },
      'payment reconciled'
    );
    return outcome;
  }
}
