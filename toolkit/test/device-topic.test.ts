import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEVICE_TOPIC_PARTITIONS,
  deviceTopic,
  fnv1a32,
  parseDeviceTopic,
  partitionFilters
} from '../src/device-topic.ts';

test('FNV-1a 32 matches the published test vectors', () => {
  // From the FNV reference (draft-eastlake-fnv): "" and "a" and "foobar".
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
});

test('a device topic parses back to its device, and a wrong partition is refused', () => {
  const topic = deviceTopic('dev-000042-a');
  assert.match(topic, /^activity\/v1\/\d{2}\/dev-000042-a$/);
  assert.equal(parseDeviceTopic(topic)?.deviceId, 'dev-000042-a');
  const [root, version, partition] = topic.split('/');
  const other = (Number(partition) + 1) % DEVICE_TOPIC_PARTITIONS;
  const wrong = `${root}/${version}/${String(other).padStart(2, '0')}/dev-000042-a`;
  assert.equal(parseDeviceTopic(wrong), undefined);
  for (const bad of [
    'activity/v1/07',
    'activity/v2/07/dev-000042-a',
    'activity/v1/7/dev-000042-a',
    'activity/v1/07/short'
  ]) {
    assert.equal(parseDeviceTopic(bad), undefined, bad);
  }
  assert.throws(() => deviceTopic('bad/id+'), /device id/);
});

test('the partition filters of n workers cover every partition exactly once', () => {
  for (const count of [1, 2, 3, 7, 64]) {
    const seen = new Map<string, number>();
    for (let index = 0; index < count; index++)
      for (const filter of partitionFilters(index, count))
        seen.set(filter, (seen.get(filter) ?? 0) + 1);
    assert.equal(seen.size, DEVICE_TOPIC_PARTITIONS, `count ${count}`);
    assert.ok([...seen.values()].every((n) => n === 1));
  }
  assert.throws(() => partitionFilters(2, 2), /index/);
  assert.throws(() => partitionFilters(0, 65), /count/);
});
