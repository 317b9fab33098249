// Which devices the embedded broker lets in: registered ones, with their current key generation
// (the registry bumps it when a device moves to another user and deletes the row when it is
// unregistered). One primary-key read per device per TTL: a reconnect storm or a device
// publishing every few seconds does not become a query per packet; a revocation takes effect
// within the TTL.
import type pg from 'pg';

export interface RegisteredDevice {
  /** The key generation its broker password must be derived for. */
  generation: number;
}

export type DeviceLookup = (deviceId: string) => Promise<RegisteredDevice | undefined>;

export interface CachedDeviceLookup extends DeviceLookup {
  /** Drops the cached entry (the registry changed the device in this process). */
  forget(deviceId: string): void;
}

/** Entries kept at most; beyond it the cache starts over (bounded memory under id floods). */
const MAX_ENTRIES = 100_000;

export function registeredDeviceLookup(pool: pg.Pool, ttlMs = 5000): CachedDeviceLookup {
  const cache = new Map<string, { at: number; value: Promise<RegisteredDevice | undefined> }>();
  const lookup: DeviceLookup = (deviceId) => {
    const now = Date.now();
    const hit = cache.get(deviceId);
    if (hit && now - hit.at < ttlMs) return hit.value;
    if (cache.size >= MAX_ENTRIES) cache.clear();
    const value = pool
      .query<{ key_generation: number }>(
        'SELECT key_generation FROM activity_devices WHERE device_id = $1',
        [deviceId]
      )
      .then(({ rows }) => (rows[0] ? { generation: rows[0].key_generation } : undefined));
    // A failed read is not cached: the next packet asks again.
    value.catch(() => cache.delete(deviceId));
    cache.set(deviceId, { at: now, value });
    return value;
  };
  return Object.assign(lookup, { forget: (deviceId: string) => void cache.delete(deviceId) });
}
