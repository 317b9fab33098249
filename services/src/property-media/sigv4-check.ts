// Signature Version 4 verification, for the embedded storage only. s3rver, the embedded S3
// server, parses SigV4 but never checks the signature (its source: "Signature version 4
// calculation is unimplemented"), so without this a presigned URL's bounds would mean nothing
// locally: a browser could PUT any type or size, or reuse a URL for another key. The AWS SDK signs
// but has no verifier, hence this small piece. It follows AWS's published algorithm
// (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html): the canonical
// request from the method, the path as sent, the sorted query, the signed headers and the payload
// hash, then the HMAC chain of the secret over date, region and service.
//
// The signature covers the headers; whether the body matches the SHA-256 they state
// (x-amz-content-sha256, x-amz-checksum-sha256) is checked by body-digest.ts once it has arrived.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface StorageCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export class SignatureRefused extends Error {
  constructor(
    readonly code:
      | 'AccessDenied'
      | 'SignatureDoesNotMatch'
      | 'InvalidAccessKeyId'
      | 'RequestTimeTooSkewed'
      | 'InvalidRequest',
    message: string
  ) {
    super(message);
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** S3 refuses a header-signed request whose x-amz-date is further than this from its clock. */
const MAX_SKEW_MS = 15 * 60_000;
const MAX_PRESIGNED_SECONDS = 7 * 24 * 3_600;

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  );
}

/**
 * The request target as sent, split into its raw path and query. S3 signs the path exactly as
 * sent (never normalised), and s3rver resolves what it receives (decoding %2F, joining `..`), so
 * a path whose meaning could change between the two is refused outright: empty, `.` or `..`
 * segments (also percent-encoded), encoded slashes and backslashes. The project's keys never
 * contain them.
 */
export function splitTarget(target: string): { rawPath: string; query: URLSearchParams } {
  const at = target.indexOf('?');
  const rawPath = at < 0 ? target : target.slice(0, at);
  if (!rawPath.startsWith('/') || rawPath.includes('//'))
    throw new SignatureRefused('InvalidRequest', 'The request path is not a bucket and key.');
  if (/%2f|%5c|\\/i.test(rawPath) || /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(rawPath))
    throw new SignatureRefused(
      'InvalidRequest',
      'Keys with encoded slashes, backslashes or dot segments are not accepted.'
    );
  try {
    decodeURIComponent(rawPath);
  } catch {
    throw new SignatureRefused('InvalidRequest', 'The request path is not valid percent-encoding.');
  }
  const query = new URLSearchParams(at < 0 ? '' : target.slice(at + 1));
  const seen = new Set<string>();
  for (const [name] of query) {
    if (name.toLowerCase().startsWith('x-amz-') && seen.has(name))
      throw new SignatureRefused('InvalidRequest', `The parameter ${name} appears twice.`);
    seen.add(name);
  }
  return { rawPath, query };
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function headerValue(request: IncomingMessage, name: string): string {
  // Own properties only: `constructor` or `__proto__` as a signed header name must not reach
  // Object.prototype.
  const value = Object.hasOwn(request.headers, name) ? request.headers[name] : undefined;
  if (value === undefined)
    throw new SignatureRefused(
      'SignatureDoesNotMatch',
      `The request lacks the signed header '${name}'.`
    );
  const text = Array.isArray(value) ? value.join(',') : value;
  return text.trim().replace(/\s+/g, ' ');
}

/** 20261207T101500Z -> Date */
function parseAmzDate(value: string | undefined): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) throw new SignatureRefused('AccessDenied', 'X-Amz-Date is missing or malformed.');
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

interface SignedParts {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  payloadHash: string;
}

function presignedParts(query: URLSearchParams): SignedParts | undefined {
  if (!query.has('X-Amz-Signature')) return undefined;
  if (query.get('X-Amz-Algorithm') !== ALGORITHM)
    throw new SignatureRefused('AccessDenied', `Only ${ALGORITHM} presigned URLs are accepted.`);
  return {
    credential: query.get('X-Amz-Credential') ?? '',
    signedHeaders: query.get('X-Amz-SignedHeaders') ?? '',
    signature: query.get('X-Amz-Signature') ?? '',
    amzDate: query.get('X-Amz-Date') ?? '',
    payloadHash: 'UNSIGNED-PAYLOAD'
  };
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

function headerParts(request: IncomingMessage): SignedParts | undefined {
  const authorization = request.headers.authorization;
  if (!authorization) return undefined;
  const m = AUTHORIZATION.exec(authorization.trim());
  if (!m)
    throw new SignatureRefused('AccessDenied', `Only ${ALGORITHM} authorization is accepted.`);
  return {
    credential: m[1]!,
    signedHeaders: m[2]!,
    signature: m[3]!,
    amzDate: String(request.headers['x-amz-date'] ?? ''),
    payloadHash: String(request.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD')
  };
}

/**
 * Checks a request's SigV4 signature (presigned URL or Authorization header) against the one key
 * pair the embedded storage knows; throws SignatureRefused with S3's error code otherwise.
 * Requests with neither are refused: the bucket is private.
 */
export function verifySignature(
  request: IncomingMessage,
  credentials: StorageCredentials,
  now: Date = new Date()
): void {
  const { rawPath, query } = splitTarget(request.url ?? '/');
  const presigned = presignedParts(query);
  const parts = presigned ?? headerParts(request);
  if (!parts) throw new SignatureRefused('AccessDenied', 'Access Denied');

  const [accessKeyId, day, region, service, terminator] = parts.credential.split('/');
  if (accessKeyId !== credentials.accessKeyId)
    throw new SignatureRefused(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.'
    );
  const signedAt = parseAmzDate(parts.amzDate);
  if (
    !day ||
    !region ||
    service !== 's3' ||
    terminator !== 'aws4_request' ||
    !parts.amzDate.startsWith(day)
  )
    throw new SignatureRefused('AccessDenied', 'The credential scope is malformed.');

  if (presigned) {
    const expires = Number(query.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_SECONDS)
      throw new SignatureRefused('AccessDenied', 'X-Amz-Expires must be 1-604800 seconds.');
    if (now.getTime() > signedAt.getTime() + expires * 1000)
      throw new SignatureRefused('AccessDenied', 'Request has expired');
    if (signedAt.getTime() - now.getTime() > MAX_SKEW_MS)
      throw new SignatureRefused('AccessDenied', 'Request is not valid yet');
  } else if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    throw new SignatureRefused(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.'
    );
  }

  const names = parts.signedHeaders.split(';');
  const sorted = [...new Set(names)].sort();
  if (
    !/^[a-z0-9-]+(;[a-z0-9-]+)*$/.test(parts.signedHeaders) ||
    sorted.join(';') !== parts.signedHeaders
  )
    throw new SignatureRefused(
      'AccessDenied',
      'SignedHeaders must be distinct lowercase header names, sorted.'
    );
  // As S3: every x-amz-* header sent must be signed. An unsigned one would change what a
  // presigned URL does (x-amz-copy-source turns a PUT into a copy of another object).
  const unsigned = Object.keys(request.headers).filter(
    (name) => name.startsWith('x-amz-') && !names.includes(name)
  );
  if (unsigned.length > 0)
    throw new SignatureRefused(
      'AccessDenied',
      `There were headers present in the request which were not signed: ${unsigned.join(', ')}`
    );
  if (!names.includes('host'))
    throw new SignatureRefused('AccessDenied', 'The host header must be signed.');
  const canonicalRequest = [
    request.method ?? 'GET',
    rawPath,
    canonicalQuery(query),
    names.map((name) => `${name}:${headerValue(request, name)}\n`).join(''),
    parts.signedHeaders,
    parts.payloadHash
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = [
    ALGORITHM,
    parts.amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')
  ].join('\n');
  let key = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(day).digest();
  for (const part of [region, 's3', 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  const provided = Buffer.from(parts.signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected))
    throw new SignatureRefused(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.'
    );
}
