// The MQTT topic of a fitness device's readings (Scenario 4, toolkit/contracts/
// device-reading.schema.json): activity/v1/{partition}/{deviceId}. The partition lets ingestion
// workers split the traffic on a broker without shared subscriptions (the embedded aedes speaks
// MQTT 3.1.1 only): worker i of n subscribes to its partitions' filters. On a broker with MQTT 5
// `$share/` the workers share one `activity/v1/+/+` subscription instead. Devices, the simulator
// and the service compute the partition with this one function.

/** Fixed by the contract: changing it would move every device's topic. */
export const DEVICE_TOPIC_PARTITIONS = 64;
export const DEVICE_TOPIC_ROOT = 'activity/v1';
/** The filter of every device's readings. */
export const ALL_DEVICES_FILTER = `${DEVICE_TOPIC_ROOT}/+/+`;
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** FNV-1a 32-bit of the UTF-8 bytes: a few lines on any device's firmware. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function devicePartition(deviceId: string): number {
  return fnv1a32(deviceId) % DEVICE_TOPIC_PARTITIONS;
}

function twoDigits(partition: number): string {
  return String(partition).padStart(2, '0');
}

/** The topic a device publishes its readings on. */
export function deviceTopic(deviceId: string): string {
  if (!DEVICE_ID_PATTERN.test(deviceId)) {
    throw new Error('A device id is 8-64 characters of A-Z, a-z, 0-9, _ and -.');
  }
  return `${DEVICE_TOPIC_ROOT}/${twoDigits(devicePartition(deviceId))}/${deviceId}`;
}

/** The device a topic belongs to, or undefined when the topic is not a well-formed device topic. */
export function parseDeviceTopic(
  topic: string
): { partition: number; deviceId: string } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== DEVICE_TOPIC_ROOT) return undefined;
  const [, , partitionText, deviceId] = parts as [string, string, string, string];
  if (!/^\d{2}$/.test(partitionText) || !DEVICE_ID_PATTERN.test(deviceId)) return undefined;
  const partition = Number(partitionText);
  return partition === devicePartition(deviceId) ? { partition, deviceId } : undefined;
}

/**
 * The topic filters of worker `index` of `count` when the broker cannot share a subscription:
 * partitions index, index + count, ... (every partition has exactly one worker).
 */
export function partitionFilters(index: number, count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > DEVICE_TOPIC_PARTITIONS) {
    throw new Error(`Worker count must be 1-${DEVICE_TOPIC_PARTITIONS}, not ${count}.`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`Worker index must be 0-${count - 1}, not ${index}.`);
  }
  const filters: string[] = [];
  for (let p = index; p < DEVICE_TOPIC_PARTITIONS; p += count)
    filters.push(`${DEVICE_TOPIC_ROOT}/${twoDigits(p)}/+`);
  return filters;
}
