// SecurePay Card Payments API v2 client: OAuth 2.0 client-credentials token (cached until shortly
// before it expires, fetched again once on a 401), `POST /v2/payments` with our Idempotency-Key
// and an orderId derived from it, `GET /v2/payments/{orderId}` for reconciliation.
//
// Latency matters (the service sits inside a synchronous Apex callout): requests go over
// node:http(s) with a keep-alive agent, so a charge costs no TCP/TLS handshake. Failures are
// classified so the caller can tell "no charge" from "may have charged". Only a request that
// provably never left is "no charge" (GatewayUnavailableError): the connection (TCP, and TLS for
// https) failed before it was established (refused, DNS, unreachable, handshake or certificate
// failure), or the access token could not be had before the charge. A charge answered with any
// HTTP 5xx (a proxy's 502/504, or the gateway's 500 after it committed the charge) or failing
// once the connection was up may have charged (GatewayOutcomeUnknownError, GatewayTimeoutError).
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export interface SecurePayClientOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  merchantCode: string;
  /** Time box of one gateway call (token + payment), default 10 s. */
  timeoutMs?: number;
  /** Keep-alive sockets per gateway host (default 256). */
  maxSockets?: number;
}

/** SecurePay's payment object (the fields this service reads). */
export interface SecurePayPayment {
  status: 'paid' | 'failed' | string;
  orderId: string;
  amount: number;
  currency?: string;
  bankTransactionId?: string | null;
  gatewayResponseCode?: string | null;
  gatewayResponseMessage?: string | null;
  errorCode?: string | null;
  cardBrand?: string | null;
  last4?: string | null;
}

export interface ChargeInput {
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
  paymentToken: string;
}

/** The gateway did not answer in time: the payment may have gone through. */
export class GatewayTimeoutError extends Error {
  constructor(message = 'The payment gateway did not answer in time.') {
    super(message);
    this.name = 'GatewayTimeoutError';
  }
}

/**
 * The gateway could not be reached (the request never left), or a call other than a charge
 * failed with a 5xx: no payment was taken by it.
 */
export class GatewayUnavailableError extends Error {
  constructor(
    message: string,
    /** HTTP status, undefined when the connection failed. */
    readonly status: number | undefined
  ) {
    super(message);
    this.name = 'GatewayUnavailableError';
  }
}

/**
 * A charge answered with an HTTP 5xx: from the gateway after it may have committed the charge,
 * or from a proxy in front of it after forwarding it. The payment may have gone through.
 */
export class GatewayOutcomeUnknownError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'GatewayOutcomeUnknownError';
  }
}

/**
 * A lookup the gateway did not answer with a payment or with its own "no such order" error: a
 * 404 without SecurePay's `order_not_found` (a wrong base URL, a proxy's page), or any other
 * failure. Says nothing about the payment.
 */
export class GatewayLookupError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'GatewayLookupError';
  }
}

/**
 * The error code SecurePay's `GET /v2/payments/{orderId}` answers a 404 with when it has no
 * payment for that order (`{"errors":[{"code":"order_not_found",...}]}`, as the simulator models
 * it). Only this 404 means "the gateway does not know the order"; any other 404 (a wrong path,
 * a proxy) is a failed lookup.
 */
export const ORDER_NOT_FOUND_CODE = 'order_not_found';

/** The gateway refused the request (4xx other than 401): no payment was taken. */
export class GatewayRejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string
  ) {
    super(message);
    this.name = 'GatewayRejectedError';
  }
}

/** SecurePay's orderId for one of our idempotency keys: stable, so reconciliation can find it. */
export function orderIdFor(idempotencyKey: string): string {
  return `ord-${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 32)}`;
}

interface RawResponse {
  status: number;
  body: unknown;
}

// Errors that only ever happen before a connection exists (refused, name not resolved): never
// sent, whatever the socket events said. Others (EHOSTUNREACH...) count as "never sent" only
// when they came before the connection was established.
const CONNECTION_FAILED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

function firstErrorCode(body: unknown): { code: string; detail: string } {
  const errors = (body as { errors?: Array<{ code?: unknown; detail?: unknown }> } | undefined)
    ?.errors;
  const first = Array.isArray(errors) ? errors[0] : undefined;
  return {
    code: typeof first?.code === 'string' ? first.code : 'unknown_error',
    detail: typeof first?.detail === 'string' ? first.detail : ''
  };
}

function hasErrorCode(body: unknown, code: string): boolean {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  return (
    Array.isArray(errors) &&
    errors.some((item) => (item as { code?: unknown } | null)?.code === code)
  );
}

export class SecurePayClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly timeoutMs: number;
  private token: { value: string; expiresAt: number } | undefined;
  private tokenRequest: Promise<string> | undefined;

  constructor(private readonly options: SecurePayClientOptions) {
    this.base = new URL(options.baseUrl.replace(/\/+$/, '') + '/');
    const secure = this.base.protocol === 'https:';
    this.transport = secure ? https : http;
    const agentOptions = {
      keepAlive: true,
      keepAliveMsecs: 10_000,
      maxSockets: options.maxSockets ?? 256,
      scheduling: 'lifo' as const
    };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  get merchantCode(): string {
    return this.options.merchantCode;
  }

  /** Charges a token. Throws GatewayTimeoutError / GatewayUnavailableError / GatewayRejectedError. */
  async charge(input: ChargeInput): Promise<SecurePayPayment> {
    const deadline = Date.now() + this.timeoutMs;
    const body = JSON.stringify({
      merchantCode: this.options.merchantCode,
      token: input.paymentToken,
      amount: input.amountMinor,
      currency: input.currency,
      orderId: orderIdFor(input.idempotencyKey)
    });
    const response = await this.authorized(deadline, (token) =>
      this.send(
        'POST',
        'v2/payments',
        {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': input.idempotencyKey
        },
        body,
        deadline
      )
    );
    if (response.status === 200 || response.status === 201) {
      return response.body as SecurePayPayment;
    }
    if (response.status >= 500) {
      // Sent, and answered with a failure: the gateway may have charged before failing, and a
      // proxy's 502/504 says nothing about what the gateway did.
      throw new GatewayOutcomeUnknownError(
        `SecurePay charge failed with HTTP ${response.status}`,
        response.status
      );
    }
    throw this.failure(response, 'charge');
  }

  /**
   * The payment of an order, or undefined when the gateway says it does not know it (404 with
   * its `order_not_found` error). Throws GatewayLookupError for any other answer.
   */
  async getPayment(orderId: string): Promise<SecurePayPayment | undefined> {
    const deadline = Date.now() + this.timeoutMs;
    const response = await this.authorized(deadline, (token) =>
      this.send(
        'GET',
        `v2/payments/${encodeURIComponent(orderId)}`,
        { authorization: `Bearer ${token}` },
        undefined,
        deadline
      )
    );
    if (response.status === 200) return response.body as SecurePayPayment;
    if (response.status === 404 && hasErrorCode(response.body, ORDER_NOT_FOUND_CODE)) {
      return undefined;
    }
    throw new GatewayLookupError(
      `SecurePay payment lookup failed with HTTP ${response.status} ${firstErrorCode(response.body).code}`,
      response.status
    );
  }

  /** Readiness: an access token can be had (cached, so usually no request at all). */
  async ping(): Promise<void> {
    await this.accessToken(Date.now() + this.timeoutMs);
  }

  close(): void {
    this.agent.destroy();
  }

  private failure(response: RawResponse, what: string): Error {
    if (response.status >= 500) {
      return new GatewayUnavailableError(
        `SecurePay ${what} failed with HTTP ${response.status}`,
        response.status
      );
    }
    const { code, detail } = firstErrorCode(response.body);
    return new GatewayRejectedError(
      `SecurePay refused the ${what} (HTTP ${response.status} ${code}${detail ? `: ${detail}` : ''})`,
      response.status,
      code
    );
  }

  /** Runs `call` with an access token; on 401 drops the token and tries once more. */
  private async authorized(
    deadline: number,
    call: (token: string) => Promise<RawResponse>
  ): Promise<RawResponse> {
    const first = await call(await this.accessToken(deadline));
    if (first.status !== 401) return first;
    this.token = undefined;
    return call(await this.accessToken(deadline, true));
  }

  private accessToken(deadline: number, refresh = false): Promise<string> {
    const cached = this.token;
    if (!refresh && cached && cached.expiresAt > Date.now()) return Promise.resolve(cached.value);
    // One token request at a time, shared by every caller waiting for it.
    this.tokenRequest ??= this.fetchToken(deadline).finally(() => {
      this.tokenRequest = undefined;
    });
    return this.tokenRequest;
  }

  private async fetchToken(deadline: number): Promise<string> {
    const basic = Buffer.from(
      `${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`
    ).toString('base64');
    const response = await this.send(
      'POST',
      'oauth/token',
      {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded'
      },
      new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
      deadline
    );
    const body = response.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (response.status !== 200 || typeof body?.access_token !== 'string') {
      if (response.status >= 500 || response.status === 200) {
        throw new GatewayUnavailableError(
          `SecurePay token request failed with HTTP ${response.status}`,
          response.status
        );
      }
      throw new GatewayRejectedError(
        `SecurePay refused the client credentials (HTTP ${response.status})`,
        response.status,
        'invalid_client'
      );
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 300;
    // Renewed a minute early (or at half-life for short tokens) so a request never carries a
    // token that expires in flight.
    const margin = Math.min(60, expiresIn / 2) * 1000;
    this.token = { value: body.access_token, expiresAt: Date.now() + expiresIn * 1000 - margin };
    return body.access_token;
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    deadline: number
  ): Promise<RawResponse> {
    try {
      return await this.sendOnce(method, path, headers, body, deadline);
    } catch (error) {
      // A keep-alive socket the gateway closed while idle fails as soon as it is written to:
      // usually the request never reached the gateway. Sent again once, on a fresh socket; a
      // charge is safe to repeat (same Idempotency-Key, SecurePay answers the first result).
      if (!(error as { staleSocket?: boolean }).staleSocket) throw error;
      try {
        return await this.sendOnce(method, path, headers, body, deadline);
      } catch (retryError) {
        // The first attempt went out on a connected socket: the gateway may have received it
        // (and charged) before the socket died. A resend that never connected proves nothing
        // about that first attempt, so its outcome stays unknown, never "not sent".
        if (retryError instanceof GatewayUnavailableError && retryError.status === undefined)
          throw error;
        throw retryError;
      }
    }
  }

  private sendOnce(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    deadline: number
  ): Promise<RawResponse> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return Promise.reject(new GatewayTimeoutError());
    const url = new URL(path, this.base);
    const secure = this.transport === https;
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      let gotResponse = false;
      // Whether the request may have reached the gateway: its connection was established (TCP,
      // and the TLS handshake for https). Until then nothing of it was sent.
      let connected = false;
      const finish = (error: Error | undefined, value?: RawResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value as RawResponse);
      };
      const request = this.transport.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...headers,
            ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) })
          }
        },
        (response) => {
          gotResponse = true;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) => finish(classify(error, true)));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            finish(undefined, { status: response.statusCode ?? 0, body: parsed });
          });
        }
      );
      request.on('socket', (socket) => {
        // A kept-alive socket is connected already; a new one connects after this event.
        if (request.reusedSocket) connected = true;
        else socket.once(secure ? 'secureConnect' : 'connect', () => (connected = true));
      });
      const timer = setTimeout(() => {
        const error = new GatewayTimeoutError();
        finish(error);
        request.destroy(error);
      }, remaining);
      request.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (request.reusedSocket && !gotResponse && (code === 'ECONNRESET' || code === 'EPIPE')) {
          finish(Object.assign(classify(error, connected), { staleSocket: true }));
        } else finish(classify(error, connected));
      });
      if (body !== undefined) request.end(body);
      else request.end();
    });
  }
}

function classify(error: Error, connected: boolean): Error {
  if (error instanceof GatewayTimeoutError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (!connected || (code && CONNECTION_FAILED.has(code))) {
    // Refused, not resolved, unreachable, or the TLS handshake failed (a certificate, a protocol
    // mismatch): the connection never carried the request.
    return new GatewayUnavailableError(
      `SecurePay could not be reached (${code ?? error.name})`,
      undefined
    );
  }
  // Anything else in flight (socket hang up after the request was sent) may have charged.
  return new GatewayTimeoutError(`The connection to the payment gateway failed: ${error.message}`);
}
