/**
 * Starts the SecurePay simulator for a test on a free port and gives a small client: an
 * access token, tokenization, payments and the control API over real HTTP. Always
 * `await sp.close()` (e.g. in `after`).
 */
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import {
  startSecurePaySimulator,
  type RunningSecurePaySimulator,
  type SecurePaySimulatorOptions
} from '../../src/server.ts';

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text when not JSON, undefined when empty. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CardInput {
  cardNumber: string;
  expiryMonth: number | string;
  expiryYear: number | string;
  cvv: string;
  cardholderName?: string;
}

/** A JSON body (a string is sent as it is) and extra headers. */
export interface CallInit {
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestSecurePay extends RunningSecurePaySimulator {
  /**
   * A call to any path; a `/__sim/` call carries the driver secret when the simulator has one
   * (an `authorization` in `headers` replaces it).
   */
  request(method: string, path: string, init?: CallInit): Promise<HttpResult>;
  /** A fresh Bearer access token (cached after the first call). */
  accessToken(): Promise<string>;
  tokenize(card: Partial<CardInput> & { cardNumber: string }): Promise<HttpResult>;
  /** Tokenizes the card and returns the token (asserts 201). */
  cardToken(cardNumber: string): Promise<string>;
  pay(body: Record<string, unknown>, key?: string): Promise<HttpResult>;
  paymentBody(token: string, overrides?: Record<string, unknown>): Record<string, unknown>;
}

export const FUTURE_YEAR = new Date().getUTCFullYear() + 2;

export async function read(response: Response): Promise<HttpResult> {
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json');
  return {
    status: response.status,
    headers: response.headers,
    body: json && text !== '' ? JSON.parse(text) : text || undefined
  };
}

export function cvvFor(cardNumber: string): string {
  return /^3[47]/.test(cardNumber) ? '7319' : '847';
}

export async function startTestSecurePay(
  options: SecurePaySimulatorOptions = {}
): Promise<TestSecurePay> {
  const sim = await startSecurePaySimulator({ port: 0, ...options });
  let bearer: string | undefined;

  const request: TestSecurePay['request'] = async (method, path, { body, headers } = {}) => {
    const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
    const contentType: Record<string, string> =
      payload === undefined ? {} : { 'content-type': 'application/json' };
    const control: Record<string, string> =
      sim.driverSecret !== undefined && path.startsWith('/__sim')
        ? { authorization: `Bearer ${sim.driverSecret}` }
        : {};
    const init: RequestInit = { method, headers: { ...contentType, ...control, ...headers } };
    if (payload !== undefined) init.body = payload;
    return read(await fetch(new URL(path, sim.url), init));
  };

  const accessToken = async () => {
    if (bearer) return bearer;
    const basic = Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64');
    const response = await request('POST', '/oauth/token', {
      body: 'grant_type=client_credentials',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded'
      }
    });
    if (response.status !== 200) throw new Error(`token: ${response.status}`);
    bearer = String(response.body.access_token);
    return bearer;
  };

  const tokenize: TestSecurePay['tokenize'] = (card) =>
    request('POST', '/v2/tokens', {
      body: { expiryMonth: 12, expiryYear: FUTURE_YEAR, cvv: cvvFor(card.cardNumber), ...card },
      headers: { 'x-merchant-code': sim.merchantCode }
    });

  return {
    ...sim,
    request,
    accessToken,
    tokenize,
    async cardToken(cardNumber) {
      const response = await tokenize({ cardNumber });
      if (response.status !== 201) throw new Error(`tokenize: ${response.status}`);
      return String(response.body.token);
    },
    async pay(body, key = randomUUID()) {
      return request('POST', '/v2/payments', {
        body,
        headers: { authorization: `Bearer ${await accessToken()}`, 'idempotency-key': key }
      });
    },
    paymentBody(token, overrides = {}) {
      return {
        merchantCode: sim.merchantCode,
        token,
        amount: 12_345,
        currency: 'AUD',
        orderId: `INV-${randomUUID().slice(0, 8)}`,
        ip: '203.0.113.7',
        ...overrides
      };
    }
  };
}

/**
 * A simulator for the enclosing `describe`: started in `before`, closed in `after`. The
 * returned object is filled in when `before` has run.
 */
export function useSecurePay(options: SecurePaySimulatorOptions = {}): TestSecurePay {
  const sp = {} as TestSecurePay;
  before(async () => {
    Object.assign(sp, await startTestSecurePay(options));
  });
  after(() => sp.close());
  return sp;
}

/** The `errors[0].code` of an error answer. */
export function errorCode(response: HttpResult): string {
  return String(response.body?.errors?.[0]?.code);
}
