/**
 * The callback signature, as the contract defines it (docs: simulators/backcheck/README.md):
 *
 *   BackCheck-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *
 * keyed with the webhook secret shared with the receiver. `signCallback` is what the simulator
 * sends; `verifySignature` is the receiver's side, here for the simulator's own tests and as a
 * reference (the service implements its own): it checks the HMAC over the exact bytes received,
 * in constant time, and the age of `t` against the receiver's clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'backcheck-signature';
/** How old a signature a receiver accepts (the contract's 5 minutes). */
export const DEFAULT_TOLERANCE_S = 300;

export function signatureHex(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

/** The `BackCheck-Signature` header value for `rawBody` signed at `timestamp` (unix seconds). */
export function signCallback(secret: string, rawBody: string, timestamp: number): string {
  return `t=${timestamp},v1=${signatureHex(secret, timestamp, rawBody)}`;
}

export interface ParsedSignature {
  timestamp: number;
  /** Every `v1` value (a sender rotating secrets may send two). */
  signatures: string[];
}

/** The parts of a header value, or undefined when it is not `t=<digits>,v1=<hex>[,...]`. */
export function parseSignatureHeader(header: string | undefined): ParsedSignature | undefined {
  if (header === undefined) return undefined;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

export type VerifyOutcome =
  { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'stale' };

/**
 * Checks a received callback: the header parses, one `v1` is the HMAC of `<t>.<rawBody>`, and
 * `t` is within `toleranceS` of `nowS` (either way: a clock far ahead is as suspect).
 */
export function verifySignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  options: { nowS?: number; toleranceS?: number } = {}
): VerifyOutcome {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signatureHex(secret, parsed.timestamp, rawBody), 'hex');
  const matches = parsed.signatures.some((given) =>
    timingSafeEqual(Buffer.from(given, 'hex'), expected)
  );
  if (!matches) return { ok: false, reason: 'mismatch' };
  const nowS = options.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - parsed.timestamp) > (options.toleranceS ?? DEFAULT_TOLERANCE_S)) {
    return { ok: false, reason: 'stale' };
  }
  return { ok: true, timestamp: parsed.timestamp };
}
