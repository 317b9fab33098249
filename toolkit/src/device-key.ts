// A fitness device's broker password (Scenario 4), derived from one fleet secret instead of a
// table of per-device keys: password = base64url(HMAC-SHA256(secret, deviceId)). The device
// fleet simulator signs in with it and the activity service's embedded broker checks it with the
// same function, so neither stores a password per device; a production fleet would provision
// each device with its own key at manufacture (the derivation is what a factory would run).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The password of `deviceId` under the fleet `secret` (43 characters of base64url). */
export function deriveDeviceKey(secret: string, deviceId: string): string {
  if (secret.length === 0) throw new Error('A device key secret must not be empty.');
  return createHmac('sha256', secret).update(deviceId, 'utf8').digest('base64url');
}

/** Whether `password` is the derived key of `deviceId`, compared in constant time. */
export function isDeviceKey(secret: string, deviceId: string, password: string | Buffer): boolean {
  const expected = Buffer.from(deriveDeviceKey(secret, deviceId), 'utf8');
  const given = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  return given.length === expected.length && timingSafeEqual(given, expected);
}
