// A fitness device's broker password (Scenario 4), derived from one fleet secret instead of a
// table of per-device keys: password = base64url(HMAC-SHA256(secret, deviceId)). The device
// fleet simulator signs in with it and the activity service's embedded broker checks it with the
// same function, so neither stores a password per device; a production fleet would provision
// each device with its own key at manufacture (the derivation is what a factory would run).
// The key generation revokes a device's old password: the registry bumps it when the device
// moves to another user, so the previous owner's key no longer logs in. Generation 0 (every
// device until it first moves) is the original derivation, so simulators and the lab keep working.
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The password of `deviceId` under the fleet `secret` (43 characters of base64url) for key
 * `generation` (0: HMAC of the device id; n > 0: HMAC of `${deviceId}#${n}`).
 */
export function deriveDeviceKey(secret: string, deviceId: string, generation = 0): string {
  if (secret.length === 0) throw new Error('A device key secret must not be empty.');
  if (!Number.isSafeInteger(generation) || generation < 0)
    throw new Error('A device key generation is an integer from 0.');
  const subject = generation === 0 ? deviceId : `${deviceId}#${generation}`;
  return createHmac('sha256', secret).update(subject, 'utf8').digest('base64url');
}

/** Whether `password` is the derived key of `deviceId` (of `generation`), in constant time. */
export function isDeviceKey(
  secret: string,
  deviceId: string,
  password: string | Buffer,
  generation = 0
): boolean {
  const expected = Buffer.from(deriveDeviceKey(secret, deviceId, generation), 'utf8');
  const given = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  return given.length === expected.length && timingSafeEqual(given, expected);
}
