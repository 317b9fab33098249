// Errors of the Salesforce client layer, and the one place that decides which of them are worth
// retrying.
//
// Salesforce answers REST and Bulk API errors with an array `[{"message","errorCode","fields"}]`
// and OAuth errors with `{"error","error_description"}`; both become a SalesforceError carrying
// the HTTP status, the first error's code and every item, so callers branch on `errorCode`
// (INVALID_FIELD, REQUIRED_FIELD_MISSING, ...) instead of parsing messages.
//
// Transient: the org or the network had a bad moment and the same request may succeed later
// (5xx, SERVER_UNAVAILABLE, REQUEST_LIMIT_EXCEEDED, UNABLE_TO_LOCK_ROW, timeouts, connection
// resets). Permanent: the request itself is wrong (bad field, bad credentials...) and repeating it
// only burns API calls. The durable queue uses `isTransientError` to choose retry vs dead letter.

/** One item of Salesforce's REST error body. */
export interface SalesforceErrorItem {
  message: string;
  errorCode: string;
  fields?: string[];
}

export interface SalesforceErrorOptions {
  status: number;
  errorCode: string;
  message: string;
  fields?: string[];
  errors?: SalesforceErrorItem[];
  /** What the client was doing (`rest.query`, `bulk.query.results`...), for logs and metrics. */
  operation?: string;
  cause?: unknown;
}

/** An error answered by Salesforce (or, with status 0, a request that never got an answer). */
export class SalesforceError extends Error {
  /** HTTP status; 0 when no response arrived (network failure, timeout). */
  readonly status: number;
  /** First error's code: `INVALID_FIELD`, `INVALID_SESSION_ID`, `invalid_grant`, `NETWORK_ERROR`... */
  readonly errorCode: string;
  readonly fields: string[];
  /** Every item Salesforce sent (usually one). */
  readonly errors: SalesforceErrorItem[];
  readonly operation: string | undefined;

  constructor(options: SalesforceErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SalesforceError';
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.fields = options.fields ?? [];
    this.errors = options.errors ?? [
      { message: options.message, errorCode: options.errorCode, fields: this.fields }
    ];
    this.operation = options.operation;
  }

  /** Worth repeating later: see `isTransientError`. */
  get transient(): boolean {
    return isTransientError(this);
  }
}

/**
 * The OAuth token endpoint refused (`invalid_client`, `invalid_grant`...). `errorCode` is the
 * OAuth `error`, the message its `error_description`. Never carries the secret or the assertion.
 */
export class SalesforceAuthError extends SalesforceError {
  constructor(options: SalesforceErrorOptions) {
    super(options);
    this.name = 'SalesforceAuthError';
  }
}

/** Salesforce error codes that describe a passing condition, not a bad request. */
const TRANSIENT_CODES = new Set([
  'SERVER_UNAVAILABLE',
  'REQUEST_LIMIT_EXCEEDED',
  'UNABLE_TO_LOCK_ROW',
  'QUERY_TIMEOUT',
  'REQUEST_RUNNING_TOO_LONG',
  'CONCURRENT_REQUEST_LIMIT_EXCEEDED',
  'TOO_MANY_CONCURRENT_REQUESTS',
  'API_CURRENTLY_DISABLED',
  'NETWORK_ERROR',
  'TIMEOUT',
  // A Bulk API job still running when the client stopped waiting: wait again later.
  'BULK_JOB_POLL_TIMEOUT',
  // OAuth: "temporarily_unavailable" from the token endpoint.
  'temporarily_unavailable'
]);

/** Node/undici error codes of a connection that failed or dropped. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED'
]);

function causeCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  return causeCode((error as { cause?: unknown }).cause, depth + 1);
}

/** A timeout or a failed/dropped connection (no usable answer from Salesforce). */
export function isNetworkError(error: unknown): boolean {
  if (error instanceof SalesforceError) {
    return (
      error.status === 0 && (error.errorCode === 'NETWORK_ERROR' || error.errorCode === 'TIMEOUT')
    );
  }
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  // fetch reports connection problems as `TypeError: fetch failed` with the socket error as cause.
  if (error.name === 'TypeError' && error.message === 'fetch failed') return true;
  return causeCode(error) !== undefined;
}

/** True when the same request may succeed if repeated later. */
export function isTransientError(error: unknown): boolean {
  if (error instanceof SalesforceError) {
    if (error.status === 0) return isNetworkError(error) || TRANSIENT_CODES.has(error.errorCode);
    if (error.status >= 500) return true;
    if (error.status === 429) return true;
    return error.errors.some((item) => TRANSIENT_CODES.has(item.errorCode));
  }
  return isNetworkError(error);
}

/** For per-record results (collections, bulk `sf__Error`): a code that may pass on retry. */
export function isTransientRecordError(errorCode: string): boolean {
  return TRANSIENT_CODES.has(errorCode);
}

/** A thrown fetch/timeout turned into a SalesforceError with status 0. */
export function networkError(operation: string, cause: unknown): SalesforceError {
  const timeout =
    cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
  const detail = cause instanceof Error ? (causeCode(cause) ?? cause.message) : String(cause);
  return new SalesforceError({
    status: 0,
    errorCode: timeout ? 'TIMEOUT' : 'NETWORK_ERROR',
    message: timeout
      ? `Salesforce request ${operation} timed out`
      : `Salesforce request ${operation} failed: ${detail}`,
    operation,
    cause
  });
}

function isErrorItem(value: unknown): value is SalesforceErrorItem {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { errorCode?: unknown }).errorCode === 'string'
  );
}

/**
 * A SalesforceError from a non-2xx answer. Understands the REST array, a single error object,
 * and the OAuth shape; anything else (an HTML error page from a proxy) keeps the status and a
 * short excerpt of the text.
 */
export function errorFromResponse(
  status: number,
  bodyText: string,
  operation: string
): SalesforceError {
  let body: unknown;
  try {
    body = bodyText === '' ? undefined : JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const items = (Array.isArray(body) ? body : [body]).filter(isErrorItem).map((item) => ({
    message: typeof item.message === 'string' ? item.message : item.errorCode,
    errorCode: item.errorCode,
    fields: Array.isArray(item.fields) ? item.fields.map(String) : []
  }));
  const first = items[0];
  if (first) {
    return new SalesforceError({
      status,
      errorCode: first.errorCode,
      // The code up front reads well in logs; `errors` keeps Salesforce's own text.
      message: `${first.errorCode}: ${first.message.trim()}`,
      fields: first.fields,
      errors: items,
      operation
    });
  }
  if (
    body !== null &&
    typeof body === 'object' &&
    typeof (body as { error?: unknown }).error === 'string'
  ) {
    const oauth = body as { error: string; error_description?: unknown };
    return new SalesforceAuthError({
      status,
      errorCode: oauth.error,
      message:
        typeof oauth.error_description === 'string' && oauth.error_description !== ''
          ? oauth.error_description
          : oauth.error,
      operation
    });
  }
  const excerpt = bodyText.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new SalesforceError({
    status,
    errorCode: status >= 500 ? 'SERVER_ERROR' : `HTTP_${status}`,
    message: `Salesforce answered ${status} to ${operation}${excerpt ? `: ${excerpt}` : ''}`,
    operation
  });
}
