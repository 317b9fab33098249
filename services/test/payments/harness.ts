// Test harness of the payments service: a real PostgreSQL database (createTestDatabase), the
// SecurePay simulator in-process, the service on the platform on port 0 with a log collector,
// and helpers that talk real HTTP to both.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { TEST_CARD_NUMBERS } from '../../../simulators/securepay/src/cards.ts';
import {
  startSecurePaySimulator,
  type RunningSecurePaySimulator
} from '../../../simulators/securepay/src/server.ts';
import { createLogger, loadProcessConfig, startPlatform } from '../../src/platform/index.ts';
import type { Platform } from '../../src/platform/index.ts';
import { paymentsService } from '../../src/payments/service.ts';
import { createTestDatabase } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';

export const API_TOKEN = 'payments-test-token-0123456789abcdef';

/** The SecurePay simulator's test cards. */
export const CARDS = TEST_CARD_NUMBERS;

export interface ContractResponse {
  httpStatus: number;
  body: Record<string, unknown>;
}

export interface PaymentsContract {
  chargeRequest: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: {
      amountMinor: number;
      currency: string;
      paymentToken: string;
      reference: string;
      recordId: string;
    };
  };
  reconcileRequest: { method: string; path: string; headers: Record<string, string> };
  responses: Record<string, ContractResponse>;
}

/** The static resource Apex tests use for their callout mocks: the one contract. */
export function loadContract(): PaymentsContract {
  const file = path.join(
    projectRoot(),
    'force-app/main/payments/staticresources/PaymentsContract.json'
  );
  return JSON.parse(readFileSync(file, 'utf8')) as PaymentsContract;
}

export interface HarnessOptions {
  gatewayTimeoutMs?: number;
  inProgressWaitMs?: number;
  timeoutHoldMs?: number;
  /** The simulator's processing window (TIMEOUT_LATE card). */
  processingWindowMs?: number;
  /** PAYMENTS_NOT_CHARGED_AFTER_MS. */
  notChargedAfterMs?: number;
  /** Reuse this database (a second instance on the same table). */
  database?: TestDatabase;
  /** Reuse this simulator. */
  simulator?: RunningSecurePaySimulator;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn';
  /** Gateway URL instead of the simulator's (e.g. a closed port). */
  gatewayUrl?: string;
}

export interface Harness {
  url: string;
  simulator: RunningSecurePaySimulator;
  database: TestDatabase;
  platform: Platform;
  /** Every line the service logged (pino JSON). */
  logs: string[];
  tokenize(cardNumber: string, cvv?: string): Promise<string>;
  pay(
    body: unknown,
    options?: { key?: string | undefined; token?: string | null; headers?: Record<string, string> }
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  get(key: string): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

let keyCounter = 0;
export function newKey(prefix = 'pay'): string {
  keyCounter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${keyCounter}`;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownSimulator = !options.simulator;
  const simulator =
    options.simulator ??
    (await startSecurePaySimulator({
      port: 0,
      logger: false,
      ...(options.timeoutHoldMs !== undefined ? { timeoutHoldMs: options.timeoutHoldMs } : {}),
      ...(options.processingWindowMs !== undefined
        ? { processingWindowMs: options.processingWindowMs }
        : {})
    }));
  const ownDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase());
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      callback();
    }
  });
  const logger = createLogger({
    level: options.logLevel ?? 'debug',
    service: 'payments',
    destination
  });
  const loaded = loadProcessConfig(
    {
      DATABASE_URL: database.url,
      HTTP_PORT: '0',
      SERVICE_API_TOKENS: API_TOKEN,
      DATABASE_POOL_MAX: '10',
      // The concurrency tests send 1,000 requests at once from this one address.
      HTTP_MAX_CONNECTIONS: '2000',
      HTTP_MAX_CONNECTIONS_PER_CLIENT: '2000',
      NODE_ENV: 'test',
      SECUREPAY_BASE_URL: options.gatewayUrl ?? simulator.url,
      SECUREPAY_CLIENT_ID: simulator.clientId,
      SECUREPAY_CLIENT_SECRET: simulator.clientSecret,
      SECUREPAY_MERCHANT_CODE: simulator.merchantCode,
      PAYMENTS_GATEWAY_TIMEOUT_MS: String(options.gatewayTimeoutMs ?? 5000),
      ...(options.inProgressWaitMs !== undefined
        ? { PAYMENTS_IN_PROGRESS_WAIT_MS: String(options.inProgressWaitMs) }
        : {}),
      ...(options.notChargedAfterMs !== undefined
        ? { PAYMENTS_NOT_CHARGED_AFTER_MS: String(options.notChargedAfterMs) }
        : {})
    },
    [paymentsService]
  );
  const platform = await startPlatform(loaded.platform, { services: loaded.services, logger });
  const url = platform.url ?? '';

  const json = async (response: Response) => {
    const text = await response.text();
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { raw: text };
    }
  };

  return {
    url,
    simulator,
    database,
    platform,
    logs,
    async tokenize(cardNumber, cvv) {
      const response = await fetch(`${simulator.url}/v2/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-merchant-code': simulator.merchantCode },
        body: JSON.stringify({
          cardNumber,
          expiryMonth: 12,
          expiryYear: new Date().getFullYear() + 2,
          cvv: cvv ?? (cardNumber.length === 15 ? '1234' : '123'),
          cardholderName: 'Test Payer'
        })
      });
      const body = (await response.json()) as { token?: string };
      if (response.status !== 201 || !body.token) {
        throw new Error(`tokenization failed: ${response.status} ${JSON.stringify(body)}`);
      }
      return body.token;
    },
    async pay(body, opts = {}) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? API_TOKEN}` }),
        ...(opts.key === undefined && 'key' in opts
          ? {}
          : { 'idempotency-key': opts.key ?? newKey() }),
        ...(opts.headers ?? {})
      };
      const response = await fetch(`${url}/payments`, {
        method: 'POST',
        headers,
        body: typeof body === 'string' ? body : JSON.stringify(body)
      });
      return { status: response.status, body: await json(response) };
    },
    async get(key) {
      const response = await fetch(`${url}/payments/${encodeURIComponent(key)}`, {
        headers: { authorization: `Bearer ${API_TOKEN}` }
      });
      return { status: response.status, body: await json(response) };
    },
    async stop() {
      await platform.stop();
      if (ownDatabase) await database.drop();
      if (ownSimulator) await simulator.close();
    }
  };
}

/** The contract's charge body with a real token (and optionally other fields). */
export function chargeBody(
  contract: PaymentsContract,
  paymentToken: string,
  overrides: Record<string, unknown> = {}
): Record<string, unknown> {
  return { ...contract.chargeRequest.body, paymentToken, ...overrides };
}

/** Same keys, same JSON types (null stays null) as the contract's example body. */
export function sameShape(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  const shape = (value: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v])
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
    );
  return { actual: shape(actual), expected: shape(expected) };
}
