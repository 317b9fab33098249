import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { deriveDeviceKey, isDeviceKey } from '../src/device-key.ts';

test('a device key is base64url(HMAC-SHA256(secret, deviceId))', () => {
  const key = deriveDeviceKey('fleet-secret', 'dev-000042-a');
  assert.equal(
    key,
    createHmac('sha256', 'fleet-secret').update('dev-000042-a').digest('base64url')
  );
  assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(key, deriveDeviceKey('fleet-secret', 'dev-000043-a'));
  assert.notEqual(key, deriveDeviceKey('other-secret', 'dev-000042-a'));
});

test('a device key checks in constant time and refuses another device or a wrong length', () => {
  const key = deriveDeviceKey('fleet-secret', 'dev-000042-a');
  assert.equal(isDeviceKey('fleet-secret', 'dev-000042-a', key), true);
  assert.equal(isDeviceKey('fleet-secret', 'dev-000042-a', Buffer.from(key)), true);
  assert.equal(isDeviceKey('fleet-secret', 'dev-000043-a', key), false);
  assert.equal(isDeviceKey('fleet-secret', 'dev-000042-a', key.slice(1)), false);
  assert.throws(() => deriveDeviceKey('', 'dev-000042-a'), /must not be empty/);
});

test('a later key generation derives from `${deviceId}#${generation}` and revokes the earlier key', () => {
  const first = deriveDeviceKey('fleet-secret', 'dev-000042-a');
  assert.equal(deriveDeviceKey('fleet-secret', 'dev-000042-a', 0), first);
  const second = deriveDeviceKey('fleet-secret', 'dev-000042-a', 1);
  assert.equal(
    second,
    createHmac('sha256', 'fleet-secret').update('dev-000042-a#1').digest('base64url')
  );
  assert.equal(isDeviceKey('fleet-secret', 'dev-000042-a', second, 1), true);
  assert.equal(isDeviceKey('fleet-secret', 'dev-000042-a', first, 1), false);
  assert.equal(isDeviceKey('fleet-secret', 'dev-000042-a', second), false);
  assert.throws(() => deriveDeviceKey('fleet-secret', 'dev-000042-a', -1), /generation/);
});
