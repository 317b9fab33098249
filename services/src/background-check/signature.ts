// BackCheck-Signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several v1
// during a secret rotation). Verified over the raw bytes received, before any parsing, compared
// in constant time, with a 5-minute window around our own clock. The eventId replay check comes
// after (checks.ts), once the body is known to be BackCheck's.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'backcheck-signature';
export const SIGNATURE_TOLERANCE_S = 300;

export type SignatureCheck =
  { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifyBackCheckSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = SIGNATURE_TOLERANCE_S
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  let t: string | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value))
      signatures.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || !/^\d{1,12}$/.test(t) || signatures.length === 0)
    return { ok: false, reason: 'malformed' };
  if (Math.abs(nowS - Number(t)) > toleranceS) return { ok: false, reason: 'stale' };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  // Every candidate is compared (no early exit), each in constant time.
  let match = false;
  for (const candidate of signatures) if (timingSafeEqual(candidate, expected)) match = true;
  return match ? { ok: true } : { ok: false, reason: 'mismatch' };
}
