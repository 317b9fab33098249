/**
 * Composite (`POST composite`): up to 25 subrequests run in order as one API call, each able to
 * use an earlier result through `@{referenceId.path}` (`@{newAccount.id}`,
 * `@{found.records[0].Id}`). Subrequests are replayed through the app itself, so each behaves
 * exactly like the standalone resource. With `allOrNone: true` the first failure rolls back
 * everything and every other subrequest answers 400 PROCESSING_HALTED, as Salesforce does;
 * sObject Collections subrequests then run all-or-none too.
 *
 * Also `POST composite/batch` (up to 25 independent subrequests, `haltOnError`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SalesforceApiError, type EmulatorContext } from '../../model.ts';
import { JavaDouble, parseJavaJson } from '../../java-json.ts';
import { subrequestHeaders } from '../auth.ts';
import { jsonParserError } from '../errors.ts';
import { savepoint } from './atomic.ts';

export const MAX_SUBREQUESTS = 25;
const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD']);
const REFERENCE = /@\{([A-Za-z0-9_]+)\.([^}]+)\}/g;

interface Subrequest {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
}

interface SubrequestResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

const HALTED = [
  {
    errorCode: 'PROCESSING_HALTED',
    message:
      'The transaction was rolled back since another operation in the same transaction failed.'
  }
];

function invalidInput(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALID_INPUT', message);
}

/** The subrequests of a composite or batch request: a non-empty array of at most 25. */
function subrequestList(value: unknown, property: string, request: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidInput(`${property} must be a non-empty array of subrequests`);
  }
  if (value.length > MAX_SUBREQUESTS) {
    throw new SalesforceApiError(
      400,
      'LIMIT_EXCEEDED',
      `A ${request} request can contain at most ${MAX_SUBREQUESTS} subrequests; received ${value.length}`
    );
  }
  return value;
}

function parseComposite(body: unknown): { allOrNone: boolean; requests: Subrequest[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw jsonParserError('Cannot deserialize the composite request: expected a JSON object');
  }
  const { allOrNone, compositeRequest } = body as Record<string, unknown>;
  const seen = new Set<string>();
  const requests = subrequestList(compositeRequest, 'compositeRequest', 'composite').map(
    (raw, index): Subrequest => {
      const item = (raw ?? {}) as Record<string, unknown>;
      const { method, url, referenceId, body: subBody, httpHeaders } = item;
      if (typeof referenceId !== 'string' || !/^[A-Za-z0-9_]+$/.test(referenceId)) {
        throw invalidInput(
          `Subrequest ${index}: referenceId must contain only letters, digits and underscores`
        );
      }
      if (seen.has(referenceId))
        throw invalidInput(`Duplicate referenceId provided in the request: ${referenceId}`);
      seen.add(referenceId);
      if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) {
        throw invalidInput(`Subrequest ${referenceId}: unsupported HTTP method ${String(method)}`);
      }
      if (typeof url !== 'string' || !url.startsWith('/services/data/v')) {
        throw invalidInput(`Subrequest ${referenceId}: url must start with /services/data/vXX.X/`);
      }
      const headers: Record<string, string> = {};
      if (httpHeaders && typeof httpHeaders === 'object') {
        for (const [name, value] of Object.entries(httpHeaders)) headers[name] = String(value);
      }
      return {
        method: method.toUpperCase(),
        url,
        referenceId,
        body: subBody,
        httpHeaders: headers
      };
    }
  );
  return { allOrNone: allOrNone === true, requests };
}

class UnresolvedReference extends Error {}

/** `records[0].Id` against an earlier result body. */
function lookup(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) return undefined;
    if (match[1]) value = (value as Record<string, unknown> | null)?.[match[1]];
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) {
      value = Array.isArray(value) ? value[Number(index[1])] : undefined;
    }
    if (value === undefined) return undefined;
  }
  return value;
}

function resolveText(
  text: string,
  results: Map<string, SubrequestResult>,
  encode: boolean
): unknown {
  const whole = /^@\{([A-Za-z0-9_]+)\.([^}]+)\}$/.exec(text);
  const resolveOne = (ref: string, path: string, token: string): unknown => {
    const result = results.get(ref);
    const found = result && result.httpStatusCode < 400 ? lookup(result.body, path) : undefined;
    const value = found instanceof JavaDouble ? found.value : found;
    if (value === undefined || value === null) {
      throw new UnresolvedReference(
        `Invalid reference specified. No value for ${ref}.${path} found in ${ref}. Provided referenceId ('${token}') might be incorrect or the subrequest '${ref}' might have failed.`
      );
    }
    return value;
  };
  // A body value that is only a reference takes the referenced value as it is (number, bool...).
  if (whole && !encode) return resolveOne(whole[1] ?? '', whole[2] ?? '', text);
  return text.replace(REFERENCE, (token, ref: string, path: string) => {
    const value = String(resolveOne(ref, path, token));
    return encode ? encodeURIComponent(value) : value;
  });
}

function resolveBody(value: unknown, results: Map<string, SubrequestResult>): unknown {
  if (typeof value === 'string') return resolveText(value, results, false);
  if (Array.isArray(value)) return value.map((item) => resolveBody(item, results));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveBody(item, results)])
    );
  }
  return value;
}

function isCollection(url: string): boolean {
  return /^\/services\/data\/v[^/]+\/composite\/sobjects(?:[/?]|$)/.test(url);
}

/** Outer allOrNone overrides an sObject Collections subrequest's own flag. */
function forceAllOrNone(
  request: Subrequest,
  url: string,
  body: unknown
): { url: string; body: unknown } {
  if (!isCollection(url)) return { url, body };
  if (request.method === 'DELETE') {
    const withoutFlag = url.replace(/([?&])allOrNone=[^&]*&?/, '$1').replace(/[?&]$/, '');
    return { url: `${withoutFlag}${withoutFlag.includes('?') ? '&' : '?'}allOrNone=true`, body };
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    return { url, body: { ...(body as Record<string, unknown>), allOrNone: true } };
  }
  return { url, body };
}

/** A collection answer of 200 can still hold failed records: a failure for allOrNone. */
function failed(result: SubrequestResult): boolean {
  if (result.httpStatusCode >= 400) return true;
  return (
    Array.isArray(result.body) &&
    result.body.some((item) => (item as { success?: unknown })?.success === false)
  );
}

const FORWARDED_HEADERS = ['location', 'etag', 'last-modified'];

export async function compositeRoutes(
  app: FastifyInstance,
  options: { ctx: EmulatorContext }
): Promise<void> {
  const { ctx } = options;

  async function dispatch(
    outer: FastifyRequest,
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>
  ): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    const response = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...headers,
        ...(typeof outer.headers.authorization === 'string'
          ? { authorization: outer.headers.authorization }
          : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...subrequestHeaders(ctx)
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) })
    });
    const forwarded: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = response.headers[name];
      if (typeof value === 'string') {
        forwarded[name === 'location' ? 'Location' : name === 'etag' ? 'ETag' : 'Last-Modified'] =
          value;
      }
    }
    let parsed: unknown = null;
    if (response.body !== '') {
      try {
        // Doubles stay doubles (`100.0`) when the subresponse is written again.
        parsed = parseJavaJson(response.body);
      } catch {
        parsed = response.body;
      }
    }
    return { status: response.statusCode, body: parsed, headers: forwarded };
  }

  app.post('/composite', async (request) => {
    const { allOrNone, requests } = parseComposite(request.body);
    const point = allOrNone ? savepoint(ctx) : undefined;
    const results = new Map<string, SubrequestResult>();
    const ordered: SubrequestResult[] = [];
    let failedAt = -1;
    try {
      failedAt = await runAll();
    } catch (error) {
      point?.rollback();
      throw error;
    }
    if (point && failedAt >= 0) {
      point.rollback();
      return {
        compositeResponse: requests.map((sub, index) =>
          index === failedAt
            ? ordered[index]
            : { body: HALTED, httpHeaders: {}, httpStatusCode: 400, referenceId: sub.referenceId }
        )
      };
    }
    point?.release();
    return { compositeResponse: ordered };

    /** Runs the subrequests in order; the index of the first failure under allOrNone, else -1. */
    async function runAll(): Promise<number> {
      for (const [index, sub] of requests.entries()) {
        let result: SubrequestResult;
        try {
          let url = String(resolveText(sub.url, results, true));
          let body = sub.body === undefined ? undefined : resolveBody(sub.body, results);
          if (allOrNone) ({ url, body } = forceAllOrNone(sub, url, body));
          const response = await dispatch(request, sub.method, url, body, sub.httpHeaders ?? {});
          result = {
            body: response.body,
            httpHeaders: response.headers,
            httpStatusCode: response.status,
            referenceId: sub.referenceId
          };
        } catch (error) {
          if (!(error instanceof UnresolvedReference)) throw error;
          result = {
            body: [{ errorCode: 'PROCESSING_HALTED', message: error.message }],
            httpHeaders: {},
            httpStatusCode: 400,
            referenceId: sub.referenceId
          };
        }
        results.set(sub.referenceId, result);
        ordered.push(result);
        if (point && failed(result)) return index;
      }
      return -1;
    }
  });

  app.post<{ Params: { version: string } }>('/composite/batch', async (request) => {
    const body = request.body as Record<string, unknown> | null;
    const batch = subrequestList(body?.batchRequests, 'batchRequests', 'batch');
    const haltOnError = body?.haltOnError === true;
    const results: Array<{ statusCode: number; result: unknown }> = [];
    let halted = false;
    for (const raw of batch) {
      const item = (raw ?? {}) as Record<string, unknown>;
      if (halted) {
        results.push({
          statusCode: 412,
          result: [
            { errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }
          ]
        });
        continue;
      }
      const method = typeof item.method === 'string' ? item.method.toUpperCase() : '';
      const relative = typeof item.url === 'string' ? item.url.replace(/^\/+/, '') : '';
      if (!METHODS.has(method) || !/^v\d+\.\d+\//.test(relative)) {
        results.push({
          statusCode: 400,
          result: [
            {
              errorCode: 'INVALID_INPUT',
              message: 'Each subrequest needs a method and a url such as v65.0/sobjects/Account'
            }
          ]
        });
        halted = haltOnError;
        continue;
      }
      const response = await dispatch(
        request,
        method,
        `/services/data/${relative}`,
        item.richInput,
        {}
      );
      results.push({ statusCode: response.status, result: response.body });
      if (response.status >= 400) halted = haltOnError;
    }
    return { hasErrors: results.some((r) => r.statusCode >= 400), results };
  });
}
