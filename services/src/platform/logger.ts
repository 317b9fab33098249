// Structured logging for every off-platform service: pino, JSON lines on stdout.
//
// Secrets and card data must never reach a log line, whatever the caller passes. Three layers:
//  1. pino `redact` paths for the well-known places (authorization headers, cookies, ...);
//  2. a key-name scrubber that blanks any property named like a secret or card field
//     (password, clientSecret, accessToken, cardNumber, cvv, ...) at any depth of a logged object;
//  3. a value scrubber run on every string of the final JSON line (message, bindings, serialized
//     errors, request URLs): 13-19 digit runs passing the Luhn check (card numbers, PCI DSS 3.4),
//     also glued to letters or inside longer digit runs, grouped by spaces, dots, dashes,
//     underscores, slashes or unicode dashes, or percent-encoded; `Bearer`
//     tokens, Salesforce session ids, passwords inside connection URLs, and the values of
//     secret-named query parameters (`?access_token=...`).
// Layer 3 runs on the serialized line, so even a message string or an error stack cannot leak.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent'
];

export const REDACTED = '[REDACTED]';

// Layer 1: exact paths, cheap and applied by pino itself at serialization time.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'clientSecret',
  '*.clientSecret',
  'cardNumber',
  '*.cardNumber',
  'cvv',
  '*.cvv'
];

// Layer 2: property names that always hold secrets or card data. Compared after lower-casing and
// removing separators, so `client_secret`, `Client-Secret` and `clientSecret` all match.
const SECRET_KEY_EXACT = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'tokens',
  'assertion',
  'privatekey',
  'apikey',
  'sessionid',
  'sid',
  'pan',
  'cardnumber',
  'ccnumber',
  'creditcardnumber',
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'cid',
  'securitycode',
  'cardsecuritycode'
]);
const SECRET_KEY_SUFFIXES = ['password', 'secret', 'token', 'tokens', 'apikey', 'privatekey'];

function classifyKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_KEY_EXACT.has(normalized)) return true;
  return SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

// Log objects use the same few dozen keys over and over: each is classified once. Bounded, for
// callers that log data-derived keys.
const keyVerdicts = new Map<string, boolean>();
const MAX_KEY_VERDICTS = 4096;

export function isSecretKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = classifyKey(key);
    if (keyVerdicts.size >= MAX_KEY_VERDICTS) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

// Layer 3: value scrubbing.

/** Luhn (mod 10) check, the checksum every payment card number carries. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// A card number as it may be written: 13-19 digits, each digit possibly percent-encoded (%34 is
// "4"), the digits optionally grouped by up to three separators (space, dot, dash, underscore,
// "+", "/", the unicode dashes U+2010..U+2015 and minus U+2212, or any of those
// percent-encoded), and possibly inside a longer run of digits (`411111111111111100000`): a
// candidate is the whole run, and it is a card number when any 13-19 digit window of it passes
// the Luhn check (isPan). Letters around it do not protect it (`pay4111111111111111`); what
// keeps Salesforce ids (001000000000001AAA) intact is the rule that no card number starts with 0
// (ISO/IEC 7812 gives that major industry identifier to no card network): windows starting with
// 0 are skipped, except a whole run standing alone (Luhn decides, as before).
const SEPARATOR_CHARS = String.raw`[ .+_/\-\u2010-\u2015\u2212]`;
// Percent-encoded separators: %20 space, %2B +, %2D -, %2E ., %2F /, %5F _, and the UTF-8 bytes
// of U+2010..U+2015 (%E2%80%90..%E2%80%95) and U+2212 (%E2%88%92).
const ENCODED_SEPARATOR = String.raw`%2[0BbDdEeFf]|%5[Ff]|%[Ee]2%80%9[0-5]|%[Ee]2%88%92`;
const panPattern = (digit: string, separator: string) =>
  new RegExp(`(?<![0-9])${digit}(?:${separator}{0,3}${digit}){12,}`, 'g');
// Plain text (no "%"): a simpler pattern, the one nearly every line takes.
const PAN_CANDIDATE_PLAIN = panPattern(String.raw`\d`, SEPARATOR_CHARS);
const PAN_CANDIDATE_ENCODED = panPattern(
  String.raw`(?:\d|%3\d)`,
  `(?:${SEPARATOR_CHARS}|${ENCODED_SEPARATOR})`
);
const panCandidates = (text: string) =>
  text.includes('%') ? PAN_CANDIDATE_ENCODED : PAN_CANDIDATE_PLAIN;
// A UUID (correlation ids, idempotency keys): its dashes are boundaries, not card-number
// separators. Its groups hold at most 12 digits, so no card number fits in one; joined across
// dashes, about one random UUID in a hundred would hold a Luhn-valid 13-19 digit window.
const UUID = /(?<![0-9A-Za-z])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])/g;
const BEARER_TOKEN = /\b(Bearer)\s+[A-Za-z0-9._~+/=!-]{8,}/gi;
// Salesforce access tokens are session ids: the 15-character org id, "!", then the session secret.
const SALESFORCE_SESSION_ID = /\b00D[A-Za-z0-9]{12}![A-Za-z0-9._]{20,}/g;
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"]+:)[^@\s"]+@/gi;
// A query-string (or form) parameter: `?name=value`, `&name=value`, `;name=value`. The value is
// blanked when the name is a secret's (isSecretKey) or one of the OAuth/signature names below.
const QUERY_PARAMETER = /([?&;])([A-Za-z0-9_.%-]{1,64})=([^&#;\s"\\]*)/g;
const SECRET_QUERY_NAMES = new Set(['code', 'sig', 'signature', 'key', 'auth', 'credential']);

export const CARD_REDACTED = '[REDACTED-PAN]';

const ENCODED_SEPARATORS = new RegExp(ENCODED_SEPARATOR, 'g');
const PERCENT_DIGIT = /%3(\d)/g;
const NOT_DIGITS = /\D/g;

/** The digits of a PAN candidate (percent-encoded digits decoded, separators dropped). */
function candidateDigits(match: string): string {
  const decoded = match.includes('%')
    ? match.replace(ENCODED_SEPARATORS, '').replace(PERCENT_DIGIT, '$1')
    : match;
  return decoded.replace(NOT_DIGITS, '');
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Whether some 13-19 digit window of `digits` passes Luhn (windows starting with 0 skipped). */
function holdsCardNumber(digits: string): boolean {
  for (let start = 0; start + 13 <= digits.length; start++) {
    if (digits.charCodeAt(start) === 48) continue;
    for (let length = 13; length <= 19 && start + length <= digits.length; length++) {
      if (passesLuhn(digits.slice(start, start + length))) return true;
    }
  }
  return false;
}

/** Whether the candidate `match` at `offset` of `text` is (or holds) a card number to redact. */
function isPan(match: string, offset: number, text: string): boolean {
  const digits = candidateDigits(match);
  if (digits.length < 13) return false;
  if (digits.length <= 19 && digits.charCodeAt(0) === 48) {
    // A whole run starting with 0: a Salesforce id or a number, never a card, when glued to
    // letters; standing alone, Luhn decides (the earlier rule).
    const before = offset > 0 ? text.charCodeAt(offset - 1) : 0;
    const after = text.charCodeAt(offset + match.length);
    if (!isLetter(before) && !isLetter(after) && passesLuhn(digits)) return true;
  }
  return holdsCardNumber(digits);
}

/** Positions of the dashes inside UUIDs of `text`, or undefined when it holds none. */
function uuidDashes(text: string): Set<number> | undefined {
  let dashes: Set<number> | undefined;
  UUID.lastIndex = 0;
  for (let m = UUID.exec(text); m !== null; m = UUID.exec(text)) {
    dashes ??= new Set();
    for (let i = m[0].indexOf('-'); i >= 0; i = m[0].indexOf('-', i + 1)) dashes.add(m.index + i);
  }
  return dashes;
}

/**
 * The candidate as it is to be written: redacted when it holds a card number. Inside a UUID the
 * dashes split it, and each piece is judged alone.
 */
function scrubCandidate(
  match: string,
  offset: number,
  text: string,
  dashes: Set<number> | undefined
): string {
  if (!dashes || !match.includes('-')) return isPan(match, offset, text) ? CARD_REDACTED : match;
  let out = '';
  let pieceStart = 0;
  for (let i = 0; i <= match.length; i++) {
    if (i < match.length && !dashes.has(offset + i)) continue;
    const piece = match.slice(pieceStart, i);
    out += isPan(piece, offset + pieceStart, text) ? CARD_REDACTED : piece;
    if (i < match.length) out += '-';
    pieceStart = i + 1;
  }
  return out;
}

/** Replaces every card number of `text` (see panPattern). */
function scrubPans(text: string): string {
  const dashes = text.includes('-') ? uuidDashes(text) : undefined;
  return text.replace(panCandidates(text), (match: string, offset: number, whole: string) =>
    scrubCandidate(match, offset, whole, dashes)
  );
}

function queryParameterReplacement(whole: string, sep: string, name: string): string {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // keep the raw name
  }
  const normalized = decoded.toLowerCase().replace(/[^a-z0-9]/g, '');
  return isSecretKey(decoded) || SECRET_QUERY_NAMES.has(normalized)
    ? `${sep}${name}=${REDACTED}`
    : whole;
}

/**
 * Replaces card numbers, bearer tokens, Salesforce session ids, URL passwords and secret query
 * parameters in free text.
 */
export function scrubText(text: string): string {
  let out = text;
  if (/\d/.test(out)) out = scrubPans(out);
  if (out.includes('earer')) out = out.replace(BEARER_TOKEN, `$1 ${REDACTED}`);
  if (out.includes('00D')) out = out.replace(SALESFORCE_SESSION_ID, REDACTED);
  if (out.includes('://')) out = out.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
  if (out.includes('=')) out = out.replace(QUERY_PARAMETER, queryParameterReplacement);
  return out;
}

// A JSON string literal; scrubbing only inside string literals keeps numbers such as the log
// timestamp (13 digits) intact and keeps the line valid JSON (replacements hold no quotes).
const JSON_STRING_LITERAL = /"(?:[^"\\]|\\.)*"/g;

// The same patterns, unanchored and without the global flag, to ask "anywhere in the line?".
const SALESFORCE_SESSION_ID_ANYWHERE = new RegExp(SALESFORCE_SESSION_ID.source);
const URL_CREDENTIALS_ANYWHERE = new RegExp(URL_CREDENTIALS.source, 'i');
const QUERY_PARAMETER_ANYWHERE = new RegExp(QUERY_PARAMETER.source);

/** Whether any PAN candidate in `text` is one scrubText would redact. */
function hasPan(text: string): boolean {
  const pattern = panCandidates(text);
  const dashes = text.includes('-') ? uuidDashes(text) : undefined;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    // Looked at in its string literal, the neighbours are the same characters (or a quote).
    if (scrubCandidate(m[0], m.index, text, dashes) !== m[0]) {
      pattern.lastIndex = 0;
      return true;
    }
  }
  return false;
}

/**
 * false when scrubText cannot change any part of `text`: none of its patterns matches anywhere
 * in it. A match inside one string literal of a line is also a match in the whole line (the
 * literal's quotes bound it the same way), so a line this returns false for is already clean.
 * Every candidate card number is checked here already (Luhn, the 0 rule), so a line whose only
 * long digit runs are ids or numbers takes the fast path too.
 */
function mayNeedScrubbing(text: string): boolean {
  return (
    hasPan(text) ||
    text.includes('earer') ||
    (text.includes('00D') && SALESFORCE_SESSION_ID_ANYWHERE.test(text)) ||
    (text.includes('://') && URL_CREDENTIALS_ANYWHERE.test(text)) ||
    (text.includes('=') && QUERY_PARAMETER_ANYWHERE.test(text))
  );
}

/**
 * Scrubs every string literal of a serialized JSON log line. Most lines hold nothing the
 * patterns could match (ids, amounts, timestamps): one look at the whole line settles those,
 * and only the others are taken apart literal by literal.
 */
export function scrubJsonLine(line: string): string {
  if (!mayNeedScrubbing(line)) return line;
  return line.replace(JSON_STRING_LITERAL, (literal) => scrubText(literal));
}

const MAX_SCRUB_DEPTH = 10;

function binaryPlaceholder(value: ArrayBufferView | ArrayBuffer): string {
  return `[binary ${value.byteLength} bytes]`;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Returns a copy of `value` with secret-named properties blanked, at any depth. Only plain objects,
 * arrays and errors are walked: class instances (requests, sockets, pools) are left to pino's
 * serializers, and the line-level scrubber still sees whatever they produce.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Bytes (a Buffer serializes as an array of numbers) are out of layer 3's reach: never logged.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return binaryPlaceholder(value);
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_SCRUB_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
    if (value instanceof Error) return serializeError(value, depth, seen);
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] =
        isSecretKey(key) && inner !== undefined && inner !== null
          ? REDACTED
          : redactSecrets(inner, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * Whether redactSecrets(value) would differ from `value`: a secret-named key with a value, an
 * error, a cycle or too deep a nesting somewhere in its plain objects and arrays. When it would
 * not, the log methods pass the caller's object on as it is instead of a copy (pino does not
 * modify it, and serializes both alike).
 */
function needsRedaction(value: unknown, depth: number, ancestors: object[]): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  if (depth >= MAX_SCRUB_DEPTH || value instanceof Error || ancestors.includes(value)) return true;
  const array = Array.isArray(value);
  if (!array && !isPlainObject(value)) return false;
  ancestors.push(value);
  try {
    if (array) return value.some((item) => needsRedaction(item, depth + 1, ancestors));
    for (const key of Object.keys(value)) {
      // The copy would set a prototype for this key rather than a property: copy as before.
      if (key === '__proto__') return true;
      const inner = value[key];
      if (isSecretKey(key) && inner !== undefined && inner !== null) return true;
      if (needsRedaction(inner, depth + 1, ancestors)) return true;
    }
    return false;
  } finally {
    ancestors.pop();
  }
}

/** redactSecrets(value), or `value` itself when that would be an equal copy. */
function redacted(value: unknown): unknown {
  return needsRedaction(value, 0, []) ? redactSecrets(value) : value;
}

function serializeError(
  error: Error,
  depth: number,
  seen: WeakSet<object>
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.name,
    message: error.message,
    stack: error.stack
  };
  for (const [key, inner] of Object.entries(error)) {
    if (key === 'message' || key === 'stack') continue;
    out[key] = isSecretKey(key) ? REDACTED : redactSecrets(inner, depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = redactSecrets(error.cause, depth + 1, seen);
  return out;
}

// Correlation ids: one per inbound request or job, carried through async calls so that any
// component (Salesforce client, queue handler) logs it without passing loggers around.
interface CorrelationContext {
  correlationId: string;
}

const correlationStorage = new AsyncLocalStorage<CorrelationContext>();

export function runWithCorrelationId<T>(correlationId: string, fn: () => T): T {
  return correlationStorage.run({ correlationId }, fn);
}

export function getCorrelationId(): string | undefined {
  return correlationStorage.getStore()?.correlationId;
}

export function newCorrelationId(): string {
  return randomUUID();
}

// A caller-supplied correlation id is echoed in the response header, in every error body and on
// every log line of the request, so it must not be able to carry a card number. Any free-form
// pattern with digits can (`4111111111111111`, `4111:1111:1111:1111`), and the PAN scrubber
// cannot know every separator a caller may choose: only a UUID is taken as it is (its groups hold
// at most 12 digits, and the scrubber treats a UUID's dashes as boundaries). Anything else is
// replaced by a fresh UUID.
const CORRELATION_ID_PATTERN =
  /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/**
 * Whether `text` holds a card number as a value a caller chose (a key, an id): some window of 13
 * to 19 digits of one of its digit runs passes Luhn, whatever surrounds the run. Stricter than
 * the redaction's rule above, which lets runs starting with 0 be (Salesforce ids, numbers).
 */
export function holdsLuhnStretch(text: string): boolean {
  for (const run of text.match(/\d{13,}/g) ?? []) {
    for (let length = 13; length <= Math.min(19, run.length); length++) {
      for (let start = 0; start + length <= run.length; start++) {
        if (passesLuhn(run.slice(start, start + length))) return true;
      }
    }
  }
  return false;
}

/**
 * Accepts a caller-supplied correlation id only when it is a UUID (see above) whose digits, once
 * its dashes are dropped, hold no card number: `45320151-1283-0366-0000-000000000000` is
 * UUID-shaped and carries 4532015112830366. Refused ids are replaced, so refusing the rare
 * genuine UUID with such a stretch costs nothing.
 */
export function isValidCorrelationId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    CORRELATION_ID_PATTERN.test(value) &&
    !holdsLuhnStretch(value.replace(/-/g, ''))
  );
}

// Loggers whose bindings already carry `correlationId` (request loggers). pino children inherit
// from their parent through the prototype chain, so descendants see the marker too.
const hasCorrelationBinding = Symbol('platform.hasCorrelationBinding');

/** Marks a logger (and its future children) as already bound to a correlation id. */
export function markCorrelated<T extends object>(logger: T): T {
  (logger as Record<symbol, unknown>)[hasCorrelationBinding] = true;
  return logger;
}

function serializeLoggedError(value: unknown): unknown {
  return value instanceof Error ? pino.stdSerializers.err(value) : value;
}

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** Written as `service` on every line. */
  service?: string;
  /** Where lines go; stdout by default. Tests pass a collecting stream. */
  destination?: DestinationStream;
  /** Extra fields on every line. */
  base?: Record<string, unknown>;
  /**
   * `json`: one JSON object per line (log collectors); `pretty`: human-readable lines;
   * `auto` (default): pretty when stdout is a terminal. Ignored with `destination`.
   */
  format?: 'auto' | 'json' | 'pretty';
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: {
      service: options.service ?? 'services',
      pid: process.pid,
      ...(redactSecrets(options.base ?? {}) as Record<string, unknown>)
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // Errors reaching the serializer were already turned into plain scrubbed objects by logMethod;
    // pino's own serializer would relabel those as type "Object".
    serializers: { err: serializeLoggedError, error: serializeLoggedError },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redacted(bindings) as Record<string, unknown>
    },
    mixin(_mergeObject, _level, logger) {
      if ((logger as unknown as Record<symbol, unknown>)[hasCorrelationBinding]) return {};
      const correlationId = getCorrelationId();
      return correlationId ? { correlationId } : {};
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = (args as unknown[]).map((arg, index) => {
          // `logger.error(err)` and `logger.info(err, 'msg')`: keep the error under `err` so pino
          // takes the (now scrubbed) message from it.
          if (index === 0 && arg instanceof Error) return { err: redactSecrets(arg) };
          return typeof arg === 'object' && arg !== null ? redacted(arg) : arg;
        });
        (method as (...a: unknown[]) => void).apply(this, scrubbed);
      },
      streamWrite: scrubJsonLine
    }
  };
  // stdout written synchronously: pino's default asynchronous writer can reorder or lose the
  // last lines when the process exits (a shutdown report once came out of order in a test
  // run), and those lines matter most.
  const logger = pino(
    pinoOptions,
    options.destination ?? stdoutDestination(options.format ?? 'auto')
  );
  skipRedactionOfPlainValues(logger);
  return logger;
}

/**
 * Layer 1's wildcard paths (`*.password`...) make pino run its redactor on every top-level value
 * of every line and every binding, strings and numbers included, and that redactor
 * (@pinojs/redact) parses each path again on each call: measured, half of everything the
 * payments service allocated per request, and the most frequent cause of its GC pauses. A
 * string, number or boolean has no property to redact, so for those the redactor's answer is
 * the value's JSON (what it returns after finding no path); anything else still goes through
 * it. Children share their parent's stringifiers, so this covers them too.
 */
function skipRedactionOfPlainValues(logger: Logger): void {
  const stringifiers = (logger as unknown as Record<symbol, unknown>)[
    pino.symbols.stringifiersSym
  ] as Record<symbol, unknown> | undefined;
  const redactor = stringifiers?.[pino.symbols.wildcardFirstSym];
  if (typeof redactor !== 'function') return;
  const redact = redactor as (value: unknown, ...rest: unknown[]) => unknown;
  (stringifiers as Record<symbol, unknown>)[pino.symbols.wildcardFirstSym] = (
    value: unknown,
    ...rest: unknown[]
  ) => {
    const type = typeof value;
    return type === 'string' || type === 'number' || type === 'boolean'
      ? JSON.stringify(value)
      : redact(value, ...rest);
  };
}

/**
 * stdout, written synchronously either way. The pretty printer runs as a stream in this thread
 * rather than as pino's worker-thread transport, so it stays synchronous too, and it formats
 * lines that the scrubber above has already cleaned.
 */
function stdoutDestination(format: 'auto' | 'json' | 'pretty'): DestinationStream {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!pretty) return pino.destination({ dest: 1, sync: true });
  return pinoPretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname'
  });
}
