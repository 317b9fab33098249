// The embedded broker's socket gate, before aedes sees a byte: connections per remote address and
// in total are capped, and a connection whose first packet is not a CONNECT or announces more than
// `maxConnectBytes` (the MQTT fixed header's remaining length) is dropped before it is buffered or
// parsed (a login packet is a few hundred bytes; an unauthenticated client must not make the broker
// hold megabytes). Mosquitto's equivalents: max_packet_size, max_connections (mosquitto.conf).
import type net from 'node:net';

export interface ConnectionLimits {
  /** Open connections from one remote address (devices behind one NAT share it). */
  maxPerAddress: number;
  /** Open connections in total. */
  maxTotal: number;
  /** Largest first packet (CONNECT) accepted, in bytes of remaining length. */
  maxConnectBytes: number;
  /** A connection that has not completed its CONNECT by then is dropped (aedes's connectTimeout too). */
  connectTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxPerAddress: 1000,
  maxTotal: 50_000,
  maxConnectBytes: 2048,
  connectTimeoutMs: 10_000
};

/** MQTT CONNECT's packet type in the first byte's high nibble. */
const CONNECT = 1;

/**
 * The remaining length the fixed header at the start of `head` announces (the MQTT variable byte
 * integer, at most 4 bytes); undefined while more bytes are needed; -1 for a malformed header.
 */
export function announcedLength(head: Buffer): number | undefined {
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= head.length) return undefined;
    const byte = head[i]!;
    value += (byte & 0x7f) * 128 ** (i - 1);
    if ((byte & 0x80) === 0) return value;
  }
  return -1;
}

export type Refusal = 'address' | 'total' | 'first_packet';

/**
 * Wraps aedes's `handle(socket)`: counts, peeks at the first bytes, then hands the socket (with
 * the peeked bytes put back) to `handle`, or destroys it and reports why.
 */
export function guardedHandler(
  handle: (socket: net.Socket) => void,
  limits: ConnectionLimits,
  onRefused: (reason: Refusal, address: string) => void
): (socket: net.Socket) => void {
  const perAddress = new Map<string, number>();
  let total = 0;
  return (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const open = perAddress.get(address) ?? 0;
    if (total >= limits.maxTotal || open >= limits.maxPerAddress) {
      onRefused(total >= limits.maxTotal ? 'total' : 'address', address);
      socket.destroy();
      return;
    }
    total++;
    perAddress.set(address, open + 1);
    socket.once('close', () => {
      total--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    socket.on('error', () => socket.destroy());
    // Silent sockets hold a slot: aedes's own timer starts only once it has the socket.
    const silent = setTimeout(() => socket.destroy(), limits.connectTimeoutMs);
    let head = Buffer.alloc(0);
    const peek = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) head = Buffer.concat([head, chunk]);
      if (head.length === 0) return;
      const length = announcedLength(head);
      if (length === undefined) return;
      socket.removeListener('readable', peek);
      clearTimeout(silent);
      if (head[0]! >> 4 !== CONNECT || length < 0 || length > limits.maxConnectBytes) {
        onRefused('first_packet', address);
        socket.destroy();
        return;
      }
      socket.unshift(head);
      // After the stream has noticed the removed listener: aedes's own 'readable' listener then
      // finds the bytes put back.
      setImmediate(() => {
        if (!socket.destroyed) handle(socket);
      });
    };
    socket.on('readable', peek);
    socket.once('close', () => clearTimeout(silent));
  };
}
