// The embedded broker's socket gate (connection-guard.ts): what an unauthenticated client can
// make it hold. Raw sockets, as an attacker would send them.
import assert from 'node:assert/strict';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import net from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/activity/broker.ts';
import { announcedLength } from '../../src/activity/connection-guard.ts';
import { connect } from './helpers.ts';

const KEY = 'test-device-key-0123456789';
const INGEST = { username: 'activity-ingest', password: 'ingest-secret-1234' };
const ALICE = 'dev-alice-0001';

/** Resolves with whether the broker closed the socket within `ms`. */
async function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return true;
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms));
  // Not events.once: it rejects on the 'error' of a reset before 'close'.
  const closed = new Promise<true>((resolve) => socket.on('close', () => resolve(true)));
  return Promise.race([closed, timer]);
}

async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

describe('embedded broker: connection limits', () => {
  let broker: EmbeddedBroker;
  before(async () => {
    broker = await startEmbeddedBroker({
      port: 0,
      deviceKey: KEY,
      ingest: INGEST,
      limits: { maxPerAddress: 3, maxTotal: 10, connectTimeoutMs: 300 }
    });
  });
  after(async () => broker.stop());

  it('reads the remaining length of an MQTT fixed header', () => {
    assert.equal(announcedLength(Buffer.from([0x10])), undefined);
    assert.equal(announcedLength(Buffer.from([0x10, 0x20])), 32);
    assert.equal(announcedLength(Buffer.from([0x10, 0x80, 0x01])), 128);
    assert.equal(announcedLength(Buffer.from([0x10, 0xff, 0xff])), undefined);
    assert.equal(announcedLength(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])), 268_435_455);
    assert.equal(announcedLength(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])), -1);
  });

  it('drops a first packet announcing more than 2 KB before reading it', async () => {
    const socket = await rawSocket(broker.port);
    // CONNECT announcing 100 MB (0x80 0x80 0x80 0x30 = 100,663,296 bytes), then a trickle.
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x30]));
    socket.write(Buffer.alloc(1000, 0x41));
    assert.equal(await closedWithin(socket, 2000), true);
  });

  it('drops a connection whose first packet is not a CONNECT', async () => {
    const socket = await rawSocket(broker.port);
    socket.write(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x62, 0x63]));
    assert.equal(await closedWithin(socket, 2000), true);
  });

  it('drops a connection that never sends its CONNECT', async () => {
    const socket = await rawSocket(broker.port);
    assert.equal(await closedWithin(socket, 2000), true);
  });

  it('caps the connections of one address, and a device still logs in (the header put back)', async () => {
    const held = await Promise.all([1, 2, 3].map(() => rawSocket(broker.port)));
    const fourth = await rawSocket(broker.port);
    assert.equal(await closedWithin(fourth, 1000), true);
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const alice = await connect(broker.url, {
      username: ALICE,
      password: deriveDeviceKey(KEY, ALICE)
    });
    assert.equal(alice.connected, true);
    await alice.endAsync();
  });
});

it('caps the connections in total', async () => {
  const broker = await startEmbeddedBroker({
    port: 0,
    deviceKey: KEY,
    ingest: INGEST,
    limits: { maxPerAddress: 100, maxTotal: 2 }
  });
  try {
    const held = await Promise.all([1, 2].map(() => rawSocket(broker.port)));
    const third = await rawSocket(broker.port);
    assert.equal(await closedWithin(third, 1000), true);
    assert.equal(await closedWithin(held[0]!, 200), false);
    for (const socket of held) socket.destroy();
  } finally {
    await broker.stop();
  }
});
