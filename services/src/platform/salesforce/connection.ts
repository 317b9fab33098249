// The one HTTP path every Salesforce client request takes (REST, Bulk API 2.0 query and ingest):
// bearer token from the token provider, API-call accounting, Salesforce error bodies turned into
// SalesforceError, refresh-and-retry-once on 401 INVALID_SESSION_ID, and a few jittered retries
// of idempotent requests on transient failures (503, UNABLE_TO_LOCK_ROW, dropped connections).
//
// Built on Node's fetch rather than a jsforce `Connection` (with `refreshFn`): we need an exact
// count of every request per operation (jsforce sends extra requests of its own and exposes no
// per-request hook that sees retries), typed errors with Salesforce's errorCode/fields (jsforce
// flattens them inconsistently between REST and Bulk), streaming bodies in both directions for
// Bulk API 2.0 (jsforce buffers), and a 401 policy where concurrent requests share one refresh.
// What remains is small: URL building, one retry loop, error mapping.
import http from 'node:http';
import https from 'node:https';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from '../logger.ts';
import type { ApiCallMeter } from './api-calls.ts';
import { createApiCallMeter } from './api-calls.ts';
import { delay, jitteredDelay, type BackoffOptions } from '../../../../toolkit/src/backoff.ts';
import {
  errorFromResponse,
  isTransientError,
  networkError,
  type SalesforceError
} from './errors.ts';
import type { AccessToken, TokenProvider } from './token-provider.ts';

export const DEFAULT_API_VERSION = '65.0';

/** What fetch accepts as a request body. */
export type RequestBody = NonNullable<RequestInit['body']>;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface SalesforceRequest {
  /** Label for accounting, logs and errors: `rest.query`, `bulk.ingest.upload`... */
  operation: string;
  method?: HttpMethod;
  /**
   * `/services/...` (absolute on the instance, e.g. a `nextRecordsUrl`) or a path relative to
   * `/services/data/vXX.X/` (`sobjects/Account/describe`).
   */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /**
   * Any other body. A function is called once per attempt, so a streamed body can be sent again
   * after a token refresh or a transient failure.
   */
  body?: RequestBody | (() => RequestBody);
  headers?: Record<string, string>;
  /** Retried on transient failures. Default: true for GET/PUT/DELETE, false for POST/PATCH. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface RetryOptions extends BackoffOptions {
  /** Extra attempts after the first for idempotent requests (0 disables). */
  retries: number;
}

export interface SalesforceConnectionOptions {
  tokenProvider: TokenProvider;
  /** `65.0` (no `v`). */
  apiVersion?: string;
  meter?: ApiCallMeter;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Time to the response headers (the body's idle time is undici's own 300 s). Default 120 s. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
}

export interface SalesforceConnection {
  readonly apiVersion: string;
  readonly meter: ApiCallMeter;
  readonly tokenProvider: TokenProvider;
  readonly logger: Logger | undefined;
  /** `/services/data/v65.0/<suffix>`. */
  dataPath(suffix: string): string;
  /** The successful response with its body unread (stream it or read it); throws SalesforceError. */
  request(request: SalesforceRequest): Promise<Response>;
  /**
   * A GET whose (large) body is consumed as a Node stream: Bulk API result sets. See
   * StreamedResponse for why this does not use fetch.
   */
  stream(request: Omit<SalesforceRequest, 'method' | 'json' | 'body'>): Promise<StreamedResponse>;
  /** Closes the keep-alive sockets of `stream` (fetch's pool closes itself). */
  close(): void;
  /** The parsed JSON answer (undefined for 204 / empty bodies). */
  requestJson<T>(request: SalesforceRequest): Promise<T>;
  /**
   * Salesforce's clock: the `Date` header of the last answer plus the time since it came
   * (whole seconds, so never ahead of the org by more than the network delay); undefined before
   * any answer. For windows that must be cut on the org's clock, not this machine's.
   */
  serverTime(): Date | undefined;
}

/** What the retry loop needs of an answer, whichever transport carried it. */
interface Answer {
  status: number;
  header(name: string): string | null;
  text(): Promise<string>;
}

/**
 * A successful GET over node:http(s) with its body as a Node stream, gunzipped when the answer
 * was gzip. Bulk API result sets take this path instead of fetch: measured on 1M rows, fetch's
 * web-stream body and decompression leave ~70 MB of dead Buffers between major GCs (external
 * memory), node:http about 10 MB, with the same throughput.
 */
export interface StreamedResponse {
  status: number;
  header(name: string): string | null;
  /** The decoded body. Consume it, or call release(). */
  body: Readable;
  /** `gzip` when the server compressed the body. */
  contentEncoding: string | undefined;
  /** Drops the connection (a body abandoned half-read must not keep the socket busy). */
  release(): void;
}

type StreamAnswer = StreamedResponse & Answer;

const DEFAULT_RETRY: RetryOptions = {
  retries: 2,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  factor: 2
};

export function createSalesforceConnection(
  options: SalesforceConnectionOptions
): SalesforceConnection {
  const apiVersion = (options.apiVersion ?? DEFAULT_API_VERSION).replace(/^v/, '');
  if (!/^\d{2,3}\.0$/.test(apiVersion)) {
    throw new Error(`Salesforce API version must look like 65.0 (got "${apiVersion}")`);
  }
  const provider = options.tokenProvider;
  const meter = options.meter ?? createApiCallMeter();
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const logger = options.logger;
  let serverDate: { at: number; date: number } | undefined;
  const observeDate = (header: string | null) => {
    const date = header === null ? NaN : Date.parse(header);
    if (Number.isFinite(date)) serverDate = { at: performance.now(), date };
  };

  const dataPath = (suffix: string) =>
    `/services/data/v${apiVersion}/${suffix.replace(/^\/+/, '')}`;

  const urlOf = (token: AccessToken, request: SalesforceRequest): string => {
    const path = request.path.startsWith('/') ? request.path : dataPath(request.path);
    const url = new URL(token.instanceUrl + path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    // URLSearchParams writes spaces as '+', which Salesforce decodes as spaces (as in its docs).
    return url.toString();
  };

  const attempt = async (
    token: AccessToken,
    request: SalesforceRequest,
    method: HttpMethod
  ): Promise<Response> => {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...request.headers,
      Authorization: `Bearer ${token.accessToken}`
    };
    let body: RequestBody | undefined;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['Content-Type'] = 'application/json';
    } else if (request.body !== undefined) {
      body = typeof request.body === 'function' ? request.body() : request.body;
    }
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException('Salesforce request timed out', 'TimeoutError')),
      timeoutMs
    );
    const signal = request.signal
      ? AbortSignal.any([request.signal, timeout.signal])
      : timeout.signal;
    try {
      const init: RequestInit & { duplex?: 'half' } = { method, headers, body, signal };
      // A streamed request body needs half-duplex mode in Node's fetch.
      if (body instanceof ReadableStream) init.duplex = 'half';
      return await doFetch(urlOf(token, request), init);
    } finally {
      // Only the wait for the headers is bounded here; a streamed body may take long.
      clearTimeout(timer);
    }
  };

  /**
   * The loop every request goes through: token, send, account, map errors, refresh once on
   * INVALID_SESSION_ID, retry idempotent requests on transient failures.
   */
  const run = async <A extends Answer>(
    req: SalesforceRequest,
    method: HttpMethod,
    send: (token: AccessToken) => Promise<A>
  ): Promise<A> => {
    const idempotent =
      req.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    const op = req.operation;
    let refreshed = false;
    let failures = 0;
    for (;;) {
      const token = await provider.getToken();
      let answer: A;
      let failure: SalesforceError;
      try {
        answer = await send(token);
      } catch (error) {
        if (req.signal?.aborted) throw req.signal.reason ?? error;
        meter.record(op, 'error');
        failure = networkError(op, error);
        if (idempotent && failures < retry.retries) {
          const wait = jitteredDelay(failures, retry);
          failures += 1;
          logger?.warn(
            { operation: op, errorCode: failure.errorCode, retryInMs: wait },
            'Salesforce request failed, retrying'
          );
          await delay(wait, req.signal);
          continue;
        }
        throw failure;
      }
      meter.observeLimitInfo(answer.header('sforce-limit-info'));
      observeDate(answer.header('date'));
      if (answer.status >= 200 && answer.status < 300) {
        meter.record(op, 'ok');
        return answer;
      }
      const text = await answer.text().catch(() => '');
      failure = errorFromResponse(answer.status, text, op);
      if (answer.status === 401) {
        meter.record(op, 'unauthorized');
        if (provider.canRefresh && !refreshed && failure.errorCode === 'INVALID_SESSION_ID') {
          // Retried once with a fresh token: a second 401 is a real authorization problem.
          refreshed = true;
          provider.invalidate(token.accessToken);
          logger?.info({ operation: op }, 'Salesforce session expired, refreshing the token');
          continue;
        }
        throw failure;
      }
      meter.record(op, 'error');
      if (idempotent && failures < retry.retries && isTransientError(failure)) {
        const wait = jitteredDelay(failures, retry);
        failures += 1;
        logger?.warn(
          { operation: op, status: failure.status, errorCode: failure.errorCode, retryInMs: wait },
          'Salesforce request failed transiently, retrying'
        );
        await delay(wait, req.signal);
        continue;
      }
      throw failure;
    }
  };

  const request = async (req: SalesforceRequest): Promise<Response> => {
    const method = req.method ?? 'GET';
    const answer = await run(req, method, async (token) => {
      const response = await attempt(token, req, method);
      return {
        status: response.status,
        header: (name: string) => response.headers.get(name),
        text: () => response.text(),
        response
      };
    });
    return answer.response;
  };

  const agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true })
  };

  /** One GET over node:http(s), resolved at the response headers; see `stream`. */
  const streamAttempt = (token: AccessToken, req: SalesforceRequest): Promise<StreamAnswer> =>
    new Promise((resolve, reject) => {
      const url = new URL(urlOf(token, req));
      const controller = new AbortController();
      const signal = req.signal
        ? AbortSignal.any([req.signal, controller.signal])
        : controller.signal;
      const client = url.protocol === 'https:' ? https : http;
      const timer = setTimeout(
        () => controller.abort(new DOMException('Salesforce request timed out', 'TimeoutError')),
        timeoutMs
      );
      const outgoing = client.request(url, {
        method: 'GET',
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        headers: {
          Accept: 'application/json',
          ...req.headers,
          Authorization: `Bearer ${token.accessToken}`
        },
        signal
      });
      outgoing.on('error', (error) => {
        clearTimeout(timer);
        reject(signal.aborted && signal.reason instanceof Error ? signal.reason : error);
      });
      outgoing.on('response', (incoming) => {
        clearTimeout(timer);
        const encoding = String(incoming.headers['content-encoding'] ?? '').toLowerCase();
        // Through a pipeline in every case, so that a dropped connection becomes an error of
        // the body stream (never an unhandled 'error' event).
        const body =
          encoding === 'gzip' || encoding === 'x-gzip'
            ? pipeline(incoming, createGunzip(), () => {})
            : pipeline(incoming, new PassThrough(), () => {});
        const header = (name: string) => {
          const value = incoming.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        };
        resolve({
          status: incoming.statusCode ?? 0,
          header,
          body,
          contentEncoding: encoding || undefined,
          release: () => controller.abort(),
          text: async () => {
            let text = '';
            for await (const chunk of body) text += String(chunk);
            return text;
          }
        });
      });
      outgoing.end();
    });

  const stream = (req: SalesforceRequest): Promise<StreamedResponse> =>
    run(req, 'GET', (token) => streamAttempt(token, req));

  return {
    apiVersion,
    meter,
    tokenProvider: provider,
    logger,
    dataPath,
    request,
    stream,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
    async requestJson<T>(req: SalesforceRequest): Promise<T> {
      const response = await request(req);
      const text = await response.text();
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
    serverTime() {
      if (!serverDate) return undefined;
      return new Date(serverDate.date + (performance.now() - serverDate.at));
    }
  };
}
